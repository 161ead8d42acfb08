"""A facilitator's first hour through the in-process client (issue 26): from the login form to a new
conversation in a district by links and forms alone, the invitation codes page that reloads, printed
code cards that say how to use them, and the rule form's words, in English, Dari and Pashto."""

from __future__ import annotations

import html as markup
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from conftest import ADMIN_PASSWORD, log_in
from page_helpers import page, page_fixtures, post, redirected

database_url, site = page_fixtures()

READERS = {"en": "en", "fa-AF": "fa-AF", "ps": "ps"}


class Forms(HTMLParser):
    """The forms of a page as a browser would send them untouched: each by its action, with its fields'
    values (hidden and typed inputs, ticked boxes and radios, chosen options, textareas)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self.action: str | None = None
        self.select: str | None = None
        self.textarea: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        fields = self.forms.get(self.action or "")
        if tag == "form":
            self.action = a.get("action", "")
            self.forms.setdefault(self.action, {})
        elif fields is None or ("name" not in a and tag != "option"):
            return
        elif tag == "input" and (a.get("type") not in ("checkbox", "radio") or "checked" in a):
            fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and ("selected" in a or self.select not in fields):
            fields[self.select] = a.get("value", "")
        elif tag == "textarea":
            self.textarea = a["name"]
            fields[self.textarea] = ""

    def handle_data(self, data: str) -> None:
        if self.textarea and self.action is not None:
            self.forms[self.action][self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.action = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def send(client: TestClient, html: str, action: str, **typed: str):
    """Send the page's form at ``action`` as its reader fills it in (its other fields as they are)."""
    forms = Forms(html).forms
    assert action in forms, f"no form to {action}: {sorted(forms)}"
    return client.post(action, data={**forms[action], **typed}, follow_redirects=False)


def follow(client: TestClient, html: str, text: str) -> str:
    """Follow the one link that reads ``text``; its page."""
    found = re.findall(rf'<a href="([^"]+)"[^>]*>{re.escape(text)}</a>', html)
    assert len(found) == 1, f"{len(found)} links read {text!r}"
    return page(client.get(markup.unescape(found[0])))


def words(reader: str) -> dict[str, str]:
    """What the facilitator reads on the links and buttons they use, in each language."""
    return {
        "en": {"log in": "Moderator log in", "new": "New conversation"},
        "fa-AF": {"log in": "ورود ناظران", "new": "گفتگوی تازه"},
        "ps": {"log in": "د څارونکو ننوتل", "new": "نوې خبرې اترې"},
    }[reader]


@pytest.mark.parametrize("reader", ["en", "fa-AF"])
def test_a_facilitator_goes_from_logging_in_to_a_new_conversation_in_a_district(site, reader):
    """Logging in once landed on "Nothing is waiting", with no way to a space or to making anything."""
    post(site.admin, "/spaces", parent_id=str(site.space_id), slug="guzara", name="گذره", language="fa-AF")
    log_in(TestClient(site.app), "zarghuna", admin=False, spaces=("/herat",))  # a province's moderator
    browser = TestClient(site.app, headers={"Accept-Language": reader})
    said = words(reader)
    login = follow(browser, page(browser.get("/")), said["log in"])
    landed = send(browser, login, "/login", username="zarghuna", password=ADMIN_PASSWORD)
    home = page(browser.get(redirected(landed, "/moderation")))
    district = home.split("data-content>گذره</a>")[1].split("</article>")[0]  # the district, below Herat
    space = follow(browser, district, said["new"])
    action = re.search(r'action="(/spaces/\d+/conversations)"', space).group(1)
    made = send(browser, space, action, topic="آب آشامیدنی گذره")
    desk = page(browser.get(redirected(made, "/c/")))
    assert "آب آشامیدنی گذره" in desk and f'<html lang="{reader}"' in desk
    conversation = re.search(r"/c/(\w+)/moderate", made.headers["location"]).group(1)
    assert browser.get(f"/api/conversations/{conversation}").json()["language"] == "fa-AF"  # the district's


@pytest.mark.parametrize("reader", READERS)
def test_a_moderators_home_lists_their_spaces_what_is_open_and_what_to_start(site, reader):
    post(site.admin, "/spaces", parent_id=str(site.space_id), slug="guzara", name="Guzara")
    post(site.admin, "/spaces", slug="kabul", name="Kabul")
    district = TestClient(site.app, headers={"Accept-Language": reader})
    log_in(district, "district", admin=False, spaces=("/herat/guzara",))
    home = page(district.get("/moderation"))
    assert 'href="/s/herat/guzara"' in home and 'href="/s/herat"' not in home and "/s/kabul" not in home
    province = TestClient(site.app, headers={"Accept-Language": reader})
    log_in(province, "province", admin=False, spaces=("/herat",))
    home = page(province.get("/moderation"))
    herat = home.split('id="space-')[1]
    assert f'href="/c/{site.conversation}/moderate"' in herat  # what is open there
    assert f'href="/spaces/{site.space_id}/budgets/new"' in herat and 'href="/s/herat#new-conversation"' in herat
    assert 'href="/s/herat#put-proposal"' in herat  # Herat has a place inside to put a proposal to
    assert 'href="/s/herat/guzara#new-conversation"' in home and "/s/herat/guzara#put-proposal" not in home
    assert "/s/kabul" not in home
    wording = {
        "en": ("What is open in your spaces", "New budget", "Statements waiting for you"),
        "fa-AF": ("آنچه در فضاهای شما باز است", "بودجهٔ تازه", None),
        "ps": ("ستاسو په ځایونو کې څه پرانیستي دي", "نوې بودیجه", None),
    }[reader]
    assert all(text in home for text in wording if text)
    outsider = TestClient(site.app, headers={"Accept-Language": reader})
    log_in(outsider, "nobody", admin=False)
    empty = page(outsider.get("/moderation"))
    assert {
        "en": "You moderate no space yet",
        "fa-AF": "شما هنوز ناظر هیچ فضایی نیستید",
        "ps": "تاسو لا د هېڅ ځای څارونکي نه یاست",
    }[reader] in empty


