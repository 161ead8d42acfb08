"""A participant's pages in a real browser (issue 26), in English, Dari and Pashto: no text is drawn over
another, at 360 and 1280 px, and every control they use is a target of at least 24 × 24 CSS px or has
that much room around it (WCAG 2.2, 2.5.8 Target Size), at 360 px. Screenshots go to
test-results/screenshots/participant-*.png."""

from __future__ import annotations

import pytest

from live_server import running
from test_browser import SCREENSHOTS

playwright_api = pytest.importorskip("playwright.sync_api")

ADMIN = ("facilitator", "a long enough password")
LANGUAGES = [("en-US", "en"), ("fa-AF", "fa-AF"), ("ps-AF", "ps")]
TARGET = 24  # CSS px

# Every piece of text on the page as the boxes its lines are drawn in (one per line of each text node),
# skipping what is not drawn and the opinion map's labels (item of their own: the map draws on purpose).
TEXT_BOXES = """() => {
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(), n = 0; node; node = walker.nextNode(), n++) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || parent.closest('svg, .visually-hidden, .skip, option')) continue;
    if (!parent.checkVisibility({visibilityProperty: true})) continue;  // in a closed <details>, hidden
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width > 1 && r.height > 1) boxes.push({node: n, text: node.textContent.trim().slice(0, 40),
        x: r.left, y: r.top + window.scrollY, w: r.width, h: r.height});
    }
  }
  return boxes;
}"""

CONTROLS = """() => [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary')]
  .filter(e => e.checkVisibility({visibilityProperty: true}) && !e.closest('.skip'))
  .map(e => { const r = e.getBoundingClientRect();
    return {text: (e.textContent || e.name || '').trim().slice(0, 30), x: r.left, y: r.top + window.scrollY,
            w: r.width, h: r.height}; })"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server with the demo (a real conversation, with results) and an English conversation with a
    description, where a participant has voted."""
    from concord.service import spaces
    from concord.service.accounts import moderators as accounts
    from concord.service.conversations import lifecycle as conversations
    from concord.service.conversations import statements
    from concord.service.demo import ensure_demo
    from concord.web.app import create_app

    app = create_app(f"sqlite:///{tmp_path_factory.mktemp('participant') / 'concord.db'}", debounce=0.2)
    live = app.state.concord
    demo_id = ensure_demo(live.sessions)
    live.live.analyse_now(demo_id)
    with live.sessions.begin() as session:
        admin = accounts.create_user(session, ADMIN[0], ADMIN[1], is_admin=True)
        space = spaces.create_space(session, admin, parent_path=None, slug="kabul", name="Kabul")
        water = conversations.create_conversation(
            session,
            admin,
            space,
            conversations.ConversationSettings(
                topic="How should our district share its water?",
                description="Wells, canals and who waits: say what matters to you.",
                participants_can_write=True,
            ),
        )
        for text in ("Wells should be dug near schools first", "Canal repairs before new wells"):
            statements.add_statement(session, water, text, moderator=admin)
        demo = session.get(conversations.Conversation, demo_id)
        ids = {"demo": demo.public_id, "water": water.public_id}
    with running(app) as url:
        yield {"url": url, **ids}


def overlaps(a: dict, b: dict, slack: float = 2.0) -> bool:
    """Two boxes drawn one over the other (beyond ``slack`` px: the ascenders and descenders of
    consecutive lines may touch)."""
    return (
        min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"]) > slack
        and min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"]) > slack
    )


def too_small(controls: list[dict]) -> list[str]:
    """WCAG 2.2's 2.5.8: a target under 24 × 24 px passes only if a 24 px circle on its centre meets no
    other target, nor another small target's circle."""
    found = []
    for i, c in enumerate(controls):
        if c["w"] >= TARGET - 0.5 and c["h"] >= TARGET - 0.5:
            continue
        cx, cy = c["x"] + c["w"] / 2, c["y"] + c["h"] / 2
        for j, other in enumerate(controls):
            if i == j:
                continue
            nearest_x = min(max(cx, other["x"]), other["x"] + other["w"])
            nearest_y = min(max(cy, other["y"]), other["y"] + other["h"])
            if (nearest_x - cx) ** 2 + (nearest_y - cy) ** 2 < (TARGET / 2) ** 2:
                found.append(f"{c['text']!r} {c['w']:.0f}×{c['h']:.0f} beside {other['text']!r}")
                break
    return found


def participant_pages(browser, site, locale: str, width: int = 360):
    """A participant who has voted once, on a screen ``width`` px wide; yields (name, page) on each page
    they use."""
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 640 if width < 800 else 800})
    page = context.new_page()
    page.goto(f"{site['url']}/c/{site['water']}")
    page.locator("#vote button.agree").click()
    page.wait_for_selector(".last-vote:not([hidden])")
    for name, path in (
        ("conversation", f"/c/{site['water']}"),
        ("results", f"/c/{site['water']}/results"),
        ("receipts", f"/c/{site['water']}/receipts"),
        ("demo-conversation", f"/c/{site['demo']}"),
        ("demo-results", f"/c/{site['demo']}/results"),
    ):
        page.goto(site["url"] + path)
        yield name, page
    context.close()


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize(("locale", "tag"), LANGUAGES)
def test_no_text_is_drawn_over_other_text(browser, site, locale, tag, width):
    for name, page in participant_pages(browser, site, locale, width):
        assert page.evaluate("document.documentElement.lang") == tag
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"participant-{name}-{tag}-{width}.png"), full_page=True)
        boxes = page.evaluate(TEXT_BOXES)
        drawn_over = [
            (a["text"], b["text"])
            for i, a in enumerate(boxes)
            for b in boxes[i + 1 :]
            if a["node"] != b["node"] and overlaps(a, b)
        ]
        assert not drawn_over, (name, tag, width, drawn_over[:5])


@pytest.mark.parametrize(("locale", "tag"), LANGUAGES)
def test_every_control_a_participant_uses_is_a_24_px_target_at_360_px(browser, site, locale, tag):
    for name, page in participant_pages(browser, site, locale):
        assert not too_small(page.evaluate(CONTROLS)), (name, tag, too_small(page.evaluate(CONTROLS)))


CAPTION = (
    "People who voted alike are close together; those who voted exactly alike share one dot, and the more "
    "people a dot stands for, the larger it is."
)


@pytest.mark.parametrize(("locale", "tag"), LANGUAGES)
def test_the_map_says_a_dots_size_is_how_many_people_it_stands_for(browser, site, locale, tag):
    from concord.web.i18n import find_language, translations

    page = browser.new_context(locale=locale, viewport={"width": 360, "height": 640}).new_page()
    page.goto(f"{site['url']}/c/{site['demo']}/results")
    caption = " ".join(page.locator(".map figcaption").inner_text().split())
    assert caption.startswith(translations(find_language(tag).code).gettext(CAPTION)), caption
    radii = {
        float(r) for r in page.locator("svg.opinion-map circle").evaluate_all("cs => cs.map(c => c.getAttribute('r'))")
    }
    assert len(radii) > 1  # the real conversation has people who voted exactly alike
    page.context.close()
