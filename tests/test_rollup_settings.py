"""Roll-ups that carry their setting, on SQLite and on PostgreSQL: a proposal a province puts to its
districts opens in each a conversation set as the proposal was put (who may take part, the questions
asked of participants, the proposal's language and its translations, the rule in each place), with
nothing added to what the moderator wrote; each district's moderators make their own invitation codes.
Through the API and through the space page's form; bad input stores nothing."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from api_helpers import error_of, ok, snapshot, table_count
from concord.store.models import Invitation, Participant, SpaceProposal, Translation, Vote
from concord.verify.exports import verify_export
from conftest import log_in
from page_helpers import page, post, redirected

DARI = "هر ولسوالی یک سهم از بودجه ولایت را خودش مصرف کند"
PASHTO = "هره ولسوالۍ دې د ولایت د بودیجې یوه برخه پخپله ولګوي"
ENGLISH = "Every district spends a share of the province's budget itself"
COMMUNITY = {"name": "قوم", "options": ["پشتون", "تاجیک", "هزاره", "ازبک"]}
DISTRICTS = {"guzara": "گذره", "injil": "انجیل", "karukh": "کرخ"}
# Words Concord used to add to a place's conversation (the space's name and a colon, in English or not).
ADDED = ("Herat", "هرات:", ": ")


def province(site) -> dict[str, int]:
    """/herat (in Dari) and its three districts; returns their ids by path."""
    site.space("herat", name="هرات", language="fa-AF")
    for slug, name in DISTRICTS.items():
        site.space(slug, "/herat", name=name, language="fa-AF")
    return {path: space["id"] for path, space in site.spaces.items() if path.startswith("/herat")}


def put(site, space_id: int, **body):
    return site.admin.post(f"/api/spaces/{space_id}/proposals", json=body, headers=site.headers)


def export_verified(site, conversation: str, folder: Path) -> list[dict]:
    """The conversation's export, verified as `concord verify` does; its log entries."""
    response = site.admin.get(f"/api/conversations/{conversation}/export")
    assert response.status_code == 200, response.text
    folder.mkdir()
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        for member in archive.infolist():
            (folder / Path(member.filename).name).write_bytes(archive.read(member))
    verify_export(folder)  # raises LogMismatch at the first entry that does not verify
    return [json.loads(line) for line in (folder / "log.jsonl").read_text(encoding="utf-8").splitlines()]


def h1(html: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1)


