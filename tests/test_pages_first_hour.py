"""The first hour of a participant and of a facilitator, through the in-process client: what used to
confuse or lose people (issue 12), each tried as they would, in English, Dari and Pashto."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api_helpers import db_id
from conftest import log_in
from page_helpers import csrf, page, page_fixtures, post, redirected

database_url, site = page_fixtures()


def section(html: str, element_id: str) -> str:
    found = re.search(rf'<(section|div) [^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, element_id
    return found.group(2)


# --- participants -------------------------------------------------------------------------------


def test_the_home_page_lists_open_conversations(site):
    html = page(TestClient(site.app).get("/"))
    assert f'href="/c/{site.conversation}"' in html and "Take part now" in html
    post(site.admin, f"/c/{site.conversation}/state", open="false", confirmed="true")
    assert f'href="/c/{site.conversation}"' not in page(TestClient(site.app).get("/"))


def test_messages_are_drawn_where_the_person_acted(site):
    person = site.participant()
    html = page(person.get(f"/c/{site.conversation}"))
    number = re.search(r'name="statement" value="(\d+)"', html).group(1)
    back = redirected(post(person, f"/c/{site.conversation}/vote", statement=number, vote="agree"), "/c/")
    assert back.endswith("#vote") and "at=vote" in back
    after = page(person.get(back))
    assert "Your vote is counted." in section(after, "vote")
    assert "Your vote is counted." not in after.split('id="vote"')[0]

    post(person, f"/c/{site.conversation}/statements", text="Clinics in every district")
    again = redirected(post(person, f"/c/{site.conversation}/statements", text="clinics in EVERY district!"), "/c/")
    write = section(page(person.get(again)), "write")
    assert "This statement is already in the conversation" in write
    assert "clinics in EVERY district!</textarea>" in write  # the draft is kept, beside its message


def test_a_mis_tapped_vote_can_be_changed_from_the_card(site):
    person = site.participant()
    html = page(person.get(f"/c/{site.conversation}"))
    number = re.search(r'name="statement" value="(\d+)"', html).group(1)
    text = re.search(r'data-long="\d+">([^<]+)</p>', html).group(1)
    page(person.get(redirected(post(person, f"/c/{site.conversation}/vote", statement=number, vote="agree"), "/c/")))
    card = section(page(person.get(f"/c/{site.conversation}")), "vote")
    last = card.split('class="last-vote"')[1]
    assert "Your last vote:" in last and text in last and f'name="statement" value="{number}"' in last
    post(person, f"/c/{site.conversation}/vote", statement=number, vote="disagree")
    assert person.get(f"/api/conversations/{site.conversation}/me").json()["votes"] == {number: -1}


def test_the_results_page_says_what_the_reader_is_waiting_for(site):
    reader = site.participant()
    html = page(reader.get(f"/c/{site.conversation}/results"))
    assert "Vote on at least 2 statements" in html  # min(7, statements shown): 2 seed statements here
    number = re.search(r'name="statement" value="(\d+)"', page(reader.get(f"/c/{site.conversation}"))).group(1)
    post(reader, f"/c/{site.conversation}/vote", statement=number, vote="agree")
    html = page(reader.get(f"/c/{site.conversation}/results"))
    assert "you have voted on 1." in html and "Your latest votes are not in these results yet" in html
    site.app.state.concord.live.analyse_now(db_id(site.app, site.conversation))
    assert "Your latest votes are not in these results yet" not in page(reader.get(f"/c/{site.conversation}/results"))
    dari = page(reader.get(f"/c/{site.conversation}/results?lang=fa-AF"))
    assert "تا حالا به ۱ نظر رأی داده‌اید" in dari


def test_writers_see_their_statements_with_number_state_and_reason(site):
    writer = site.participant()
    post(writer, f"/c/{site.conversation}/statements", text="Night buses on Fridays")
    number = site.roads + 1  # after the two seeds
    mine = section(page(writer.get(f"/c/{site.conversation}")), "mine")
    assert f"#{number}" in mine and "Night buses on Fridays" in mine and "Waiting for a moderator." in mine
    post(site.admin, f"/c/{site.conversation}/moderation/{number}", status="rejected", reason="Off the topic of water")
    mine = section(page(writer.get(f"/c/{site.conversation}?lang=ps")), "mine")
    in_pashto_digits = str(number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert f"#{in_pashto_digits}" in mine and "څارونکي لرې کړ" in mine and "Off the topic of water" in mine
    log = page(TestClient(site.app).get(f"/c/{site.conversation}/log"))
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00">', log)


def test_a_long_description_is_folded_so_the_vote_card_shows(site):
    long = "Background. " * 60
    post(site.admin, f"/c/{site.conversation}/settings", topic="Water", description=long, access="link")
    html = page(site.participant().get(f"/c/{site.conversation}"))
    assert '<details class="description">' in html and html.index("<details") < html.index('id="vote"')


# --- languages and right-to-left ----------------------------------------------------------------


def test_refusals_are_translated_and_a_refused_form_keeps_what_was_typed(site):
    dari = site.admin
    dari.cookies.set("concord_lang", "fa_AF")
    refused = post(dari, "/spaces", slug="herat", name="هرات دوباره", description="توضیح نگه داشته شود")
    html = page(refused, 409)
    assert "فضای /herat از پیش وجود دارد" in html  # "the space /herat exists already", in Dari
    assert 'value="هرات دوباره"' in html and ">توضیح نگه داشته شود</textarea>" in html
    assert 'aria-invalid="true"' in html.split('name="slug"')[1].split(">")[0]

    made = post(dari, f"/spaces/{site.space_id}/conversations", topic="   ", description="شرح من", access="link")
    html = page(made, 422)
    assert "گفتگو به موضوعی ۱ تا ۳۰۰ نویسه‌ای نیاز دارد" in html and ">شرح من</textarea>" in html
    missing = page(TestClient(site.app).get("/c/no-such-one?lang=ps"), 404)
    assert "no-such-one" in missing and "خبرې اترې نشته" in missing


def test_answers_typed_with_any_scripts_commas_are_accepted(site):
    made = post(
        site.admin,
        f"/spaces/{site.space_id}/conversations",
        topic="ولایت",
        access="link",
        attribute_name=["ولایت", "جنسیت"],
        attribute_options=["هرات، کابل، بلخ", "زن\nمرد"],
    )
    public_id = re.match(r"/c/(\w+)/moderate", redirected(made, "/c/")).group(1)
    attributes = site.admin.get(f"/api/conversations/{public_id}").json()["attributes"]
    assert attributes == [
        {"name": "ولایت", "options": ["هرات", "کابل", "بلخ"]},
        {"name": "جنسیت", "options": ["زن", "مرد"]},
    ]
    # … and edited later, on the moderation page
    post(site.admin, f"/c/{public_id}/settings", topic="ولایت", access="link",
         attribute_name=["ولایت", "زبان"], attribute_options=["هرات، کابل", "دری، پښتو، ازبکی"])  # fmt: skip
    attributes = site.admin.get(f"/api/conversations/{public_id}").json()["attributes"]
    assert [a["name"] for a in attributes] == ["ولایت", "زبان"] and attributes[1]["options"][2] == "ازبکی"


def test_right_to_left_pages_use_separators_and_arrows_that_read_right(site):
    html = page(site.admin.get(f"/c/{site.conversation}/moderate?lang=fa-AF"))
    counts = html.split("<p>", 3)[3].split("</p>")[0]
    assert "·" not in counts and "، " in counts  # a middle dot beside ۰ reads as a zero
    assert " ← " in html and " › " not in html
    assert "#۱" in html and "#۲" in html  # statement numbers (the seeds are #1 and #2) in the page's digits
    css = TestClient(site.app).get("/static/concord.css").text
    assert ":lang(fa) ol, :lang(ps) ol { list-style-type: persian; }" in css
    assert " › " in page(site.admin.get(f"/c/{site.conversation}/moderate"))


def test_the_you_label_sits_beside_its_marker_in_right_to_left_pages():
    import numpy as np

    from concord.report.opinion_map import opinion_map_svg

    picture = opinion_map_svg(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 0]), highlight=0, you_label="شما")
    label = re.search(r"<text [^>]*>شما</text>", picture.svg).group(0)
    assert 'direction="ltr"' in label and 'text-anchor="start"' in label
    right = opinion_map_svg(np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 0]), highlight=1, you_label="You")
    assert 'text-anchor="end"' in right.svg  # near the right edge, on the marker's left


# --- facilitators -------------------------------------------------------------------------------


def test_codes_come_with_links_and_a_printable_sheet_and_the_link_fills_the_code(site):
    url = f"/c/{site.conversation}"
    post(site.admin, f"{url}/settings", topic="Water", access="invite")
    desk = page(post(site.admin, f"{url}/invitations", count="3"))
    links = re.findall(r'href="(http://testserver/c/\w+\?invite=([A-Z0-9]{10})&amp;lang=en)"', desk)
    assert len(links) == 3
    sheet = desk.split('<div class="sheet" ')[1]
    assert sheet.count('class="card-print"') == 3 and sheet.count("<svg") == 3  # a QR code per person
    link, code = links[0]
    newcomer = site.participant()
    join = page(newcomer.get(link.replace("http://testserver", "").replace("&amp;", "&")))
    assert f'name="invite_code" required autocomplete="off" dir="ltr" value="{code}"' in join


def test_closing_asks_first(site):
    url = f"/c/{site.conversation}"
    asked = page(post(site.admin, f"{url}/state", open="false"))
    assert "Yes, close it" in asked and site.admin.get(f"/api/conversations/{site.conversation}").json()["is_open"]
    redirected(post(site.admin, f"{url}/state", open="false", confirmed="true"), f"{url}/moderate")
    assert not site.admin.get(f"/api/conversations/{site.conversation}").json()["is_open"]


def test_after_login_a_moderator_sees_what_waits_across_their_spaces(site):
    writer = site.participant()
    post(writer, f"/c/{site.conversation}/statements", text="Clinics near the river")
    other = TestClient(site.app)
    log_in(other, "zarghuna", admin=False, spaces=("/herat",))
    browser = TestClient(site.app)
    token = csrf(browser)
    login = browser.post("/login", data={"username": "zarghuna", "password": "a long enough password",
                                         "next": "/", "csrf_token": token}, follow_redirects=False)  # fmt: skip
    assert redirected(login, "/moderation") == "/moderation"
    board = page(browser.get("/moderation"))
    assert "Clinics near the river" in board and f'href="/c/{site.conversation}/moderate#queue"' in board
    assert "1 statement waiting" in board
    outsider = TestClient(site.app)
    log_in(outsider, "elsewhere", admin=False)
    assert "Nothing is waiting" in page(outsider.get("/moderation"))
    assert redirected(TestClient(site.app).get("/moderation", follow_redirects=False), "/login")


def test_a_child_space_starts_in_its_parents_language(site):
    post(site.admin, "/spaces", slug="kabul", name="کابل", language="fa-AF")
    form = page(site.admin.get("/s/kabul")).split('action="/spaces"')[1]
    assert '<option value="fa-AF" lang="fa-AF" selected>' in form


def test_the_moderation_queue_has_a_refresh_link_and_refreshes_itself_with_javascript(site):
    desk = page(site.admin.get(f"/c/{site.conversation}/moderate"))
    queue = section(desk, "queue")
    assert f'href="/c/{site.conversation}/moderate#queue"' in queue and "Refresh the list" in queue
    assert 'data-pending=""' in desk
    script = TestClient(site.app).get("/static/concord.js").text
    assert "statuses=pending" not in script and "/statements?status=pending" in script


# --- slow networks ------------------------------------------------------------------------------


def test_pages_are_compressed_and_static_files_cached_under_versioned_names(site):
    client = TestClient(site.app)
    html = client.get(f"/c/{site.conversation}", headers={"Accept-Encoding": "gzip"})
    assert html.headers["content-encoding"] == "gzip"
    assert int(html.headers["content-length"]) < len(html.content) / 2  # httpx decompressed it
    css = re.search(r'href="(/static/concord\.[0-9a-f]{10}\.css)"', html.text).group(1)
    script = re.search(r'src="(/static/concord\.[0-9a-f]{10}\.js)"', html.text).group(1)
    for url in (css, script):
        served = client.get(url)
        assert served.status_code == 200 and served.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = client.get("/static/concord.css")
    assert plain.status_code == 200 and "must-revalidate" in plain.headers["cache-control"]
    assert client.get("/static/concord.0000000000.css").status_code == 404
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert 'rel="icon"' in html.text
