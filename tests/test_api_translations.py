"""Translations of statements, topics and descriptions through the JSON API, on SQLite and PostgreSQL:
who may translate and when it is shown, moderators' decisions in the public log, coverage, PO files in
and out, the Pol.is export's translations file, and an analysis that does not depend on wording."""

from __future__ import annotations

import io
import json
import zipfile

from babel.messages.pofile import read_po, write_po
from fastapi.testclient import TestClient

from api_helpers import SEEDS, bulk_votes, db_id, error_of, moderator_of, ok, snapshot, table_count
from concord.store.models import Translation, TranslationDecision

DARI = {
    SEEDS[0]: "آب آشامیدنی پاک باید اول به هر قریه برسد",
    SEEDS[1]: "مکتب‌ها به معلمان زن بیشتر نیاز دارند",
    SEEDS[2]: "سرک‌های میان ولایات باید ترمیم شوند",
    SEEDS[3]: "شوراهای محلی باید بودجهٔ خود را اداره کنند",
}
PASHTO_0 = "پاکې څښاک اوبه باید لومړی هر کلي ته ورسېږي"


def api(site, path: str) -> str:
    return f"/api/conversations/{site.conversation}{path}"


def translate(client, site, number, language, text, headers=None, **body):
    payload = {"subject": "statement", "statement": number, "language": language, "text": text, **body}
    return client.post(api(site, "/translations"), json=payload, headers=headers or {})


def listed(site, client=None) -> dict[int, dict]:
    rows = ok((client or TestClient(site.app)).get(api(site, "/statements")))
    return {row["number"]: row for row in rows}


def everything(app) -> dict:
    """What a refused request must leave as it was, translations included."""
    return {
        **snapshot(app),
        "translations": table_count(app, Translation),
        "decisions": table_count(app, TranslationDecision),
    }


# --- languages of statements ----------------------------------------------------------------------


def test_a_statement_carries_its_language_named_or_guessed_from_its_script(site):
    author = site.person()
    written = {
        "Clinics should open at night": None,
        "آب آشامیدنی باید به هر قریه برسد": None,  # Persian letters, no Pashto ones: Dari
        "ښځې باید ښوونځي ته لاړې شي": None,  # Pashto letters
        "Jedes Dorf braucht einen Brunnen": "de",
        "شفاخانه‌ها باید شب هم باز باشند": "prs",  # Dari's ISO 639-3 code, stored as fa-AF
    }
    languages = []
    for text, language in written.items():
        body = {"text": text, **({"language": language} if language else {})}
        made = ok(author.client.post(api(site, "/statements"), json=body, headers=author.headers), 201)
        languages.append(made["language"])
    assert languages == ["en", "fa-AF", "ps", "de", "fa-AF"]
    assert {row["language"] for row in listed(site).values() if row["text"] in SEEDS} == {"en"}


def test_an_unknown_language_is_refused_and_nothing_is_stored(site):
    author = site.person()
    before = everything(site.app)
    for language in ["xx", "english", "fa-XY", "e"]:
        body = {"text": "Clinics should open at night", "language": language}
        error_of(author.client.post(api(site, "/statements"), json=body, headers=author.headers), 422)
        error_of(
            translate(site.admin, site, site.seeds[0], language, "x", site.headers), 422, reason="unknown_language"
        )
    assert everything(site.app) == before


def test_a_moderator_corrects_a_statements_language_and_no_one_else_may(site):
    number = site.seed(site.conversation, "Salaam alaikum, the wells are dry")[0]
    assert listed(site)[number]["language"] == "en"
    stranger = site.person()
    body = {"language": "fa-AF"}
    error_of(stranger.client.patch(api(site, f"/statements/{number}"), json=body, headers=stranger.headers), 401)
    assert (
        ok(site.admin.patch(api(site, f"/statements/{number}"), json=body, headers=site.headers))["language"] == "fa-AF"
    )
    assert listed(site)[number]["language"] == "fa-AF"


