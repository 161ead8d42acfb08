"""What fits in an SMS (GSM 7-bit or UCS-2, single or concatenated, split at word boundaries), what a
phone's text means (digits in three forms, stop and language words), and Kannel's requests read into
messages (the query's bytes, UTF-16BE for UCS-2, ``+`` in numbers) and replies marked UCS-2."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from babel.support import NullTranslations

from concord.service.sms.dialogue import Card, Note, Page, Question, Reply, Say
from concord.service.sms.words import Said, language_of, read
from concord.sms.gateway import GatewayError
from concord.sms.kannel import KannelGateway, service_group
from concord.sms.messages import fits, is_gsm, longest_fitting, parts, split, units
from concord.sms.texts import reply_text
from concord.web.i18n import translations

# --- sizes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gsm", "count", "messages"),
    [
        ("a" * 160, True, 160, 1),
        ("a" * 161, True, 161, 2),  # 153 + 8
        ("a" * 306, True, 306, 2),
        ("a" * 307, True, 307, 3),
        ("€" * 80, True, 160, 1),  # the extension table: two septets each
        ("€" * 81, True, 162, 2),
        ("ç" * 10, False, 10, 1),  # not in the GSM alphabet (Ç is): UCS-2
        ("س" * 70, False, 70, 1),
        ("س" * 71, False, 71, 2),  # 67 + 4
        ("س" * 134, False, 134, 2),
        ("س" * 135, False, 135, 3),
        ("😀" * 35, False, 70, 1),  # a surrogate pair: two UCS-2 units
        ("a" * 159 + "…", False, 160, 3),  # one ellipsis makes it all UCS-2
    ],
)
def test_sizes_of_gsm_and_ucs2_texts(text, gsm, count, messages):
    assert is_gsm(text) is gsm
    assert units(text) == count
    assert parts(text) == messages
    assert len(split(text)) == messages


@pytest.mark.parametrize("word", ["water", "اوبه", "€uro"])
def test_a_long_text_is_split_at_word_boundaries_into_parts_that_fit(word):
    text = " ".join([word] * 90)
    pieces = split(text)
    assert "".join(pieces) == text
    part = 153 if is_gsm(text) else 67
    assert all(units(piece) <= part for piece in pieces)
    assert all(piece.endswith(" ") for piece in pieces[:-1])  # no word cut
    assert len(pieces) > 3 and not fits(text)


def test_a_word_longer_than_a_part_is_cut_inside_but_never_inside_an_extension_character():
    text = "x" + "€" * 200
    pieces = split(text)
    assert "".join(pieces) == text
    assert all(units(piece) <= 153 for piece in pieces)


def test_the_longest_beginning_that_fits_is_cut_at_a_word_with_a_mark():
    text = " ".join(f"word{n}" for n in range(200))
    shown, cut = longest_fitting(text, lambda beginning, was_cut: f"#7 {beginning}" + ("\nmore" if was_cut else ""))
    assert cut and shown.endswith("...") and fits(f"#7 {shown}\nmore")
    assert text.startswith(shown.removesuffix("...")) and text[len(shown) - 3] == " "
    # one word more would not fit
    words = len(shown.removesuffix("...").split(" "))
    longer = " ".join(text.split(" ")[: words + 1]) + "..."
    assert not fits(f"#7 {longer}\nmore")
    assert longest_fitting("short", lambda beginning, was_cut: beginning) == ("short", False)


# --- what a text means ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("1", Said("number", 1)),
        ("١", Said("number", 1)),  # Arabic-Indic
        ("۲", Said("number", 2)),  # Persian
        (" 3. ", Said("number", 3)),
        ("۹", Said("number", 9)),
        ("١٢", Said("number", 12)),
        ("STOP", Said("stop")),
        ("Stop!", Said("stop")),
        ("0", Said("stop")),
        ("٠", Said("stop")),
        ("۰", Said("stop")),
        ("توقف", Said("stop")),
        ("بس", Said("stop")),
        ("ودروه", Said("stop")),
        ("دری", Said("language", "fa-AF")),
        ("پښتو", Said("language", "ps")),
        ("EN", Said("language", "en")),
        ("#12", Said("fetch", 12)),
        ("#۱۲-۳", Said("fetch", 12, 3)),
        ("+۲", Said("options", page=2)),
        ("Wells first", Said("text", "Wells first")),
        ("1 and 2", Said("text", "1 and 2")),
    ],
)
def test_what_a_text_means(text, said):
    assert read(text) == said


@pytest.mark.parametrize(
    ("text", "conversation", "language"),
    [
        ("hello", "fa-AF", "en"),
        ("سلام", "en", "fa-AF"),  # Arabic script, no Pashto letters: Dari
        ("سلام", "ps", "ps"),  # … unless the conversation is in Pashto
        ("ښه ورځ", "fa-AF", "ps"),  # Pashto's own letters
        ("پښتو", "en", "ps"),
        ("دری", "ps", "fa-AF"),
        ("EN", "ps", "en"),
        ("123", "fa-AF", "en"),
    ],
)
def test_a_phones_language_from_its_first_text(text, conversation, language):
    assert language_of(text, conversation) == language


# --- Kannel ---------------------------------------------------------------------------------------


def test_kannels_request_is_read_from_the_query_bytes():
    kannel = KannelGateway()
    utf16 = quote("آب پاک".encode("utf-16-be"))  # 00 20 for the space: NUL bytes in the query
    message = kannel.incoming(
        f"secret=s&from=%2B93700&to=2020&text={utf16}&coding=2&charset=UTF-16BE".encode(), {}, b""
    )
    assert (message.sender, message.receiver, message.text, message.secret) == ("+93700", "2020", "آب پاک", "s")
    plus = kannel.incoming(b"from=+93700&to=2020&text=two+words%2B&coding=0&charset=UTF-8", {}, b"")
    assert (plus.sender, plus.text, plus.secret) == ("+93700", "two words+", None)
    bare = kannel.incoming(f"from=1&to=2&text={utf16}&coding=2".encode(), {}, b"")  # no charset: coding says
    assert bare.text == "آب پاک"
    control = kannel.incoming(b"from=1&to=2&text=a%00b%0Ac&charset=UTF-8", {}, b"")
    assert control.text == "ab\nc"
    with pytest.raises(GatewayError):
        kannel.incoming(b"from=1&to=2&text=x&charset=NO-SUCH-CHARSET", {}, b"")
    with pytest.raises(GatewayError):
        kannel.incoming(b"from=1&text=x", {}, b"")


def test_replies_that_are_not_gsm_are_marked_ucs2():
    kannel = KannelGateway()
    assert kannel.reply("1 agree").headers == {}
    assert kannel.reply("۱ موافق").headers == {"X-Kannel-Coding": "2"}
    assert kannel.reply("").body == "" and kannel.reply("").status == 200


def test_the_service_group_names_kannels_escapes():
    group = service_group("https://concord.example.org/", "abc")
    assert 'get-url = "https://concord.example.org/sms/kannel?secret=abc&from=%p&to=%P&text=%a' in group


# --- replies in three languages ----------------------------------------------------------------------

REPLIES = [
    Reply("en", (Note(Say.WELCOME),), topic="Water", card=Card(3, "Wells first")),
    Reply("en", (Note(Say.SUBMITTED, 12),), card=Card(3, "Wells first")),
    Reply("en", (), question=Question("province", ("Herat", "Kabul"))),
    Reply("en", (Note(Say.STOPPED),)),
    Reply("en", (), page=Page(3, "Wells first", 1)),
]


@pytest.mark.parametrize("language", ["en", "fa-AF", "ps"])
@pytest.mark.parametrize("reply", REPLIES)
def test_every_reply_is_worded_in_the_phones_language_and_fits(language, reply):
    from dataclasses import replace

    worded = reply_text(replace(reply, language=language), translations)
    assert fits(worded)
    if language == "en":
        assert worded == reply_text(reply, lambda code: NullTranslations())
    else:
        assert not is_gsm(worded.replace("Wells first", "").replace("Water", "").replace("Herat", ""))
        assert not any(ch.isdigit() and ch.isascii() for ch in worded)  # Persian digits throughout


@pytest.mark.parametrize("say", list(Say))
@pytest.mark.parametrize("language", ["fa-AF", "ps"])
def test_dari_and_pashto_texts_fit_one_message_each(say, language):
    worded = reply_text(Reply(language, (Note(say, 123),), topic="آب"), translations)
    assert units(worded) <= 70, worded
