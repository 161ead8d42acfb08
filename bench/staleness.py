"""How stale the live results of a very large conversation get (a benchmark, not a test).

    python bench/staleness.py                          # 100k × 1M, 300k × 3M, 1M × 10M
    python bench/staleness.py --sizes 1m:10m --statements 1000

The live analysis (``concord.service.live_analysis``) re-analyses a conversation at most ``max_delay``
(10 s) after its first unanalysed vote; under a sustained load it runs back to back, each run reading
only the vote events it has not read yet (``EventCache``) and then recomputing everything from them
(``conversation_analysis.compute``: the engine, decisions, the results contract, the next-statement priorities).
So results are at most about ``max_delay + 2 × run`` seconds old: a vote that arrives just after a run
began waits for that run and the next. This bench measures a run at each size, in a fresh process each
(its peak memory alone), on synthetic conversations with 3 planted groups:

- ``read``: appending one increment of new events to the cache (``--rate`` votes/s for ``max_delay``
  seconds, as numpy columns; the database read of them is measured by ``bench/ingest.py``) and joining
  the columns as a run does;
- ``compute``: :func:`concord.report.conversation_analysis.compute`, exactly what the server runs;
- ``encode``: the results as the JSON stored and served (its size is the results endpoint's answer).

The staleness column is then ``max_delay + 2 × (read + compute + encode)``. The participants arrive far
apart (``results_size.arrivals``), so bloc detection compares no pair: its cost, which grows with the
participants who arrived within 20 minutes of each other, is not in these figures (``bench/blocs.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import measure, table
from results_size import arrivals

MAX_DELAY = 10.0  # concord.service.live_analysis.scheduler: LiveAnalysis(max_delay=10.0)
SIZES = {"100k:1m": (100_000, 1_000_000), "300k:3m": (300_000, 3_000_000), "1m:10m": (1_000_000, 10_000_000)}


def one(participants: int, votes: int, statements: int, rate: int) -> dict:
    import numpy as np

    from concord.engine.synthetic import planted_conversation
    from concord.report.conversation_analysis import AnalysisInputs, StatementState, compute
    from concord.service.decisions.rules import DEFAULT_RULE
    from concord.service.live_analysis.events import EventCache
    from concord.states import StatementStatus

    made = planted_conversation(participants, statements, votes, groups=3, seed=0)
    cache = EventCache()
    cache.participant.append(made.participant.astype(np.int64))
    cache.statement.append(made.statement.astype(np.int64))
    cache.vote.append(made.vote.astype(np.int64))
    cache.time.append(arrivals(made.participant, len(made.vote)))
    increment = rate * int(MAX_DELAY)
    started = time.perf_counter()
    cache.participant.append(np.random.default_rng(1).integers(0, participants, increment))
    cache.statement.append(np.random.default_rng(2).integers(0, statements, increment))
    cache.vote.append(np.random.default_rng(3).integers(-1, 2, increment))
    cache.time.append(int(cache.time[-1].max()) + 10 * np.arange(1, increment + 1, dtype=np.int64))
    participant, statement, vote, times = cache.columns()
    read = time.perf_counter() - started
    inputs = AnalysisInputs(
        log_size=len(vote) + statements + 1,
        participant=participant,
        statement=statement,
        vote=vote,
        time=times,
        statements=[StatementState(n, f"Statement {n}", StatementStatus.ACCEPTED, False) for n in range(statements)],
        topic="A national dialogue",
        questions=[],
        answers={},
        rule=DEFAULT_RULE,
    )
    started = time.perf_counter()
    computed = compute(inputs)
    took = time.perf_counter() - started
    assert computed is not None
    started = time.perf_counter()
    encoded = json.dumps(computed.results, separators=(",", ":"))
    encode = time.perf_counter() - started
    return {
        "read": read,
        "compute": took,
        "encode": encode,
        "kb": len(encoded) / 1024,
        "groups": len(computed.results.get("groups", [])),
        "votes": computed.vote_count,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k:1m,300k:3m,1m:10m", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--rate", type=int, default=2000, help="sustained votes per second (the increment per run)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = parser.parse_args(argv)
    if args.one:
        participants, votes = SIZES[args.one]
        print(json.dumps(one(participants, votes, args.statements, args.rate)))
        return
    rows = []
    for size in args.sizes.split(","):
        participants, votes = SIZES[size]
        run = measure(
            [sys.executable, __file__, "--one", size, "--statements", str(args.statements), "--rate", str(args.rate)]
        )
        found = json.loads(run.stdout)
        per_run = found["read"] + found["compute"] + found["encode"]
        rows.append(
            [
                f"{participants:,} × {args.statements:,}",
                f"{found['votes']:,}",
                f"{found['read']:.2f}",
                f"{found['compute']:.2f}",
                f"{found['encode']:.2f}",
                f"{found['kb']:,.0f}",
                f"{run.peak_mb:,.0f}",
                found["groups"],
                f"{MAX_DELAY + 2 * per_run:.0f}",
            ]
        )
        print(f"[{size}] {rows[-1]}", file=sys.stderr)
    print(f"Sustained load {args.rate:,} votes/s; the live analysis's max_delay {MAX_DELAY:g} s.\n")
    header = ["participants × statements", "votes", "read s", "compute s", "encode s", "results KB"]
    print(table([*header, "peak MB", "groups", "staleness s (at most)"], rows))


if __name__ == "__main__":
    main()
