"""Translations of what people wrote, one text at a time or a whole conversation as a PO file."""
