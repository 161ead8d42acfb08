"""Helpers of the page tests (tests/test_pages*.py): pages checked for status and escaping, forms sent
as a browser sends them (with the CSRF token of their page), and a site made through the forms."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from conftest import log_in

MARKUP = "<script>alert(1)</script> & \"quotes\" 'apostrophes'"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp;"


def page(response, status: int = 200) -> str:
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text[:500]}"
    assert response.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in response.headers
    return response.text


def escaped(html: str) -> None:
    """User text shows as text: no raw tag, the escaped form present."""
    assert "<script>alert(1)" not in html
    assert ESCAPED in html


def csrf(client: TestClient) -> str:
    """The CSRF token the site renders into this browser's forms (the login page always has one)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)


def post(client: TestClient, url: str, **fields):
    """A form as a browser sends it: with the token of its page, without following the redirect."""
    return client.post(url, data={**fields, "csrf_token": csrf(client)}, follow_redirects=False)


def redirected(response, to: str) -> str:
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location.startswith(to), location
    return location


class Site:
    """An administrator logged in through the form, a space and a conversation made through the forms,
    every user-written text carrying markup."""

    def __init__(self, app):
        self.app = app
        self.admin = TestClient(app)
        log_in(self.admin)  # creates the account; the page login is tested on its own
        redirected(post(self.admin, "/spaces", slug="herat", name=f"Herat {MARKUP}", description=MARKUP), "/s/herat")
        self.space_id = self.admin.get("/api/spaces?path=/herat").json()[0]["id"]
        made = post(
            self.admin,
            f"/spaces/{self.space_id}/conversations",
            topic=f"Water {MARKUP}",
            description=MARKUP,
            moderation="pre",
            participants_can_write="true",
            access="link",
            max_statement_length="140",
            attribute_name="region",
            attribute_options="north, south",
        )
        self.conversation = re.match(r"/c/(\w+)/moderate", redirected(made, "/c/")).group(1)
        redirected(post(self.admin, f"/c/{self.conversation}/seed", text="Wells first\nRoads first\n"), "/c/")
        listed = self.admin.get(f"/api/conversations/{self.conversation}/statements").json()
        self.wells, self.roads = (s["number"] for s in listed)  # 1 and 2: a new conversation numbers from 1

    def participant(self) -> TestClient:
        return TestClient(self.app)


def page_fixtures():
    """The page tests' fixtures, which each test_pages*.py module takes as ``database_url, site =
    page_fixtures()``: one SQLite database (rather than every backend), and a site made through the forms."""

    @pytest.fixture
    def database_url(tmp_path) -> str:
        return f"sqlite:///{tmp_path / 'concord.db'}"

    @pytest.fixture
    def site(app) -> Site:
        return Site(app)

    return database_url, site
