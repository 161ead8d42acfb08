"""What one vote costs the database, without HTTP: the figures a capacity estimate starts from (a
benchmark, not a test).

    python bench/vote_cost.py [--votes 200000] [--batch 256] [--backends sqlite,postgresql]

For each database (a SQLite file; a throw-away PostgreSQL cluster with its default, durable settings)
it imports a real Pol.is conversation (``tests/data/polis/brexit-consensus``), joins ``--participants``
new participants, then stores ``--votes`` votes through :func:`concord.service.participation.voting.store_ballots`
in transactions of ``--batch`` votes, exactly as the vote intake does under load (rate limits on, log
entries appended). It reports the time per batch (p50 / p99), the CPU seconds per vote of this
process (the server's side) and of PostgreSQL, the bytes the database grew by per vote (vote event,
current vote, log entry, tiles, indexes), and votes/s for one writer.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import Postgres, cpu_seconds, percentile, postgres_bin
from measure import table

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "data" / "polis" / "brexit-consensus"


def database_bytes(url: str, path: Path | None) -> int:
    if path is not None:
        return sum(f.stat().st_size for f in path.parent.glob(path.name + "*"))
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    engine.dispose()
    return int(size)


def run(url: str, path: Path | None, db_pids, args) -> list:
    from concord.service.accounts.moderators import system_actor
    from concord.service.conversations.exchange import import_polis_folder
    from concord.service.participation import joining as participation
    from concord.service.participation.voting import Ballot, Stored, store_ballots
    from concord.service.ratelimit import RateLimiter
    from concord.service.spaces import create_space
    from concord.store.database import migrate, open_database, session_factory

    engine = open_database(url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        space = create_space(session, system_actor(), parent_path=None, slug="bench", name="Bench")
        conversation = import_polis_folder(session, system_actor(), space, SOURCE).conversation
        public_id, statements = conversation.public_id, conversation.next_statement_number
        tokens = [participation.join(session, conversation).token for _ in range(args.participants)]
    limiter = RateLimiter(enabled=args.rate_limits)
    rng = random.Random(0)
    # Spread over participants so no one exceeds the 2 votes/s of the rate limit.
    ballots = [
        Ballot(public_id, tokens[i % len(tokens)], rng.randrange(statements), rng.choice(("agree", "disagree", "pass")))
        for i in range(args.votes)
    ]
    before = database_bytes(url, path)
    own, db = cpu_seconds([os.getpid()]), cpu_seconds(db_pids())
    started = time.perf_counter()
    batches, stored = [], 0
    for chunk in range(0, len(ballots), args.batch):
        began = time.perf_counter()
        with sessions.begin() as session:
            answers = store_ballots(session, ballots[chunk : chunk + args.batch], limiter)
        batches.append(time.perf_counter() - began)
        stored += sum(isinstance(answer, Stored) for answer in answers)
    elapsed = time.perf_counter() - started
    own, db = cpu_seconds([os.getpid()]) - own, cpu_seconds(db_pids()) - db
    grown = database_bytes(url, path) - before
    engine.dispose()
    return [
        "postgresql" if path is None else "sqlite",
        f"{stored:,}",
        args.batch,
        f"{percentile(batches, 50) * 1000:.1f} / {percentile(batches, 99) * 1000:.1f}",
        f"{stored / elapsed:,.0f}",
        f"{own / stored * 1e6:.0f}",
        f"{db / stored * 1e6:.0f}" if path is None else "–",
        f"{grown / stored:,.0f}",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--votes", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=256, help="votes per transaction (the intake's largest)")
    parser.add_argument("--participants", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-rate-limits", dest="rate_limits", action="store_false", help="to see what they cost")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="concord-vote-cost-"))
    os.chmod(work, 0o755)
    rows = []
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                path = work / "cost.db"
                rows.append(run(f"sqlite:///{path}", path, list, args))
            else:
                bin_dir = postgres_bin()
                if bin_dir is None:
                    raise SystemExit("PostgreSQL binaries not found (apt-get install -y postgresql)")
                postgres = Postgres(work, bin_dir)
                try:
                    rows.append(run(postgres.start(), None, postgres.pids, args))
                finally:
                    postgres.stop()
            print(f"[{backend}] {rows[-1]}", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    limits = "on" if args.rate_limits else "off"
    print(f"{args.votes:,} votes by {args.participants:,} participants, transactions of {args.batch} votes,")
    print(f"rate limits {limits}.\n")
    header = ["backend", "votes stored", "batch", "ms per batch (p50 / p99)", "votes/s (one writer)"]
    print(table([*header, "server CPU µs / vote", "PostgreSQL CPU µs / vote", "bytes / vote"], rows))


if __name__ == "__main__":
    main()
