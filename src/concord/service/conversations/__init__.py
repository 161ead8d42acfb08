"""Conversations: their settings and life (open, closed), statements and their moderation, what a reader sees of
them in their own language, suspected blocs, the stored analysis, and the Pol.is export in and out."""
