"""Decisions on the pages (issue 13), through the in-process client: a moderator marks proposals and
chooses the rule on the desk, readers see each proposal's outcome and why on the results page, and a
space puts a proposal to the spaces inside it and shows the roll-up, in English, Dari and Pashto."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api_helpers import bulk_votes, db_id, snapshot
from page_helpers import MARKUP, Site, escaped, page, page_fixtures, post, redirected
from planted import majority_and_minority, vote_rows

database_url, site = page_fixtures()


def rule_of(site: Site) -> dict | None:
    return site.admin.get(f"/api/conversations/{site.conversation}").json()["decision_rule"]


def planted_votes(site: Site) -> None:
    """24 in the north for both seeds, 6 in the south against "Roads first": 80 % / 20 %."""
    rows = [[1, 1]] * 24 + [[1, -1]] * 6
    regions = [{"region": "north"}] * 24 + [{"region": "south"}] * 6
    bulk_votes(site.app, site.conversation, rows, regions)
    site.app.state.concord.live.analyse_now(db_id(site.app, site.conversation))


def section(html: str, element_id: str) -> str:
    found = re.search(rf'<(section|article) [^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found, element_id
    return found.group(2)


def decisions_part(html: str) -> str:
    start = html.index('id="decisions-heading"')
    return html[start : html.index("</section>", start)]


def test_a_moderator_marks_proposals_and_chooses_the_rule_on_the_desk(site):
    desk = f"/c/{site.conversation}/moderate"
    decisions = section(page(site.admin.get(desk)), "decisions")
    assert "No proposals yet" in decisions and "Majority with a mutual veto" in decisions
    assert "(Concord's default)" in decisions
    redirected(post(site.admin, f"/c/{site.conversation}/proposals/{site.roads}", proposal="true"), desk)
    written = post(site.admin, f"/c/{site.conversation}/seed", text="Share the water by turns", proposals="true")
    redirected(written, desk)
    decisions = section(page(site.admin.get(desk)), "decisions")
    assert "Roads first" in decisions and "Share the water by turns" in decisions and "Wells first" not in decisions
    redirected(post(site.admin, f"/c/{site.conversation}/proposals/{site.roads}", proposal="false"), desk)
    assert "Roads first" not in section(page(site.admin.get(desk)), "decisions")

    # Thresholds typed in percent, in the reader's digits; the chosen rule's fields only are read.
    typed = {"mutual-veto.majority": "۶۰", "mutual-veto.veto": "55 %", "consensus.threshold": "junk"}
    chosen = post(site.admin, f"/c/{site.conversation}/rule", rule="mutual-veto", **typed)
    redirected(chosen, desk)
    assert rule_of(site) == {"name": "mutual-veto", "parameters": {"majority": 0.6, "veto": 0.55}}
    decisions = section(page(site.admin.get(desk)), "decisions")
    assert "(this conversation's own)" in decisions and "More than 60%" in decisions
    assert 'name="mutual-veto.majority" dir="auto" size="6" inputmode="decimal" value="60"' in decisions

    # Refused: the desk comes back with the reason beside the field and what was typed; nothing changes.
    before = snapshot(site.app)
    refused = post(site.admin, f"/c/{site.conversation}/rule", rule="consensus", **{"consensus.threshold": "30"})
    html = page(refused, 422)
    assert 'role="alert"' in html and "threshold must be between" in html and 'value="30"' in html
    refused = post(site.admin, f"/c/{site.conversation}/rule", rule="consensus", **{"consensus.threshold": "lots"})
    assert "This is not a number: lots" in page(refused, 422)
    assert snapshot(site.app) == before and rule_of(site)["name"] == "mutual-veto"

    # The attribute of a rule over declared groups is chosen from the conversation's questions.
    assert '<option value="region" dir="auto" selected>region</option>' in html  # the only one, named
    redirected(post(site.admin, f"/c/{site.conversation}/rule", rule=""), desk)  # back to the space's
    assert rule_of(site) is None


def test_the_results_page_shows_each_proposal_decided_and_why(site):
    post(site.admin, f"/c/{site.conversation}/proposals/{site.wells}", proposal="true")
    post(site.admin, f"/c/{site.conversation}/proposals/{site.roads}", proposal="true")
    planted_votes(site)
    html = page(TestClient(site.app).get(f"/c/{site.conversation}/results"))
    part = decisions_part(html)
    wells, roads = part.split("<li>")[1:3]
    assert "Wells first" in wells and "Passes" in wells and "A plain majority" not in wells
    # Roads: 24 for, 6 against; the south's 6 against veto it, where a plain majority would pass it.
    assert "Roads first" in roads and "Does not pass" in roads
    assert "A plain majority would say:" in roads and "24 agree, 6 disagree" in roads
    assert re.search(r'class="decisive">\s*<td><bdi>south</bdi> \(against\)', roads)
    assert "Does not pass: 100% of \u2068south\u2069 are against, and a group&#39;s veto takes more than 60%." in roads
    # Two proposals and nothing else: no opinion groups (its no-voters are no group), ballots counted exactly.
    assert "No opinion groups judge these proposals: the conversation holds nothing else" in part
    assert "(0%–" not in part and "(100%–" not in part  # counted ballots carry no interval

    dari = TestClient(site.app)
    dari.cookies.set("concord_lang", "fa_AF")
    html = page(dari.get(f"/c/{site.conversation}/results"))
    part = decisions_part(html)
    assert "Does not pass" not in part and "Rule:" not in part and "۲۴" in part


def test_a_space_puts_a_proposal_to_the_places_inside_and_rolls_them_up(site):
    herat = "/s/herat"
    for slug, name in (("west", "Herat West"), ("east", f"East {MARKUP}")):
        redirected(post(site.admin, "/spaces", parent_id=str(site.space_id), slug=slug, name=name), f"{herat}/")
    spaces = {s["path"]: s["id"] for s in site.admin.get("/api/spaces").json()}
    east, west = spaces["/herat/east"], spaces["/herat/west"]
    # East is a half-place with a declared population, typed in Dari digits.
    redirected(post(site.admin, f"/spaces/{east}/place", weight="۰٫۵", population="۱۲۰۰۰", above=str(site.space_id)),
               herat)  # fmt: skip
    html = page(site.admin.get(herat))
    assert "weighs 0.5" in html and "population 12,000" in html
    refused = post(site.admin, f"/spaces/{west}/place", weight="heavy", population="", above=str(site.space_id))
    assert "This is not a number: heavy" in page(refused, 422)

    put = post(site.admin, f"/spaces/{site.space_id}/proposals", text=f"Open the dam {MARKUP}",
               rule="places-quota", **{"places-quota.quota": "2"})  # fmt: skip
    where = redirected(put, herat)
    assert where.startswith(f"{herat}#proposal-")
    html = page(site.admin.get(herat))
    escaped(html)
    rollup = section(html, where.split("#")[1])
    assert "Has not decided" in rollup and "0 of 2 places pass" in rollup and "2 have not decided" in rollup
    assert "its conversation (no votes yet)" in rollup and "A quota of places" in rollup

    # West votes in its conversation; East reports a paper tally: the roll-up passes 2 of 2.
    assert "No place has decided yet (2 places)." in rollup
    west_row = next(row for row in rollup.split("<tr")[1:] if "Herat West" in row)
    public_id = re.search(r'href="/c/(\w+)">its conversation', west_row).group(1)
    bulk_votes(site.app, public_id, [[1]] * 12)
    site.app.state.concord.live.analyse_now(db_id(site.app, public_id))
    proposal = where.split("-")[-1]
    reported = post(site.admin, f"/spaces/{site.space_id}/proposals/{proposal}/tallies", place=str(east),
                    agree="۴۰", disagree="12", note="Counted at the district shura")  # fmt: skip
    redirected(reported, herat)
    rollup = section(page(TestClient(site.app).get(herat)), f"proposal-{proposal}")
    assert rollup.count('badge agree">Passes') == 2 and '<p class="outcome pass">' in rollup
    assert "2 of 2 places pass" in rollup and "a reported tally" in rollup and "Counted at the district shura" in rollup
    assert "Passes: it passes in 2 of 2 places (2 decided), and 81% of all votes agree (52 of 64)." in rollup
    assert "<meter" in rollup
    refused = post(site.admin, f"/spaces/{site.space_id}/proposals/{proposal}/tallies", place=str(east),
                   agree="-3", disagree="1")  # fmt: skip
    assert "Votes cannot be negative" in page(refused, 422)

    # Anyone reads the roll-up; only moderators see the forms.
    reader = page(TestClient(site.app).get(herat))
    assert "Open the dam" in reader and "Report the tally" not in reader and "Put a proposal" not in reader

    pashto = TestClient(site.app)
    pashto.cookies.set("concord_lang", "ps")
    html = page(pashto.get(herat))
    assert "Decisions" not in html and "places pass" not in html


def test_a_space_sets_the_default_rule_of_the_conversations_below(site):
    redirected(post(site.admin, f"/spaces/{site.space_id}/rule", rule="consensus", **{"consensus.threshold": "70"}),
               "/s/herat#decisions")  # fmt: skip
    html = page(site.admin.get("/s/herat"))
    assert "Consensus of every opinion group" in html and "(set here)" in html
    desk = section(page(site.admin.get(f"/c/{site.conversation}/moderate")), "decisions")
    assert "Consensus of every opinion group" in desk and "set on Herat" in desk and "more than 70%" in desk
    assert site.admin.get(f"/api/conversations/{site.conversation}").json()["effective_rule"] == {
        "name": "consensus", "parameters": {"threshold": 0.7}}  # fmt: skip
    refused = post(site.admin, f"/spaces/{site.space_id}/rule", rule="plurality")
    assert "no decision rule" in page(refused, 422)
    stranger = TestClient(site.app)
    assert post(stranger, f"/spaces/{site.space_id}/rule", rule="majority").status_code in (401, 403)


def test_a_proposal_is_judged_by_the_groups_of_the_rest_and_every_section_prints_the_same_shares(site):
    """Ten ideas split two planted groups (16 and 8 people); the proposal, all of A for and all of B
    against, is vetoed by B, in the sentence and the table alike. Every section prints shares from the
    same counts: B's 100 % against in the table, 100 % / 0 % for what sets B apart (Pol.is's smoothed
    94 % / 6 % rank them, and are never printed), 100 % in each group for the common ground."""
    redirected(post(site.admin, f"/c/{site.conversation}/seed", text="\n".join(f"Idea {i}" for i in range(10))), "/c/")
    redirected(post(site.admin, f"/c/{site.conversation}/seed", text="Share the water by turns", proposals="true"),
               "/c/")  # fmt: skip
    leaning = [1] * 5 + [-1] * 5

    def person(i: int, side: int) -> list[int]:  # each passes on an idea of their own: people, not a bloc
        ideas = [0 if idea == i % 10 else side * v for idea, v in enumerate(leaning)]
        return [1, 1, *ideas, side]

    a_rows = [person(i, 1) for i in range(16)]
    b_rows = [person(i, -1) for i in range(8)]
    bulk_votes(site.app, site.conversation, a_rows + b_rows)
    site.app.state.concord.live.analyse_now(db_id(site.app, site.conversation))
    html = page(TestClient(site.app).get(f"/c/{site.conversation}/results"))
    part = decisions_part(html)
    assert "Opinion groups are found from the 12 statements besides the proposals" in part
    assert "Does not pass: 100% of group B are against, and a group&#39;s veto takes more than 60%." in part
    row = re.search(r"<td>Group B \(against\)</td>\s*<td>(\d+)%", part)
    assert row and row.group(1) == "100"
    assert "(72%–100%)" in part or re.search(r"\((\d+)%–100%\)", part)  # the share inside its interval
    # What sets B apart: ideas B is unanimous on and A unanimous against (and seeds all agree on), counted.
    apart = html[html.index('id="group-1"') :]
    apart = apart[: apart.index("</article>")]
    shares = re.findall(r"(\d+)% of this group (?:agree|disagree), (\d+)% of everyone else", apart)
    assert ("100", "0") in shares and {value for pair in shares for value in pair} <= {"0", "100"}
    # What every group agrees on: the seeds everyone agreed with, 100 % in each group.
    common = html[html.index('id="consensus-heading"') :]
    assert "Group A: 100% agree, 0% disagree" in common and "Group B: 100% agree, 0% disagree" in common
    assert "94%" not in html and "6%" not in html


def test_a_suspected_bloc_is_counted_once_shown_to_readers_and_decided_by_a_moderator_with_a_reason(site):
    """Seven new accounts against everything, among 60 real people: the results page says they count
    as one and what they would decide if each counted; the desk offers the verdict, refuses it without
    a reason, and the reason is public in the moderation log."""
    matrix, _, both, _ = majority_and_minority(3, real=60, bloc=0.1, bloc_vote=-1)
    more = "\n".join(f"Statement {n}" for n in range(2, matrix.shape[1]))
    redirected(post(site.admin, f"/c/{site.conversation}/seed", text=more), "/c/")
    proposal = site.wells + both[0]  # the matrix's columns are the statements from the first (Wells first) on
    redirected(post(site.admin, f"/c/{site.conversation}/proposals/{proposal}", proposal="true"), "/c/")
    bulk_votes(site.app, site.conversation, vote_rows(matrix))
    site.app.state.concord.live.analyse_now(db_id(site.app, site.conversation))

    html = page(TestClient(site.app).get(f"/c/{site.conversation}/results"))
    blocs = html[html.index('id="blocs-heading"') :]
    blocs = blocs[: blocs.index("</section>")]
    assert "7 accounts voted the same way on 100% of their votes and arrived within" in blocs
    assert "If they are real people, each counted" in blocs and "Does not pass: 100% of group" in blocs
    assert "Passes" in decisions_part(html)  # counted once, the bloc vetoes nothing

    desk = f"/c/{site.conversation}/moderate"
    panel = section(page(site.admin.get(desk)), "blocs")
    assert "7 accounts: #60" in panel and 'name="participants" value="60,61,62,63,64,65,66"' in panel
    refused = post(site.admin, f"/c/{site.conversation}/blocs", participants="60,61,62,63,64,65,66", verdict="real")
    assert "say why: the reason is published in the moderation log" in page(refused, 422).lower()
    done = post(site.admin, f"/c/{site.conversation}/blocs", participants="60,61,62,63,64,65,66", verdict="real",
                reason="The teachers' union voted together at its meeting")  # fmt: skip
    redirected(done, desk)
    log = page(TestClient(site.app).get(f"/c/{site.conversation}/log"))
    assert "A suspected bloc of 7 accounts" in log and "real people: each counted" in log
    assert "The teachers&#39; union voted together at its meeting" in log
    site.app.state.concord.live.analyse_now(db_id(site.app, site.conversation))
    html = page(TestClient(site.app).get(f"/c/{site.conversation}/results"))
    assert 'id="blocs-heading"' not in html and "Does not pass" in decisions_part(html)
