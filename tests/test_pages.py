"""Every HTML page and form, through the in-process HTTP client: status, what the page must say, and
that text people wrote (space names, topics, descriptions, statements, reasons) is escaped, never
markup. The browser tests (test_browser.py) cover what needs a real browser; these need none.

Pages behave the same on every database (they call the service use cases the API tests run on both),
so they run on SQLite."""

from __future__ import annotations

import io
import re
import zipfile

from fastapi.testclient import TestClient

from api_helpers import db_id
from conftest import DEMO
from page_helpers import MARKUP, Site, csrf, escaped, page, page_fixtures, post, redirected

database_url, site = page_fixtures()

EXPECTED_PAGES = {
    ("GET", "/lang"),
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/s/{path:path}"),
    ("POST", "/spaces"),
    ("POST", "/spaces/{space_id}/conversations"),
    ("POST", "/spaces/{space_id}/imports"),
    ("GET", "/c/{conversation_id}"),
    ("POST", "/c/{conversation_id}/join"),
    ("POST", "/c/{conversation_id}/vote"),
    ("POST", "/c/{conversation_id}/statements"),
    ("GET", "/c/{conversation_id}/results"),
    ("GET", "/c/{conversation_id}/summary"),  # test_pages_summary.py
    ("GET", "/c/{conversation_id}/outcome"),
    ("POST", "/c/{conversation_id}/outcome"),
    ("GET", "/c/{conversation_id}/log"),
    ("GET", "/c/{conversation_id}/receipts"),
    ("POST", "/c/{conversation_id}/forget"),
    ("GET", "/c/{conversation_id}/moderate"),
    ("POST", "/c/{conversation_id}/seed"),
    ("POST", "/c/{conversation_id}/moderation/{number}"),
    ("POST", "/c/{conversation_id}/blocs"),
    ("POST", "/c/{conversation_id}/settings"),
    ("POST", "/c/{conversation_id}/state"),
    ("POST", "/c/{conversation_id}/invitations"),
    ("GET", "/c/{conversation_id}/invitations"),  # tests/test_pages_facilitator.py
    ("GET", "/c/{conversation_id}/export.zip"),
    ("GET", "/moderation"),
    ("POST", "/c/{conversation_id}/proposals/{number}"),  # the decision pages: tests/test_pages_decisions.py
    ("POST", "/c/{conversation_id}/rule"),
    ("POST", "/spaces/{space_id}/rule"),
    ("POST", "/spaces/{space_id}/place"),
    ("POST", "/spaces/{space_id}/proposals"),
    ("POST", "/spaces/{space_id}/proposals/{proposal_id}/tallies"),
    ("GET", "/c/{conversation_id}/translate/{what}"),  # the translation pages: tests/test_pages_translations.py
    ("POST", "/c/{conversation_id}/translate/{what}"),
    ("POST", "/c/{conversation_id}/statements/{number}/language"),
    ("GET", "/c/{conversation_id}/translations"),
    ("POST", "/c/{conversation_id}/translations/{translation_id}/decision"),
    ("GET", "/c/{conversation_id}/translations/po"),
    ("POST", "/c/{conversation_id}/translations/po"),
    ("GET", "/b/{budget_id}"),  # the budget pages: tests/test_pages_budgets.py
    ("POST", "/b/{budget_id}/ballot"),
    ("GET", "/b/{budget_id}/results"),
    ("GET", "/spaces/{space_id}/budgets/new"),
    ("POST", "/spaces/{space_id}/budgets"),
    ("POST", "/spaces/{space_id}/budget-imports"),
    ("GET", "/b/{budget_id}/manage"),
    ("POST", "/b/{budget_id}/settings"),
    ("POST", "/b/{budget_id}/projects"),
    ("POST", "/b/{budget_id}/projects/{number}"),
    ("POST", "/b/{budget_id}/state"),
    ("POST", "/b/{budget_id}/split"),
    ("GET", "/b/{budget_id}/export.pb"),
    ("GET", "/spaces/{space_id}/translate/{subject}"),  # spaces' and budgets' texts: test_pages_space_translations.py
    ("POST", "/spaces/{space_id}/translate/{subject}"),
    ("GET", "/b/{budget_id}/translate/{subject}"),
    ("POST", "/b/{budget_id}/translate/{subject}"),
    ("GET", "/b/{budget_id}/projects/{number}/translate/{subject}"),
    ("POST", "/b/{budget_id}/projects/{number}/translate/{subject}"),
}


