"""A national decision rolled up from three districts, in a real browser against a real server: what a new
facilitator tried. An administrator makes /afghanistan and three districts with the pages' forms, puts a
proposal to them (double majority, invitation codes, a community question, a Dari translation), makes
each online district's codes on its conversation's desk, and reports the paper tally of the third. Herat
(14 for, 6 against) and Kabul (20 for, 10 against) vote online, no community against it beyond 60 %;
Bamyan counted 300 for, 120 against. Each district passes it, and so does the country.

At least one participant in each online district joins and votes through the page (the invitation link,
the community question, the vote); the others use the rest of the same real codes through the service
layer, to keep the test fast. Screenshots go to test-results/screenshots/rollup-*.png.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from live_server import running
from test_browser import SCREENSHOTS

playwright_api = pytest.importorskip("playwright.sync_api")

ADMIN = ("facilitator", "a long enough password")
PROPOSAL = "Every district keeps a share of the revenue it raises"
DARI = "هر ولسوالی سهمی از عایدی که جمع می‌کند را نگه می‌دارد"
QUESTION = "قوم"
COMMUNITIES = ["پشتون", "تاجیک", "هزاره", "ازبک"]
DISTRICTS = {"herat": "Herat", "kabul": "Kabul", "bamyan": "Bamyan"}


def voters(*communities: tuple[str, int, int]) -> list[tuple[str, str]]:
    """(community, vote) of each participant of a district: so many for, so many against, by community."""
    return [(name, vote) for name, agree, against in communities for vote in ["agree"] * agree + ["disagree"] * against]


# No community has more than 60 % against, with its whole 90 % interval (so each is told, never "cannot
# tell"): a plain majority with no vetoing group. The first of each district votes through the page.
BALLOTS = {
    "herat": voters(("تاجیک", 7, 3), ("هزاره", 7, 3)),  # 14 for, 6 against
    "kabul": voters(("پشتون", 8, 4), ("تاجیک", 6, 3), ("ازبک", 6, 3)),  # 20 for, 10 against
}
PAPER = ("Bamyan", 300, 120)
ANALYSIS_TIMEOUT = 30.0  # seconds to wait for the live analysis to show on a page


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An empty server (with its live analysis, quick to follow votes) and one administrator."""
    from concord.service.accounts import moderators as accounts
    from concord.web.app import create_app

    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('rollup') / 'concord.db'}", debounce=0.2)
    with app.state.concord.sessions.begin() as session:
        accounts.create_user(session, ADMIN[0], ADMIN[1], is_admin=True)
    with running(app) as url:
        yield app, url


def new_page(browser, width: int = 1280, height: int = 800, locale: str = "en-US"):
    return browser.new_context(locale=locale, viewport={"width": width, "height": height}).new_page()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"rollup-{name}.png"), full_page=True)


def make_space(page, name: str, slug: str) -> None:
    """Through the "New space" form of the page shown (the home page's makes a top-level space)."""
    form = page.locator("section[aria-labelledby=new-space]")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Short name for the address").fill(slug)
    form.get_by_role("button", name="Create space").click()
    page.wait_for_url(re.compile(rf"/{slug}$"))


def put_proposal(page) -> str:
    """The Afghanistan page's "Put a proposal" form; returns the roll-up's element id."""
    put = page.locator("details:has(form[action$='/proposals'])")
    put.locator("summary").click()
    put.get_by_label("Proposal", exact=True).fill(PROPOSAL)
    put.get_by_label("Written in").select_option("en")
    put.get_by_label("Translation into Dari").fill(DARI)
    rule = put.locator("input[name=rule][value=double-majority]")
    assert rule.is_checked(), "double majority is the form's default rule across places"
    put.get_by_label("Only holders of a one-time invitation code").check()
    put.get_by_label("Question 1", exact=True).fill(QUESTION)
    put.locator("#proposal-answers-1").fill(", ".join(COMMUNITIES))
    put.get_by_role("button", name="Put it to the places").click()
    page.wait_for_url(re.compile(r"#proposal-\d+$"))
    return page.url.split("#")[1]


