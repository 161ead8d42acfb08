"""Taking part by SMS through Kannel's callback, in-process: a phone joins with its first text, answers
statements by number (Latin, Arabic-Indic or Persian digits), writes a statement after confirming it,
stops and comes back, in English, Dari or Pashto; the gateway's secret is required; the phone's number
is stored nowhere (database file, export, logs); floods are not answered and store nothing."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import func, select

from api_helpers import ok, snapshot
from concord.service.secrets import instance_secret
from concord.service.sms.numbers import SMS_GATEWAY_SECRET
from concord.store.models import LogEntry, Participant, SmsPhone, Statement, Vote, VoteEvent

# The dialogue runs on both databases (the phone's row is locked on PostgreSQL); the rest on SQLite.
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NUMBER = "2020"
PHONE = "+93700123456"
OTHER = "+93799000111"


def secret_of(app) -> str:
    with app.state.concord.sessions() as session:
        return instance_secret(session, SMS_GATEWAY_SECRET)


def connect(app, conversation: str, number: str = NUMBER) -> None:
    from concord.service.sms.numbers import connect as connect_number

    connect_number(app.state.concord, conversation, number)


def text(client, phone: str, message: str, *, secret: str | None = "", number: str = NUMBER, **extra):
    """What Kannel's get-url sends for one incoming SMS (the escapes of ``concord sms kannel-config``)."""
    fields = {"from": phone, "to": number, "text": message, "coding": "0", "charset": "UTF-8", **extra}
    if secret is not None:
        fields = {"secret": secret or secret_of(client.app), **fields}
    return client.get(f"/sms/kannel?{urlencode(fields)}")


def count(app, model, *where) -> int:
    with app.state.concord.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def stored(app) -> tuple:
    """What a refused text must leave as it was: the API helpers' snapshot and the phones' rows."""
    with app.state.concord.sessions() as session:
        columns = (
            SmsPhone.phone_hash,
            SmsPhone.stopped,
            SmsPhone.statement_number,
            SmsPhone.draft,
            SmsPhone.updated_ms,
        )
        return snapshot(app), session.execute(select(*columns).order_by(SmsPhone.id)).all()


@pytest.fixture
def sms(site):
    connect(site.app, site.conversation)
    return site


def test_first_text_joins_and_brings_the_first_statement_then_answers_bring_the_next(sms):
    client = sms.admin
    first = text(client, PHONE, "hello")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/plain")
    assert "X-Kannel-Coding" not in first.headers  # English: GSM text
    body = first.text
    assert body.startswith("Welcome: How should the district spend its budget?")
    assert "1 agree, 2 disagree, 3 pass, 0 stop" in body
    assert count(sms.app, Participant) == 1 and count(sms.app, SmsPhone) == 1
    shown = []
    for answer in ["1", "٢", "۳"]:  # Latin, Arabic-Indic, Persian digits
        number = int(body.split("#")[1].split(" ")[0])
        shown.append(number)
        body = ok_text(text(client, PHONE, answer))
    with sms.app.state.concord.sessions() as session:
        votes = dict(session.execute(select(Statement.number, Vote.value).join(Vote)).all())
        logged = session.scalar(select(func.count()).select_from(LogEntry).where(LogEntry.type == "vote"))
    assert votes == {shown[0]: 1, shown[1]: -1, shown[2]: 0}
    assert logged == 3  # each vote is an entry of the conversation's log
    assert len(set(shown)) == 3
    assert f"#{shown[2]}" not in body
    body = ok_text(text(client, PHONE, "1"))
    assert "You answered every statement" in body
    # The vote is the conversation's like any other: the API counts it.
    assert count(sms.app, VoteEvent) == 4


def ok_text(response) -> str:
    assert response.status_code == 200, response.text
    return response.text


def test_a_text_that_is_no_answer_becomes_a_statement_after_9(sms):
    client = sms.admin
    ok_text(text(client, PHONE, "hi"))
    asked = ok_text(text(client, PHONE, "Wells should be dug before roads"))
    assert "Send 9 to submit your text as a statement." == asked
    done = ok_text(text(client, PHONE, "9"))
    written_number = sms.seeds[-1] + 1  # after the four seeds
    assert f"Thank you: your statement is #{written_number}." in done  # post-moderation: shown at once
    with sms.app.state.concord.sessions() as session:
        written = session.scalar(select(Statement).where(Statement.number == written_number))
        assert written.text == "Wells should be dug before roads" and written.author_id is not None
    # Nothing waits after it: a second 9 is no answer.
    assert "Please answer with a number." in ok_text(text(client, PHONE, "9"))


