"""A participant's pages as the first hour found them (issue 26), through the in-process client, in
English, Dari and Pashto: the language a reader gets, a closed conversation, their own statements, counts
and numbers, the receipts."""

from __future__ import annotations

import html as markup
import io
import json
import re
import time
import zipfile

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api_helpers import db_id
from concord.web.i18n import translations
from concord.web.rendering import environment
from page_helpers import page, page_fixtures, post, redirected

database_url, site = page_fixtures()


def html_language(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


# --- the reader's language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fa-IR", "fa-AF"),
        ("fa", "fa-AF"),
        ("fa-AF", "fa-AF"),
        ("prs", "fa-AF"),
        ("de-DE, fa-IR;q=0.8", "fa-AF"),
        ("ps-AF", "ps"),
        ("ps-PK", "ps"),
        ("pbt", "ps"),
        ("pbu", "ps"),
        ("en-GB", "en"),
    ],
)
def test_a_browser_set_to_persian_or_pashto_gets_dari_or_pashto(site, header, expected):
    for path in ("", "/results", "/receipts"):
        got = page(TestClient(site.app, headers={"Accept-Language": header}).get(f"/c/{site.conversation}{path}"))
        assert html_language(got) == expected, (header, path)


def dari_conversation(site) -> str:
    made = post(
        site.admin, f"/spaces/{site.space_id}/conversations", topic="آب آشامیدنی", language="fa-AF", access="invite"
    )
    return re.match(r"/c/(\w+)/moderate", redirected(made, "/c/")).group(1)


def test_a_reader_who_names_none_of_concords_languages_reads_the_conversation_in_its_own(site):
    dari = dari_conversation(site)
    for path in ("", "/results", "/receipts", "/log"):
        for header in ({"Accept-Language": "de-DE, fr;q=0.5"}, {}):
            got = page(TestClient(site.app, headers=header).get(f"/c/{dari}{path}"))
            assert html_language(got) == "fa-AF" and 'dir="rtl"' in got, (header, path)
    # A language the browser names, and a choice made on the page, still win.
    assert html_language(page(TestClient(site.app, headers={"Accept-Language": "ps"}).get(f"/c/{dari}"))) == "ps"
    assert html_language(page(TestClient(site.app).get(f"/c/{dari}?lang=en"))) == "en"
    chosen = TestClient(site.app, headers={"Accept-Language": "de"})
    chosen.get("/lang?to=en&next=/", follow_redirects=False)  # the language links set the cookie
    assert html_language(page(chosen.get(f"/c/{dari}"))) == "en"
    assert html_language(page(TestClient(site.app).get(f"/c/{site.conversation}"))) == "en"  # an English one


def test_an_invitation_link_carries_the_conversations_language_and_the_browser_keeps_it(site):
    dari = dari_conversation(site)
    desk = page(post(site.admin, f"/c/{dari}/invitations", count="2"))
    links = [markup.unescape(link) for link in re.findall(r'<a href="(http://testserver/c/\w+\?[^"]+)"', desk)]
    assert len(links) == 2 and all(link.endswith("&lang=fa-AF") and "?invite=" in link for link in links)
    holder = TestClient(site.app, headers={"Accept-Language": "en-US"})  # a phone set to English
    card = page(holder.get(links[0].replace("http://testserver", "")))
    assert html_language(card) == "fa-AF"
    code = re.search(r"invite=(\w+)", links[0]).group(1)
    back = redirected(post(holder, f"/c/{dari}/join", invite_code=code), f"/c/{dari}")
    assert html_language(page(holder.get(back))) == "fa-AF"  # still Dari after joining
    # The language links drop the card's ``lang`` from the way back, so choosing English wins.
    english = re.search(r'<a href="(/lang\?to=en[^"]+)"', card).group(1)
    assert "lang" not in markup.unescape(english).split("next=")[1]
    holder.get(markup.unescape(english), follow_redirects=False)
    assert html_language(page(holder.get(f"/c/{dari}"))) == "en"


# --- a closed conversation ----------------------------------------------------------------------


def said(code: str, message: str, **values) -> str:
    """``message`` as a reader of ``code`` reads it, checked to be translated (not left in English)."""
    text = translations(code).gettext(message)
    assert code == "en" or text != message, f"not translated into {code}: {message}"
    return markup.escape(text % values if values else text, quote=False)