def test_a_proposal_put_with_its_setting_opens_so_in_every_district(site, tmp_path):
    ids = province(site)
    chosen = {"language": "fa-AF", "translations": {"ps": PASHTO, "en": ENGLISH}, "access": "invite",
              "attributes": [COMMUNITY]}  # fmt: skip
    made = ok(put(site, ids["/herat"], text=DARI, rule={"name": "double-majority"}, **chosen), 201)
    assert made["text"] == DARI and made["language"] == "fa-AF"
    assert made["translations"] == {"ps": PASHTO, "en": ENGLISH}
    places = {place["path"]: place["conversation"] for place in made["places"]}
    assert sorted(places) == ["/herat/guzara", "/herat/injil", "/herat/karukh"] and all(places.values())
    assert len(set(places.values())) == 3

    for path, conversation in places.items():
        detail = ok(site.admin.get(f"/api/conversations/{conversation}"))
        assert detail["space_path"] == path
        assert detail["access"] == "invite" and detail["attributes"] == [COMMUNITY]
        assert detail["language"] == "fa-AF" and detail["is_open"] is True
        # Nothing added to what the moderator wrote: no space name, no prefix, no description.
        assert detail["topic"] == DARI and detail["description"] == ""
        assert detail["decision_rule"] is None and detail["effective_rule"]["name"] == "mutual-veto"
        [statement] = ok(site.admin.get(f"/api/conversations/{conversation}/statements"))
        assert statement["text"] == DARI and statement["language"] == "fa-AF" and statement["is_proposal"]
        assert statement["translations"] == {"ps": PASHTO, "en": ENGLISH}
        accepted = ok(TestClient(site.app).get(f"/api/conversations/{conversation}/translations",
                                               params={"language": "ps"}))  # fmt: skip
        assert {(t["subject"], t["text"], t["original"], t["status"]) for t in accepted} == {
            ("topic", PASHTO, DARI, "accepted"),
            ("statement", PASHTO, DARI, "accepted"),
        }
        # Every change is in the conversation's log, and the export verifies.
        logged = export_verified(site, conversation, tmp_path / path.strip("/").replace("/", "-"))
        [settings] = [entry for entry in logged if entry["type"] == "conversation"]
        assert settings["access"] == "invite" and settings["topic"] == DARI and settings["description"] == ""
        assert settings["language"] == "fa-AF" and "قوم" in json.dumps(settings["attributes"], ensure_ascii=False)
        translated = {(e["subject"], e["language"], e["text"]) for e in logged if e["type"] == "translation"}
        assert translated == {(subject, tag, text) for subject in ("topic", "statement")
                              for tag, text in (("ps", PASHTO), ("en", ENGLISH))}  # fmt: skip
        for word in ADDED:
            assert word not in detail["topic"] and word not in statement["text"]

    # The space lists them with the proposal's topic, and its roll-up shows the proposal.
    [listed] = ok(TestClient(site.app).get(f"/api/spaces/{ids['/herat']}/proposals"))
    assert listed["language"] == "fa-AF" and listed["translations"]["ps"] == PASHTO

    # A district's moderator makes the codes of their district's conversation, and of no other.
    guzara, injil = places["/herat/guzara"], places["/herat/injil"]
    district = TestClient(site.app)
    headers = log_in(district, "guzara.moderator", admin=False, spaces=("/herat/guzara",))
    codes = ok(district.post(f"/api/conversations/{guzara}/invitations", json={"count": 2}, headers=headers), 201)
    error_of(district.post(f"/api/conversations/{injil}/invitations", json={"count": 1}, headers=headers), 403)
    assert table_count(site.app, Invitation) == 2

    # Without a code nobody joins; with one, a participant declares their community and votes.
    outsider = site.person(guzara, join=False)
    error_of(outsider.join(attributes={"قوم": "هزاره"}), 403, reason="invitation_required")
    error_of(outsider.join(invite_code=codes[0]["code"][::-1]), 403)
    assert table_count(site.app, Participant) == 0
    voter = site.person(guzara, invite_code=codes[0]["code"], attributes={"قوم": "هزاره"})
    assert ok(voter.me())["attributes"] == {"قوم": "هزاره"}
    ok(voter.vote(1, "agree"), 201)
    assert table_count(site.app, Vote) == 1
    error_of(site.person(guzara, join=False).join(invite_code=codes[0]["code"]), 409, reason="invitation_used")
    export_verified(site, guzara, tmp_path / "after-votes")


