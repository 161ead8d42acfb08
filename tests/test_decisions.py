"""Decision rules (concord.engine.decisions): one contract run over every rule, the power-sharing
presets at their published thresholds, planted populations, small groups left undecided, and roll-ups
across places (ties, silent places, reported tallies, three levels, blocking minorities)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.engine.analysis import analyze
from concord.engine.blocs import counted_once, find_blocs
from concord.engine.decisions import (
    PLACE_RULES,
    RULES,
    Place,
    ProposalVotes,
    Reason,
    Result,
    RuleParameterError,
    Support,
    Verdict,
    make_place_rule,
    make_rule,
    reported,
)
from concord.engine.decisions.tallied import proposal_votes
from concord.engine.votes import build_vote_matrix
from concord.report.decisions import decide_every_statement, decide_proposals, proposal_decision, rollup_json
from planted import ballot, majority_and_minority, noise_and_proposal


def votes(everyone: tuple[int, int], groups=(), declared=None, counted: bool = False) -> ProposalVotes:
    """ProposalVotes from (agree, disagree) pairs: everyone, opinion groups, declared groups by attribute."""
    return ProposalVotes(
        everyone=Support("everyone", *everyone, counted=counted),
        opinion_groups=[Support(f"G{i}", a, d, counted=counted) for i, (a, d) in enumerate(groups)],
        declared={
            attribute: [Support(name, a, d, counted=counted) for name, (a, d) in members.items()]
            for attribute, members in (declared or {}).items()
        },
    )


UNANIMOUS_FOR = votes((200, 0), [(150, 0), (50, 0)], {"community": {"north": (120, 0), "south": (80, 0)}})
UNANIMOUS_AGAINST = votes((0, 200), [(0, 150), (0, 50)], {"community": {"north": (0, 120), "south": (0, 80)}})


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_rule_keeps_the_contract(name):
    """What every rule owes its users, as scikit-learn checks every estimator: a recorded name and
    parameters, unanimity respected, a deterministic answer whatever the order of groups, a refusal of
    parameters it does not take, and a reason with the bodies that decided it, in a sentence that cites
    a decisive body's share."""
    rule = make_rule(name)
    outcome = rule.decide(UNANIMOUS_FOR)
    assert outcome.rule == name and set(outcome.parameters) == set(RULES[name].parameters)
    assert outcome.result == Result.PASS and outcome.majority == Result.PASS and outcome.reason == Reason.CARRIED
    against = rule.decide(UNANIMOUS_AGAINST)
    assert against.result == Result.FAIL and against.reason in (Reason.VETOED, Reason.NO_MAJORITY, Reason.SHORT)
    assert against.decisive and set(against.decisive) <= {c.body for c in against.checks}
    for votes_, said in ((UNANIMOUS_FOR, "Passes: "), (UNANIMOUS_AGAINST, "Does not pass: ")):
        sentence = proposal_decision(0, "", votes_, rule.decide(votes_)).explanation
        assert (sentence.startswith(said) and "100 %" in sentence) or "0 %" in sentence, sentence
    shuffled = ProposalVotes(
        UNANIMOUS_FOR.everyone,
        list(reversed(UNANIMOUS_FOR.opinion_groups)),
        {k: list(reversed(v)) for k, v in UNANIMOUS_FOR.declared.items()},
    )
    assert rule.decide(shuffled).result == outcome.result
    with pytest.raises(RuleParameterError):
        make_rule(name, {"no_such_parameter": 1})
    numeric = [p for p, spec in RULES[name].parameters.items() if spec.kind in (int, float)]
    for parameter in numeric:
        with pytest.raises(RuleParameterError):
            make_rule(name, {parameter: 10_000})