@SQLITE
def test_in_pre_moderation_the_statement_waits_for_a_moderator(site):
    conversation = site.new_conversation(moderation="pre")
    site.seed(conversation, "A first statement to answer")
    connect(site.app, conversation, "3030")
    client = site.admin
    ok_text(text(client, PHONE, "hi", number="3030"))
    ok_text(text(client, PHONE, "Clinics in every district", number="3030"))
    done = ok_text(text(client, PHONE, "۹", number="3030"))
    assert "Thank you: statement #2 waits for a moderator." in done  # after the seed, #1
    with site.app.state.concord.sessions() as session:
        assert (
            session.scalar(select(Statement.status).where(Statement.text == "Clinics in every district")) == "pending"
        )


@SQLITE
@pytest.mark.parametrize("stop", ["STOP", "0", "۰", "توقف", "ودروه"])
def test_stop_ends_it_and_writing_again_comes_back(sms, stop):
    client = sms.admin
    ok_text(text(client, PHONE, "hi"))
    left = ok_text(text(client, PHONE, stop))
    assert left == "You left. We will not text you. Write any time to come back."  # the phone's language
    with sms.app.state.concord.sessions() as session:
        assert session.scalar(select(SmsPhone.stopped)) is True
    votes = count(sms.app, VoteEvent)
    back = ok_text(text(client, PHONE, "1"))  # not taken as a vote: it brings the phone back
    assert count(sms.app, VoteEvent) == votes
    assert "Welcome back." in back and "1 agree, 2 disagree, 3 pass, 0 stop" in back
    assert count(sms.app, Participant) == 1  # the same participant


@SQLITE
def test_a_first_text_that_stops_joins_nothing_but_is_kept_so_the_phone_is_not_invited(sms):
    """Answering an invitation with 0: the phone is no participant, and stays off the invitations."""
    client = sms.admin
    assert ok_text(text(client, PHONE, "0")) == "You left. We will not text you. Write any time to come back."
    assert count(sms.app, Participant) == 0
    with sms.app.state.concord.sessions() as session:
        assert session.execute(select(SmsPhone.stopped, SmsPhone.participant_id)).all() == [(True, None)]
    assert ok_text(text(client, PHONE, "STOP")).startswith("You left.")
    joined = ok_text(text(client, PHONE, "سلام"))
    assert joined.startswith("خوش آمدید") and count(sms.app, Participant) == 1 and count(sms.app, SmsPhone) == 1


@SQLITE
def test_a_dari_phone_gets_dari_in_ucs2_and_statements_in_dari_where_translated(sms):
    client = sms.admin
    for number in sms.seeds:
        ok(
            client.post(
                f"/api/conversations/{sms.conversation}/translations",
                json={"subject": "statement", "statement": number, "language": "fa-AF", "text": f"نظر شماره {number}"},
                headers=sms.headers,
            ),
            201,
        )
    joined = text(client, PHONE, "سلام")
    assert joined.status_code == 200
    assert joined.headers["X-Kannel-Coding"] == "2"
    assert joined.text.startswith("خوش آمدید")
    assert "نظر شماره" in joined.text
    assert "۱ موافق، ۲ مخالف، ۳ بگذر، ۰ توقف" in joined.text
    assert "#۱" in joined.text or "#۲" in joined.text or "#۳" in joined.text or "#۴" in joined.text
    # A keyword changes the language: the same statement again, in English.
    english = ok_text(text(client, PHONE, "EN"))
    assert "1 agree, 2 disagree, 3 pass, 0 stop" in english
    pashto = text(client, PHONE, "پښتو")
    assert pashto.headers["X-Kannel-Coding"] == "2" and "۱ موافق، ۲ مخالف، ۳ تېر، ۰ ودروه" in pashto.text


@SQLITE
def test_a_pashto_first_text_gets_pashto(sms):
    joined = text(sms.admin, PHONE, "ښه ورځ")
    assert joined.text.startswith("ښه راغلاست") and joined.headers["X-Kannel-Coding"] == "2"