def make_codes(page, count: int) -> list[str]:
    """On a conversation's moderation desk: codes made with the form, and their invitation links."""
    page.get_by_label("How many", exact=True).fill(str(count))
    page.get_by_role("button", name="Make codes").click()
    page.wait_for_selector("ul.codes")
    links = page.locator("ul.codes a").evaluate_all("links => links.map(a => a.href)")
    assert len(links) == count
    return links


def invite_code(link: str) -> str:
    """The code an invitation link carries (beside the language it may name)."""
    return parse_qs(urlsplit(link).query)["invite"][0]


def cast_the_rest(app, public_id: str, links: list[str], ballots: list[tuple[str, str]]) -> None:
    """Participants who join with the codes of these links, declare their community and vote on the
    proposal (the conversation's one statement), through the service layer in one transaction."""
    from concord.service.participation import joining as participation
    from concord.service.participation import voting
    from concord.store.models import Conversation, Statement

    with app.state.concord.sessions.begin() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.public_id == public_id))
        [proposal] = session.scalars(select(Statement.number).where(Statement.conversation_id == conversation.id))
        assert proposal == 1  # a new conversation numbers its statements from 1
        for link, (community, vote) in zip(links, ballots, strict=True):
            code = invite_code(link)
            joined = participation.join(session, conversation, invite_code=code, attributes={QUESTION: community})
            voting.record_vote(session, conversation, joined.participant, proposal, vote)


def join_and_vote(browser, link: str, community: str, vote: str) -> None:
    """A participant on a phone opens their invitation link, answers the community question and votes."""
    page = new_page(browser, 360, 640)
    page.goto(link)
    assert page.locator("#invite-code").input_value() == invite_code(link)
    page.get_by_label(QUESTION).select_option(community)
    page.get_by_role("button", name="Join").click()
    assert "Welcome" in page.locator(".notice").inner_text()
    assert page.locator("#vote .statement").inner_text() == PROPOSAL
    page.locator(f"#vote form.vote button.{vote}").click()
    page.wait_for_selector("#vote .done")
    page.context.close()


def check_invitation_only(browser, conversation_url: str) -> None:
    """A visitor without a code is asked for one and for their community, is refused a made-up code,
    and cannot vote."""
    page = new_page(browser, 360, 640)
    page.goto(conversation_url)
    assert page.locator("#vote form.vote").count() == 0
    join = page.locator("#join")
    assert join.locator("#invite-code").get_attribute("required") is not None
    options = join.get_by_label(QUESTION).locator("option").all_inner_texts()
    assert options[1:] == COMMUNITIES
    join.locator("#invite-code").fill("ABCDEFGHJK")
    join.get_by_role("button", name="Join").click()
    assert "not valid" in page.locator("#join .error").inner_text()
    conversation = conversation_url.rstrip("/").split("/")[-1]
    answer = page.request.post(
        conversation_url.split("/c/")[0] + f"/api/conversations/{conversation}/votes",
        data={"statement": 1, "vote": "agree"},
    )
    assert answer.status in (401, 403), answer.status
    page.context.close()


def reload_until(page, url: str, ready: str, timeout: float = ANALYSIS_TIMEOUT) -> None:
    """Open ``url`` again until the selector ``ready`` is on it (the analysis runs about a second after
    the votes stop)."""
    deadline = time.monotonic() + timeout
    while True:
        page.goto(url)
        if page.locator(ready).count():
            return
        assert time.monotonic() < deadline, f"{url}: {ready} did not show within {timeout} s"
        page.wait_for_timeout(300)


