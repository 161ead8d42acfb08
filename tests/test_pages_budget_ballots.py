"""Points to share out and rankings on the pages, through the in-process client (no script), in Dari: a
moderator makes either budget through the form, a voter types each project's points (in Dari or Latin
digits) or chooses each one's rank, sees their ballot filled in and changes it; a wrong one comes back
as typed, with the reason in Dari."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from page_helpers import MARKUP, escaped, page, page_fixtures, post, redirected

database_url, site = page_fixtures()

PROJECTS = (("Well", "40000"), ("School roof", "30000"), (f"Clinic {MARKUP}", "50000"))


def make_budget(site, **fields) -> str:
    form = {"name": f"Water {MARKUP}", "amount": "100000", "currency": "AFN", "language": "en", "access": "link",
            **fields}  # fmt: skip
    budget = redirected(post(site.admin, f"/spaces/{site.space_id}/budgets", **form), "/b/").split("/")[2]
    for name, cost in PROJECTS:
        redirected(post(site.admin, f"/b/{budget}/projects", name=name, cost=cost), f"/b/{budget}/manage")
    return budget


def dari(site) -> TestClient:
    client = TestClient(site.app)
    client.cookies.set("concord_lang", "fa_AF")
    return client


def points_shown(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="points:(\d+)"[^>]* value="([^"]*)"', html))


def ranks_shown(html: str) -> dict[str, str]:
    chosen = {}
    for number, options in re.findall(r'<select id="mark-\d+" name="rank:(\d+)"[^>]*>(.*?)</select>', html):
        selected = re.search(r'<option value="([^"]*)" selected>', options)
        chosen[number] = selected.group(1) if selected else ""
    return chosen


def ballot_of(site, budget: str, client: TestClient) -> dict:
    return client.get(f"/api/budgets/{budget}/ballot").json()


def test_a_moderator_makes_a_points_budget_and_a_ranked_one_through_the_form(site):
    form = {"name": "Points", "amount": "100000", "currency": "AFN", "ballot_type": "cumulative"}
    refused = page(post(site.admin, f"/spaces/{site.space_id}/budgets", **form), 422)
    assert "A ballot of points needs the points each voter shares out" in refused
    assert 'value="cumulative" checked' in refused  # what was chosen stays chosen
    new = page(site.admin.get(f"/spaces/{site.space_id}/budgets/new"))
    assert 'name="max_points"' in new and 'value="ordinal"' in new
    budget = make_budget(site, ballot_type="cumulative", max_points="۱۰")  # typed in Dari digits
    rules = site.admin.get(f"/api/budgets/{budget}").json()["ballot"]
    assert rules["type"] == "cumulative" and rules["max_points"] == 10
    desk = page(site.admin.get(f"/b/{budget}/manage"))
    assert 'name="max_points"' in desk and 'value="10"' in desk
    ranked = make_budget(site, ballot_type="ordinal", max_projects="2")
    assert site.admin.get(f"/api/budgets/{ranked}").json()["ballot"]["type"] == "ordinal"


def test_a_voter_shares_out_points_in_dari_and_changes_them(site):
    budget = make_budget(site, ballot_type="cumulative", max_points="10")
    voter = dari(site)
    html = page(voter.get(f"/b/{budget}"))
    assert '<html lang="fa-AF" dir="rtl"' in html
    assert html.count('inputmode="numeric"') == 3 and 'type="checkbox"' not in html
    for number in ("1", "2", "3"):  # each field is labelled by its project's name
        assert f'<label for="mark-{number}" class="project-name"' in html and f'id="mark-{number}"' in html
    assert "امتیازهای خود را میان پروژه‌ها تقسیم کنید" in html
    assert "شما ۱۰ امتیاز برای تقسیم دارید" in html  # the points allowed, in Dari digits
    escaped(html)
    # Over the points (8 + 5): refused in Dari, with what was typed (Dari and Latin digits) kept.
    over = page(post(voter, f"/b/{budget}/ballot", **{"points:1": "۸", "points:2": "", "points:3": "5"}), 422)
    assert "جمع امتیازهای داده‌شده ۱۳ است، بیشتر از ۱۰ امتیازی" in over
    assert points_shown(over) == {"1": "۸", "2": "", "3": "5"}
    assert '<output class="points-given over" data-most="10">۱۳</output>' in over  # the total, as typed
    not_a_number = page(post(voter, f"/b/{budget}/ballot", **{"points:1": "ده", "points:2": "2"}), 422)
    assert points_shown(not_a_number)["1"] == "ده"
    negative = page(post(voter, f"/b/{budget}/ballot", **{"points:1": "-2", "points:2": "2"}), 422)
    assert "امتیازها عددهای درست بیشتر از ۰ هستند" in negative
    # Counted: 6 typed in Dari, 4 in Latin digits, 0 for none; shown filled in, in Dari digits.
    cast = post(voter, f"/b/{budget}/ballot", **{"points:1": "۶", "points:2": "0", "points:3": "4"})
    redirected(cast, f"/b/{budget}?notice=voted")
    again = page(voter.get(f"/b/{budget}?notice=voted"))
    assert points_shown(again) == {"1": "۶", "2": "", "3": "۴"}
    assert '<output class="points-given" data-most="10">۱۰</output>' in again
    assert ballot_of(site, budget, voter) | {"updated_ms": 0} == {"projects": [1, 3], "points": [6, 4], "updated_ms": 0}
    redirected(post(voter, f"/b/{budget}/ballot", **{"points:1": "", "points:2": "۱۰", "points:3": ""}), f"/b/{budget}")
    assert points_shown(page(voter.get(f"/b/{budget}"))) == {"1": "", "2": "۱۰", "3": ""}
    assert ballot_of(site, budget, voter)["points"] == [10]
    assert site.admin.get(f"/api/budgets/{budget}").json()["ballots"] == 1


def test_a_voter_ranks_projects_in_dari_and_changes_the_ranking(site):
    budget = make_budget(site, ballot_type="ordinal", max_projects="2")
    voter = dari(site)
    html = page(voter.get(f"/b/{budget}"))
    assert html.count('<select id="mark-') == 3
    assert '<option value="">بدون رتبه</option>' in html
    assert '<option value="1">رتبهٔ ۱</option>' in html and '<option value="2">رتبهٔ ۲</option>' in html
    assert '<option value="3">' not in html  # at most 2 ranked
    assert "پروژه‌هایی را که از آن‌ها حمایت می‌کنید رتبه‌بندی کنید" in html and "حداکثر ۲ پروژه." in html
    escaped(html)
    repeated = page(post(voter, f"/b/{budget}/ballot", **{"rank:1": "1", "rank:2": "1", "rank:3": ""}), 422)
    assert "دو پروژه رتبهٔ ۱ دارند" in repeated
    assert ranks_shown(repeated) == {"1": "1", "2": "1", "3": ""}
    gap = page(post(voter, f"/b/{budget}/ballot", **{"rank:1": "", "rank:2": "2", "rank:3": ""}), 422)
    assert "هیچ پروژه‌ای رتبهٔ ۱ ندارد" in gap and ranks_shown(gap) == {"1": "", "2": "2", "3": ""}
    redirected(post(voter, f"/b/{budget}/ballot", **{"rank:1": "2", "rank:2": "", "rank:3": "1"}), f"/b/{budget}")
    assert ranks_shown(page(voter.get(f"/b/{budget}"))) == {"1": "2", "2": "", "3": "1"}
    assert ballot_of(site, budget, voter)["projects"] == [3, 1]  # in rank order
    redirected(post(voter, f"/b/{budget}/ballot", **{"rank:1": "", "rank:2": "1", "rank:3": ""}), f"/b/{budget}")
    assert ranks_shown(page(voter.get(f"/b/{budget}"))) == {"1": "", "2": "1", "3": ""}
    assert ballot_of(site, budget, voter)["projects"] == [2]


def test_the_same_ballots_in_english_and_pashto_and_closed_ones_are_shown_but_not_changeable(site):
    points = make_budget(site, ballot_type="cumulative", max_points="3")
    voter = TestClient(site.app)
    html = page(voter.get(f"/b/{points}"))
    assert "Share your points among the projects" in html and "You have 3 points to share out" in html
    refused = page(post(voter, f"/b/{points}/ballot", **{"points:1": "2", "points:2": "2"}), 422)
    assert "The points given add up to 4, more than the 3 each voter shares out" in refused
    pashto = TestClient(site.app)
    pashto.cookies.set("concord_lang", "ps")
    refused = page(post(pashto, f"/b/{points}/ballot", **{"points:1": "۲", "points:2": "۲"}), 422)
    assert "ورکړل شوې نمرې ټولټال ۴ کېږي" in refused and "خپلې نمرې د پروژو ترمنځ ووېشئ" in refused
    redirected(post(voter, f"/b/{points}/ballot", **{"points:1": "2", "points:3": "1"}), f"/b/{points}")
    redirected(post(site.admin, f"/b/{points}/state", open="false", confirmed="true"), f"/b/{points}/manage")
    closed = page(voter.get(f"/b/{points}"))
    assert points_shown(closed) == {"1": "2", "2": "", "3": "1"} and closed.count(" disabled>") == 3
    ranked = make_budget(site, ballot_type="ordinal")
    html = page(voter.get(f"/b/{ranked}"))
    assert "Rank the projects you support" in html and '<option value="3">rank 3</option>' in html