@SQLITE
def test_a_ucs2_message_arrives_as_utf16_bytes_and_is_decoded(sms):
    """Kannel hands a UCS-2 message over as UTF-16BE bytes, URL-encoded, with charset=UTF-16BE."""
    client = sms.admin
    raw = "سلام".encode("utf-16-be")
    query = f"secret={secret_of(sms.app)}&from={quote(PHONE)}&to={NUMBER}&text={quote(raw)}&coding=2&charset=UTF-16BE"
    joined = client.get(f"/sms/kannel?{query}")
    assert joined.status_code == 200 and joined.text.startswith("خوش آمدید")
    written = client.get(f"/sms/kannel?{query.replace(quote(raw), quote('آب پاک برای همه'.encode('utf-16-be')))}")
    assert written.status_code == 200
    ok_text(text(client, PHONE, "9"))
    with sms.app.state.concord.sessions() as session:
        assert session.scalar(select(Statement.text).where(Statement.author_id.is_not(None))) == "آب پاک برای همه"


@SQLITE
@pytest.mark.parametrize("secret", [None, "wrong", ""])
def test_without_the_gateways_secret_nothing_is_stored(sms, secret):
    ok_text(text(sms.admin, OTHER, "hi"))
    before = stored(sms.app)
    for phone, message in ((PHONE, "hello"), (OTHER, "1")):  # a new phone, a phone answering
        fields = {"from": phone, "to": NUMBER, "text": message}
        if secret is not None:
            fields["secret"] = secret
        refused = sms.admin.get(f"/sms/kannel?{urlencode(fields)}")
        assert refused.status_code == 403
        assert stored(sms.app) == before


@SQLITE
def test_a_request_without_a_message_is_refused_and_the_callback_is_no_part_of_the_api(sms):
    assert sms.admin.get(f"/sms/kannel?secret={secret_of(sms.app)}&from=1").status_code == 400
    assert text(sms.admin, PHONE, "hi", number="AWCC").status_code == 422
    assert not [path for path in ok(sms.admin.get("/openapi.json"))["paths"] if "sms" in path]


@SQLITE
def test_a_number_connected_to_nothing_says_so(sms):
    answer = ok_text(text(sms.admin, PHONE, "hello", number="9999"))
    assert answer == "This number takes part in no conversation now."
    assert count(sms.app, Participant) == 0


@SQLITE
def test_the_phone_number_is_stored_nowhere_nor_exported_nor_logged(sms, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    client = sms.admin
    for message in ["hi", "1", "2", "Water first, then roads", "9", "STOP", "hello"]:
        ok_text(text(client, PHONE, message))
    database = tmp_path / "concord.db"
    sms.app.state.concord.close()  # checkpoint the WAL into the file
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("concord.db*"))
    assert database.exists() and b"sms_phones" in stored
    # What the server logged (the test's own HTTP client logs the URLs it requests: not the server's).
    logged = "\n".join(record.getMessage() for record in caplog.records if not record.name.startswith("httpx"))
    for spelling in (PHONE, PHONE.lstrip("+"), "700123456"):
        assert spelling.encode() not in stored
        assert spelling.encode("utf-16-le") not in stored
        assert spelling not in logged


@SQLITE
def test_an_export_carries_no_phone_number(sms):
    client = sms.admin
    for message in ["hi", "1", "Water first", "9"]:
        ok_text(text(client, PHONE, message))
    exported = client.get(f"/api/conversations/{sms.conversation}/export")
    assert exported.status_code == 200
    assert b"700123456" not in exported.content


@SQLITE
def test_a_flood_from_one_phone_is_not_answered_and_stores_nothing(make_app, site):
    """Ten texts at once from a phone, then ten a minute: the rest get an empty answer (smsbox sends
    nothing back, ``omit-empty``) and change nothing."""
    from fastapi.testclient import TestClient

    flooded = make_app(rate_limits=True)  # the site's database, with its rate limits on
    with TestClient(flooded) as client:
        connect(flooded, site.conversation, "4040")
        answers = [text(client, PHONE, message, number="4040") for message in ["hi", "1", "2", "3"] * 3]
        assert all(answer.status_code == 200 for answer in answers)
        assert [bool(answer.text) for answer in answers] == [True] * 10 + [False] * 2
        assert all("Retry-After" in answer.headers for answer in answers[10:])
        before = stored(flooded)
        assert text(client, PHONE, "1", number="4040").text == ""
        assert stored(flooded) == before
        # another phone is not held back by the first one's flood
        assert text(client, OTHER, "hi", number="4040").text.startswith("Welcome")