# --- who translates, and when readers see it ------------------------------------------------------


def test_a_moderators_translation_is_shown_at_once_and_replaces_the_one_before(site):
    first = ok(translate(site.admin, site, site.seeds[0], "fa-AF", "آب پاک اول به قریه‌ها", site.headers), 201)
    assert first["status"] == "accepted" and first["by_volunteer"] is False and first["original"] == SEEDS[0]
    assert listed(site)[site.seeds[0]]["translations"] == {"fa-AF": "آب پاک اول به قریه‌ها"}
    second = ok(translate(site.admin, site, site.seeds[0], "fa_af", DARI[SEEDS[0]], site.headers), 201)
    assert second["language"] == "fa-AF"
    assert listed(site)[site.seeds[0]]["translations"] == {"fa-AF": DARI[SEEDS[0]]}
    statuses = ok(site.admin.get(api(site, "/translations?status=all"), headers=site.headers))
    assert [(t["id"], t["status"]) for t in statuses] == [(first["id"], "replaced"), (second["id"], "accepted")]
    # Repeating the shown text changes nothing.
    again = ok(translate(site.admin, site, site.seeds[0], "fa-AF", DARI[SEEDS[0]], site.headers), 201)
    assert again["id"] == second["id"]


def test_a_volunteer_translation_in_a_pre_moderated_conversation_waits_and_a_rejection_is_logged(site):
    site.conversation = site.new_conversation(moderation="pre")
    site.seeds = site.seed(site.conversation, *SEEDS)
    volunteer, reader = site.person(), TestClient(site.app)
    offered = ok(
        translate(volunteer.client, site, site.seeds[1], "ps", "ښوونځي ښځینه ښوونکو ته اړتیا لري", volunteer.headers),
        201,
    )
    assert offered["status"] == "pending" and offered["by_volunteer"] is True
    # Invisible to readers until a moderator accepts it.
    assert listed(site)[site.seeds[1]]["translations"] == {}
    assert ok(reader.get(api(site, "/translations"))) == []
    error_of(reader.get(api(site, "/translations?status=pending")), 401)
    waiting = ok(site.admin.get(api(site, "/translations?status=pending"), headers=site.headers))
    assert [t["id"] for t in waiting] == [offered["id"]]
    decide = api(site, f"/translations/{offered['id']}/moderation")
    error_of(site.admin.post(decide, json={"status": "rejected"}, headers=site.headers), 422, reason="reason_required")
    error_of(volunteer.client.post(decide, json={"status": "accepted"}, headers=volunteer.headers), 401)
    ok(
        site.admin.post(
            decide,
            json={"status": "rejected", "reason": "ښوونځي is right, but it leaves out 'more'"},
            headers=site.headers,
        )
    )
    assert listed(site)[site.seeds[1]]["translations"] == {}
    log = ok(reader.get(api(site, "/moderation-log")))
    assert log == [
        {
            "kind": "translation",
            "statement": site.seeds[1],
            "subject": "statement",
            "language": "ps",
            "status": "rejected",
            "reason": "ښوونځي is right, but it leaves out 'more'",
            "time_ms": log[0]["time_ms"],
            "text": None,  # a rejected translation is not repeated
            "accounts": None,  # only a verdict on a bloc names a number of accounts
        }
    ]
    better = ok(
        translate(
            volunteer.client, site, site.seeds[1], "ps", "ښوونځي نورو ښځینه ښوونکو ته اړتیا لري", volunteer.headers
        ),
        201,
    )
    ok(
        site.admin.post(
            api(site, f"/translations/{better['id']}/moderation"), json={"status": "accepted"}, headers=site.headers
        )
    )
    assert listed(site)[site.seeds[1]]["translations"] == {"ps": "ښوونځي نورو ښځینه ښوونکو ته اړتیا لري"}
    assert ok(reader.get(api(site, "/moderation-log")))[-1]["text"] == "ښوونځي نورو ښځینه ښوونکو ته اړتیا لري"


