"""What a facilitator and a Dari or Pashto reader hit on a budget's pages and a roll-up's (issue 26), through
the in-process client, in English, Dari and Pashto: closing a budget asks first (no script needed), its
outcome is labelled provisional while voting is open, and money names its currency in the reader's
language, isolated so that a right-to-left sentence keeps its order (number, currency, then what follows
it); a roll-up weighed by population says so, shows each place's population, and a paper tally's note
beside it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from concord.web.i18n import translations
from page_helpers import page, page_fixtures, post, redirected

database_url, site = page_fixtures()

LANGUAGES = ("en", "fa_AF", "ps")
PROVISIONAL = "Voting is still open: this outcome is of the ballots cast so far and can change until voting closes."
LRI, RLI, PDI = "\u2066", "\u2067", "\u2069"
# How each reader reads 40,000 afghani (CLDR's name and pattern, the reader's digits), isolated in the
# page's direction, then the separator and two votes.
WELL = {
    "en": f"{LRI}40,000 AFN{PDI} · 2 votes",
    "fa_AF": f"{RLI}۴۰٬۰۰۰ افغانی افغانستان{PDI}، ۲ رأی",
    "ps": f"{RLI}۴۰٬۰۰۰ افغانۍ{PDI}، ۲ رایې",
}


def _(code: str, message: str) -> str:
    text = translations(code).gettext(message)
    assert code == "en" or text != message, f"{message!r} is not translated into {code}"
    return text


def make_budget(site) -> str:
    """A budget of 100,000 afghani with two projects, open for voting."""
    form = {"name": "Water", "amount": "100000", "currency": "AFN", "ballot_type": "approval", "language": "en",
            "access": "link"}  # fmt: skip
    budget = redirected(post(site.admin, f"/spaces/{site.space_id}/budgets", **form), "/b/").split("/")[2]
    for name, cost in (("Well", "40000"), ("School roof", "70000")):
        redirected(post(site.admin, f"/b/{budget}/projects", name=name, cost=cost), f"/b/{budget}/manage")
    return budget


def vote(site, budget: str, *ballots: list[str]) -> None:
    for chosen in ballots:
        redirected(post(TestClient(site.app), f"/b/{budget}/ballot", project=chosen), f"/b/{budget}")


def is_open(site, budget: str) -> bool:
    return site.admin.get(f"/api/budgets/{budget}").json()["state"] == "open"


@pytest.mark.parametrize("code", LANGUAGES)
def test_closing_a_budget_asks_first(site, code):
    budget = make_budget(site)
    vote(site, budget, ["1"])
    desk = page(site.admin.get(f"/b/{budget}/manage?lang={code}"))
    assert f'action="/b/{budget}/state"' in desk and 'name="confirmed"' not in desk  # the desk's button asks
    asked = page(post(site.admin, f"/b/{budget}/state?lang={code}", open="false"))
    assert _(code, "Close voting on this budget?") in asked and _(code, "Yes, close voting") in asked
    assert f'<a href="/b/{budget}/manage">{_(code, "No, keep voting open")}</a>' in asked
    assert 'name="confirmed" value="true"' in asked and is_open(site, budget)
    redirected(post(site.admin, f"/b/{budget}/state", open="false", confirmed="true"), f"/b/{budget}/manage")
    assert not is_open(site, budget)


def test_only_a_moderator_is_asked_to_close(site):
    budget = make_budget(site)
    assert post(TestClient(site.app), f"/b/{budget}/state", open="false").status_code == 401
    assert page(post(TestClient(site.app), "/b/no-such-budget/state", open="false"), 404)
    assert is_open(site, budget)


@pytest.mark.parametrize("code", LANGUAGES)
def test_the_outcome_is_provisional_while_voting_is_open(site, code):
    budget = make_budget(site)
    vote(site, budget, ["1"], ["1"])
    label = f'<span class="badge provisional">{_(code, "provisional")}</span>'
    note = _(code, PROVISIONAL)
    results = page(TestClient(site.app).get(f"/b/{budget}/results?lang={code}"))
    assert label in results.split("</h1>")[0] and note in results
    post(site.admin, f"/b/{budget}/state", open="false", confirmed="true")
    final = page(TestClient(site.app).get(f"/b/{budget}/results?lang={code}"))
    assert "provisional" not in final and note not in final


@pytest.mark.parametrize("code", LANGUAGES)
def test_money_names_its_currency_in_the_readers_language_and_keeps_the_sentences_order(site, code):
    budget = make_budget(site)
    vote(site, budget, ["1"], ["1"])
    results = page(TestClient(site.app).get(f"/b/{budget}/results?lang={code}"))
    funded = results[results.index('id="funded-heading"') : results.index('id="unfunded-heading"')]
    assert f"Well</span></strong>{'، ' if code != 'en' else ' · '}{WELL[code]}</p>" in funded
    ballot = page(TestClient(site.app).get(f"/b/{budget}?lang={code}"))
    if code != "en":  # no Latin code breaks a right-to-left page; the running total is isolated too
        assert "AFN" not in results and "AFN" not in ballot
        assert '<output class="running" dir="rtl"' in ballot
    name = {"en": "AFN", "fa_AF": "افغانی افغانستان", "ps": "افغانۍ"}[code]
    assert f'data-currency="{name}"' in ballot


# --- a roll-up weighed by population ----------------------------------------------------------------

NOTE = "Counted at the district shura"


def put_by_population(site) -> str:
    """Three places below Herat, two with a declared population, a proposal put to them by a double majority
    weighed by population, and each place's paper tally (with a note); the roll-up's element id."""
    populations = {"west": "50000", "east": "12000", "north": ""}
    for slug in populations:
        redirected(post(site.admin, "/spaces", parent_id=str(site.space_id), slug=slug, name=slug.title()), "/s/")
    spaces = {s["path"]: s["id"] for s in site.admin.get("/api/spaces").json()}
    for slug, population in populations.items():
        place = spaces[f"/herat/{slug}"]
        post(site.admin, f"/spaces/{place}/place", weight="1", population=population, above=str(site.space_id))
    put = post(site.admin, f"/spaces/{site.space_id}/proposals", text="Open the dam", rule="double-majority",
               **{"double-majority.weigh": "population"})  # fmt: skip
    rollup = redirected(put, "/s/herat#proposal-").split("#")[1]
    for slug, agree, disagree in (("west", "40", "12"), ("east", "5", "30"), ("north", "9", "1")):
        place = str(spaces[f"/herat/{slug}"])
        tally = {"place": place, "agree": agree, "disagree": disagree, "note": f"{NOTE} of {slug}"}
        reported = post(site.admin, f"/spaces/{site.space_id}/proposals/{rollup.split('-')[1]}/tallies", **tally)
        redirected(reported, "/s/herat")
    return rollup


def rollup_on_page(site, rollup: str, code: str) -> str:
    """The roll-up's article on Herat's page, in the language of ``code``."""
    html = page(TestClient(site.app).get(f"/s/herat?lang={code}"))
    return re.search(rf'<article class="rollup" id="{rollup}">(.*?)</article>', html, re.S).group(1)


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_roll_up_weighed_by_population_states_the_rule_and_shows_each_places_population(site, code):
    rollup = rollup_on_page(site, put_by_population(site), code)
    assert _(code, "A majority of all votes, and places holding a majority of the population.") in rollup
    assert _(code, "A majority of all votes and a majority of the places.") not in rollup
    head = rollup.split("</thead>")[0]
    assert head.count("<th ") == 7 and f'<th scope="col" role="columnheader">{_(code, "Population")}</th>' in head
    rows = {re.search(r"data-content>(\w+)</a>", row).group(1): row for row in rollup.split('<tr role="row">')[2:]}
    number = {"en": "50,000", "fa_AF": "۵۰٬۰۰۰", "ps": "۵۰٬۰۰۰"}[code]
    assert f'class="population">{number}</td>' in rows["West"]
    none_declared = translations(code).ngettext("%(num)s participant", "%(num)s participants", 0)
    assert none_declared % {"num": "۰" if code != "en" else "0"} in rows["North"]  # what is counted instead


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_paper_tallys_note_is_shown_beside_its_places_tally(site, code):
    rollup = rollup_on_page(site, put_by_population(site), code)
    for row in rollup.split('<tr role="row">')[2:]:
        place = re.search(r"data-content>(\w+)</a>", row).group(1)
        label = _(code, "a reported tally")
        assert f'{label}: <q class="note" dir="auto" data-content>{NOTE} of {place.lower()}</q>' in row
