"""Budgets on the pages, through the in-process client (no script): a moderator makes one through the
forms, a voter ticks projects (refused over the limit, with what was ticked kept and the reason), the
results explain every project and say whether each group got its share, a pabulib file comes in
through the form, and the budget is shared among the places below; in Dari too."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from budget_helpers import as_pabulib
from concord.engine.budgets.synthetic import planted_budget
from concord.formats.pabulib import write_pabulib
from page_helpers import MARKUP, csrf, escaped, page, page_fixtures, post, redirected

database_url, site = page_fixtures()


def make_budget(site, **fields) -> str:
    form = {"name": f"Water {MARKUP}", "amount": "100000", "currency": "AFN", "ballot_type": "approval",
            "language": "en", "access": "link", **fields}  # fmt: skip
    location = redirected(post(site.admin, f"/spaces/{site.space_id}/budgets", **form), "/b/")
    budget = location.split("/")[2]
    for name, cost in (("Well", "40000"), ("School roof", "30000"), (f"Clinic {MARKUP}", "50000")):
        redirected(
            post(site.admin, f"/b/{budget}/projects", name=name, cost=cost, category="water"), f"/b/{budget}/manage"
        )
    return budget


def ticked(html: str) -> list[str]:
    return re.findall(r'name="project" value="(\d+)" data-cost="[^"]+" checked', html)


def test_a_moderator_makes_a_budget_and_it_is_listed_in_its_space(site):
    budget = make_budget(site, max_projects="2", max_cost="80000")
    space = page(site.admin.get("/s/herat"))
    assert f'href="/b/{budget}"' in space and f'href="/b/{budget}/manage"' in space
    escaped(space)
    desk = page(site.admin.get(f"/b/{budget}/manage"))
    assert desk.count('action="/b/' + budget + "/projects/") == 3
    escaped(desk)
    stranger = TestClient(site.app)
    assert redirected(stranger.get(f"/b/{budget}/manage", follow_redirects=False), "/login")
    refused = post(site.admin, f"/spaces/{site.space_id}/budgets", name="No money", amount="zero", currency="")
    assert "must be an amount more than 0" in page(refused, 422) and "No money" in refused.text


def test_a_voter_ticks_projects_without_script_and_a_ballot_over_the_limit_comes_back_as_ticked(site):
    budget = make_budget(site, max_projects="2", max_cost="80000")
    voter = TestClient(site.app)
    html = page(voter.get(f"/b/{budget}"))
    assert html.count('type="checkbox" name="project"') == 3
    assert "Up to 2 projects." in html and "Together they may cost up to \u206680,000 AFN\u2069." in html
    escaped(html)
    over = post(voter, f"/b/{budget}/ballot", project=["1", "3"])  # 90,000
    refused = page(over, 422)
    assert "cost 90000 together, more than the limit of 80000" in refused
    assert ticked(refused) == ["1", "3"]
    too_many = page(post(voter, f"/b/{budget}/ballot", project=["1", "2", "3"]), 422)
    assert "at most 2 projects" in too_many
    redirected(post(voter, f"/b/{budget}/ballot", project=["1", "2"]), f"/b/{budget}?notice=voted")
    again = page(voter.get(f"/b/{budget}?notice=voted"))
    assert "Your ballot is counted." in again and ticked(again) == ["1", "2"] and "Change my ballot" in again


def test_choose_one_is_a_radio_and_the_dari_page_uses_dari_digits(site):
    budget = make_budget(site, ballot_type="choose-1", amount="2500000")
    dari = TestClient(site.app)
    dari.cookies.set("concord_lang", "fa_AF")
    html = page(dari.get(f"/b/{budget}"))
    assert html.count('type="radio" name="project"') == 3
    assert '<html lang="fa-AF" dir="rtl"' in html and "AFN" not in html
    assert "\u2067۲٬۵۰۰٬۰۰۰ افغانی افغانستان\u2069" in html  # the currency's Dari name, isolated right-to-left
    assert page(post(dari, f"/b/{budget}/ballot", project=["1", "2"]), 422)  # choose one
    redirected(post(dari, f"/b/{budget}/ballot", project=["2"]), f"/b/{budget}")


def test_the_results_explain_every_project_and_the_share_of_each_group(site):
    budget = make_budget(site)
    for chosen in (["1", "2"], ["1"], ["2", "3"], ["1", "2"]):
        redirected(post(TestClient(site.app), f"/b/{budget}/ballot", project=chosen), f"/b/{budget}")
    html = page(TestClient(site.app).get(f"/b/{budget}/results"))
    assert "4 voters." in html and "Round 1:" in html and "Did every group get its share?" in html
    assert "Groups found in the ballots" in html
    funded = html[html.index('id="funded-heading"') : html.index('id="unfunded-heading"')]
    unfunded = html[html.index('id="unfunded-heading"') : html.index('id="fairness-heading"')]
    assert "Well" in funded and "School roof" in funded
    assert "Clinic" in unfunded and (
        "could no longer pay" in unfunded or "never covered" in unfunded or "did not fit" in unfunded
    )
    escaped(html)


def test_a_pabulib_file_through_the_form_and_a_bad_one_refused_with_its_line(site):
    planted = planted_budget(300, 10, seed=8, costs=(20_000, 60_000))
    text = write_pabulib(as_pabulib(planted.election, {"district": [f"d{g}" for g in planted.group_of_voter]}))
    token = csrf(site.admin)
    sent = site.admin.post(
        f"/spaces/{site.space_id}/budget-imports",
        data={"csrf_token": token},
        files={"file": ("herat.pb", text.encode(), "text/plain")},
        follow_redirects=False,
    )
    results = redirected(sent, "/b/")
    html = page(site.admin.get(results))
    assert "300 voters." in html and "district" in html
    bad = site.admin.post(
        f"/spaces/{site.space_id}/budget-imports",
        data={"csrf_token": token},
        files={"file": ("bad.pb", b"META\nkey;value\nbudget;-1\n", "text/plain")},
    )
    assert "bad.pb, line 3: the budget must be more than 0" in page(bad, 422)
    nobody = TestClient(site.app)
    assert (
        nobody.post(f"/spaces/{site.space_id}/budget-imports", files={"file": ("x.pb", b"", "text/plain")}).status_code
        == 401
    )


def test_a_budget_shared_among_the_places_below_through_the_form(site):
    for slug in ("injil", "karukh"):
        redirected(post(site.admin, "/spaces", slug=slug, name=slug.title(), parent_id=str(site.space_id)), "/s/")
    location = redirected(
        post(site.admin, f"/spaces/{site.space_id}/budgets", name="Province", amount="1000", currency="AFN"), "/b/"
    )
    budget = location.split("/")[2]
    redirected(
        post(site.admin, f"/b/{budget}/split", mode="formula", equal="50", population="", weight="50"),
        f"/b/{budget}/manage",
    )
    desk = page(site.admin.get(f"/b/{budget}/manage"))
    assert desk.count("\u2066500 AFN\u2069") == 2 and "shared among the places below" in desk
    html = page(TestClient(site.app).get(f"/b/{budget}"))
    assert "each decides its own part" in html
    results = page(TestClient(site.app).get(f"/b/{budget}/results"))
    assert "nothing decided yet" in results


def test_closing_and_reopening_voting(site):
    budget = make_budget(site)
    closed = post(site.admin, f"/b/{budget}/state", open="false", confirmed="true")
    redirected(closed, f"/b/{budget}/manage?notice=closed")
    voter = TestClient(site.app)
    assert "Voting is closed." in page(voter.get(f"/b/{budget}"))
    assert "Voting is closed" in page(post(voter, f"/b/{budget}/ballot", project=["1"]), 409)
    redirected(post(site.admin, f"/b/{budget}/state", open="true"), f"/b/{budget}/manage?notice=reopened")
    redirected(post(voter, f"/b/{budget}/ballot", project=["1"]), f"/b/{budget}")


def test_the_ballot_asks_the_declared_question_and_the_fairness_report_uses_the_answers(site):
    budget = make_budget(site, attribute_name="community", attribute_options="Hazara, Pashtun, Tajik")
    voter = TestClient(site.app)
    html = page(voter.get(f"/b/{budget}"))
    assert 'name="attr:community"' in html and "About you (optional)" in html
    ballots = [("Hazara", ["1"]), ("Pashtun", ["2"]), ("Tajik", ["1", "3"])]
    ballots += [("Hazara", ["1", "2"]), ("Pashtun", ["2", "3"])] * 4
    for community, chosen in ballots:
        person = TestClient(site.app)
        redirected(post(person, f"/b/{budget}/ballot", project=chosen, **{"attr:community": community}), f"/b/{budget}")
        assert 'name="attr:community"' not in page(person.get(f"/b/{budget}"))  # answered: not asked again
    results = page(TestClient(site.app).get(f"/b/{budget}/results"))
    assert '<span dir="auto" data-content>community</span>' in results
    # Five voters share each of two answers: their groups are shown. The one Tajik voter's answer is not
    # published (fewer than five share it), so no group names it; they still count among everyone.
    assert "Hazara" in results and "Pashtun" in results and "Tajik" not in results
    assert "An answer makes a group only once at least 5 voters gave it" in results
