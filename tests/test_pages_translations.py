"""Translations on the pages, through the in-process client (no script): what a Dari, a Pashto and an
English reader each see, volunteers' translations and moderators' decisions, the translation queue and
PO files through its forms, and the demo in three languages. The browser half is in test_browser.py."""

from __future__ import annotations

import io
import re

from babel.messages.pofile import read_po, write_po
from fastapi.testclient import TestClient

from concord.service.demo import ensure_demo
from page_helpers import MARKUP, escaped, page, page_fixtures, post, redirected

database_url, site = page_fixtures()

ORIGINAL = r'<details class="original"[^>]*><summary>[^<]+</summary><p dir="auto" lang="en" data-content>([^<]+)</p>'
WELLS_DARI = "اول چاه‌ها"
WELLS_PASHTO = "لومړی څاګانې"


def reader(app, tag: str) -> TestClient:
    client = TestClient(app)
    client.cookies.set("concord_lang", tag.replace("-", "_"))
    return client


def vote_card(html: str) -> str:
    return html[html.index('id="vote"') : html.index("</section>", html.index('id="vote"'))]


def the_statement(html: str) -> re.Match:
    found = re.search(
        r'<p class="statement[^"]*" dir="auto" lang="([^"]+)" data-content data-number="(\d+)"[^>]*>([^<]*)</p>', html
    )
    assert found, html[:2000]
    return found


def translate(client: TestClient, conversation: str, what: str, language: str, text: str, **extra):
    return post(client, f"/c/{conversation}/translate/{what}", language=language, text=text, **extra)


def only_statement(site) -> None:
    """Leave one statement to vote on (#1, 'Wells first'), so that every reader's card shows it."""
    redirected(
        post(site.admin, f"/c/{site.conversation}/moderation/{site.roads}", status="rejected", reason="one at a time"),
        "/c/",
    )


def test_dari_pashto_and_english_readers_each_see_the_statement_in_their_language(site):
    only_statement(site)
    wells = str(site.wells)
    redirected(translate(site.admin, site.conversation, wells, "fa-AF", WELLS_DARI), "/c/")
    redirected(translate(site.admin, site.conversation, wells, "ps", WELLS_PASHTO), "/c/")
    redirected(translate(site.admin, site.conversation, "topic", "ps", f"اوبه {MARKUP}"), "/c/")
    seen = {}
    for tag in ("en", "fa-AF", "ps"):
        html = page(reader(site.app, tag).get(f"/c/{site.conversation}"))
        assert f'<html lang="{tag}"' in html
        language, number, text = the_statement(html).groups()
        seen[tag] = (language, number, text)
        card = vote_card(html)
        if tag == "en":
            assert 'class="original" hidden' in card  # written in English: no original to show
        else:
            original = re.search(ORIGINAL, card)
            assert original and original.group(1) == "Wells first", card
            assert 'class="original" hidden' not in card
        assert 'class="translate muted" hidden' in card  # nothing to invite: every reader has it
    assert seen == {
        "en": ("en", wells, "Wells first"),
        "fa-AF": ("fa-AF", wells, WELLS_DARI),
        "ps": ("ps", wells, WELLS_PASHTO),
    }
    # The topic: translated for Pashto readers (escaped like every text people write), the original for the others.
    pashto = page(reader(site.app, "ps").get(f"/c/{site.conversation}"))
    assert re.search(r'<h1 dir="auto" lang="ps" data-content>اوبه &lt;script&gt;', pashto)
    escaped(pashto)
    assert re.search(
        r'<h1 dir="auto" lang="en" data-content>Water &lt;script&gt;',
        page(reader(site.app, "fa-AF").get(f"/c/{site.conversation}")),
    )