@SQLITE
def test_declared_questions_come_after_joining_and_before_the_first_statement(site):
    conversation = site.new_conversation(attributes=[{"name": "province", "options": ["Herat", "Kabul"]}])
    site.seed(conversation, "Wells before roads")
    connect(site.app, conversation, "5050")
    client = site.admin
    asked = ok_text(text(client, PHONE, "hi", number="5050"))
    assert asked == "Welcome: How should the district spend its budget?\nprovince?\n1 Herat, 2 Kabul"
    again = ok_text(text(client, PHONE, "3", number="5050"))
    assert again.startswith("Please answer with one of the numbers.\nprovince?")
    card = ok_text(text(client, PHONE, "۲", number="5050"))
    assert card.startswith("#1 Wells before roads")  # a new conversation numbers its statements from 1
    with site.app.state.concord.sessions() as session:
        assert session.scalar(select(Participant.attributes)) == {"province": "Kabul"}
    assert count(site.app, VoteEvent) == 0  # answering the question was no vote


PROVINCES = [
    "بدخشان", "بادغیس", "بغلان", "بلخ", "بامیان", "دایکندی", "فراه", "فاریاب", "غزنی", "غور", "هلمند", "هرات",
    "جوزجان", "کابل", "کندهار", "کاپیسا", "خوست", "کنر", "کندز", "لغمان", "لوگر", "ننگرهار", "نیمروز", "نورستان",
    "ارزگان", "پکتیا", "پکتیکا", "پنجشیر", "پروان", "سمنگان", "سرپل", "تخار", "وردک", "زابل",
]  # fmt: skip


@SQLITE
def test_a_question_with_more_options_than_a_reply_holds_comes_a_page_at_a_time(site):
    from concord.sms.messages import fits

    conversation = site.new_conversation(language="fa-AF", attributes=[{"name": "ولایت", "options": PROVINCES}])
    site.seed(conversation, "چاه‌ها پیش از سرک‌ها")
    connect(site.app, conversation, "5151")
    client = site.admin
    seen, page = [], ok_text(text(client, PHONE, "سلام", number="5151"))
    while True:
        assert fits(page) and "ولایت؟" in page
        body, _, more = page.partition("\nبیشتر: ")
        seen += [option.split(" ", 1)[1] for option in body.split("\n")[-1].split("، ")]
        if not more:
            break
        page = ok_text(text(client, PHONE, more, number="5151"))  # "+۲", as the phone sends it back
    assert seen == PROVINCES
    assert ok_text(text(client, PHONE, "۱۴", number="5151")).startswith("#۱ چاه‌ها")
    with site.app.state.concord.sessions() as session:
        assert session.scalar(select(Participant.attributes)) == {"ولایت": "کابل"}


@SQLITE
def test_a_long_statement_is_cut_with_its_number_and_fetched_whole_a_page_at_a_time(site):
    from concord.sms.messages import fits

    conversation = site.new_conversation(max_statement_length=1000)
    sentence = "Every village should have a well with clean water that the village council maintains itself. "
    long = (sentence * 10).strip()
    site.seed(conversation, long)
    connect(site.app, conversation, "6060")
    client = site.admin
    card = ok_text(text(client, PHONE, "hi", number="6060"))
    assert fits(card) and "#1 Every village" in card and "...\nSend #1 for all of it.\n1 agree" in card
    pages, fetch = [], "#1"
    while fetch:
        page = ok_text(text(client, PHONE, fetch, number="6060"))
        assert fits(page)
        body, _, following = page.partition("\nNext: ")
        pages.append(body.split(" ", 2)[2] if body.startswith("#1 (") else body.removeprefix("#1 "))
        fetch = following
    assert len(pages) >= 2
    assert " ".join(part.removesuffix("...") for part in pages) == long
    # Dari: the same, in UCS-2, with Persian digits the phone sends back.
    text(client, PHONE, "دری", number="6060")
    dari = text(client, PHONE, "#۱", number="6060")
    assert dari.headers["X-Kannel-Coding"] == "2" and "بعدی: #۱-۲" in dari.text and fits(dari.text)
    second = text(client, PHONE, "#۱-۲", number="6060")
    assert second.text.startswith("#۱ (۲) ")