def test_every_page_route_is_tested_here():
    from concord.web.pages import PARTS

    served = {
        (method, route.path)
        for part in PARTS
        for route in part.router.routes
        for method in route.methods
        if method != "HEAD"
    }
    assert served == EXPECTED_PAGES, "a page was added or removed: update EXPECTED_PAGES and test it here"


def test_home_lists_spaces_and_offers_login(site):
    html = page(TestClient(site.app).get("/"))
    assert 'href="/s/herat"' in html and 'href="/login"' in html
    escaped(html)
    admin_home = page(site.admin.get("/"))
    assert 'action="/logout"' in admin_home and "New top-level space" in admin_home


def test_language_switch_sets_the_cookie_and_stays_on_the_site(site):
    browser = TestClient(site.app)
    response = browser.get("/lang?to=fa-AF&next=/s/herat", follow_redirects=False)
    assert redirected(response, "/s/herat") == "/s/herat"
    assert browser.cookies["concord_lang"] == "fa_AF"
    html = page(browser.get("/s/herat"))
    assert 'dir="rtl"' in html and 'lang="fa-AF"' in html
    assert redirected(browser.get("/lang?to=ps&next=//evil.example", follow_redirects=False), "/") == "/"


def test_login_page_and_form(site):
    browser = TestClient(site.app)
    html = page(browser.get("/login?next=/s/herat"))
    assert 'name="username"' in html and 'name="password"' in html and 'value="/s/herat"' in html
    wrong = post(browser, "/login", username="admin", password="not the password", next="/")
    assert "Wrong username or password." in page(wrong, 401)
    right = post(browser, "/login", username="admin", password="a long enough password", next="/s/herat")
    assert redirected(right, "/s/herat") and "concord_session" in browser.cookies
    assert redirected(post(browser, "/logout"), "/") == "/"
    assert "Moderator log in" in page(browser.get("/"))


def test_space_page_shows_conversations_and_moderator_forms(site):
    visitor = page(TestClient(site.app).get("/s/herat"))
    assert f'href="/c/{site.conversation}"' in visitor and "Moderate" not in visitor
    escaped(visitor)
    moderator = page(site.admin.get("/s/herat"))
    assert f'action="/spaces/{site.space_id}/conversations"' in moderator
    assert f'action="/spaces/{site.space_id}/imports"' in moderator
    page(TestClient(site.app).get("/s/nowhere"), 404)


def test_creating_a_space_below_and_refusals(site):
    assert redirected(post(site.admin, "/spaces", parent_id=str(site.space_id), slug="injil", name="Injil"), "/s/")
    html = page(site.admin.get("/s/herat/injil"))
    assert 'href="/s/herat"' in html  # the trail
    escaped(html)
    page(post(site.admin, "/spaces", parent_id=str(site.space_id), slug="injil", name="Again"), 409)
    page(post(TestClient(site.app), "/spaces", slug="anyone", name="Anyone"), 401)


def test_conversation_page_for_a_newcomer(site):
    html = page(site.participant().get(f"/c/{site.conversation}"))
    escaped(html)
    assert 'name="vote" value="agree"' in html and 'name="text"' in html
    assert "Wells first" in html or "Roads first" in html
    page(site.participant().get("/c/nothing-here"), 404)


def test_voting_and_writing_without_javascript(site):
    person = site.participant()
    html = page(person.get(f"/c/{site.conversation}"))
    number = int(re.search(r'name="statement" value="(\d+)"', html).group(1))
    voted = post(person, f"/c/{site.conversation}/vote", statement=str(number), vote="agree")
    assert "notice=voted" in redirected(voted, f"/c/{site.conversation}")
    assert "concord_participant" in person.cookies
    written = post(person, f"/c/{site.conversation}/statements", text=f"Clinics {MARKUP}")
    assert "notice=written-pending" in redirected(written, f"/c/{site.conversation}")  # pre-moderated
    refused = post(person, f"/c/{site.conversation}/vote", statement="999", vote="agree")
    assert "error=not_found" in redirected(refused, f"/c/{site.conversation}")
    empty = post(person, f"/c/{site.conversation}/statements", text="   ")
    assert "error=statement_empty" in redirected(empty, f"/c/{site.conversation}")


