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


def cast_the_rest(app, public_id: str, links: list[str], ballots: list[tuple[str, str]]) -> None:
    """Participants who join with the codes of these links, declare their community and vote on the
    proposal (statement 0), through the service layer in one transaction."""
    from concord.service.participation import joining as participation
    from concord.service.participation import voting
    from concord.store.models import Conversation

    with app.state.concord.sessions.begin() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.public_id == public_id))
        for link, (community, vote) in zip(links, ballots, strict=True):
            code = link.split("invite=")[1]
            joined = participation.join(session, conversation, invite_code=code, attributes={QUESTION: community})
            voting.record_vote(session, conversation, joined.participant, 0, vote)


def join_and_vote(browser, link: str, community: str, vote: str) -> None:
    """A participant on a phone opens their invitation link, answers the community question and votes."""
    page = new_page(browser, 360, 640)
    page.goto(link)
    assert page.locator("#invite-code").input_value() == link.split("invite=")[1]
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
        data={"statement": 0, "vote": "agree"},
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