VOTE_ON = "Vote on at least %(num)s statement and you will be placed in the group you vote most like."
VOTE_ON_MANY = "Vote on at least %(num)s statements and you will be placed in the group you vote most like."


def test_a_closed_conversation_links_to_its_results_which_say_it_closed_and_when(site):
    person = site.participant()
    number = re.search(r'name="statement" value="(\d+)"', page(person.get(f"/c/{site.conversation}"))).group(1)
    post(person, f"/c/{site.conversation}/vote", statement=number, vote="agree")
    before = time.time_ns() // 1_000_000
    redirected(post(site.admin, f"/c/{site.conversation}/state", open="false", confirmed="true"), "/c/")
    after = time.time_ns() // 1_000_000
    site.app.state.concord.live.analyse_now(db_id(site.app, site.conversation))  # the results of its one vote
    for code, tag in (("en", "en"), ("fa_AF", "fa-AF"), ("ps", "ps")):
        conversation = page(person.get(f"/c/{site.conversation}?lang={tag}"))
        link = re.search(r'<p class="notice">([^<]+) <a href="([^"]+)">([^<]+)</a></p>', conversation)
        assert link.groups() == (
            said(code, "This conversation is closed."),
            f"/c/{site.conversation}/results",
            said(code, "You can still see the results."),
        )
        results = page(person.get(f"/c/{site.conversation}/results?lang={tag}"))
        message = "This conversation closed on %(date)s: nobody can vote any more."
        dates = {environment(code).filters["date"](ms) for ms in range(before, after + 1000, 1000)}
        assert any(said(code, message, date=when) in results for when in dates), (code, dates)
        assert code == "en" or not re.search("[0-9]", "".join(dates))  # the reader's numerals
        assert not [text for text in ("Take part", "Vote on more") if said(code, text) in results], code
        counted = translations(code).ngettext("%(num)s vote", "%(num)s votes", 1) % {
            "num": "1" if code == "en" else "۱"
        }
        assert said(code, "From %(votes)s by %(people)s.", votes=counted, people="@").split("@")[0] in results
        invitation = translations(code).ngettext(VOTE_ON, VOTE_ON_MANY, 2).split("%(num)s")[0]
        assert invitation.strip() and invitation not in results
        assert "ago" not in results and "in 0 seconds" not in results


# --- the writer's own statement -----------------------------------------------------------------


def offered_and_left(person: TestClient, conversation: str) -> tuple[set[str], int]:
    """The statements the card offers (all of them, voting pass on each) and the first count it shows."""
    offered, left = set(), None
    for _ in range(10):
        html = page(person.get(f"/c/{conversation}"))
        card = re.search(r'name="statement" value="(\d+)"', html.split('id="vote"')[1].split('class="last-vote"')[0])
        if card is None:
            return offered, left or 0
        left = left if left is not None else int(re.search(r"(\d+) statements? left", html).group(1))
        offered.add(card.group(1))
        post(person, f"/c/{conversation}/vote", statement=card.group(1), vote="pass")
    raise AssertionError("the card never ran out of statements")


def test_a_writer_agrees_with_their_own_statement_and_is_never_asked_to_vote_on_it(site, tmp_path):
    from concord.verify.exports import verify_export

    url = f"/c/{site.conversation}"
    writer = site.participant()
    redirected(post(writer, f"{url}/statements", text="Clinics in every district"), url)  # pre-moderated
    assert writer.get(f"/api/conversations/{site.conversation}/me").json()["votes"] == {}  # not while pending
    desk = page(site.admin.get(f"{url}/moderate"))
    number = re.search(r'action="/c/\w+/moderation/(\d+)"', desk).group(1)
    redirected(post(site.admin, f"{url}/moderation/{number}", status="accepted", reason=""), url)
    assert writer.get(f"/api/conversations/{site.conversation}/me").json()["votes"] == {number: 1}
    offered, left = offered_and_left(writer, site.conversation)
    assert number not in offered and left == 2 == len(offered)  # the two seeds, not their own

    redirected(
        post(site.admin, f"{url}/settings", topic="Water", moderation="post", participants_can_write="true"), url
    )
    second = site.participant()
    redirected(post(second, f"{url}/statements", text="Wells before roads"), url)  # shown at once
    [mine] = [n for n, v in second.get(f"/api/conversations/{site.conversation}/me").json()["votes"].items()]
    offered, left = offered_and_left(second, site.conversation)
    assert mine not in offered and left == 3 == len(offered) and number in offered

    archive = zipfile.ZipFile(io.BytesIO(site.admin.get(f"{url}/export.zip").content))
    archive.extractall(tmp_path)
    folder = next(path.parent for path in tmp_path.rglob("log.jsonl"))
    logged = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    authors_votes = [e for e in logged if e["type"] == "vote" and e["vote"] == 1]
    assert [(e["statement"]) for e in authors_votes] == [int(number), int(mine)]
    assert verify_export(folder).votes == len([e for e in logged if e["type"] == "vote"])