@pytest.mark.parametrize("name", sorted(PLACE_RULES))
def test_every_rule_across_places_keeps_the_contract(name):
    rule = make_place_rule(name, {"quota": 1} if name == "places-quota" else {})
    places = [reported(f"P{i}", 90, 10, population=1000) for i in range(6)]
    outcome = rule.decide(places)
    assert outcome.rule == name and outcome.result == Result.PASS and len(outcome.passing) == 6
    against = [reported(f"P{i}", 10, 90, population=1000) for i in range(6)]
    assert rule.decide(against).result == Result.FAIL
    assert rule.decide(list(reversed(places))).result == outcome.result
    with pytest.raises(RuleParameterError):
        rule.decide([*places, places[0]])  # a place counted twice


# --- planted populations ------------------------------------------------------------------------


def planted(majority_only: bool, both: str, seed: int = 0) -> ProposalVotes:
    """80 % and 20 % groups (two opinion groups, also declared as two communities)."""
    rng = random.Random(seed)
    large = [rng.random() < 0.9 for _ in range(160)]  # 90 % of the large group agree
    small = [rng.random() < (0.1 if majority_only else 0.9) for _ in range(40)]
    if both == "oppose":
        large, small = [not v for v in large], [rng.random() < 0.1 for _ in range(40)]
    counts = [(sum(g), len(g) - sum(g)) for g in (large, small)]
    everyone = (counts[0][0] + counts[1][0], counts[0][1] + counts[1][1])
    return votes(everyone, counts, {"community": {"large": counts[0], "small": counts[1]}})


def test_planted_80_20_majority_passes_what_the_small_group_rejects_and_the_sharing_rules_do_not():
    majority_only = planted(majority_only=True, both="")
    results = {name: make_rule(name).decide(majority_only).result for name in RULES}
    assert results["majority"] == Result.PASS
    for protective in ("consensus", "mutual-veto", "concurrent-majority", "parallel-consent"):
        assert results[protective] == Result.FAIL, (protective, results)
    assert results["weighted-majority"] == Result.FAIL  # 10 % of the small community < 40 %
    both = planted(majority_only=False, both="")
    assert {make_rule(name).decide(both).result for name in RULES} == {Result.PASS}
    opposed = planted(majority_only=False, both="oppose")
    assert {make_rule(name).decide(opposed).result for name in RULES} == {Result.FAIL}


def test_the_mutual_veto_names_the_group_that_vetoed():
    outcome = make_rule("mutual-veto").decide(planted(majority_only=True, both=""))
    assert outcome.result == Result.FAIL and "G1" in outcome.decisive and "small" in outcome.decisive
    assert outcome.majority == Result.PASS  # what plain majority would have said


def test_northern_ireland_thresholds_exactly():
    """Parallel consent: a majority overall and of each designation. Weighted majority: 60 % overall
    and at least 40 % of each (Northern Ireland Act 1998 s.4(5)), on counted votes of an assembly."""

    def assembly(nationalist: tuple[int, int], unionist: tuple[int, int], other: tuple[int, int] = (0, 0)):
        everyone = tuple(map(sum, zip(nationalist, unionist, other)))
        groups = {"designation": {"nationalist": nationalist, "unionist": unionist}}
        return votes(everyone, declared=groups, counted=True)

    weighted = make_rule("weighted-majority")
    parallel = make_rule("parallel-consent")
    # 61 % overall, 40 % of unionists: weighted passes (at least 40), parallel fails (no unionist majority)
    case = assembly((40, 0), (16, 24), (5, 5))
    assert weighted.decide(case).result == Result.PASS and parallel.decide(case).result == Result.FAIL
    # 39 % of unionists: weighted fails
    assert weighted.decide(assembly((41, 0), (15, 24), (6, 4))).result == Result.FAIL
    # exactly 60 % overall passes weighted (at least); exactly half of a designation is no majority
    assert weighted.decide(assembly((30, 10), (30, 30))).result == Result.PASS
    assert parallel.decide(assembly((30, 10), (30, 30))).result == Result.FAIL


