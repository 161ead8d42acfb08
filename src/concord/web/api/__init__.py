"""The JSON API, one module per resource. Every route parses its input, calls one service use case
(which runs in one transaction of its own) and shapes the answer; the rules live in
``concord.service``. Documented at /openapi.json and /docs."""

from __future__ import annotations

from concord.web.api import (
    accounts,
    budgets,
    conversations,
    invitations,
    logs,
    meta,
    participation,
    results,
    spaces,
    statements,
    translations,
)

RESOURCES = (
    accounts,
    spaces,
    conversations,
    statements,
    translations,
    participation,
    results,
    invitations,
    budgets,
    logs,
    meta,
)