def test_a_statement_without_a_translation_shows_its_original_with_its_language_and_an_invitation(site):
    only_statement(site)
    html = page(reader(site.app, "fa-AF").get(f"/c/{site.conversation}"))
    language, number, text = the_statement(html).groups()
    # lang says English, dir="auto" lays it out
    assert (language, number, text) == ("en", str(site.wells), "Wells first")
    card = vote_card(html)
    assert 'class="original" hidden' in card
    invitation = re.search(rf'<p class="translate muted"><a href="(/c/\w+/translate/{site.wells})">', card)
    assert invitation, card
    form = page(reader(site.app, "fa-AF").get(invitation.group(1)))
    assert 'lang="en" data-content>Wells first</p>' in form
    assert '<option value="fa-AF" selected>' in form  # into the reader's language


def test_a_volunteer_translation_waits_in_pre_moderation_and_a_rejection_shows_in_the_log_with_its_reason(site):
    only_statement(site)
    volunteer = reader(site.app, "en")  # reads both: translates into Pashto from an English page
    sent = translate(volunteer, site.conversation, str(site.wells), "ps", "لومړی څاه")
    location = redirected(sent, f"/c/{site.conversation}?notice=translated-pending")
    assert "Thank you: your translation will be shown once a moderator accepts it." in page(volunteer.get(location))
    assert "لومړی څاه" not in page(reader(site.app, "ps").get(f"/c/{site.conversation}"))
    queue = page(site.admin.get(f"/c/{site.conversation}/translations?into=ps"))
    waiting = re.search(r'action="/c/\w+/translations/(\d+)/decision"', queue)
    assert waiting and "لومړی څاه" in queue
    decide = f"/c/{site.conversation}/translations/{waiting.group(1)}/decision"
    refused = post(site.admin, decide, status="rejected", reason="", into="ps")
    assert refused.status_code == 422 and "say why a translation is rejected" in refused.text.lower()
    redirected(
        post(site.admin, decide, status="rejected", reason=f"a well is څاه, wells are څاګانې {MARKUP}", into="ps"),
        f"/c/{site.conversation}/translations",
    )
    log = page(TestClient(site.app).get(f"/c/{site.conversation}/log"))
    assert f"Translation of #{site.wells} into Pashto" in log and "wells are څاګانې" in log
    escaped(log)
    assert "لومړی څاه" not in log  # a rejected translation is not repeated
    # A better one, accepted, is what Pashto readers now see.
    translate(volunteer, site.conversation, str(site.wells), "ps", WELLS_PASHTO)
    queue = page(site.admin.get(f"/c/{site.conversation}/translations?into=ps"))
    waiting = re.search(r'action="/c/\w+/translations/(\d+)/decision"', queue)
    redirected(
        post(
            site.admin, f"/c/{site.conversation}/translations/{waiting.group(1)}/decision", status="accepted", lang="ps"
        ),
        "/c/",
    )
    assert the_statement(page(reader(site.app, "ps").get(f"/c/{site.conversation}"))).group(3) == WELLS_PASHTO


def test_a_refused_translation_comes_back_with_what_was_typed(site):
    response = translate(site.admin, site.conversation, str(site.wells), "en", "Wells first of all")
    html = page(response, 422)
    assert "written in that language already" in html and "Wells first of all" in html
    empty = page(translate(site.admin, site.conversation, str(site.wells), "ps", "   "), 422)
    assert 'aria-invalid="true"' in empty
    assert page(site.admin.get(f"/c/{site.conversation}/translate/nothing"), 422)


