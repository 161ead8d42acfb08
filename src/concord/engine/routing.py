"""Which statement a participant sees next: Pol.is's comment priority (polis-math.md §1.11).

    p = (P + 1)/(S + 2)      a = (A + 1)/(S + 2)      P = S − A − D (passes)
    importance = (1 − p) · (E + 1) · a
    priority   = (importance · (1 + 8 · 2^(−S/5)))²

E is the statement's extremity on the opinion map. Statements few have seen get up to a 9× novelty
factor (halving every 5 votes); statements that are rarely passed, far from the centre of the map, or
widely agreed with come earlier. The server draws the next statement with probability ∝ priority.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

Counts = TypeVar("Counts", float, np.ndarray)
NOVELTY = 8.0
NOVELTY_HALF_LIFE_VOTES = 5.0


def priority(agree: Counts, disagree: Counts, seen: Counts, extremity: Counts) -> Counts:
    """The priority of one statement, or of every statement at once when given arrays."""
    passes = seen - agree - disagree
    p_pass = (passes + 1.0) / (seen + 2.0)
    p_agree = (agree + 1.0) / (seen + 2.0)
    importance = (1.0 - p_pass) * (extremity + 1.0) * p_agree
    novelty = 1.0 + NOVELTY * 2.0 ** (-seen / NOVELTY_HALF_LIFE_VOTES)
    return (importance * novelty) ** 2
