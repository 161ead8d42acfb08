"""A conversation's closing time, its outcome and its printable summary, through the pages (issue 26):
a moderator sets when it closes in the settings form, participants read when (in English, Dari and
Pashto), it closes itself then; once closed its moderator writes the outcome, shown on the results page
and the one-page summary, which needs no script."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from api_helpers import bulk_votes, db_id
from page_helpers import ESCAPED, MARKUP, page, page_fixtures, post, redirected

database_url, site = page_fixtures()

SETTINGS = {"topic": "Water", "moderation": "pre", "access": "link", "max_statement_length": "140",
            "participants_can_write": "true"}  # fmt: skip
CLOSES_ON = {
    "en": "This conversation closes on",
    "fa-AF": "این گفتگو در این تاریخ بسته می‌شود:",
    "ps": "دا خبرې اترې په دې نېټه بندېږي:",
}
OUTCOME = {"en": "Outcome", "fa-AF": "نتیجه", "ps": "پایله"}
SUMMARY = {"en": "Summary of the results", "fa-AF": "خلاصهٔ نتایج", "ps": "د پایلو لنډیز"}


def set_closing(site, moment: str):
    return post(site.admin, f"/c/{site.conversation}/settings", **SETTINGS, closes_ms=moment)


def test_the_page_says_when_the_conversation_closes_in_three_languages(site):
    redirected(set_closing(site, "2031-03-21T08:30"), f"/c/{site.conversation}/moderate")
    form = page(site.admin.get(f"/c/{site.conversation}/moderate"))
    assert 'name="closes_ms" type="datetime-local" value="2031-03-21T08:30"' in form
    reader = TestClient(site.app)
    for language, sentence in CLOSES_ON.items():
        html = page(reader.get(f"/c/{site.conversation}?lang={language}"))
        said = re.search(r'<p class="muted" id="closes">(.*?)</p>', html).group(1)
        assert sentence in said
        assert ("2031" if language == "en" else "۲۰۳۱") in said  # the reader's digits


def test_a_closing_time_that_is_no_date_is_refused_beside_its_field(site):
    html = page(set_closing(site, "next Tuesday"), 422)
    assert "This is not a date and time: next Tuesday" in html
    assert 'aria-describedby="settings-closes_ms-error"' in html and 'value="next Tuesday"' in html


def test_a_conversation_past_its_closing_time_is_closed_on_its_pages(site):
    soon = datetime.fromtimestamp(time.time() + 60, UTC).strftime("%Y-%m-%dT%H:%M")  # the next whole minute
    redirected(set_closing(site, soon), f"/c/{site.conversation}/moderate")
    reader = TestClient(site.app)
    assert 'id="closes"' in page(reader.get(f"/c/{site.conversation}"))
    with site.app.state.concord.sessions.begin() as session:  # the time comes (rather than waiting a minute)
        from concord.store.models import Conversation

        session.query(Conversation).update({Conversation.closes_ms: int(time.time() * 1000) - 1})
    html = page(reader.get(f"/c/{site.conversation}"))
    assert "This conversation is closed." in html and 'id="closes"' not in html
    assert f'href="/c/{site.conversation}"' not in page(reader.get("/"))  # no longer listed as open


def test_the_outcome_is_written_once_closed_and_shown_in_three_languages(site):
    page(site.admin.get(f"/c/{site.conversation}/outcome"))
    assert "Close the conversation first" in page(site.admin.get(f"/c/{site.conversation}/outcome"))
    assert f'href="/c/{site.conversation}/outcome"' not in page(site.admin.get(f"/c/{site.conversation}/moderate"))
    post(site.admin, f"/c/{site.conversation}/state", open="false", confirmed="true")
    desk = page(site.admin.get(f"/c/{site.conversation}/moderate"))
    assert f'href="/c/{site.conversation}/outcome"' in desk

    too_long = page(post(site.admin, f"/c/{site.conversation}/outcome", text="x" * 5001), 422)
    assert "limited to 5,000 characters" in too_long and "x" * 5001 + "</textarea>" in too_long
    nobody = TestClient(site.app)
    assert nobody.get(f"/c/{site.conversation}/outcome").status_code in (401, 403)
    assert post(nobody, f"/c/{site.conversation}/outcome", text="Mine").status_code in (401, 403)

    written = f"Wells first, then roads. {MARKUP}"
    redirected(post(site.admin, f"/c/{site.conversation}/outcome", text=written), f"/c/{site.conversation}/results")
    for language, heading in OUTCOME.items():
        results = page(nobody.get(f"/c/{site.conversation}/results?lang={language}"))
        shown = re.search(r'<h2 id="outcome-heading">(.*?)</h2><div [^>]*>(.*?)</div>', results, re.S)
        assert shown.group(1) == heading and ESCAPED in shown.group(2)
        summary = page(nobody.get(f"/c/{site.conversation}/summary?lang={language}"))
        assert SUMMARY[language] in summary and ESCAPED in summary.split('id="outcome-heading"')[1]


def test_the_summary_is_one_page_without_script_in_three_languages(site):
    seeds = ["Clinics in every district", "Schools for girls", "Roads before wells", "Wells before roads",
             "More buses", "Fewer taxes", "A new market"]  # fmt: skip
    redirected(post(site.admin, f"/c/{site.conversation}/seed", text="\n".join(seeds)), "/c/")
    moderated = page(site.admin.get(f"/c/{site.conversation}/moderate"))
    for number in re.findall(r'action="/c/\w+/statements/(\d+)/moderation"', moderated):
        post(site.admin, f"/c/{site.conversation}/statements/{number}/moderation", status="accepted")
    # 9 statements (2 + 7): two planted groups who agree on the first two and split on the rest.
    one, other = [1, 1, 1, -1, 1, -1, 1, -1, 1], [1, 1, -1, 1, -1, 1, -1, 1, -1]
    bulk_votes(site.app, site.conversation, [one] * 12 + [other] * 12)
    site.app.state.concord.live.analyse_now(db_id(site.app, site.conversation))
    for language, heading in SUMMARY.items():
        html = page(TestClient(site.app).get(f"/c/{site.conversation}/summary?lang={language}"))
        assert "<script" not in html and "<form" not in html.split("<main")[1]
        assert heading in html and ESCAPED in html  # the topic, escaped
        numbers = re.search(r'<p id="numbers">(.*?)</p>', html).group(1)
        assert ("24" if language == "en" else "۲۴") in numbers
        assert html.count('<h3 id="group-') == 2
        assert "Wells first" in html.split('id="consensus-heading"')[1].split('id="groups-heading"')[0]
        assert f'href="/c/{site.conversation}/results"' in html
    results = page(TestClient(site.app).get(f"/c/{site.conversation}/results"))
    assert f'href="/c/{site.conversation}/summary"' in results
    page(TestClient(site.app).get("/c/no-such-one/summary"), 404)
