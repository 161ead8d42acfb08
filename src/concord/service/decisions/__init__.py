"""Decisions: which statements are proposals, which rule decides them, and proposals put to the spaces below and
rolled up from their decisions."""
