"""Every outcome in one sentence a participant can read, in their language: what was decided, by which
rule, and the decisive body with its share against the threshold ("Does not pass: 89 % of group B are
against, and a group's veto takes more than 60 %."); an undecided outcome says what would settle it.

Composed from the published decision (:mod:`concord.report.contract`), never from a second reckoning, so
the sentence, the table beside it and ``concord decide`` say the same. The words come from ``Words``:
the reader's catalogue and number formats on a page, plain English in the CLI and the JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from concord.report import contract

EVERYONE = "everyone"


def isolated(text: str) -> str:
    """People's words (a community's, a place's name) set apart from the sentence's own direction."""
    return f"\u2068{text}\u2069"


@dataclass(frozen=True)
class Words:
    """How a sentence is written for one reader."""

    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]
    percent: Callable[[float], str]
    number: Callable[[int], str]
    group: Callable[[str], str]  # an opinion group's letter as the reader writes it ("A" → "الف")
    opinion_groups: frozenset[str] = frozenset()  # bodies that are opinion groups (else declared ones)
    isolate: bool = False  # wrap people's words in direction isolates (a page mixing scripts)
    separator: str = ", "  # between the items of a list ("، " in Dari and Pashto)

    def body(self, name: str) -> str:
        """A body as the sentence names it: everyone, an opinion group, or a declared group's own name."""
        _ = self.gettext
        if name == EVERYONE:
            return _("everyone")
        if name in self.opinion_groups:
            return _("group %(name)s") % {"name": self.group(name)}
        return isolated(name) if self.isolate else name


def english(opinion_groups: Sequence[str] = ()) -> Words:
    """Plain English: the CLI, logs and the JSON's ``explanation``."""
    return Words(
        gettext=lambda text: text,
        ngettext=lambda one, many, count: one if count == 1 else many,
        percent=lambda share: f"{share:.0%}".replace("%", " %"),
        number=lambda count: f"{count:,}",
        group=lambda letter: letter,
        opinion_groups=frozenset(opinion_groups),
    )


def proposal_sentence(decision: contract.ProposalDecision, rule: str, parameters: dict[str, Any], words: Words) -> str:
    """One sentence: the outcome and why, with the decisive body's share and its threshold."""
    _ = words.gettext
    checks = {c.body: c for c in decision.checks}
    decisive = [checks[b] for b in decision.decisive if b in checks]
    reason = decision.reason
    if decision.outcome == "pass":
        return _passes(rule, decision, decisive, words)
    if decision.outcome == "fail":
        return _fails(rule, parameters, reason, decision, decisive, words)
    return _undecided(reason, decision, decisive, words)


def _passes(
    rule: str, decision: contract.ProposalDecision, decisive: list[contract.DecisionCheck], words: Words
) -> str:
    _, pct = words.gettext, words.percent
    everyone = next((c for c in decision.checks if c.body == EVERYONE), None)
    if rule in ("consensus", "concurrent-majority") and decisive and not (len(decisive) == 1 and everyone):
        least = min(decisive, key=lambda c: c.share or 0.0)
        if rule == "concurrent-majority":
            return _("Passes: a majority in %(count)s of %(total)s groups (the least: %(share)s of %(body)s).") % {
                "count": words.number(len(decisive)),
                "total": words.number(len(decision.checks)),
                "share": pct(least.share or 0.0),
                "body": words.body(least.body),
            }
        return _(
            "Passes: every group agrees; the lowest is %(share)s (%(body)s), more than the %(threshold)s each "
            "group needs."
        ) % {
            "share": pct(least.share or 0.0),
            "body": words.body(least.body),
            "threshold": pct(least.threshold),
        }
    if everyone is None:  # a rule without an overall check and no other: nothing to cite
        return _("Passes.")
    facts = {"share": pct(everyone.share or 0.0), "threshold": pct(everyone.threshold)}
    others = [c for c in decision.checks if c.body != EVERYONE]
    if rule == "mutual-veto":
        if not others:
            return (
                _("Passes: %(share)s agree, more than the %(threshold)s needed, and there is no group to veto it.")
                % facts
            )
        most = max(others, key=lambda c: c.share or 0.0)
        return _(
            "Passes: %(share)s agree, more than the %(threshold)s needed, and no group has more than %(veto)s against "
            "(the most: %(against)s of %(body)s)."
        ) % {**facts, "veto": pct(most.threshold), "against": pct(most.share or 0.0), "body": words.body(most.body)}
    if others:  # parallel consent, weighted majority: overall and every community
        least = min(others, key=lambda c: c.share or 0.0)
        template = (
            _(
                "Passes: %(share)s agree overall, at least the %(threshold)s needed, and every community at least "
                "%(each)s (the least: %(least)s of %(body)s)."
            )
            if everyone.at_least
            else _(
                "Passes: %(share)s agree overall, more than the %(threshold)s needed, and more than %(each)s in "
                "every community (the least: %(least)s of %(body)s)."
            )
        )
        return template % {
            **facts,
            "each": pct(least.threshold),
            "least": pct(least.share or 0.0),
            "body": words.body(least.body),
        }
    if everyone.at_least:
        return _("Passes: %(share)s agree, at least the %(threshold)s needed.") % facts
    return _("Passes: %(share)s agree, more than the %(threshold)s needed.") % facts