def test_a_national_proposal_passes_from_two_districts_online_and_one_on_paper(browser, server):
    app, url = server
    admin = new_page(browser)
    admin.goto(f"{url}/login")
    admin.get_by_label("Username").fill(ADMIN[0])
    admin.get_by_label("Password").fill(ADMIN[1])
    admin.get_by_role("button", name="Log in").click()
    admin.wait_for_url(re.compile(r"/moderation$"))  # where a login lands
    admin.locator("main").get_by_role("link", name="Home").click()
    admin.wait_for_url(f"{url}/")
    make_space(admin, "Afghanistan", "afghanistan")
    country = admin.url
    for slug, name in DISTRICTS.items():
        admin.goto(country)
        make_space(admin, name, slug)
    admin.goto(country)
    rollup_id = put_proposal(admin)
    rollup = admin.locator(f"#{rollup_id}")
    assert rollup.locator("tbody tr").count() == 3
    assert rollup.locator("tbody .badge", has_text="Has not decided").count() == 3

    # Each online district's moderator reaches its conversation's desk from the country's page.
    conversations = {}
    for slug, ballots in BALLOTS.items():
        admin.goto(country)
        admin.locator(f"#{rollup_id} tbody tr", has_text=DISTRICTS[slug]).get_by_role("link").first.click()
        admin.wait_for_url(re.compile(rf"/s/afghanistan/{slug}$"))
        admin.locator("ul.list li", has_text=PROPOSAL).get_by_role("link", name="Moderate").click()
        admin.wait_for_url(re.compile(r"/c/\w+/moderate$"))
        conversation = re.search(r"/c/(\w+)/moderate", admin.url).group(1)
        conversations[slug] = conversation
        assert admin.locator("input[name=access][value=invite]").is_checked()  # as the proposal was put
        assert admin.locator("input[name=attribute_name]").first.input_value() == QUESTION
        links = make_codes(admin, len(ballots))
        if slug == "herat":
            shot(admin, "herat-codes")
        check_invitation_only(browser, f"{url}/c/{conversation}")
        join_and_vote(browser, links[0], *ballots[0])
        cast_the_rest(app, conversation, links[1:], ballots[1:])

    # Bamyan voted on paper: its tally is reported on the country's page.
    admin.goto(country)
    tally = admin.locator(f"#{rollup_id} details:has(form[action$='/tallies'])")
    tally.locator("summary").click()
    name, agree, disagree = PAPER
    tally.get_by_label("Place").select_option(label=name)
    tally.get_by_label("Votes for").fill(str(agree))
    tally.get_by_label("Votes against").fill(str(disagree))
    tally.get_by_label("Where and how it was counted").fill("Counted at the district shura")
    tally.get_by_role("button", name="Report the tally").click()
    admin.wait_for_url(re.compile(rf"#{rollup_id}$"))

    # Each district passes it, and says why.
    for slug, share in (("herat", "70%"), ("kabul", "67%")):
        results = f"{url}/c/{conversations[slug]}/results"
        # Until the analysis is of every vote (on a busy machine an earlier one, of the first votes, may show).
        decided = "section[aria-labelledby=decisions-heading] .outcome"
        reload_until(admin, results, f"{decided}:has-text('{share} agree')")
        outcome = admin.locator("section[aria-labelledby=decisions-heading] .outcome.pass").first
        sentence = outcome.inner_text()
        assert sentence.startswith(f"Passes: {share} agree, more than the 50% needed"), sentence

    # The country passes it: 3 of 3 places, and 334 of 470 votes.
    passing = f"#{rollup_id} .outcome.pass"
    reload_until(admin, country, passing)
    rollup = admin.locator(f"#{rollup_id}")
    assert rollup.locator(".outcome").inner_text() == (
        "Passes: it passes in 3 of 3 places (3 decided), and 71% of all votes agree (334 of 470)."
    )
    rows = {row.locator("td").first.inner_text(): row.inner_text() for row in rollup.locator("tbody tr").all()}
    assert set(rows) == set(DISTRICTS.values())
    assert all("Passes" in row for row in rows.values()), rows
    assert "a reported tally" in rows["Bamyan"] and "its conversation" in rows["Herat"]

    # Readers on a phone and on a laptop, in English and in Dari.
    for lang in ("en", "fa_AF"):
        for width, height in ((360, 640), (1280, 800)):
            reader = new_page(browser, width, height)
            for name, path in (("afghanistan", "/s/afghanistan"), ("herat", f"/c/{conversations['herat']}/results")):
                reader.goto(f"{url}{path}?lang={lang}")
                direction = reader.evaluate("document.dir")
                assert direction == ("rtl" if lang == "fa_AF" else "ltr"), (path, lang, direction)
                if name == "afghanistan":  # the roll-up's table scrolls inside the screen, not the page
                    assert reader.evaluate("document.documentElement.scrollWidth") <= width
                    heading = reader.locator(f"#{rollup_id} h3")
                    assert heading.inner_text() == (DARI if lang == "fa_AF" else PROPOSAL)
                shot(reader, f"{name}-{lang}-{width}")
            reader.context.close()


