"""The web app's pages: participants vote, write and see results; moderators run spaces and
conversations. Server-rendered HTML that works without JavaScript (plain forms, Post/Redirect/Get);
``static/concord.js`` only enhances it (voting without reloads, a character counter).

One module per part of the site; each route calls one service use case, as the JSON API does, and
renders its answer."""

from __future__ import annotations

from concord.web.pages import (
    budgets,
    home,
    moderation,
    participation,
    results,
    space_translations,
    spaces,
    summary,
    translations,
)

PARTS = (home, spaces, participation, results, summary, moderation, translations, space_translations, budgets)
