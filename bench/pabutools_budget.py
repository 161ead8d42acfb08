"""pabutools run the way its users run it on a pabulib file, for bench/budgets.py: parse the .pb, collapse
identical ballots (``as_multiprofile``, its biggest speed-up), the Method of Equal Shares with cost
satisfaction and add1, completed by greedy utilitarian welfare. Prints the funded project ids as JSON.

    python bench/pabutools_budget.py FILE.pb
"""

from __future__ import annotations

import json
import sys

from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares


def main() -> None:
    instance, profile = parse_pabulib(sys.argv[1])
    outcome = completion_by_rule_combination(
        instance,
        profile.as_multiprofile(),
        [method_of_equal_shares, greedy_utilitarian_welfare],
        [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
    )
    print(json.dumps([project.name for project in outcome]))


if __name__ == "__main__":
    main()