def test_small_groups_are_left_undecided_and_reported_never_dropped():
    few = votes((60, 40), [(55, 5), (3, 0)])  # the second group has only 3 voters
    outcome = make_rule("consensus").decide(few)
    assert outcome.result == Result.UNDECIDED and outcome.decisive == ["G1"]
    assert [c.verdict for c in outcome.checks] == ["clears", "too_few"]
    close = votes((52, 48))  # a sample: 52 % cannot tell a majority apart from chance
    assert make_rule("majority").decide(close).result == Result.UNDECIDED
    counted = votes((52, 48), counted=True)  # counted ballots are decided exactly
    assert make_rule("majority").decide(counted).result == Result.PASS
    tie = votes((50, 50), counted=True)
    assert make_rule("majority").decide(tie).result == Result.FAIL


def test_concurrent_majority_with_a_quota():
    regions = {"region": {"north": (30, 10), "south": (30, 10), "east": (5, 35)}}
    everywhere = make_rule("concurrent-majority", {"attribute": "region"})
    two_of_three = make_rule("concurrent-majority", {"attribute": "region", "quota": 2})
    case = votes((65, 55), declared=regions)
    assert everywhere.decide(case).result == Result.FAIL
    assert two_of_three.decide(case).result == Result.PASS
    assert make_rule("concurrent-majority").decide(votes((10, 0))).result == Result.UNDECIDED  # no declared groups


def test_proposal_votes_are_counted_from_the_vote_matrix():
    participant = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    statement = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    vote = np.array([1, 1, -1, 0, -1, -1, -1, 1])
    matrix = build_vote_matrix(participant, statement, vote)
    found = proposal_votes(
        matrix, [0, 1], (np.array([0, 0, 1, 1]), ["A", "B"]), {"region": (np.array([0, 1, 0, -1]), ["n", "s"])}
    )
    first = found[0]
    assert (first.everyone.agree, first.everyone.disagree, first.everyone.passed) == (2, 1, 1)
    assert [(g.agree, g.disagree) for g in first.opinion_groups] == [(2, 0), (0, 1)]
    assert [(g.name, g.agree, g.disagree) for g in found[1].declared["region"]] == [("n", 0, 2), ("s", 0, 1)]


# --- across places ------------------------------------------------------------------------------


def test_five_places_with_a_tie_a_silent_one_and_reported_tallies_beside_live_ones():
    places = [
        reported("Herat", 60, 40),
        reported("Kandahar", 50, 50),  # a tie does not pass
        reported("Balkh", 0, 0),  # no vote: silent, shown, never a yes
        Place("Kabul", Result.PASS, 700, 300),  # decided live in Concord
        Place("Nangarhar", Result.UNDECIDED, 51, 49),  # its sample could not tell
    ]
    outcome = make_place_rule("all-places").decide(places)
    assert outcome.result == Result.FAIL
    assert outcome.silent == ["Balkh"] and outcome.undecided == ["Nangarhar"] and outcome.failing == ["Kandahar"]
    assert "(4 decided)" in rollup_json(outcome)["explanation"]
    quota = make_place_rule("places-quota", {"quota": 3})
    assert quota.decide(places).result == Result.UNDECIDED  # 2 pass; Nangarhar could make it 3
    assert make_place_rule("places-quota", {"quota": 2}).decide(places).result == Result.PASS


def test_double_majority_needs_more_than_half_the_cantons_and_the_people():
    """20 cantons weigh 1 and 6 half-cantons 0.5, 23 in all: 11.5 is not a majority."""
    cantons = [reported(f"C{i}", 60, 40) for i in range(10)]
    cantons += [reported(f"H{i}", 60, 40, weight=0.5) for i in range(3)]
    cantons += [reported(f"C{i}", 1, 2) for i in range(10, 20)]
    cantons += [reported(f"H{i}", 1, 2, weight=0.5) for i in range(3, 6)]
    outcome = make_place_rule("double-majority").decide(cantons)
    assert outcome.detail["places_for"] == 11.5 and outcome.detail["places_total"] == 23
    assert outcome.popular == Result.PASS and outcome.result == Result.FAIL  # a popular yes, failing in the cantons
    waiting = [*cantons[:-1], Place("H5", None, weight=0.5)]  # a half-canton has not voted yet
    assert make_place_rule("double-majority").decide(waiting).result == Result.UNDECIDED  # it could make 12
    assert make_place_rule("double-majority", {"silent": "against"}).decide(waiting).result == Result.FAIL
    cantons[-1] = reported("H5", 60, 40, weight=0.5)
    assert make_place_rule("double-majority").decide(cantons).result == Result.PASS  # 12 of 23


