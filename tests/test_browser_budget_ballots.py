"""Points to share out and rankings on a 360 px phone, in Dari, in a real browser (Playwright driving
Debian's chromium): the ballot fits the screen's width, every field and the button are targets of at
least 24 × 24 px, points typed in Dari digits and ranks chosen are counted with or without script and
shown filled in afterwards, and a wrong ballot comes back with its reason and what was typed.

Screenshots go to test-results/screenshots/ (budget-points-fa-*, budget-ranks-fa-*)."""

from __future__ import annotations

import re

import pytest

from live_server import running
from test_browser import SCREENSHOTS, visible_interface_text

playwright_api = pytest.importorskip("playwright.sync_api")

WIDTH = 360
TARGET = 24  # CSS px
PROJECTS = (("چاه عمیق در انجیل", "90000"), ("ترمیم کانال آبیاری ولسوالی گذره", "60000"), ("ذخیرهٔ آب مکتب", "40000"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server with a Dari space holding a budget of points (10 each) and a ranked one (2 ranks)."""
    from concord.service import spaces
    from concord.service.accounts import moderators as accounts
    from concord.service.budgets import budgets, projects, settings
    from concord.web.app import create_app

    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('ballots') / 'concord.db'}", live_analysis=False)
    made = {}
    with app.state.concord.sessions.begin() as session:
        admin = accounts.create_user(session, "moderator", "a long enough password", is_admin=True)
        herat = spaces.create_space(session, admin, parent_path=None, slug="herat", name="هرات", language="fa-AF")
        for kind, rules in (("cumulative", {"max_points": 10}), ("ordinal", {"max_projects": 2})):
            budget = budgets.create_budget(
                session,
                admin,
                herat,
                settings.BudgetSettings(
                    name="بودجهٔ آب هرات", amount="150000", currency="AFN", language="fa-AF", ballot_type=kind, **rules
                ),
            )
            for name, cost in PROJECTS:
                projects.add_project(session, admin, budget, settings.ProjectFields(name=name, cost=cost))
            made[kind] = budget.public_id
    with running(app) as url:
        yield url, made


def phone(browser, javascript: bool):
    context = browser.new_context(
        java_script_enabled=javascript, locale="fa-AF", viewport={"width": WIDTH, "height": 640}
    )
    return context, context.new_page()


def fits_and_big_enough(page, fields) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    for index in range(fields.count()):
        box = fields.nth(index).bounding_box()
        assert box["width"] >= TARGET and box["height"] >= TARGET, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, box
    button = page.locator("form.ballot button").bounding_box()
    assert button["width"] >= TARGET and button["height"] >= TARGET, button


def translated(page) -> None:
    untranslated = re.findall(r"[A-Za-z]{2,}", visible_interface_text(page))
    assert not untranslated, f"untranslated interface text {untranslated}"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_voter_shares_out_points_on_a_small_phone_in_dari(browser, server, javascript):
    url, made = server
    context, page = phone(browser, javascript)
    page.goto(f"{url}/b/{made['cumulative']}")
    assert page.locator("html").get_attribute("dir") == "rtl"
    fields = page.locator("form.ballot input[name^='points:']")
    assert fields.count() == 3
    fits_and_big_enough(page, fields)
    translated(page)
    assert "۱۰" in page.locator("#points-rule").inner_text()
    page.get_by_label(PROJECTS[0][0]).fill("۸")  # 8 + 5 is over the 10 each voter shares out
    page.get_by_label(PROJECTS[2][0]).fill("5")
    total = page.locator("output.points-given")
    if javascript:  # the points given follow the typing, in Dari digits, and turn red over the limit
        assert total.inner_text() == "۱۳" and "over" in (total.get_attribute("class") or "")
    page.locator("form.ballot button").click()
    page.wait_for_selector("p.error")
    assert "۱۳" in page.locator("p.error").inner_text() and total.inner_text() == "۱۳"
    assert page.get_by_label(PROJECTS[0][0]).input_value() == "۸"
    assert page.get_by_label(PROJECTS[2][0]).input_value() == "5"
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    shot(page, f"budget-points-fa-refused-{'js' if javascript else 'no-js'}")
    page.get_by_label(PROJECTS[0][0]).fill("۶")
    page.get_by_label(PROJECTS[2][0]).fill("4")
    page.locator("form.ballot button").click()
    page.wait_for_url(re.compile(r"notice=voted"))
    assert page.locator("p.notice").count() == 1
    assert [fields.nth(i).input_value() for i in range(3)] == ["۶", "", "۴"]
    assert total.inner_text() == "۱۰" and "over" not in (total.get_attribute("class") or "")
    fits_and_big_enough(page, fields)
    shot(page, f"budget-points-fa-voted-{'js' if javascript else 'no-js'}")
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_a_voter_ranks_projects_on_a_small_phone_in_dari(browser, server, javascript):
    url, made = server
    context, page = phone(browser, javascript)
    page.goto(f"{url}/b/{made['ordinal']}")
    fields = page.locator("form.ballot select[name^='rank:']")
    assert fields.count() == 3
    fits_and_big_enough(page, fields)
    translated(page)
    page.get_by_label(PROJECTS[0][0]).select_option(label="رتبهٔ ۱")
    page.get_by_label(PROJECTS[1][0]).select_option(label="رتبهٔ ۱")  # a rank given twice
    page.locator("form.ballot button").click()
    page.wait_for_selector("p.error")
    assert "دو پروژه رتبهٔ ۱ دارند" in page.locator("p.error").inner_text()
    assert [fields.nth(i).input_value() for i in range(3)] == ["1", "1", ""]
    shot(page, f"budget-ranks-fa-refused-{'js' if javascript else 'no-js'}")
    page.get_by_label(PROJECTS[0][0]).select_option(label="بدون رتبه")
    page.get_by_label(PROJECTS[2][0]).select_option(label="رتبهٔ ۲")
    page.locator("form.ballot button").click()
    page.wait_for_url(re.compile(r"notice=voted"))
    assert [fields.nth(i).input_value() for i in range(3)] == ["", "1", "2"]
    fits_and_big_enough(page, fields)
    shot(page, f"budget-ranks-fa-voted-{'js' if javascript else 'no-js'}")
    context.close()
