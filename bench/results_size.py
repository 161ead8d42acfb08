"""What the results of a national conversation cost: the analysis that makes them, and each reader
(a benchmark, not a test).

    python bench/results_size.py                       # 1 M participants × 1,000 statements, 10 M votes
    python bench/results_size.py --sizes 100k:1m,1m:10m

Each size runs in a fresh process (its peak memory alone), through the real results path:

- ``analysis``: :func:`concord.report.conversation_analysis.compute`, what the live analysis runs, on a
  synthetic conversation with 3 planted groups; ``peak MB`` is the process's peak resident memory once
  it is done (``ru_maxrss``: the synthetic votes, the engine and the results). The participants arrive
  far apart (:func:`arrivals`), so that bloc detection (:mod:`concord.engine.blocs`) has no pair to
  compare: its cost grows with the participants times those who arrived within 20 minutes of each,
  11 s at 100,000 participants arriving over three days (``bench/blocs.py``), and is not in this
  figure;
- ``store``: encoding what is stored, the results JSON and every participant's place as bytes
  (``Placements.to_bytes``);
- then a Concord app over a fresh SQLite file with that analysis stored for a conversation, read as a
  reader's browser would (FastAPI's in-process client, so without the network): ``GET
  /api/conversations/{id}/results`` (the JSON every open results page polls; median of 21, after one
  read) and the results page ``/c/{id}/results``, for a participant (their own "You" marker: the first
  read after an analysis loads every participant's place once, later reads find them in memory) and
  for a reader who has not taken part.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import measure, table

SIZES = {
    "20k:200k": (20_000, 200_000),
    "100k:1m": (100_000, 1_000_000),
    "300k:3m": (300_000, 3_000_000),
    "1m:10m": (1_000_000, 10_000_000),
}
PASSWORD = "a long enough password"


def timed(get, repeats: int) -> tuple[float, int]:
    """Median milliseconds of ``repeats`` reads, and the bytes of the answer."""
    times, size = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        response = get()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
        size = len(response.content)
    return statistics.median(times), size


def arrivals(participant: np.ndarray, events: int) -> np.ndarray:
    """Vote times that put no two participants within bloc detection's window of each other (each
    arrives ``WINDOW_MS`` + 1 minute after the one before): what is measured is everything else; the
    pairs bloc detection compares grow with the arrivals per window (see the module docstring)."""
    import numpy as np

    from concord.engine.blocs import WINDOW_MS

    return participant.astype(np.int64) * (WINDOW_MS + 60_000) + np.arange(events, dtype=np.int64) % 60_000


def one(participants: int, votes: int, statements: int) -> dict:
    import numpy as np
    from fastapi.testclient import TestClient

    from concord.engine.synthetic import planted_conversation
    from concord.report.contract import RESULTS_VERSION
    from concord.report.conversation_analysis import AnalysisInputs, StatementState, compute
    from concord.service.accounts import moderators as accounts
    from concord.service.clock import now_ms
    from concord.service.decisions.rules import DEFAULT_RULE
    from concord.states import StatementStatus
    from concord.store.models import AnalysisRecord, Conversation
    from concord.web.app import create_app

    made = planted_conversation(participants, statements, votes, groups=3, seed=0)
    inputs = AnalysisInputs(
        log_size=len(made.vote) + statements + 1,
        participant=made.participant.astype(np.int64),
        statement=made.statement.astype(np.int64),
        vote=made.vote.astype(np.int64),
        time=arrivals(made.participant, len(made.vote)),
        statements=[StatementState(n, f"Statement {n}", StatementStatus.ACCEPTED, False) for n in range(statements)],
        topic="A national dialogue",
        questions=[],
        answers={},
        rule=DEFAULT_RULE,
    )
    del made
    started = time.perf_counter()
    computed = compute(inputs)
    analysis = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert computed is not None
    started = time.perf_counter()
    results_json = json.dumps(computed.results, separators=(",", ":"))
    placements = computed.placements.to_bytes()
    store = time.perf_counter() - started
    log_size = inputs.log_size
    del inputs

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(f"sqlite:///{folder}/concord.db", live_analysis=False, rate_limits=False)
        with TestClient(app) as admin, TestClient(app) as reader, TestClient(app) as participant:
            sessions = app.state.concord.sessions
            with sessions.begin() as session:
                accounts.create_user(session, "admin", PASSWORD, is_admin=True)
            token = admin.post("/api/session", json={"username": "admin", "password": PASSWORD}).json()["csrf_token"]
            headers = {"X-CSRF-Token": token}
            space = admin.post("/api/spaces", json={"slug": "n", "name": "N"}, headers=headers).json()
            conversation = admin.post(
                f"/api/spaces/{space['id']}/conversations", json={"topic": "A national dialogue"}, headers=headers
            ).json()["id"]
            admin.post(f"/api/conversations/{conversation}/statements", json={"text": "Statement 0"}, headers=headers)
            joined = participant.post(f"/api/conversations/{conversation}/participants", json={})
            assert joined.status_code == 201, joined.text
            with sessions.begin() as session:
                db_id = session.query(Conversation.id).filter(Conversation.public_id == conversation).scalar()
                session.add(
                    AnalysisRecord(
                        conversation_id=db_id,
                        computed_ms=now_ms(),
                        last_event_id=1,
                        log_size=log_size,
                        vote_count=computed.vote_count,
                        seconds=analysis,
                        results_version=RESULTS_VERSION,
                        results=computed.results,
                        placements=placements,
                        priorities=computed.priorities,
                    )
                )
            api = f"/api/conversations/{conversation}/results"
            page = f"/c/{conversation}/results"
            timed(lambda: reader.get(api), 1)
            api_ms, api_bytes = timed(lambda: reader.get(api), 21)
            first_ms, page_bytes_yours = timed(lambda: participant.get(page), 1)
            yours_ms, page_bytes_yours = timed(lambda: participant.get(page), 5)
            you = 'class="you"' in participant.get(page).text
            page_ms, page_bytes = timed(lambda: reader.get(page), 5)
    return {
        "participants": computed.results["participants"],
        "votes": computed.vote_count,
        "analysis": analysis,
        "peak_mb": peak_mb,
        "store": store,
        "results_bytes": len(results_json),
        "map_bytes": len(json.dumps(computed.results["map"], separators=(",", ":"))),
        "placements_bytes": len(placements),
        "api_ms": api_ms,
        "api_bytes": api_bytes,
        "page_bytes": page_bytes,
        "page_ms": page_ms,
        "yours_bytes": page_bytes_yours,
        "yours_first_ms": first_ms,
        "yours_ms": yours_ms,
        "you_marked": you,
        "timings": computed.results["timings"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1m:10m", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one size in this process
    args = parser.parse_args(argv)
    if args.one:
        participants, votes = SIZES[args.one]
        print(json.dumps(one(participants, votes, args.statements)))
        return
    rows = []
    for size in args.sizes.split(","):
        run = measure([sys.executable, __file__, "--one", size, "--statements", str(args.statements)])
        if run.returncode:
            raise SystemExit(run.stderr)
        found = json.loads(run.stdout)
        rows.append(
            [
                f"{found['participants']:,} × {args.statements:,}",
                f"{found['votes']:,}",
                f"{found['analysis']:.2f}",
                f"{found['peak_mb']:,.0f}",
                f"{found['store']:.2f}",
                f"{found['results_bytes'] / 1024:,.0f}",
                f"{found['map_bytes'] / 1024:,.1f}",
                f"{found['api_ms']:.1f}",
                f"{found['page_bytes'] / 1024:,.1f}",
                f"{found['yours_bytes'] / 1024:,.1f}",
                f"{found['yours_first_ms']:,.0f} / {found['yours_ms']:,.0f}",
                f"{found['placements_bytes'] / 2**20:,.1f}",
            ]
        )
        print(f"[{size}] {json.dumps(found)}", file=sys.stderr, flush=True)
    header = ["participants × statements", "votes", "analysis s", "peak MB", "store s", "results KB", "map KB"]
    header += ["results ms", "page KB", "page KB (yours)", "page ms (yours: first / later)", "placements MB"]
    print(table(header, rows))


if __name__ == "__main__":
    main()
