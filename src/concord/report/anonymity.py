"""How many must share a declared answer before it is published beside their numbers: what the server
publishes in the log, and what ``concord verify`` holds every ``declared`` entry to."""

from __future__ import annotations

from concord.engine.decisions.support import MIN_VOTERS

K: int = MIN_VOTERS
"""How many participants must share an answer before it is published beside their numbers:
k-anonymity (Sweeney, 2002) with k = 5, so that a published answer always names a group of at least
five, never a person. The same 5 as the smallest group that can hold a veto
(:data:`concord.engine.decisions.support.MIN_VOTERS`): a group smaller than that could never settle a
verdict of its own in a decision either, so the two rules name one threshold."""