def test_the_queue_shows_coverage_what_is_missing_and_takes_translations_and_po_files(site):
    html = page(site.admin.get(f"/c/{site.conversation}/translations?into=fa-AF"))
    assert re.search(r"Dari</strong></th>\s*<td>0 of 2", html)
    assert html.count('name="text"') == 4  # the topic, the description and two statements, each with a form
    redirected(
        translate(
            site.admin,
            site.conversation,
            str(site.roads),
            "fa-AF",
            "اول سرک‌ها",
            back=f"/c/{site.conversation}/translations?into=fa-AF",
        ),
        f"/c/{site.conversation}/translations",
    )
    html = page(site.admin.get(f"/c/{site.conversation}/translations?into=fa-AF"))
    assert re.search(r"Dari</strong></th>\s*<td>1 of 2", html)
    # Offline: the PO file out, one more line translated, back in through the form.
    po = site.admin.get(f"/c/{site.conversation}/translations/po?into=fa-AF")
    assert po.status_code == 200 and 'filename="' in po.headers["content-disposition"]
    catalog = read_po(io.BytesIO(po.content))
    entries = {message.context: message for message in catalog if message.id}
    assert entries[f"statement {site.roads}"].string == "اول سرک‌ها"
    entries[f"statement {site.wells}"].string = WELLS_DARI
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    sent = site.admin.post(
        f"/c/{site.conversation}/translations/po",
        data={"csrf_token": token, "into": "fa-AF"},
        files={"file": ("dari.po", buffer.getvalue(), "text/x-gettext-translation")},
    )
    done = page(sent)
    assert "1 translations stored" in done or "The file is read: 1" in done
    assert re.search(r"Dari</strong></th>\s*<td>2 of 2", done)
    bad = site.admin.post(
        f"/c/{site.conversation}/translations/po",
        data={"csrf_token": token, "into": "fa-AF"},
        files={"file": ("dari.po", b"not a po file\n", "text/x-gettext-translation")},
    )
    assert "line 1: not a PO line" in page(bad, 422)
    stranger = TestClient(site.app)
    assert (
        stranger.post(
            f"/c/{site.conversation}/translations/po", files={"file": ("x.po", b"", "text/plain")}
        ).status_code
        == 401
    )
    assert redirected(stranger.get(f"/c/{site.conversation}/translations", follow_redirects=False), "/login")


def test_a_moderator_corrects_the_language_a_statement_was_written_in(site):
    number = 3  # two statements are seeded, numbered from 1
    redirected(post(site.admin, f"/c/{site.conversation}/seed", text="Salaam, the wells are dry"), "/c/")
    html = page(site.admin.get(f"/c/{site.conversation}/translate/{number}"))
    assert 'action="/c/' in html and f"/statements/{number}/language" in html
    redirected(
        post(site.admin, f"/c/{site.conversation}/statements/{number}/language", language="fa-AF"),
        f"/c/{site.conversation}/translate/{number}",
    )
    assert "Written in Dari" in page(site.admin.get(f"/c/{site.conversation}/translate/{number}"))
    participant = site.participant()
    assert f"statements/{number}/language" not in page(participant.get(f"/c/{site.conversation}/translate/{number}"))
    assert post(participant, f"/c/{site.conversation}/statements/{number}/language", language="en").status_code == 401


def test_the_results_and_home_pages_show_the_demo_in_the_readers_language(app):
    conversation_id = ensure_demo(app.state.concord.sessions)
    app.state.concord.live.analyse_now(conversation_id)
    home = page(reader(app, "ps").get("/"))
    link = re.search(r'<a href="/c/(\w+)" dir="auto" lang="ps" data-content>([^<]+)</a>', home)
    assert link, home
    public_id = link.group(1)
    for tag in ("fa-AF", "ps"):
        results = page(reader(app, tag).get(f"/c/{public_id}/results"))
        statements = re.findall(r'<p dir="auto" lang="([^"]+)" data-content>', results)
        assert statements and set(statements) == {tag, "en"}  # translations, and their originals in <details>
        assert statements.count("en") == statements.count(tag) + 1  # each one's original, and the topic's
        conversation = page(reader(app, tag).get(f"/c/{public_id}"))
        assert the_statement(conversation).group(1) == tag
        assert re.search(rf'<h1 dir="auto" lang="{tag}" data-content>', conversation)
    english = page(reader(app, "en").get(f"/c/{public_id}/results"))
    assert set(re.findall(r'<p dir="auto" lang="([^"]+)" data-content>', english)) == {"en"}