# --- the opinion map ----------------------------------------------------------------------------


def test_identical_voters_share_one_dot_sized_by_their_number_and_you_sit_outside_your_dot():
    from concord.report.opinion_map import opinion_map_svg

    positions = np.array([[0.0, 0.0]] * 9 + [[1.0, 1.0]] + [[0.5, 0.2]] * 4)
    labels = np.array([0] * 9 + [1] + [0] * 4)
    for you in (0, 9, 10):  # in a crowd of nine, alone near the edge, in a crowd of four
        picture = opinion_map_svg(positions, labels, highlight=you, you_label="You")
        dots = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"/>', picture.svg)  # in <g fill>
        assert len(dots) == 3 and picture.shown == picture.total == 14  # 14 people, three dots
        radii = sorted(float(r) for *_, r in dots)
        assert radii == [3.0, 6.0, 9.0]  # area in proportion: one, four and nine people
        ring = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"[^>]*class="you"', picture.svg)
        x, y, r = (float(v) for v in ring.groups())
        own = next(float(rr) for cx, cy, rr in dots if (float(cx), float(cy)) == (x, y))
        assert r > own  # the ring goes around the reader's dot, however large
        label = re.search(r'<text x="([\d.]+)" y="[\d.]+" [^>]*text-anchor="(start|end)"', picture.svg)
        start = float(label.group(1))
        assert (start >= x + r) if label.group(2) == "start" else (start <= x - r)  # beside it, never on it


# --- counts -------------------------------------------------------------------------------------


def test_counts_agree_with_their_number_in_every_language(site):
    made = post(site.admin, f"/spaces/{site.space_id}/conversations", topic="One question", access="link")
    one = re.match(r"/c/(\w+)/moderate", redirected(made, "/c/")).group(1)
    redirected(post(site.admin, f"/c/{one}/seed", text="Wells first\n"), "/c/")
    reader = site.participant()
    for code, tag, digit in (("en", "en", "1"), ("fa_AF", "fa-AF", "۱"), ("ps", "ps", "۱")):
        results = page(reader.get(f"/c/{one}/results?lang={tag}"))
        expected = translations(code).ngettext(VOTE_ON, VOTE_ON_MANY, 1) % {"num": digit}
        assert markup.escape(expected, quote=False) in results, code
        conversation = page(reader.get(f"/c/{one}?lang={tag}"))
        left = translations(code).ngettext("%(num)s statement left", "%(num)s statements left", 1) % {"num": digit}
        assert f">{left}</p>" in conversation, code
    assert "1 statements" not in page(reader.get(f"/c/{one}/results?lang=en"))
    # Pashto says one and many apart; Dari, like Persian, keeps the noun singular after a number.
    pashto = translations("ps")
    assert pashto.ngettext(VOTE_ON, VOTE_ON_MANY, 1) != pashto.ngettext(VOTE_ON, VOTE_ON_MANY, 2)


# --- receipts -----------------------------------------------------------------------------------


def test_receipts_list_each_votes_statement_in_the_readers_language(site):
    person = site.participant()
    html = page(person.get(f"/c/{site.conversation}"))
    number = re.search(r'name="statement" value="(\d+)"', html).group(1)
    text = re.search(r'data-long="\d+">([^<]+)</p>', html).group(1)
    post(person, f"/c/{site.conversation}/vote", statement=number, vote="agree")
    translated = {"fa-AF": "اول چاه‌ها", "ps": "لومړی څاګانې"}
    for tag, words in translated.items():
        post(site.admin, f"/c/{site.conversation}/translate/{number}", language=tag, text=words)
    for tag, words in (("en", text), *translated.items()):
        receipts = page(person.get(f"/c/{site.conversation}/receipts?lang={tag}"))
        row = re.search(r"<tbody>\s*<tr><td>(.*?)</td>", receipts, re.S).group(1)
        assert f'lang="{tag}" data-content>{words}</span>' in row, (tag, row)