def test_in_post_moderation_a_volunteer_fills_a_gap_at_once_but_never_replaces_a_shown_translation(site):
    volunteer = site.person()
    shown = ok(translate(volunteer.client, site, site.seeds[2], "fa-AF", DARI[SEEDS[2]], volunteer.headers), 201)
    assert shown["status"] == "accepted"
    assert listed(site)[site.seeds[2]]["translations"] == {"fa-AF": DARI[SEEDS[2]]}
    other = site.person()
    replacement = ok(translate(other.client, site, site.seeds[2], "fa-AF", "سرک‌ها باید جور شوند", other.headers), 201)
    assert replacement["status"] == "pending"
    assert listed(site)[site.seeds[2]]["translations"] == {"fa-AF": DARI[SEEDS[2]]}
    error_of(
        translate(other.client, site, site.seeds[2], "fa-AF", "سرک‌ها باید جور شوند", other.headers),
        409,
        reason="translation_waiting",
    )
    error_of(
        translate(other.client, site, site.seeds[2], "fa-AF", DARI[SEEDS[2]], other.headers),
        409,
        reason="translation_shown",
    )
    ok(
        site.admin.post(
            api(site, f"/translations/{replacement['id']}/moderation"),
            json={"status": "accepted"},
            headers=site.headers,
        )
    )
    assert listed(site)[site.seeds[2]]["translations"] == {"fa-AF": "سرک‌ها باید جور شوند"}


def test_refused_translations_store_nothing(site):
    volunteer = site.person()
    site.moderate(site.conversation, site.seeds[3], "rejected", "off topic")
    before = everything(site.app)
    cases = [
        (
            translate(volunteer.client, site, site.seeds[0], "en", "Clean water first", volunteer.headers),
            422,
            "same_language",
        ),
        (translate(volunteer.client, site, site.seeds[0], "ps", "   ", volunteer.headers), 422, "statement_empty"),
        (
            translate(volunteer.client, site, site.seeds[0], "ps", "ا" * 2001, volunteer.headers),
            422,
            "statement_too_long",
        ),
        (translate(volunteer.client, site, 99, "ps", "اوبه", volunteer.headers), 404, None),
        (
            translate(volunteer.client, site, site.seeds[3], "ps", "اوبه", volunteer.headers),
            403,
            "statement_unavailable",
        ),
        (translate(volunteer.client, site, None, "ps", "اوبه", volunteer.headers, subject="description"), 404, None),
        (translate(volunteer.client, site, site.seeds[0], "ps", "اوبه\x00", volunteer.headers), 422, None),
        (translate(volunteer.client, site, site.seeds[0], "ps", "اوبه", volunteer.headers, subject="title"), 422, None),
    ]
    for response, status, reason in cases:
        error_of(response, status, reason=reason)
    ok(site.admin.post(api(site, "/close"), headers=site.headers))
    before = everything(site.app)
    error_of(
        translate(volunteer.client, site, site.seeds[0], "ps", "اوبه", volunteer.headers),
        409,
        reason="conversation_closed",
    )
    assert everything(site.app) == before


def test_a_topic_translation_is_shown_only_while_the_topic_is_the_one_it_translates(site):
    reader = TestClient(site.app)
    ok(
        translate(site.admin, site, None, "ps", "ولسوالۍ باید خپله بودیجه څنګه ولګوي؟", site.headers, subject="topic"),
        201,
    )
    coverage = {row["language"]: row for row in ok(reader.get(api(site, "/translations/coverage")))}
    assert coverage["ps"]["topic"] is True and coverage["fa-AF"]["topic"] is False
    ok(
        site.admin.patch(
            api(site, ""), json={"topic": "How should the province spend its budget?"}, headers=site.headers
        )
    )
    coverage = {row["language"]: row for row in ok(reader.get(api(site, "/translations/coverage")))}
    assert coverage["ps"]["topic"] is False  # the translation is of the old topic