@SQLITE
def test_an_invitation_conversation_takes_a_phone_whose_first_text_is_its_code(site):
    conversation = site.new_conversation(access="invite")
    site.seed(conversation, "Wells before roads")
    [issued] = ok(site.admin.post(f"/api/conversations/{conversation}/invitations", json={}, headers=site.headers), 201)
    connect(site.app, conversation, "7070")
    client = site.admin
    assert ok_text(text(client, PHONE, "hello", number="7070")) == "Send your invitation code to join."
    assert count(site.app, Participant) == 0 and count(site.app, SmsPhone) == 0
    joined = ok_text(text(client, PHONE, issued["code"].lower(), number="7070"))
    assert joined.startswith("Welcome") and "#1 Wells before roads" in joined
    assert ok_text(text(client, OTHER, issued["code"], number="7070")) == "Send your invitation code to join."


@SQLITE
def test_a_closed_conversation_says_so_and_takes_nothing(sms):
    client = sms.admin
    ok_text(text(client, PHONE, "hi"))
    ok(client.post(f"/api/conversations/{sms.conversation}/close", headers=sms.headers))
    votes = count(sms.app, VoteEvent)
    assert ok_text(text(client, PHONE, "1")) == "This conversation is closed. Thank you."
    assert ok_text(text(client, OTHER, "hi")) == "This conversation is closed. Thank you."
    assert count(sms.app, VoteEvent) == votes and count(sms.app, SmsPhone) == 1


@SQLITE
def test_a_flood_to_one_number_is_not_answered(make_app, site, monkeypatch):
    from dataclasses import replace

    from concord.service.sms import dialogue

    monkeypatch.setattr(dialogue, "SMS_NUMBERS", replace(dialogue.SMS_NUMBERS, burst=3, per_second=0.01))
    flooded = make_app(rate_limits=True)
    from fastapi.testclient import TestClient

    with TestClient(flooded) as client:
        connect(flooded, site.conversation, "4040")
        answers = [text(client, f"+9370000000{n}", "hi", number="4040").text for n in range(5)]
    assert [bool(answer) for answer in answers] == [True, True, True, False, False]
    assert count(flooded, SmsPhone) == 3


@SQLITE
@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", ["By SMS:", "2020", "1 phone takes part", "1 statement by SMS waits", "by SMS"]),
        (
            "fa-AF",
            ["از راه پیام کوتاه:", "2020", "۱ تلفن شرکت دارد", "۱ نظر از راه پیام کوتاه منتظر است", "با پیام کوتاه"],
        ),
        (
            "ps",
            [
                "د لنډ پیغام له لارې:",
                "2020",
                "۱ تلیفون ګډون کوي",
                "۱ نظر د لنډ پیغام له لارې انتظار باسي",
                "په لنډ پیغام",
            ],
        ),
    ],
)
def test_the_moderators_page_shows_the_number_the_phones_and_the_statements_by_sms(site, lang, said):
    conversation = site.new_conversation(moderation="pre")
    connect(site.app, conversation, "2020")
    client = site.admin
    before = client.get(f"/c/{conversation}/moderate?lang={lang}")
    assert before.status_code == 200 and said[0] in before.text and said[1] in before.text
    ok_text(text(client, PHONE, "hi"))
    ok_text(text(client, PHONE, "Clinics in every district"))
    ok_text(text(client, PHONE, "9"))
    ok(site.person(conversation).write("Written on the web"), 201)  # waits too, not by SMS
    page = client.get(f"/c/{conversation}/moderate?lang={lang}").text
    for words in said:
        assert words in page, words
    assert page.count(f'<span class="badge">{said[4]}</span>') == 1  # the web's statement is not marked
    assert "Written on the web" in page
    assert PHONE not in page and PHONE.lstrip("+") not in page
    # A conversation never connected shows nothing of SMS.
    assert said[0] not in client.get(f"/c/{site.conversation}/moderate?lang={lang}").text


def test_a_phones_first_texts_sent_at_once_join_it_once_and_both_are_answered(sms):
    """Two texts of a new phone racing each other: whichever joins it, the other is read as the text
    of a phone taking part (one phone is one participant), and neither gets an error."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from fastapi.testclient import TestClient

    secret, start = secret_of(sms.app), Barrier(2)
    before = count(sms.app, Participant)
    for attempt in range(3):
        phone = f"+9370012{attempt:04d}"

        def first_text(message: str, phone: str = phone):
            client = TestClient(sms.app)
            start.wait()
            return text(client, phone, message, secret=secret)

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(first_text, ["hello", "salaam"]))
        assert [answer.status_code for answer in answers] == [200, 200], [answer.text for answer in answers]
    assert count(sms.app, Participant) == before + 3
