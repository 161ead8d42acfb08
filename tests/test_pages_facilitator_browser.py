"""A facilitator's home and printed code cards in a real browser (issue 26): a district's moderator, reading
Dari on a 360 px phone and on a 1280 px screen, logs in, lands on their spaces and makes a conversation in
the district by tapping; its code cards print with how to use them in the conversation's language.
Screenshots go to test-results/screenshots/facilitator-*.png."""

from __future__ import annotations

import re

import pytest

from live_server import running
from test_browser import SCREENSHOTS, visible_interface_text  # skips (or fails under CI) without chromium

playwright_api = pytest.importorskip("playwright.sync_api")

MODERATOR = ("district", "a long enough password")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Herat (a province) with the district of Guzara, whose moderator logs in."""
    from concord.service import spaces
    from concord.service.accounts import moderators as accounts
    from concord.web.app import create_app

    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('facilitator') / 'concord.db'}")
    with app.state.concord.sessions.begin() as session:
        admin = accounts.create_user(session, "admin", MODERATOR[1], is_admin=True)
        herat = spaces.create_space(session, admin, parent_path=None, slug="herat", name="هرات", language="fa-AF")
        guzara = spaces.create_space(
            session, admin, parent_path=herat.path, slug="guzara", name="ولسوالی گذره", language="fa-AF"
        )
        accounts.grant(session, accounts.create_user(session, *MODERATOR, is_admin=False), guzara)
    with running(app) as url:
        yield url


@pytest.mark.parametrize("width", [360, 1280])
def test_a_district_moderator_goes_from_logging_in_to_a_new_conversation_by_tapping(browser, site, width):
    context = browser.new_context(locale="fa-AF", viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(site)
    page.get_by_role("link", name="ورود ناظران").click()
    page.locator("#username").fill(MODERATOR[0])
    page.locator("#password").fill(MODERATOR[1])
    page.locator("form[action='/login'] button").click()
    page.wait_for_url(re.compile(r"/moderation$"))
    assert page.evaluate("document.dir") == "rtl"
    untranslated = re.findall(r"[A-Za-z]{2,}", visible_interface_text(page).replace(MODERATOR[0], ""))
    assert not untranslated, untranslated
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")  # nothing cut off
    district = page.locator("article.held-space", has_text="ولسوالی گذره")
    for link in district.locator(".actions a").all():
        box = link.bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, box
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"facilitator-home-fa-AF-{width}.png"), full_page=True)

    district.get_by_role("link", name="گفتگوی تازه").click()
    form = page.locator("section[aria-labelledby=new-conversation]")
    form.get_by_label("موضوع", exact=True).fill(f"آب آشامیدنی گذره ({width})")
    form.get_by_label("تنها دارندگان کد دعوت یک‌باره").check()
    form.locator("button").last.click()
    page.wait_for_url(re.compile(r"/moderate$"))

    page.locator("#count").fill("2")
    page.locator("form[action$='/invitations'] button").click()
    page.emulate_media(media="print")
    cards = page.locator(".card-print")
    assert cards.count() == 2 and cards.first.is_visible()
    assert "این مربع را با کمرهٔ تلفن خود اسکن کنید" in cards.first.inner_text()
    page.screenshot(path=str(SCREENSHOTS / f"facilitator-cards-fa-AF-{width}.png"), full_page=True)
    page.emulate_media(media="screen")
    page.goto(page.url)  # the address the codes were made at, opened again: the desk, without the codes
    assert page.locator(".card-print").count() == 0 and page.locator("#count").is_visible()
    context.close()