def test_qualified_majority_three_large_places_cannot_block_but_four_can():
    """55 % of the places with 65 % of the population; a blocking minority needs at least 4 places."""
    large = [reported(f"Large{i}", 10, 90, population=80) for i in range(4)]
    small = [reported(f"Small{i}", 90, 10, population=5) for i in range(23)]
    rule = make_place_rule("qualified-majority")
    three_against = [*large[:3], reported("Large3", 90, 10, population=80), *small]
    outcome = rule.decide(three_against)
    assert outcome.detail["population_for"] < 0.65 and outcome.result == Result.PASS  # deemed attained
    four_against = [*large, *small]
    assert rule.decide(four_against).result == Result.FAIL
    assert make_place_rule("qualified-majority", {"blocking": 5}).decide(four_against).result == Result.PASS


def test_roll_up_three_levels_deep():
    """Districts decide; provinces roll them up; the country rolls the provinces up."""
    district_rule = make_place_rule("all-places")
    herat = district_rule.decide([reported("Injil", 70, 30), reported("Guzara", 60, 40)])
    kandahar = district_rule.decide([reported("Arghandab", 70, 30), reported("Daman", 40, 60)])
    balkh = district_rule.decide([reported("Mazar", 80, 20), Place("Dihdadi", None)])  # one silent district
    provinces = [
        herat.as_place("Herat", population=2_000),
        kandahar.as_place("Kandahar", population=1_300),
        balkh.as_place("Balkh", population=1_500),
    ]
    # Balkh waits for Dihdadi (its outcome could still go either way); as a final count it fails.
    assert [p.result for p in provinces] == [Result.PASS, Result.FAIL, Result.UNDECIDED]
    final = make_place_rule("all-places", {"silent": "against"})
    assert final.decide([reported("Mazar", 80, 20), Place("Dihdadi", None)]).result == Result.FAIL
    country = make_place_rule("places-quota", {"quota": 1}).decide(provinces)
    assert country.result == Result.PASS and country.passing == ["Herat"]  # whatever Balkh decides
    assert make_place_rule("all-places").decide(provinces).result == Result.FAIL  # Kandahar: whatever Balkh decides
    assert make_place_rule("places-quota", {"quota": 2}).decide(provinces).result == Result.UNDECIDED
    assert provinces[0].agree == 130 and provinces[0].participants == 200
    with pytest.raises(RuleParameterError):
        make_place_rule("double-majority", {"weigh": "area"})


# --- samples, intervals and what settles them ---------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 400), st.integers(0, 400))
def test_a_share_lies_inside_its_interval_which_holds_90_percent_and_is_the_shortest(agree, disagree):
    """The interval is the 90 % of highest density of Beta(agree + 1, disagree + 1): the share (its mode)
    is always inside it ("0 % (1 %–26 %)" can no longer be printed), it holds 90 % of the posterior, and it
    is no wider than the central 90 %."""
    from scipy.special import betainc
    from scipy.stats import beta

    support = Support("B", agree, disagree)
    low, high = support.interval("agree")
    share = support.share("agree")
    if share is not None:
        assert low <= share <= high
    a, b = agree + 1, disagree + 1
    assert betainc(a, b, high) - betainc(a, b, low) == pytest.approx(0.90, abs=1e-6)
    central = beta(a, b).ppf([0.05, 0.95])
    assert high - low <= central[1] - central[0] + 1e-9
    assert support.interval("disagree") == pytest.approx((1 - high, 1 - low), abs=1e-6)


