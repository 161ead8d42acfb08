"""A space's name and description in every reader's language (issue 26): a moderator translates them
through the form, English, Dari and Pashto readers each see theirs (marked as translated, the original
beside it) on the space's page and the home page, every accepted translation is in the space's log and
its record verifies, bad input is refused with a message, and the Dari /s/demo reads in Dari."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from concord.service.demo import DEMO_SPACE_TRANSLATIONS, ensure_demo
from page_helpers import MARKUP, escaped, page, page_fixtures, post, redirected

database_url, site = page_fixtures()

ORIGINAL = r'<details class="original"><summary>[^<]+</summary><p dir="auto" lang="en" data-content>([^<]+)</p>'
NAME = {"fa-AF": "هرات دری", "ps": "هرات پښتو"}
DESCRIPTION = {"fa-AF": "جایی برای گفتگو دربارهٔ آب", "ps": "د اوبو په اړه د خبرو ځای"}


def reader(app, tag: str) -> TestClient:
    client = TestClient(app)
    client.cookies.set("concord_lang", tag.replace("-", "_"))
    return client


def translate(client: TestClient, space_id: int, subject: str, language: str, text: str):
    return post(client, f"/spaces/{space_id}/translate/{subject}", language=language, text=text)


def translated(site) -> None:
    for tag in ("fa-AF", "ps"):
        redirected(translate(site.admin, site.space_id, "name", tag, NAME[tag]), "/s/herat")
        redirected(translate(site.admin, site.space_id, "description", tag, DESCRIPTION[tag]), "/s/herat")


def test_each_reader_sees_the_spaces_name_and_description_in_their_language(site):
    form = page(site.admin.get(f"/spaces/{site.space_id}/translate/description"))
    escaped(form)  # the original, as text
    assert f'action="/spaces/{site.space_id}/translate/description"' in form
    assert f'href="/spaces/{site.space_id}/translate/name"' in page(site.admin.get("/s/herat"))
    translated(site)
    for tag in ("fa-AF", "ps"):
        html = page(reader(site.app, tag).get("/s/herat"))
        assert re.search(rf'<h1 dir="auto" lang="{tag}">{NAME[tag]}</h1>', html)
        assert f'<p class="space-description" dir="auto" lang="{tag}" data-content>{DESCRIPTION[tag]}</p>' in html
        originals = re.findall(ORIGINAL, html)
        assert len(originals) == 2 and all("&lt;script&gt;" in text for text in originals)
        home = page(reader(site.app, tag).get("/"))
        assert f'lang="{tag}" data-content>{NAME[tag]}</a>' in home
        assert DESCRIPTION[tag] in home
        shown = page(reader(site.app, tag).get(f"/spaces/{site.space_id}/translate/name"))
        assert NAME["fa-AF"] in shown and NAME["ps"] in shown
    english = page(reader(site.app, "en").get("/s/herat"))
    escaped(english)
    assert NAME["fa-AF"] not in english and 'class="original"' not in english


def test_a_new_translation_takes_the_place_of_the_one_shown(site):
    translated(site)
    redirected(translate(site.admin, site.space_id, "name", "fa-AF", "هرات نو"), "/s/herat")
    html = page(reader(site.app, "fa-AF").get("/s/herat"))
    assert "هرات نو" in html and NAME["fa-AF"] not in html


SAME_LANGUAGE = {
    "en": "choose another one",
    "fa-AF": "زبان دیگری انتخاب کنید",
    "ps": "بله ژبه وټاکئ",
}
NOT_A_SUBJECT = {
    "en": "space&#39;s &#39;name&#39; or its &#39;description&#39; can be translated",
    "fa-AF": "تنها نام یا توضیحات یک فضا را می‌توان ترجمه کرد",
    "ps": "یوازې د یوه ځای نوم یا تشریح ژباړل کېدای شي",
}


def test_bad_input_is_refused_with_a_message_in_each_language(site):
    for tag in ("en", "fa-AF", "ps"):
        client = reader(site.app, tag)
        client.cookies.update(site.admin.cookies)
        html = page(translate(client, site.space_id, "name", "en", "Herat"), 422)
        assert SAME_LANGUAGE[tag] in html and "Herat" in html  # what was typed comes back
        assert page(translate(client, site.space_id, "name", "xx", "Herat"), 422)
        assert page(translate(client, site.space_id, "name", "fa-AF", "   "), 422)
        assert NOT_A_SUBJECT[tag] in page(client.get(f"/spaces/{site.space_id}/translate/topic"), 422)
    assert page(site.admin.get("/spaces/999999/translate/name"), 404)
    anyone = site.participant()
    read_only = page(anyone.get(f"/spaces/{site.space_id}/translate/name"))
    assert f'action="/spaces/{site.space_id}/translate' not in read_only
    assert translate(anyone, site.space_id, "name", "fa-AF", NAME["fa-AF"]).status_code == 401


def test_every_accepted_translation_is_in_the_spaces_log_and_its_record_verifies(site, tmp_path):
    from concord.verify.exports import CHECKPOINT_FILE, LOG_FILE, _space_log, verify_space_export
    from concord.verify.replay import LogMismatch

    translated(site)
    redirected(translate(site.admin, site.space_id, "name", "fa-AF", "هرات نو"), "/s/herat")
    response = TestClient(site.app).get(f"/api/spaces/{site.space_id}/export")
    assert response.status_code == 200, response.text[:300]
    archive = tmp_path / "space.zip"
    archive.write_bytes(response.content)
    folder = tmp_path / "space"
    with zipfile.ZipFile(archive) as opened:
        for member in opened.infolist():
            target = folder / Path(*Path(member.filename).parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(opened.read(member))
    verified = verify_space_export(folder)
    entries = [json.loads(line) for line in (folder / LOG_FILE).read_text(encoding="utf-8").splitlines()]
    assert verified.entries == len(entries)
    logged = [entry for entry in entries if entry["type"] == "space-translation"]
    assert [(e["subject"], e["language"], e["text"]) for e in logged] == [
        ("name", "fa-AF", NAME["fa-AF"]),
        ("description", "fa-AF", DESCRIPTION["fa-AF"]),
        ("name", "ps", NAME["ps"]),
        ("description", "ps", DESCRIPTION["ps"]),
        ("name", "fa-AF", "هرات نو"),
    ]
    assert all(e["status"] == "accepted" and "&lt;script&gt;" not in e["original"] for e in logged)
    replayed = _space_log(folder / LOG_FILE, folder / CHECKPOINT_FILE, None)
    accepted = {(t.subject, t.language): t.text for t in replayed.translations.values() if t.status == "accepted"}
    assert accepted == {
        ("name", "fa-AF"): "هرات نو",
        ("name", "ps"): NAME["ps"],
        ("description", "fa-AF"): DESCRIPTION["fa-AF"],
        ("description", "ps"): DESCRIPTION["ps"],
    }
    # A translation of a text the space never had is caught.
    entries[-1]["original"] = "Kabul"
    (folder / LOG_FILE).write_text("".join(json.dumps(e) + "\n" for e in entries), encoding="utf-8")
    with pytest.raises(LogMismatch):
        verify_space_export(folder)


def test_the_dari_and_pashto_demo_space_reads_in_dari_and_pashto(app):
    ensure_demo(app.state.concord.sessions)
    for tag in ("fa-AF", "ps"):
        html = page(reader(app, tag).get("/s/demo"))
        description = DEMO_SPACE_TRANSLATIONS[tag]["description"]
        assert f'lang="{tag}" data-content>{description}</p>' in html
        assert "A space to try Concord with a real conversation." in re.findall(ORIGINAL, html)
        assert description in page(reader(app, tag).get("/"))
    english = page(reader(app, "en").get("/s/demo"))
    assert "A space to try Concord with a real conversation." in english
    assert DEMO_SPACE_TRANSLATIONS["fa-AF"]["description"] not in english


# --- a budget's and its projects' texts ------------------------------------------------------------

BUDGET_NAME = {"fa-AF": "بودجهٔ آب", "ps": "د اوبو بودیجه"}
WELL = {"fa-AF": "چاه", "ps": "څاه"}
WELL_ABOUT = {"fa-AF": "یک چاه عمیق برای روستا", "ps": "د کلي لپاره یوه ژوره څاه"}


def make_budget(site) -> str:
    form = {"name": f"Water {MARKUP}", "description": "Money for water", "amount": "100000", "currency": "AFN",
            "ballot_type": "approval", "language": "en", "access": "link"}  # fmt: skip
    budget = redirected(post(site.admin, f"/spaces/{site.space_id}/budgets", **form), "/b/").split("/")[2]
    for name, cost, about in (("Well", "40000", "A deep well for the village"), ("School roof", "30000", "")):
        redirected(
            post(site.admin, f"/b/{budget}/projects", name=name, cost=cost, category="water", description=about),
            f"/b/{budget}/manage",
        )
    return budget


def translated_budget(site) -> str:
    budget = make_budget(site)
    manage = page(site.admin.get(f"/b/{budget}/manage"))
    assert f'href="/b/{budget}/translate/name"' in manage and f'href="/b/{budget}/projects/1/translate/name"' in manage
    escaped(page(site.admin.get(f"/b/{budget}/translate/name")))
    for tag in ("fa-AF", "ps"):
        redirected(post(site.admin, f"/b/{budget}/translate/name", language=tag, text=BUDGET_NAME[tag]), "/b/")
        redirected(post(site.admin, f"/b/{budget}/projects/1/translate/name", language=tag, text=WELL[tag]), "/b/")
        about = post(site.admin, f"/b/{budget}/projects/1/translate/description", language=tag, text=WELL_ABOUT[tag])
        redirected(about, "/b/")
    return budget


def test_each_reader_sees_the_budgets_and_projects_names_in_their_language(site):
    budget = translated_budget(site)
    for tag in ("fa-AF", "ps"):
        ballot = page(reader(site.app, tag).get(f"/b/{budget}"))
        assert f'<h1 dir="auto" lang="{tag}" data-content>{BUDGET_NAME[tag]}</h1>' in ballot
        assert "Water &lt;script&gt;" in re.findall(ORIGINAL, ballot)[0]  # the original beside it
        assert f'class="project-name" dir="auto" lang="{tag}" data-content>{WELL[tag]}</span>' in ballot
        assert f'lang="{tag}" data-content>{WELL_ABOUT[tag]}</p>' in ballot
        assert 'class="project-name" dir="auto" lang="en" data-content>School roof</span>' in ballot  # untranslated
        space = page(reader(site.app, tag).get("/s/herat"))
        assert f'<a href="/b/{budget}" dir="auto" lang="{tag}" data-content>{BUDGET_NAME[tag]}</a>' in space
        results = page(reader(site.app, tag).get(f"/b/{budget}/results"))
        assert f'lang="{tag}" data-content>{BUDGET_NAME[tag]}</a></nav>' in results
        shown = page(reader(site.app, tag).get(f"/b/{budget}/projects/1/translate/name"))
        assert WELL["fa-AF"] in shown and WELL["ps"] in shown
    english = page(reader(site.app, "en").get(f"/b/{budget}"))
    escaped(english)
    assert BUDGET_NAME["fa-AF"] not in english and WELL["ps"] not in english


def test_bad_budget_translations_are_refused_with_a_message_in_each_language(site):
    budget = make_budget(site)
    for tag in ("en", "fa-AF", "ps"):
        client = reader(site.app, tag)
        client.cookies.update(site.admin.cookies)
        html = page(post(client, f"/b/{budget}/projects/1/translate/name", language="en", text="Well"), 422)
        assert SAME_LANGUAGE[tag] in html
        assert NOT_A_SUBJECT[tag] in page(client.get(f"/b/{budget}/translate/topic"), 422)
    assert page(site.admin.get(f"/b/{budget}/projects/2/translate/description"), 404)  # it has none
    assert page(site.admin.get(f"/b/{budget}/projects/9/translate/name"), 404)
    assert page(post(site.admin, f"/b/{budget}/translate/name", language="fa-AF", text=" "), 422)
    anyone = site.participant()
    assert f'action="/b/{budget}/translate' not in page(anyone.get(f"/b/{budget}/translate/name"))
    assert post(anyone, f"/b/{budget}/translate/name", language="fa-AF", text="بودجه").status_code == 401


def test_every_accepted_budget_translation_is_logged_and_the_budgets_record_verifies(site, tmp_path):
    from concord.verify.exports import verify_budget_export

    budget = translated_budget(site)
    redirected(post(site.admin, f"/b/{budget}/projects/1/translate/name", language="fa-AF", text="چاه نو"), "/b/")
    response = site.admin.get(f"/api/budgets/{budget}/export")
    assert response.status_code == 200, response.text[:300]
    folder = tmp_path / "budget"
    with zipfile.ZipFile(io.BytesIO(response.content)) as opened:
        for member in opened.infolist():
            target = folder / Path(*Path(member.filename).parts[1:])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(opened.read(member))
    verify_budget_export(folder)
    logs = list(folder.rglob("*.jsonl"))
    entries = [json.loads(line) for log in logs for line in log.read_text(encoding="utf-8").splitlines()]
    logged = [
        (e["project"], e["subject"], e["language"], e["text"]) for e in entries if e["type"] == "budget-translation"
    ]
    assert logged == [
        (None, "name", "fa-AF", BUDGET_NAME["fa-AF"]),
        (1, "name", "fa-AF", WELL["fa-AF"]),
        (1, "description", "fa-AF", WELL_ABOUT["fa-AF"]),
        (None, "name", "ps", BUDGET_NAME["ps"]),
        (1, "name", "ps", WELL["ps"]),
        (1, "description", "ps", WELL_ABOUT["ps"]),
        (1, "name", "fa-AF", "چاه نو"),
    ]
    from concord.verify.replay import replay

    replayed = replay(e for e in entries if "seq" in e)
    accepted = [t["text"] for t in replayed.budget_translations.values() if t["status"] == "accepted"]
    assert "چاه نو" in accepted and WELL["fa-AF"] not in accepted and len(accepted) == 6