def test_the_form_puts_a_proposal_with_its_setting_and_each_reader_reads_it_in_theirs(site, tmp_path):
    ids = province(site)
    herat = "/s/herat"
    sent = post(site.admin, f"/spaces/{ids['/herat']}/proposals", text=DARI, language="fa-AF",
                **{"translation:ps": PASHTO, "translation:en": ENGLISH, "translation:fa-AF": ""},
                rule="double-majority", decision_rule="consensus", moderation="pre", participants_can_write="true",
                access="invite", max_statement_length="", attribute_name=[COMMUNITY["name"], ""],
                attribute_options=["، ".join(COMMUNITY["options"]), ""])  # fmt: skip
    where = redirected(sent, f"{herat}#proposal-")
    [rollup] = ok(TestClient(site.app).get(f"/api/spaces/{ids['/herat']}/proposals"))
    assert where.endswith(f"#proposal-{rollup['id']}")
    conversations = {place["path"]: place["conversation"] for place in rollup["places"]}
    assert len(set(conversations.values())) == 3
    for conversation in conversations.values():
        detail = ok(site.admin.get(f"/api/conversations/{conversation}"))
        assert detail["access"] == "invite" and detail["attributes"] == [COMMUNITY]
        assert detail["moderation"] == "pre" and detail["participants_can_write"] is True
        assert detail["decision_rule"] == {"name": "consensus", "parameters": {}}
        assert detail["max_statement_length"] == 140 and detail["topic"] == DARI and detail["description"] == ""

    # The space page shows the proposal in the reader's language, its original a tap away.
    pashto = TestClient(site.app)
    pashto.cookies.set("concord_lang", "ps")
    html = page(pashto.get(herat))
    proposal = re.search(rf'id="proposal-{rollup["id"]}"(.*?)</article>', html, re.S).group(1)
    assert f'<h3 dir="auto" lang="ps" data-content>{PASHTO}</h3>' in proposal
    assert '<details class="original">' in proposal and DARI in proposal
    english = page(TestClient(site.app).get(herat))
    assert f'lang="en" data-content>{escape(ENGLISH)}</h3>' in english

    # A Dari reader of a district's conversation reads only what the moderator wrote.
    guzara = conversations["/herat/guzara"]
    dari = TestClient(site.app)
    dari.cookies.set("concord_lang", "fa-AF")
    html = page(dari.get(f"/c/{guzara}"))
    assert h1(html).strip() == DARI and 'lang="fa-AF"' in html
    assert "Herat" not in html and "هرات:" not in html

    # The district's moderator makes codes on the moderator's desk.
    district = TestClient(site.app)
    log_in(district, "guzara.moderator", admin=False, spaces=("/herat/guzara",))
    desk = page(post(district, f"/c/{guzara}/invitations", count="2"))
    codes = re.findall(r"<li><code>([^<]+)</code> <a href=", desk)  # the new ones, with their links
    assert len(codes) == 2 and table_count(site.app, Invitation) == 2

    # A Pashto reader without a code is refused; with one joins, declares a community, reads the
    # proposal in Pashto and votes.
    reader = TestClient(site.app)
    reader.cookies.set("concord_lang", "ps")
    html = page(reader.get(f"/c/{guzara}"))
    assert 'name="invite_code"' in html and PASHTO in h1(html)
    refused = post(reader, f"/c/{guzara}/join", invite_code="", **{"attr:قوم": "پشتون"})
    assert refused.status_code == 303 and "error=" in refused.headers["location"]
    assert table_count(site.app, Participant) == 0
    redirected(post(reader, f"/c/{guzara}/join", invite_code=codes[0], **{"attr:قوم": "پشتون"}), f"/c/{guzara}")
    html = page(reader.get(f"/c/{guzara}"))
    card = re.search(r'<p class="statement[^>]*>(.*?)</p>', html, re.S)
    assert card.group(1) == PASHTO and 'lang="ps"' in card.group(0)
    number = re.search(r'name="statement" value="(\d+)"', html).group(1)
    assert number == "1"  # the proposal is the new conversation's first statement
    redirected(post(reader, f"/c/{guzara}/vote", statement=number, vote="agree"), f"/c/{guzara}")
    with site.app.state.concord.sessions.begin() as session:
        [(answers, votes)] = session.execute(
            select(Participant.attributes, Vote.value).join(Vote, Vote.participant_id == Participant.id)
        ).all()
    assert answers == {"قوم": "پشتون"} and votes == 1
    export_verified(site, guzara, tmp_path / "guzara")


def test_a_refused_form_comes_back_with_what_was_typed(site):
    ids = province(site)
    before = snapshot(site.app)
    sent = post(site.admin, f"/spaces/{ids['/herat']}/proposals", text=DARI, language="fa-AF",
                **{"translation:fa-AF": DARI, "translation:ps": PASHTO}, rule="double-majority", access="invite",
                attribute_name=COMMUNITY["name"], attribute_options="پشتون")  # fmt: skip
    html = page(sent, 422)
    assert "This text is written in that language already" in html
    assert DARI in html and PASHTO in html and 'value="invite" checked' in html
    sent = post(site.admin, f"/spaces/{ids['/herat']}/proposals", text=DARI, rule="double-majority",
                attribute_name=COMMUNITY["name"], attribute_options="پشتون")  # fmt: skip
    html = page(sent, 422)
    assert "The question قوم needs 2–50 answers" in html and 'id="proposal-attributes-error"' in html
    sent = post(site.admin, f"/spaces/{ids['/herat']}/proposals", text=DARI, rule="double-majority",
                max_statement_length="۲۰")  # fmt: skip
    assert 'id="proposal-max_statement_length-error"' in page(sent, 422)
    assert snapshot(site.app) == before and table_count(site.app, SpaceProposal) == 0


