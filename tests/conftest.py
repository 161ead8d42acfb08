"""Shared fixtures: the real Pol.is conversations in ../shared/data/polis and their analyses."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POLIS_DATA = Path(os.environ.get("CONCORD_POLIS_DATA", ROOT.parent / "shared" / "data" / "polis"))
CONVERSATIONS = sorted(p.name for p in POLIS_DATA.iterdir() if p.is_dir()) if POLIS_DATA.is_dir() else []
DEMO = ROOT / "src" / "concord" / "demo" / "scoop-hivemind.taxes"


def pytest_sessionstart(session) -> None:
    if not CONVERSATIONS:
        raise pytest.UsageError(
            f"the real Pol.is conversations are missing at {POLIS_DATA}; set CONCORD_POLIS_DATA"
        )


@lru_cache(maxsize=None)
def analysed(name: str):
    """(export, analysis) of one shared conversation, computed once per test session."""
    from concord.engine.analysis import analyze
    from concord.formats.polis import read_export

    export = read_export(POLIS_DATA / name)
    return export, analyze(export.votes)


@pytest.fixture(params=CONVERSATIONS)
def conversation(request):
    return request.param
