"""People's texts around a translation (issue 26): the translate page's breadcrumb names the
conversation by its topic as the reader reads it, not in the language it was written in."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from page_helpers import ESCAPED, page, page_fixtures, post

database_url, site = page_fixtures()

PASHTO_TOPIC = "اوبه: لومړی څاګانې"


def breadcrumb(html: str) -> str:
    """The breadcrumb's last link: to the conversation, named by its topic."""
    trail = re.search(r'<nav aria-label="[^"]+" class="trail">(.*?)</nav>', html, re.S).group(1)
    return re.findall(r"<a [^>]*>.*?</a>", trail)[-1]


def test_the_translate_pages_breadcrumb_shows_the_topic_in_the_readers_language(site):
    reader = TestClient(site.app)
    before = breadcrumb(page(reader.get(f"/c/{site.conversation}/translate/description?lang=ps")))
    assert ESCAPED in before and 'lang="en"' in before  # the topic as written, until it is translated
    post(site.admin, f"/c/{site.conversation}/translate/topic", language="ps", text=PASHTO_TOPIC)
    for what in ("description", "topic", str(site.wells)):
        pashto = breadcrumb(page(reader.get(f"/c/{site.conversation}/translate/{what}?lang=ps")))
        assert PASHTO_TOPIC in pashto and 'lang="ps"' in pashto and ESCAPED not in pashto
    english = breadcrumb(page(reader.get(f"/c/{site.conversation}/translate/description?lang=en")))
    assert ESCAPED in english and PASHTO_TOPIC not in english