LONG = "د" * 1001
BAD = [
    ({"access": "members"}, None),  # an unknown access mode
    ({"access": None}, None),
    ({"attributes": [{"name": "قوم", "options": ["پشتون"]}]}, None),  # one answer
    ({"attributes": [{"name": "قوم", "options": ["پشتون", "پشتون"]}]}, None),  # the same answer twice
    ({"attributes": [{"name": "", "options": ["پشتون", "هزاره"]}]}, None),
    ({"attributes": [{"options": ["پشتون", "هزاره"]}]}, None),
    ({"attributes": "قوم"}, None),
    ({"attributes": [COMMUNITY] * 6}, None),  # more questions than a conversation may ask
    ({"translations": {"xx": PASHTO}}, "unknown_language"),  # a translation in an unknown language
    ({"translations": {"fa-XY": PASHTO}}, "unknown_language"),
    ({"translations": {"fa-AF": DARI}}, "same_language"),  # in the proposal's own language
    ({"translations": {"fa": DARI}}, "same_language"),
    ({"translations": {"ps": ""}}, "statement_empty"),
    ({"translations": {"ps": "ب" * 2001}}, None),  # too long
    ({"translations": {"ps": "a\x00b"}}, None),
    ({"translations": {"ps": PASHTO, "pbt": PASHTO}}, "invalid"),  # Pashto twice
    ({"translations": ["ps", PASHTO]}, None),
    ({"translations": {f"ps-x-{n}": PASHTO for n in range(21)}}, None),
    ({"language": "xx"}, "unknown_language"),
    ({"text": LONG}, None),  # too long
    ({"text": "   "}, "statement_empty"),
    ({"decision_rule": {"name": "majority", "parameters": {"threshold": 2}}}, "rule_invalid"),
    ({"decision_rule": {"name": "all-places"}}, None),
    ({"max_statement_length": 20}, "invalid"),  # shorter than the proposal
    ({"max_statement_length": 5000}, None),
    ({"moderation": "later"}, None),
    ({"codes": 10}, None),  # unknown fields are refused
]


def test_bad_input_is_refused_with_a_message_and_creates_nothing(site):
    ids = province(site)
    before = snapshot(site.app)
    for bad, reason in BAD:
        body = {"text": DARI, "rule": {"name": "double-majority"}, "language": "fa-AF", "access": "invite"} | bad
        detail = error_of(put(site, ids["/herat"], **body), 422, "invalid", reason)
        assert len(detail["message"]) > 10, bad
        assert snapshot(site.app) == before, bad
        assert table_count(site.app, SpaceProposal) == 0 and table_count(site.app, Translation) == 0, bad


def test_the_language_is_guessed_and_the_rule_chosen_when_not_given(site):
    ids = province(site)
    made = ok(put(site, ids["/herat"], text=PASHTO, rule={"name": "all-places"}, translations={"fa-AF": DARI},
                  decision_rule={"name": "majority", "parameters": {"threshold": 0.6}}), 201)  # fmt: skip
    assert made["language"] == "ps" and made["translations"] == {"fa-AF": DARI}
    conversation = made["places"][0]["conversation"]
    detail = ok(site.admin.get(f"/api/conversations/{conversation}"))
    assert detail["access"] == "link" and detail["attributes"] == [] and detail["language"] == "ps"
    assert detail["decision_rule"] == {"name": "majority", "parameters": {"threshold": 0.6}}
    # Anyone with the link joins; a Dari reader reads the proposal in Dari.
    someone = site.person(conversation)
    ok(someone.vote(1, "disagree"), 201)
    dari = TestClient(site.app)
    dari.cookies.set("concord_lang", "fa-AF")
    assert h1(page(dari.get(f"/c/{conversation}"))).strip() == DARI
    # A long proposal: the topic is shortened with an ellipsis (nothing else added); the statement is whole.
    long = "آب " * 150
    made = ok(put(site, ids["/herat"], text=long, rule={"name": "all-places"}, translations={"ps": PASHTO * 8}), 201)
    detail = ok(site.admin.get(f"/api/conversations/{made['places'][0]['conversation']}"))
    assert detail["topic"].endswith("…") and len(detail["topic"]) <= 300 and long.startswith(detail["topic"][:-1])
    assert detail["max_statement_length"] == len(long.strip())