def test_receipts_page_lists_a_readers_votes_with_their_log_entries_in_dari(site):
    person = site.participant()
    html = page(person.get(f"/c/{site.conversation}/receipts"))
    assert "You have not voted in this conversation yet." in html
    number = int(re.search(r'name="statement" value="(\d+)"', page(person.get(f"/c/{site.conversation}"))).group(1))
    post(person, f"/c/{site.conversation}/vote", statement=str(number), vote="disagree")
    html = page(person.get(f"/c/{site.conversation}/receipts?lang=fa-AF"))
    mine = person.get(f"/api/conversations/{site.conversation}/receipts").json()
    [receipt] = mine["receipts"]
    assert set(receipt) == {"entry", "leaf"}  # the file names the entry only: not the statement, nor the vote
    english = page(person.get(f"/c/{site.conversation}/receipts"))  # the page shows the participant how
    cell = rf'<tr><td><span class="number">#{number}</span> <span dir="auto" lang="en" data-content>[^<]+</span></td>'
    assert re.search(rf"{cell}<td>Disagree</td><td><code[^>]*>{receipt['entry']} · ", english)
    assert f"{receipt['leaf'][:12]}…" in html and "رسید" in html and "concord verify --receipt" in html
    results = page(person.get(f"/c/{site.conversation}/results"))
    assert mine["log"]["origin"] in results and "/receipts" in results  # the signed checkpoint, and the way here
    escaped(html)


def test_forget_me_on_this_device_leaves_nothing_of_the_participant_in_the_browser(site):
    """A coercer holding the unlocked phone finds neither the votes nor the receipts once the participant
    asked this device to forget them; the votes stay counted, and the pages keep no copy in the cache."""
    person = site.participant()
    number = int(re.search(r'name="statement" value="(\d+)"', page(person.get(f"/c/{site.conversation}"))).group(1))
    post(person, f"/c/{site.conversation}/vote", statement=str(number), vote="disagree")
    before = person.get(f"/c/{site.conversation}/receipts")
    assert before.headers["Cache-Control"] == "no-store" and "Forget me on this device" in page(before)
    forgotten = redirected(post(person, f"/c/{site.conversation}/forget"), f"/c/{site.conversation}")
    assert "notice=forgotten" in forgotten and "concord_participant" not in person.cookies
    assert "This device has forgotten you" in page(person.get(forgotten))
    after = page(person.get(f"/c/{site.conversation}/receipts"))
    assert "You have not voted in this conversation yet." in after and "Forget me on this device" not in after
    assert person.get(f"/api/conversations/{site.conversation}/receipts").json()["receipts"] == []
    assert TestClient(site.app).get(f"/api/conversations/{site.conversation}").json()["votes"] == 1  # counted


def test_join_form_with_declared_attributes(site):
    person = site.participant()
    joined = post(person, f"/c/{site.conversation}/join", **{"attr:region": "north"})
    assert "notice=joined" in redirected(joined, f"/c/{site.conversation}")
    html = page(person.get(f"/c/{site.conversation}?notice=joined"))
    assert 'name="attr:region"' not in html  # answered: not asked again
    bad = post(person, f"/c/{site.conversation}/join", **{"attr:region": "east"})
    assert "error=invalid" in redirected(bad, f"/c/{site.conversation}")


def test_results_page_before_and_after_analysis(site):
    reader = site.participant()
    html = page(reader.get(f"/c/{site.conversation}/results"))
    assert "There are no results yet" in html
    escaped(html)
    demo = _import_demo(site)
    site.app.state.concord.live.analyse_now(demo[1])
    html = page(reader.get(f"/c/{demo[0]}/results"))
    assert "<svg" in html and "Group A" in html and "Opinion map" in html