def test_an_unsettled_check_says_how_many_more_voters_at_the_same_split_would_settle_it():
    for agree, disagree, threshold, side in [(17, 10, 0.5, "agree"), (4, 5, 0.6, "disagree"), (2, 1, 0.5, "agree"),
                                             (35, 65, 0.6, "disagree")]:  # fmt: skip
        support = Support("B", agree, disagree)
        assert support.verdict(threshold, side) in (Verdict.UNCLEAR, Verdict.TOO_FEW)
        more = support.to_settle(threshold, side)
        assert more is not None and more > 0

        def grown(extra: int, agree: int = agree, disagree: int = disagree) -> Support:
            total = agree + disagree + extra
            grown_agree = round(agree / (agree + disagree) * total)
            return Support("B", grown_agree, total - grown_agree)

        assert grown(more).verdict(threshold, side) in (Verdict.CLEARS, Verdict.SHORT)
        assert grown(more - 1).verdict(threshold, side) in (Verdict.UNCLEAR, Verdict.TOO_FEW)
    assert Support("B", 30, 30).to_settle(0.5) is None  # on the threshold: no number of such votes settles it
    assert Support("B", 90, 10).to_settle(0.5) is None  # settled already


def test_what_a_plain_majority_says_is_counted_not_sampled():
    """17–10 is a majority however the sample's interval falls ("a plain majority would say: undecided")."""
    case = votes((17, 10), [(12, 2), (5, 8)])
    for name in RULES:
        outcome = make_rule(name).decide(case)
        assert outcome.majority == Result.PASS, name
    assert make_rule("majority").decide(case).result == Result.UNDECIDED  # the rule itself reads a sample
    assert make_rule("majority").decide(votes((10, 10))).majority == Result.FAIL  # a tie does not pass


def test_consensus_without_opinion_groups_asks_the_declared_groups_then_everyone():
    declared = votes((70, 30), [], {"community": {"north": (60, 5), "south": (10, 25)}}, counted=True)
    outcome = make_rule("consensus").decide(declared)
    assert outcome.result == Result.FAIL and outcome.decisive == ["south"]
    alone = votes((70, 30), counted=True)
    assert make_rule("consensus").decide(alone).result == Result.PASS


# --- who judges a proposal ------------------------------------------------------------------------


def test_a_vote_on_a_proposal_alone_is_a_ballot_counted_exactly_and_passes_at_70_percent():
    """A district conversation holding only the proposal: no deliberation to find opinion groups in, so
    none (its no-voters are not a group that vetoes it), and its votes are ballots counted exactly. Herat
    14–6 and Kabul 20–10 pass under the default rule and under consensus, as `concord decide` and the
    live analysis decide them."""
    for agree, disagree in ((14, 6), (20, 10), (70, 30)):
        matrix = ballot(agree, disagree)
        analysis = analyze(matrix, judged=np.array([True]))
        assert analysis.groups.k == 0 and not analysis.deliberation.grouped
        for name in ("mutual-veto", "consensus", "majority"):
            live = decide_proposals(make_rule(name), analysis, [0], {}, {}).proposals[0]
            export = decide_every_statement(make_rule(name), matrix, {}, {}).proposals[0]
            assert live == export
            assert live.outcome == "pass", (name, live.explanation)
            assert all(check.counted for check in live.checks)
    failing = decide_proposals(make_rule("mutual-veto"), analyze(ballot(9, 11), judged=np.array([True])), [0], {}, {})
    assert failing.proposals[0].outcome == "fail"
    assert failing.proposals[0].explanation == "Does not pass: 45 % agree, and it needs more than 50 %."


def test_a_community_still_vetoes_a_ballot():
    """No opinion groups in a ballot, but declared communities keep their veto (counted exactly)."""
    matrix = ballot(70, 30)
    community = {0: (np.array([0] * 60 + [1] * 10 + [1] * 25 + [0] * 5), ["north", "south"])}[0]
    decided = decide_proposals(make_rule("mutual-veto"), analyze(matrix, judged=np.array([True])), [0], {},
                               {"community": community})  # fmt: skip
    proposal = decided.proposals[0]
    assert proposal.outcome == "fail" and proposal.decisive == ["south"], proposal.explanation
    assert proposal.explanation == (
        "Does not pass: 71 % of south are against, and a group's veto takes more than 60 %."
    )