def _fails(
    rule: str,
    parameters: dict[str, Any],
    reason: str,
    decision: contract.ProposalDecision,
    decisive: list[contract.DecisionCheck],
    words: Words,
) -> str:
    _, pct = words.gettext, words.percent
    if not decisive:
        return _("Does not pass.")
    if reason == "vetoed":
        strongest = max(decisive, key=lambda c: c.share or 0.0)
        sentence = _(
            "Does not pass: %(share)s of %(body)s are against, and a group's veto takes more than %(threshold)s."
        ) % {
            "share": pct(strongest.share or 0.0),
            "body": words.body(strongest.body),
            "threshold": pct(strongest.threshold),
        }
        return sentence + _also(len(decisive) - 1, words)
    weakest = min(decisive, key=lambda c: c.share if c.share is not None else -1.0)
    facts = {
        "share": pct(weakest.share or 0.0),
        "body": words.body(weakest.body),
        "threshold": pct(weakest.threshold),
    }
    if weakest.body == EVERYONE:
        if weakest.at_least:
            return _("Does not pass: %(share)s agree, and it needs at least %(threshold)s.") % facts
        return _("Does not pass: %(share)s agree, and it needs more than %(threshold)s.") % facts
    if rule == "concurrent-majority":
        clearing = sum(c.verdict == "clears" for c in decision.checks)
        quota = min(parameters.get("quota") or len(decision.checks), len(decision.checks))
        return _(
            "Does not pass: a majority in only %(count)s of %(total)s groups, and it needs %(needed)s "
            "(the least: %(share)s of %(body)s agree)."
        ) % {
            **facts,
            "count": words.number(clearing),
            "total": words.number(len(decision.checks)),
            "needed": words.number(quota),
        }
    if weakest.at_least:
        sentence = _("Does not pass: only %(share)s of %(body)s agree, and each needs at least %(threshold)s.") % facts
    else:
        sentence = _("Does not pass: only %(share)s of %(body)s agree, and each needs more than %(threshold)s.") % facts
    return sentence + _also(len(decisive) - 1, words)