def test_moderation_desk_queue_and_public_log(site):
    person = site.participant()
    post(person, f"/c/{site.conversation}/statements", text=f"Clinics {MARKUP}")
    anonymous = TestClient(site.app).get(f"/c/{site.conversation}/moderate", follow_redirects=False)
    assert redirected(anonymous, "/login?next=") == f"/login?next=%2Fc%2F{site.conversation}%2Fmoderate"
    desk = page(site.admin.get(f"/c/{site.conversation}/moderate"))
    escaped(desk)
    number = int(re.search(r'action="/c/\w+/moderation/(\d+)"', desk).group(1))
    rejected = post(site.admin, f"/c/{site.conversation}/moderation/{number}", status="rejected", reason=MARKUP)
    assert "notice=rejected" in redirected(rejected, f"/c/{site.conversation}/moderate")
    page(post(site.admin, f"/c/{site.conversation}/moderation/{number}", status="rejected", reason=""), 422)
    log = page(TestClient(site.app).get(f"/c/{site.conversation}/log"))
    assert "rejected" in log and "admin" not in log
    escaped(log)
    assert "Clinics" not in log  # a rejected statement's text is not repeated in the log


def test_settings_state_and_invitations(site):
    url = f"/c/{site.conversation}"
    saved = post(
        site.admin,
        f"{url}/settings",
        topic="Water and wells",
        description="",
        moderation="post",
        participants_can_write="true",
        access="invite",
        max_statement_length="200",
    )
    assert "notice=saved" in redirected(saved, f"{url}/moderate")
    page(post(site.admin, f"{url}/settings", topic="", access="invite"), 422)
    page(post(site.admin, f"{url}/settings", topic="x", access="everyone"), 422)
    made = post(site.admin, f"{url}/invitations", count="2")
    desk = page(made)  # shown in this answer, never in an address that browsers keep in their history
    codes = re.findall(r"<li><code>([A-Z0-9]{10})</code>", desk)
    assert len(codes) == 2 and "Water and wells" in desk and "location" not in made.headers
    assert not any(code in page(site.admin.get(f"{url}/moderate")) for code in codes)  # shown once
    newcomer = page(site.participant().get(url))
    assert 'name="invite_code"' in newcomer
    asked = page(post(site.admin, f"{url}/state", open="false"))  # closing asks first
    assert "Close the conversation?" in asked and 'name="confirmed" value="true"' in asked
    assert "closed" not in page(site.participant().get(url)).lower()
    closed = post(site.admin, f"{url}/state", open="false", confirmed="true")
    assert "notice=closed" in redirected(closed, f"{url}/moderate")
    assert "closed" in page(site.participant().get(url)).lower()
    page(post(site.participant(), f"{url}/state", open="true"), 401)


def test_export_and_import_forms(site):
    export = site.admin.get(f"/c/{site.conversation}/export.zip")
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    assert f'filename="{site.conversation}.zip"' in export.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert f"{site.conversation}/comments.csv" in names
    anyone = TestClient(site.app).get(f"/c/{site.conversation}/export.zip")  # a public record: anyone may verify it
    assert anyone.status_code == 200 and anyone.content[:2] == b"PK"
    results = page(TestClient(site.app).get(f"/c/{site.conversation}/results"))
    assert f'href="/c/{site.conversation}/export.zip"' in results
    public_id, _ = _import_demo(site)
    desk = page(site.admin.get(f"/c/{public_id}/moderate"))
    assert "Taxes" in desk and 'action="/c/' in desk
    refused = site.admin.post(
        f"/spaces/{site.space_id}/imports",
        files={"file": ("x.zip", b"not a zip", "application/zip")},
        data={"csrf_token": csrf(site.admin)},
        follow_redirects=False,
    )
    assert "not a .zip" in page(refused, 422)


def _import_demo(site: Site) -> tuple[str, int]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(DEMO.glob("*.csv")):
            archive.write(path, path.name)
    made = site.admin.post(
        f"/spaces/{site.space_id}/imports",
        files={"file": ("demo.zip", buffer.getvalue(), "application/zip")},
        data={"csrf_token": csrf(site.admin), "topic": "Taxes"},
        follow_redirects=False,
    )
    public_id = re.match(r"/c/(\w+)/moderate", redirected(made, "/c/")).group(1)
    return public_id, db_id(site.app, public_id)