# --- the places' table on a phone (issue 26) ----------------------------------------------------------

WIDE_NOTE = "Counted at the district shura by the elders of every village, with observers from both communities"
PROVINCE = {  # slug: (name, population, its paper tally or none: silent)
    "injil": ("ولسوالی انجیل", 310_000, (120, 40)),
    "guzara": ("ولسوالی گذره", 150_000, (30, 90)),
    "karukh": ("ولسوالی کرخ", None, None),
}


class AdminApi:
    """The API as the administrator, logged in: what the tests set up without the pages they are not about."""

    def __init__(self, url: str):
        import httpx

        self.client = httpx.Client(base_url=url)
        answer = self.client.post("/api/session", json={"username": ADMIN[0], "password": ADMIN[1]})
        self.client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]

    def made(self, path: str, body: dict) -> dict:
        answer = self.client.post(path, json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def __enter__(self) -> AdminApi:
        return self

    def __exit__(self, *_) -> None:
        self.client.close()


def put_by_population(url: str) -> str:
    """/herat-province and its three districts through the API: a double majority weighed by population,
    two districts' paper tallies with a long note, one silent. Returns the roll-up's element id."""
    with AdminApi(url) as api:
        made = api.made
        province = made("/api/spaces", {"slug": "herat-province", "name": "ولایت هرات", "language": "fa-AF"})["id"]
        ids = {}
        for slug, (name, population, _) in PROVINCE.items():
            space = {"slug": slug, "name": name, "language": "fa-AF", "parent_id": province}
            ids[slug] = made("/api/spaces", space)["id"]
            placed = api.client.put(f"/api/spaces/{ids[slug]}/place", json={"weight": 1, "population": population})
            assert placed.status_code == 200, placed.text
        rule = {"name": "double-majority", "parameters": {"weigh": "population"}}
        proposal = made(f"/api/spaces/{province}/proposals", {"text": PROPOSAL, "rule": rule})["id"]
        for slug, (_, _, tally) in PROVINCE.items():
            if tally:
                body = {"space_id": ids[slug], "agree": tally[0], "disagree": tally[1], "note": WIDE_NOTE}
                answer = api.client.post(f"/api/spaces/{province}/proposals/{proposal}/tallies", json=body)
                assert answer.status_code == 204, answer.text
    return f"proposal-{proposal}"


# Each place's cells: inside the screen and inside their region, or the region scrolls and says so (a
# labelled, focusable region drawn with its scroll shadows); each outcome pill on one line, inside its cell.
MEASURE = """table => {
  const region = table.closest('.table-scroll'), box = region.getBoundingClientRect();
  const style = getComputedStyle(region);
  return {
    screen: document.documentElement.clientWidth,
    scrolls: region.scrollWidth > region.clientWidth + 1,
    hint: region.getAttribute('role') === 'region' && region.tabIndex === 0
          && !!document.getElementById(region.getAttribute('aria-labelledby'))
          && style.backgroundImage.includes('gradient'),
    region: [box.left, box.right],
    cells: [...table.querySelectorAll('td')].map(td => {
      const r = td.getBoundingClientRect();
      return {text: td.innerText, left: r.left, right: r.right, width: r.width};
    }),
    pills: [...table.querySelectorAll('.badge')].map(pill => {
      const cell = pill.closest('td').getBoundingClientRect(), r = pill.getBoundingClientRect();
      return {text: pill.innerText, lines: pill.getClientRects().length,
              inside: r.left >= cell.left - 0.5 && r.right <= cell.right + 0.5};
    }),
  };
}"""


@pytest.fixture(scope="module")
def by_population(server) -> str:
    return put_by_population(server[1])


@pytest.mark.parametrize("lang", ["en", "fa_AF", "ps"])
def test_the_places_table_fits_a_phone_or_says_it_scrolls(browser, server, by_population, lang):
    url, rollup_id = server[1], by_population
    for width, height in ((360, 640), (1280, 800)):
        reader = new_page(browser, width, height)
        reader.goto(f"{url}/s/herat-province?lang={lang}")
        table = reader.locator(f"#{rollup_id} table.places")
        found = table.evaluate(MEASURE)
        assert len(found["cells"]) == 3 * 7, found["cells"]  # a population column beside the six
        assert reader.evaluate("document.documentElement.scrollWidth") <= width
        if width == 360:  # a phone: every cell whole on the screen, nothing to scroll
            assert not found["scrolls"], found
            for cell in found["cells"]:
                assert 0 <= cell["left"] and cell["right"] <= found["screen"] and cell["width"] > 0, cell
                assert found["region"][0] - 0.5 <= cell["left"] and cell["right"] <= found["region"][1] + 0.5, cell
        else:
            assert not found["scrolls"] or found["hint"], found
        assert found["pills"] and all(pill["lines"] == 1 and pill["inside"] for pill in found["pills"]), found["pills"]
        note = reader.locator(f"#{rollup_id} q.note").first
        assert note.inner_text() == WIDE_NOTE and note.is_visible()
        box = note.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        shot(reader, f"places-{lang}-{width}")
        reader.context.close()


# --- money in a right-to-left sentence (issue 26) ------------------------------------------------------

# Where the amount's number, the currency's name and the vote count after them are drawn on the screen.
ORDER = """(line, parts) => {
  const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
  const found = {};
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const [name, text] of Object.entries(parts)) {
      const at = node.data.indexOf(text);
      if (at < 0 || name in found) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + text.length);
      const box = range.getBoundingClientRect();
      found[name] = {left: box.left, right: box.right};
    }
  }
  return found;
}"""
READS = {  # the number, the currency's name, two votes: as each reader reads them
    "fa_AF": ("۴۰٬۰۰۰", "افغانی افغانستان", "۲ رأی"),
    "ps": ("۴۰٬۰۰۰", "افغانۍ", "۲ رایې"),
}


def test_an_amount_of_afghani_reads_right_to_left_in_dari_and_pashto(browser, server):
    """On the results of a budget in afghani, a project's cost and its votes: right to left, the number,
    then the currency's name, then the count (a Latin "AFN" would pull the count to the wrong side)."""
    url = server[1]
    with AdminApi(url) as api:
        space = api.made("/api/spaces", {"slug": "kabul-budgets", "name": "Kabul"})["id"]
        body = {"name": "Wells", "amount": "100000", "currency": "AFN", "ballot_type": "approval"}
        budget = api.made(f"/api/spaces/{space}/budgets", body)["id"]
        api.made(f"/api/budgets/{budget}/projects", {"name": "Well", "cost": "40000"})
    for _ in range(2):
        voter = new_page(browser, 360, 640)
        voter.goto(f"{url}/b/{budget}")
        voter.locator("input[name=project]").first.check()
        voter.get_by_role("button", name="Cast my ballot").click()
        voter.wait_for_url(re.compile(r"notice=voted"))
        voter.context.close()
    for lang, (number, currency, count) in READS.items():
        reader = new_page(browser, 360, 640)
        reader.goto(f"{url}/b/{budget}/results?lang={lang}")
        line = reader.locator("section[aria-labelledby=funded-heading] li p").first
        at = line.evaluate(ORDER, {"number": number, "currency": currency, "count": count})
        assert set(at) == {"number", "currency", "count"}, (lang, at, line.inner_text())
        assert at["number"]["left"] >= at["currency"]["right"] - 0.5, (lang, at)  # the number first, at the right
        assert at["currency"]["left"] >= at["count"]["right"] - 0.5, (lang, at)  # the count after it, to the left
        shot(reader, f"budget-{lang}")
        reader.context.close()