def _undecided(
    reason: str, decision: contract.ProposalDecision, decisive: list[contract.DecisionCheck], words: Words
) -> str:
    _, pct = words.gettext, words.percent
    if reason == "no_groups" or not decisive:
        return _("Undecided: this rule counts declared groups (such as communities), and nobody has declared one yet.")
    few = [c for c in decisive if c.verdict == "too_few"]
    if few:
        smallest = min(few, key=lambda c: c.voters)
        facts = {"body": words.body(smallest.body), "more": words.number(smallest.settle or 0)}
        if smallest.voters == 0 and smallest.body == EVERYONE:
            sentence = _("Undecided: nobody has voted on it yet.")
        elif smallest.voters == 0:
            sentence = words.ngettext(
                "Undecided: nobody in %(body)s has voted on it yet; %(num)s vote from it would let it count.",
                "Undecided: nobody in %(body)s has voted on it yet; %(num)s votes from it would let it count.",
                smallest.settle or 0,
            ) % {**facts, "num": facts["more"]}
        else:
            sentence = words.ngettext(
                "Undecided: %(body)s has only %(num)s voter on it; %(more)s more would let it count.",
                "Undecided: %(body)s has only %(num)s voters on it; %(more)s more would let it count.",
                smallest.voters,
            ) % {**facts, "num": words.number(smallest.voters)}
        return sentence + _also(len(decisive) - 1, words)
    closest = decisive[0]
    facts = {
        "share": pct(closest.share or 0.0),
        "body": words.body(closest.body),
        "low": pct(closest.low),
        "high": pct(closest.high),
        "threshold": pct(closest.threshold),
        "more": words.number(closest.settle or 0),
    }
    if closest.side == "disagree":
        sentence = (
            _("Undecided: %(share)s of %(body)s are against (%(low)s–%(high)s), too close to %(threshold)s to tell.")
            % facts
        )
    else:
        sentence = (
            _("Undecided: %(share)s of %(body)s agree (%(low)s–%(high)s), too close to %(threshold)s to tell.") % facts
        )
    if closest.settle:
        sentence += " " + words.ngettext(
            "About %(num)s more vote from %(body)s, split the same way, would settle it.",
            "About %(num)s more votes from %(body)s, split the same way, would settle it.",
            closest.settle,
        ) % {**facts, "num": facts["more"]}
    else:
        sentence += " " + _("It sits on the threshold itself: only votes that lean one way would settle it.")
    return sentence + _also(len(decisive) - 1, words)


def _also(count: int, words: Words) -> str:
    if count <= 0:
        return ""
    return " " + words.ngettext("(And %(num)s more group.)", "(And %(num)s more groups.)", count) % {
        "num": words.number(count)
    }


def rollup_sentence(rollup: dict[str, Any], words: Words, names: Callable[[str], str] | None = None) -> str:
    """A roll-up across places in one sentence: how many places pass it of how many decided, and the
    share of all their votes together that agree (what a double majority weighs besides the places)."""
    _, number = words.gettext, words.number
    places = rollup["places"]
    total, passing = len(places), len(rollup["passing"])
    decided = total - len(rollup["silent"])
    agree = sum(p["agree"] for p in places)
    votes = agree + sum(p["disagree"] for p in places)
    facts = {
        "passing": number(passing),
        "total": number(total),
        "decided": number(decided),
        "share": words.percent(agree / votes) if votes else "–",
        "agree": number(agree),
        "votes": number(votes),
    }
    if decided == 0:
        return (
            words.ngettext(
                "No place has decided yet (%(total)s place).", "No place has decided yet (%(total)s places).", total
            )
            % facts
        )
    facts["lead"] = {
        "pass": _("Passes"),
        "fail": _("Does not pass"),
        "undecided": _("Undecided"),
    }[rollup["outcome"]]
    if votes:
        sentence = (
            words.ngettext(
                "%(lead)s: it passes in %(passing)s of %(total)s place (%(decided)s decided), and %(share)s of all "
                "votes agree (%(agree)s of %(votes)s).",
                "%(lead)s: it passes in %(passing)s of %(total)s places (%(decided)s decided), and %(share)s of all "
                "votes agree (%(agree)s of %(votes)s).",
                total,
            )
            % facts
        )
    else:
        sentence = (
            words.ngettext(
                "%(lead)s: it passes in %(passing)s of %(total)s place (%(decided)s decided).",
                "%(lead)s: it passes in %(passing)s of %(total)s places (%(decided)s decided).",
                total,
            )
            % facts
        )
    waiting = [*rollup["undecided"], *rollup["silent"]]
    if rollup["outcome"] == "undecided" and waiting:
        shown = words.separator.join(names(name) if names else name for name in waiting[:3])
        sentence += " " + _("Waiting for: %(places)s.") % {"places": shown}
    return sentence