def moderator(site, reader: str) -> TestClient:
    """A moderator of the site's space whose browser reads ``reader``."""
    client = TestClient(site.app, headers={"Accept-Language": reader})
    log_in(client, f"moderator-{reader.lower()}", admin=False, spaces=("/herat",))
    return client


@pytest.mark.parametrize("reader", READERS)
def test_the_invitation_codes_page_reloads_without_showing_the_codes_again(site, reader):
    """Reloading /c/<id>/invitations once answered 405 "Something went wrong"."""
    url = f"/c/{site.conversation}"
    client = moderator(site, reader)
    post(client, f"{url}/settings", topic="Water", access="invite")
    made = page(post(client, f"{url}/invitations", count="2"))
    codes = set(re.findall(r"invite=([A-Z0-9]{10})", made))
    assert len(codes) == 2
    again = page(client.get(f"{url}/invitations"))
    assert not any(code in again for code in codes)  # shown once, in the answer that made them
    assert f'action="{url}/invitations"' in again and 'class="card-print"' not in again
    assert again.split('id="invitations"')[1].count("…</code>") == 2  # the codes' hints
    assert {"en": "Make codes", "fa-AF": "ساختن کدها", "ps": "کوډونه جوړ کړئ"}[reader] in again
    stranger = TestClient(site.app).get(f"{url}/invitations", follow_redirects=False)
    redirected(stranger, "/login")


@pytest.mark.parametrize("language", ["en", "fa-AF", "ps"])
def test_printed_code_cards_say_how_to_use_the_code_in_the_conversations_language(site, language):
    url = f"/c/{site.conversation}"
    client = moderator(site, "en")  # the moderator reads English; the card holders read the conversation's
    post(client, f"{url}/settings", topic="Water", access="invite", language=language)
    desk = page(post(client, f"{url}/invitations", count="1"))
    sheet = desk.split('<div class="sheet"')[1]
    how = {
        "en": ("To take part, scan this square with your phone", "If you are asked for an invitation code"),
        "fa-AF": ("این مربع را با کمرهٔ تلفن خود اسکن کنید", "اگر از شما کد دعوت خواسته شد"),
        "ps": ("دا مربع د خپل تلیفون په کمره سکن کړئ", "که له تاسو د بلنې کوډ وغوښتل شو"),
    }[language]
    assert all(words in sheet for words in how)
    assert sheet.startswith(f' lang="{language}"') and "Make codes" in desk  # the desk stays in English


def rule_form(desk: str) -> str:
    """The desk's Decisions section: the rule in force, the proposals and the rule form."""
    return desk.split('id="decisions"')[1].split("</section>")[0]


@pytest.mark.parametrize("reader", READERS)
def test_the_rule_form_names_the_declared_question_a_rule_uses(site, reader):
    """It once offered "(the only one)" with two declared questions, and never said which one counted."""
    url = f"/c/{site.conversation}"
    client = moderator(site, reader)
    decisions = rule_form(page(client.get(f"{url}/moderate")))
    select = decisions.split('name="concurrent-majority.attribute">')[1].split("</select>")[0]
    assert select == '<option value="region" dir="auto" selected>region</option>'  # the only one, named
    post(client, f"{url}/rule", rule="concurrent-majority")
    said = {
        "en": "The groups are the answers to the declared question: region.",
        "fa-AF": "گروه‌ها پاسخ‌های این پرسش اعلام‌شده هستند: region.",
        "ps": "ډلې د دې اعلان شوې پوښتنې ځوابونه دي: region.",
    }[reader]
    assert said in rule_form(page(client.get(f"{url}/moderate")))

    post(client, f"{url}/settings", topic="Water", attribute_name=["region", "gender"],
         attribute_options=["north, south", "women, men"])  # fmt: skip
    decisions = rule_form(page(client.get(f"{url}/moderate")))
    select = decisions.split('name="concurrent-majority.attribute">')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', select) == ["region", "gender"]
    assert "(the only one)" not in decisions and 'value=""' not in select
    post(client, f"{url}/rule", **{"rule": "concurrent-majority", "concurrent-majority.attribute": "gender"})
    decisions = rule_form(page(client.get(f"{url}/moderate")))
    assert said.replace("region", "gender") in decisions
    assert '<option value="gender" dir="auto" selected>gender</option>' in decisions


@pytest.mark.parametrize("reader", READERS)
def test_a_proposal_is_undone_by_an_action_and_settings_name_languages_in_their_own_script(site, reader):
    url = f"/c/{site.conversation}"
    client = moderator(site, reader)
    post(client, f"{url}/proposals/1", proposal="true")
    desk = page(client.get(f"{url}/moderate"))
    undo = {"en": "Stop treating it as a proposal", "fa-AF": "تبدیل به نظر عادی", "ps": "بېرته یې عادي نظر کړئ"}[reader]
    assert f"<button>{undo}</button>" in rule_form(desk) and "No longer a proposal" not in desk
    settings = desk.split('id="settings-language"')[1].split("</select>")[0]
    named = re.findall(r'<option value="([^"]+)" lang="([^"]+)"(?: selected)?>([^<]+)</option>', settings)
    assert named == [("en", "en", "English"), ("fa-AF", "fa-AF", "دری"), ("ps", "ps", "پښتو")]
