"""Keeping the direction controls of text people wrote inside that text.

A statement or topic may carry Unicode direction controls (a right-to-left override, U+202E, say).
Left raw in a page, an override reorders what follows it: the rest of a <title>, of a form field, of a
report line. Every value a template prints that holds such a control is wrapped in FIRST STRONG
ISOLATE … POP DIRECTIONAL ISOLATE (U+2068 … U+2069), which ends every embedding, override and isolate
opened inside it, whatever the context, even where no markup can go (a title, an attribute value).
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup

DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


def isolate_direction(value: Any) -> Any:
    """A Jinja ``finalize``: user text with direction controls comes out isolated; markup built by
    the templates themselves (``Markup``) and everything else pass unchanged."""
    if isinstance(value, str) and not isinstance(value, Markup) and DIRECTION_CONTROLS.search(value):
        return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
    return value