def test_coverage_counts_what_each_language_can_read(site):
    ok(site.person().write("شفاخانه‌ها باید شب هم باز باشند"), 201)  # written in Dari
    ok(translate(site.admin, site, site.seeds[0], "ps", PASHTO_0, site.headers), 201)
    for number, text in zip(site.seeds, SEEDS[:3]):
        ok(translate(site.admin, site, number, "fa-AF", DARI[text], site.headers), 201)
    volunteer = site.person()
    ok(
        translate(volunteer.client, site, site.seeds[0], "fa-AF", "آب اول", volunteer.headers), 201
    )  # waits: one is shown
    rows = ok(TestClient(site.app).get(api(site, "/translations/coverage")))
    assert [(r["language"], r["name"], r["statements"], r["of"], r["pending"]) for r in rows] == [
        ("en", "English", 4, 5, 0),
        ("fa-AF", "Dari", 4, 5, 1),  # three translated, one written in Dari
        ("ps", "Pashto", 1, 5, 0),
    ]


# --- PO files -------------------------------------------------------------------------------------


def po_catalog(site, language: str):
    response = TestClient(site.app).get(api(site, f"/translations/{language}/po"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/x-gettext-translation")
    assert f"{site.conversation}.{language}.po" in response.headers["content-disposition"]
    return read_po(io.BytesIO(response.content))


def po_bytes(catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    return buffer.getvalue()


def put_po(client, site, language: str, data: bytes, headers=None):
    return client.put(
        api(site, f"/translations/{language}/po"),
        content=data,
        headers={**(headers or {}), "Content-Type": "text/x-gettext-translation"},
    )


def test_a_po_file_goes_out_comes_back_translated_and_goes_out_again_with_the_translations(site):
    ok(translate(site.admin, site, site.seeds[3], "fa-AF", DARI[SEEDS[3]], site.headers), 201)
    catalog = po_catalog(site, "fa-AF")
    entries = {m.context: m for m in catalog if m.id}
    context = [f"statement {number}" for number in site.seeds]  # SEEDS[i]'s
    assert set(entries) == {"topic", *context}
    assert entries[context[0]].id == SEEDS[0] and entries[context[0]].string == ""
    assert entries[context[3]].string == DARI[SEEDS[3]]  # what is shown now comes out to be checked
    assert "written in English (en)" in entries[context[0]].auto_comments
    # A translator fills some in (one marked fuzzy: a guess their tool wants checked) and sends it back.
    entries[context[0]].string = DARI[SEEDS[0]]
    entries[context[1]].string = DARI[SEEDS[1]]
    entries[context[2]].string = DARI[SEEDS[2]]
    entries[context[2]].flags.add("fuzzy")
    entries["topic"].string = "ولسوالی بودجهٔ خود را چگونه مصرف کند؟"
    outcome = ok(put_po(site.admin, site, "fa-AF", po_bytes(catalog), site.headers))
    assert outcome == {"stored": 3, "unchanged": 1, "untranslated": 0, "fuzzy": 1, "stale": [], "written_in_it": 0}
    shown = listed(site)
    assert [shown[n]["translations"].get("fa-AF") for n in site.seeds] == [
        DARI[SEEDS[0]],
        DARI[SEEDS[1]],
        None,
        DARI[SEEDS[3]],
    ]
    again = {m.context: m.string for m in po_catalog(site, "fa-AF") if m.id}
    assert again[context[0]] == DARI[SEEDS[0]] and again["topic"] == "ولسوالی بودجهٔ خود را چگونه مصرف کند؟"
    # The same file again changes nothing.
    assert ok(put_po(site.admin, site, "fa-AF", po_bytes(catalog), site.headers))["stored"] == 0


# The site's seeds are statements 1 to 4 (a new conversation numbers from 1): SEEDS[1] is statement 2.
MALFORMED = [  # each after a good entry of 4 lines: what is wrong is on line 5 or later
    (b"this is not a PO file\n", "line 5: not a PO line"),
    (b'msgctxt "statement 2"\nmsgid "Schools need more women teachers\nmsgstr "x"\n', "line 6: a string without"),
    (
        b'msgctxt "statement 1"\nmsgid "a"\nmsgstr "x"\n\nmsgctxt "statement 1"\nmsgid "a"\nmsgstr "y"\n',
        "line 10: the entry of line 6",
    ),
    (b'msgctxt "statement 7"\nmsgid "Nothing"\nmsgstr "x"\n', "line 6: no shown statement 7"),
    (b'msgctxt "vote 1"\nmsgid "Nothing"\nmsgstr "x"\n', "line 6: msgctxt 'vote 1' names no text"),
    ('msgctxt "topic"\nmsgid "é"\nmsgstr "é"\n'.encode("latin-1"), "line 6: not UTF-8"),
    (b'msgctxt "statement 2"\nmsgid "Schools need more women teachers"\nmsgstr "\\x00"\n', "line 7: an unknown escape"),
    (
        b'msgctxt "statement 2"\nmsgid "Schools need more women teachers"\nmsgstr ""\n"\\x"\n',
        "line 8: an unknown escape",
    ),
]


def test_a_malformed_po_file_or_an_unknown_language_is_refused_naming_the_line_and_nothing_is_stored(site):
    assert site.seeds[:2] == [1, 2]  # MALFORMED's numbers
    good = 'msgctxt "statement 1"\nmsgid "Clean water should reach every village first"\nmsgstr "اوبه"\n\n'.encode()
    volunteer = site.person()
    other, headers = moderator_of(site, "/x")
    before = everything(site.app)
    for data, expected in MALFORMED:
        detail = error_of(put_po(site.admin, site, "fa-AF", good + data, site.headers), 422)
        assert expected in detail["message"], (data, detail)
        assert "fa-AF.po" in detail["message"]
    header = b'msgid ""\nmsgstr "Language: ps\\n"\n\n'
    detail = error_of(put_po(site.admin, site, "fa-AF", header + good, site.headers), 422, reason="wrong_language")
    assert "a translation into ps (its header says so), not fa-AF" in detail["message"]
    error_of(put_po(site.admin, site, "klingon", good, site.headers), 422, reason="unknown_language")
    error_of(TestClient(site.app).get(api(site, "/translations/xx/po")), 422, reason="unknown_language")
    error_of(put_po(site.admin, site, "fa-AF", b"", site.headers), 422)
    error_of(put_po(volunteer.client, site, "fa-AF", good, volunteer.headers), 401)
    error_of(put_po(other, site, "fa-AF", good, headers), 403)
    oversized = good + b"#" * (4 * 1024 * 1024)
    assert put_po(site.admin, site, "fa-AF", oversized, site.headers).status_code == 413
    assert everything(site.app) == before


# --- votes belong to the statement, not to its wording ---------------------------------------------


def results_without_times(app, public_id: str) -> dict:
    with TestClient(app) as client:
        results = ok(client.get(f"/api/conversations/{public_id}/results"))["results"]
    results.pop("timings")
    return results


def test_the_analysis_is_the_same_before_and_after_translations(site):
    rows = [[1, 1, -1, None], [1, -1, -1, 1], [-1, 1, 1, 1], [1, 1, None, -1]] * 6
    bulk_votes(site.app, site.conversation, rows)
    site.app.state.concord.live.analyse_now(db_id(site.app, site.conversation))
    before = results_without_times(site.app, site.conversation)
    for number, text in zip(site.seeds, SEEDS):
        ok(translate(site.admin, site, number, "fa-AF", DARI[text], site.headers), 201)
    ok(translate(site.admin, site, site.seeds[0], "ps", PASHTO_0, site.headers), 201)
    site.app.state.concord.live.analyse_now(db_id(site.app, site.conversation))
    after = results_without_times(site.app, site.conversation)
    assert before["votes"] == after["votes"] > 0
    assert json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)


# --- the Pol.is export ----------------------------------------------------------------------------


def export(site, public_id: str) -> dict[str, bytes]:
    response = site.admin.get(f"/api/conversations/{public_id}/export")
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


def test_the_export_carries_every_text_in_every_language_and_an_import_reads_them_back_losslessly(site):
    written = ok(site.person().write("ښځې باید ښوونځي ته لاړې شي"), 201)["number"]
    bulk_votes(site.app, site.conversation, [[1, -1, 1, 0, 1], [1, 1, -1, None, -1]])  # an export has votes
    ok(site.admin.patch(api(site, ""), json={"description": "Our district's money, our choice."}, headers=site.headers))
    ok(
        translate(
            site.admin, site, None, "ps", "زموږ د ولسوالۍ پیسې، زموږ انتخاب.", site.headers, subject="description"
        ),
        201,
    )
    ok(
        translate(
            site.admin, site, None, "fa-AF", "ولسوالی بودجهٔ خود را چگونه مصرف کند؟", site.headers, subject="topic"
        ),
        201,
    )
    for number, text in zip(site.seeds, SEEDS):
        ok(translate(site.admin, site, number, "fa-AF", DARI[text], site.headers), 201)
    ok(translate(site.admin, site, written, "en", "Women must go to school", site.headers), 201)
    first = export(site, site.conversation)
    summary = json.loads(first["conversation.json"])
    assert "translations.csv" in summary["files"] and summary["translations"]["languages"] == ["en", "fa-AF", "ps"]
    lines = first["translations.csv"].decode().splitlines()
    assert lines[0] == "subject,comment-id,language,original,text"
    assert f"comment,{written},ps,1,ښځې باید ښوونځي ته لاړې شي" in lines
    assert f"comment,{written},en,0,Women must go to school" in lines

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        for name, data in first.items():
            out.writestr(f"export/{name}", data)
    files = {"file": ("export.zip", archive.getvalue(), "application/zip")}
    imported = ok(
        site.admin.post(f"/api/spaces/{site.spaces['/x']['id']}/imports", files=files, headers=site.headers), 201
    )
    second = export(site, imported["id"])
    assert second["translations.csv"] == first["translations.csv"]
    copy = {row["number"]: row for row in ok(site.admin.get(f"/api/conversations/{imported['id']}/statements"))}
    assert copy[written]["language"] == "ps" and copy[site.seeds[0]]["translations"] == {"fa-AF": DARI[SEEDS[0]]}


def test_a_translations_file_that_does_not_match_its_export_is_refused_and_nothing_is_stored(site):
    bulk_votes(site.app, site.conversation, [[1, -1, 1, 0]])
    first = export(site, site.conversation)
    before = everything(site.app)
    first_seed = site.seeds[0]
    for bad, expected in [
        ("subject,comment-id,language,original,text\ncomment,9,en,1,Who?\n", "line 2: no comment 9"),
        (
            f"subject,comment-id,language,original,text\ncomment,{first_seed},xx,1,x\n",
            "line 2: 'xx' is not a language tag",
        ),
        (
            f"subject,comment-id,language,original,text\ncomment,{first_seed},en,1,Changed\n",
            f"line 2: the original of comment {first_seed}",
        ),
        (
            f"subject,comment-id,language,original,text\ncomment,{first_seed},ps,0,اوبه\n",
            "has translations but no original row",
        ),
        ("subject,language,text\n", "line 1: expected the columns"),
    ]:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as out:
            for name, data in {**first, "translations.csv": bad.encode()}.items():
                out.writestr(name, data)
        files = {"file": ("export.zip", archive.getvalue(), "application/zip")}
        detail = error_of(
            site.admin.post(f"/api/spaces/{site.spaces['/x']['id']}/imports", files=files, headers=site.headers), 422
        )
        assert expected in detail["message"], detail
    assert everything(site.app) == before