@pytest.mark.parametrize("seed", range(5))
def test_a_proposal_among_statements_voted_at_random_passes_under_the_mutual_veto(seed):
    """19 statements voted at random, a proposal 70 % of 100 people agree with: the groups found in the
    noise are not its yes- and no-voters, so none of them vetoes it."""
    matrix = noise_and_proposal(100, seed)
    judged = matrix.statement_ids == 19
    analysis = analyze(matrix, judged=judged)
    assert analysis.deliberation.grouped and analysis.groups.k >= 2
    without = analyze(matrix.without_columns(judged))
    assert np.array_equal(analysis.groups.labels, without.groups.labels)  # the proposal shaped nothing
    decided = decide_proposals(make_rule("mutual-veto"), analysis, [19], {}, {}).proposals[0]
    assert decided.outcome == "pass", decided.explanation
    assert not any(c.counted for c in decided.checks)  # a deliberation's groups are samples
    export = [
        p for p in decide_every_statement(make_rule("mutual-veto"), matrix, {}, {}).proposals if p.statement == 19
    ]
    assert export[0].outcome == "pass", export[0].explanation


def test_too_little_deliberation_finds_no_opinion_groups():
    """Six statements besides a proposal cannot place anyone by Pol.is's own rule (7 votes)."""
    matrix = noise_and_proposal(100, 0, statements=6)
    analysis = analyze(matrix, judged=matrix.statement_ids == 6)
    assert analysis.groups.k == 0 and (analysis.deliberation.statements, analysis.deliberation.grouped) == (6, False)
    few_people = noise_and_proposal(14, 0)
    assert not analyze(few_people, judged=few_people.statement_ids == 19).deliberation.grouped
    assert analyze(noise_and_proposal(15, 0), judged=few_people.statement_ids == 19).deliberation.grouped


# --- coordinated blocs ----------------------------------------------------------------------------


def outcomes_with_blocs_counted_once(matrix, arrival, rule: str) -> dict[int, str]:
    """Every statement decided as `concord decide` decides an export: suspected blocs counted once."""
    blocs = find_blocs(matrix, arrival)
    counted = counted_once(matrix, blocs) if blocs else matrix
    return {p.statement: p.outcome for p in decide_every_statement(make_rule(rule), counted, {}, {}).proposals}


@pytest.mark.parametrize("rule", ["mutual-veto", "consensus"])
@pytest.mark.parametrize("noise", [0.0, 0.03])
@pytest.mark.parametrize("seed", range(5))
def test_a_bloc_of_new_accounts_blocks_at_most_one_of_five_statements_both_real_groups_support(rule, noise, seed):
    """10 % of new accounts against everything, exact or with 3 % noise, arriving within an hour: counted
    once, they block at most one of the five statements that both real groups (80 % / 20 %) support, where
    counted in full they are an opinion group of their own and block nearly all of them."""
    matrix, arrival, both, only = majority_and_minority(seed, bloc=0.1, noise=noise)
    decided = outcomes_with_blocs_counted_once(matrix, arrival, rule)
    assert sum(decided[s] != "pass" for s in both) <= 1, decided
    assert all(decided[s] == "fail" for s in only)  # the real minority still vetoes what only the majority wants


@pytest.mark.parametrize("seed", range(5))
def test_a_real_minority_is_no_bloc_and_vetoes_the_five_statements_only_the_majority_wants(seed):
    matrix, arrival, both, only = majority_and_minority(seed)
    assert find_blocs(matrix, arrival) == [] and find_blocs(matrix, None) == []
    for rule in ("mutual-veto", "consensus"):
        decided = outcomes_with_blocs_counted_once(matrix, arrival, rule)
        assert [decided[s] for s in only] == ["fail"] * 5, (rule, decided)
        assert [decided[s] for s in both] == ["pass"] * 5, (rule, decided)
