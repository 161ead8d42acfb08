"""Shared fixtures: the real Pol.is conversations and their analyses, and the deliberation server on
SQLite and on PostgreSQL.

Real data: the full set at ``../shared/data/polis`` (or ``$CONCORD_POLIS_DATA``) when it is there, else
the three real conversations shipped in ``tests/data/polis`` (CC BY 4.0, see ATTRIBUTION.md there), so
that a clone of the repository alone runs the suite. Tests that need a conversation of the full set
say so with ``needs(...)`` and are skipped, visibly, on the subset; CI (``$CI``) requires the full set.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_DATA = ROOT / "tests" / "data" / "polis"
FULL_DATA = Path(os.environ.get("CONCORD_POLIS_DATA", ROOT.parent / "shared" / "data" / "polis"))
FULL = FULL_DATA.is_dir()
POLIS_DATA = FULL_DATA if FULL else SHIPPED_DATA
CONVERSATIONS = sorted(p.name for p in POLIS_DATA.iterdir() if p.is_dir())
DEMO = ROOT / "src" / "concord" / "demo" / "scoop-hivemind.taxes"


def pytest_sessionstart(session) -> None:
    if os.environ.get("CI") and not FULL:
        raise pytest.UsageError(
            f"CI runs on the full set of real conversations, missing at {FULL_DATA}; set CONCORD_POLIS_DATA"
        )


def pytest_report_header(config) -> str:
    if FULL:
        return f"real conversations: {len(CONVERSATIONS)} in {POLIS_DATA}"
    return (
        f"real conversations: the {len(CONVERSATIONS)} shipped in {POLIS_DATA} (the full set is not at "
        f"{FULL_DATA}; the tests that need it are skipped)"
    )


def needs(*names: str) -> pytest.MarkDecorator:
    """Skip, saying why, when a named conversation is not in the data at hand (the shipped subset)."""
    missing = sorted(set(names) - set(CONVERSATIONS))
    return pytest.mark.skipif(bool(missing), reason=f"needs {', '.join(missing)} of the full real-data set")


needs_full_set = pytest.mark.skipif(not FULL, reason="an aggregate over the full real-data set")


@cache
def analysed(name: str):
    """(export, analysis) of one shared conversation, computed once per test session."""
    from concord.engine.analysis import analyze
    from concord.formats.polis import read_export

    export = read_export(POLIS_DATA / name)
    return export, analyze(export.votes)


@pytest.fixture(params=CONVERSATIONS)
def conversation(request):
    return request.param


# --- the deliberation server on SQLite and on PostgreSQL ------------------------------------------

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_cluster():
    """A throw-away PostgreSQL cluster for the whole session (tests/postgres.py). Without PostgreSQL
    the tests that need it fail when $CI is set, and are skipped with the reason otherwise."""
    from postgres import Cluster, PostgresUnavailable

    cluster = Cluster()
    try:
        cluster.start()
    except PostgresUnavailable as error:
        cluster.stop()
        message = f"PostgreSQL tests cannot run: {error}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI is set, so this is a failure, not a skip)", pytrace=False)
        pytest.skip(message)
    yield cluster
    cluster.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """A fresh, empty database per test: a new SQLite file, or a new database in the session's
    PostgreSQL cluster (dropped afterwards). Narrow it with
    ``@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)``."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'concord.db'}"
        return
    if request.param != "postgresql":
        raise ValueError(f"unknown database backend {request.param!r}: use one of {BACKENDS}")
    cluster = request.getfixturevalue("postgres_cluster")
    name = cluster.create_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def make_app(database_url):
    """``make_app(**options)``: a Concord app over this test's database. Live analysis is off unless
    asked for (tests call ``app.state.concord.live.analyse_now``), and so are rate limits (the tests of
    floods pass ``rate_limits=True``). Engines are closed when the test ends."""
    from concord.web.app import create_app

    apps = []

    def make(**options):
        options.setdefault("live_analysis", False)
        options.setdefault("rate_limits", False)
        app = create_app(database_url, **options)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.concord.close()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


ADMIN_PASSWORD = "a long enough password"


def log_in(
    client, username: str = "admin", *, admin: bool = True, spaces: tuple[str, ...] = (), password: str = ADMIN_PASSWORD
) -> dict[str, str]:
    """Create a user (an administrator, or a moderator of the spaces at ``spaces``) and log ``client``
    in as them; returns the headers a state-changing request needs (``X-CSRF-Token``)."""
    from concord.service import spaces as space_service
    from concord.service.accounts import moderators as accounts

    with client.app.state.concord.sessions.begin() as session:
        user = accounts.create_user(session, username, password, is_admin=admin)
        for path in spaces:
            accounts.grant(session, user, space_service.space_by_path(session, path))
    response = client.post("/api/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


@pytest.fixture
def login():
    """The ``log_in(client, username="admin", *, admin=True, spaces=())`` helper, as a fixture."""
    return log_in


@pytest.fixture
def admin_headers(client):
    """``client`` logged in as an administrator; the headers carry its CSRF token."""
    return log_in(client)


@pytest.fixture
def site(app, client, admin_headers):
    """Spaces /a, /a/b, /a/b/c and /x made by an administrator, and a seeded conversation in /a/b."""
    from api_helpers import SEEDS, Site

    built = Site(app, client, admin_headers)
    built.space("a")
    built.space("b", "/a")
    built.space("c", "/a/b")
    built.space("x")
    built.conversation = built.new_conversation()
    built.seeds = built.seed(built.conversation, *SEEDS)
    return built


# --- a real browser (tests/test_browser*.py) --------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a machine without network access (shared/docs/environment.md): no background traffic.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module (the modules skip, or fail under CI,
    when Chromium is missing)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
