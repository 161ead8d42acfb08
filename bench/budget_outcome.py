"""A big participatory budget on the server: reading its outcome, and importing it while others vote
(a benchmark, not a test).

    python bench/budget_outcome.py                       # 60k and 300k ballots, on SQLite
    python bench/budget_outcome.py --sizes 60k --one-transaction   # and an import as one transaction
    python bench/budget_outcome.py --database postgresql://…/bench  # an empty PostgreSQL database

Each size runs in a fresh process (its peak memory alone), on a synthetic pabulib file of planted
groups (concord.engine.budgets.synthetic: 100 projects, a voter approves about six, and a district
column), written once under bench/out/. The process serves the app in-process (TestClient):

- **import while voting**: the file is posted to ``/api/spaces/{id}/budget-imports`` in one thread
  while, in another conversation, a voter votes every 0.25 s: the votes' latency (the import writes
  in batches of ``BATCH`` voters, pausing between them, so each vote gets its turn) and the import's
  time and memory above the process's before it: writing it, then computing its outcome (which the
  import stores before the budget shows). ``--one-transaction`` adds a row with the whole import
  in one transaction, as it was before: every other write waits for it (30 s, then 503 "database is
  locked").
- **outcome reads**: ``before`` is what every read did before the outcome was stored by log size (the
  code of commit cab7578: read every ballot entry and hash them all, then compare); ``stored`` a read
  now (median of 20; it reads no ballot); then a voter casts one more ballot and 8 readers ask at once:
  one computes it again (``recompute``), the 7 others are served the stored one meanwhile, of the log
  size it says (``stale``, their slowest); then ``stored`` again.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from measure import measure, table  # noqa: E402

CACHE = HERE / "out"
SIZES = {"10k": 10_000, "60k": 60_000, "300k": 300_000, "1m": 1_000_000}
BEFORE = "cab7578"  # the commit whose outcome read hashed every ballot


def pb_file(voters: int) -> Path:
    from budget_helpers import as_pabulib
    from concord.engine.budgets.synthetic import planted_budget
    from concord.formats.pabulib import write_pabulib

    path = CACHE / f"budget-outcome-{voters}.pb"
    if not path.is_file():
        planted = planted_budget(voters, 100, seed=1)
        districts = {"district": [f"district {g + 1}" for g in planted.group_of_voter]}
        CACHE.mkdir(parents=True, exist_ok=True)
        path.write_text(write_pabulib(as_pabulib(planted.election, districts)), encoding="utf-8")
    return path


def memory(field: str) -> float:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_from_now() -> None:
    """Start VmHWM again from the memory in use now (ru_maxrss cannot be: it even keeps the parent's)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _old_read(source: str):
    """The outcome read of commit ``BEFORE`` (every ballot read and hashed), as a module."""
    module = types.ModuleType("old_budget_outcomes")
    sys.modules[module.__name__] = module  # its dataclasses look themselves up there
    exec(compile(source, "old_budget_outcomes.py", "exec"), module.__dict__)
    return module._logged


def scenario(path: str, database: str, one_transaction: bool) -> dict:
    from fastapi.testclient import TestClient

    from api_helpers import small_site
    from concord.service.budgets import files as budget_files
    from concord.service.budgets import outcomes as budget_outcomes
    from concord.store.models import Budget, BudgetOutcomeRecord
    from concord.web.app import create_app

    if database.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(database[len("sqlite:///") :] + suffix).unlink(missing_ok=True)
    data = Path(path).read_bytes()
    app = create_app(database, live_analysis=False, rate_limits=False)
    runtime = app.state.concord
    admin = TestClient(app)
    site = small_site(app, admin)
    [statement] = site.seed(site.conversation, "Clean water should reach every village first")
    person = site.person()
    if one_transaction:
        budget_files.BATCH = 10**9
    baseline = memory("VmRSS")
    peak_from_now()
    answer: dict = {}
    written = budget_files._Import.outcome

    def outcome(self) -> None:  # the memory of writing it, apart from computing its outcome
        answer["written_mb"] = memory("VmHWM")
        peak_from_now()
        written(self)

    budget_files._Import.outcome = outcome  # type: ignore[method-assign]

    def post() -> None:
        started = time.perf_counter()
        response = admin.post(
            f"/api/spaces/{site.spaces['/a/b']['id']}/budget-imports",
            content=data,
            headers={**site.headers, "Content-Type": "text/plain"},
        )
        answer.update(status=response.status_code, body=response.json(), seconds=time.perf_counter() - started)

    importer = threading.Thread(target=post)
    importer.start()
    latencies, refused, value = [], 0, "agree"
    while importer.is_alive():
        started = time.perf_counter()
        voted = person.vote(statement, value)
        latencies.append(time.perf_counter() - started)
        refused += voted.status_code >= 300
        value = "disagree" if value == "agree" else "agree"
        time.sleep(0.25)
    importer.join()
    peak = memory("VmHWM")
    assert answer["status"] == 201, answer
    budget = answer["body"]["id"]
    result = {
        "import_s": answer["seconds"],
        "votes": len(latencies),
        "vote_p50_s": statistics.median(latencies),
        "vote_max_s": max(latencies),
        "refused": refused,
        "baseline_mb": baseline,
        "written_mb": answer["written_mb"],
        "peak_mb": peak,
    }
    reader = TestClient(app)

    def stored_reads(times: int) -> list[float]:
        took = []
        for _ in range(times):
            started = time.perf_counter()
            assert reader.get(f"/api/budgets/{budget}/outcome").status_code == 200
            took.append(time.perf_counter() - started)
        return took

    result["stored_s"] = statistics.median(stored_reads(20))
    source = subprocess.run(
        ["git", "show", f"{BEFORE}:src/concord/service/budget_outcomes.py"],
        cwd=HERE.parent,
        capture_output=True,
        text=True,
    )
    if source.returncode == 0:
        old_logged = _old_read(source.stdout)
        took = []
        for _ in range(3):
            with runtime.transaction() as session:
                found = session.query(Budget).filter_by(public_id=budget).one()
                started = time.perf_counter()
                old_logged(session, found)
                took.append(time.perf_counter() - started)
        result["before_s"] = statistics.median(took)
    # One more ballot, then 8 readers at once: one computes, the others get the stored outcome. (An
    # outcome that took long is computed again at most as often as it takes: wait that long first.)
    with runtime.transaction() as session:
        found = session.query(Budget).filter_by(public_id=budget).one()
        record = session.get(BudgetOutcomeRecord, found.id)
        time.sleep(max(0.0, record.seconds - (time.time() * 1000 - record.computed_ms) / 1000))
    voter = TestClient(app)
    assert voter.put(f"/api/budgets/{budget}/ballot", json={"projects": [1, 2]}).status_code == 200
    readers: list[tuple[float, bool, int]] = []

    def read() -> None:
        started = time.perf_counter()
        served = budget_outcomes.budget_results(runtime, budget).served
        assert served is not None
        readers.append((time.perf_counter() - started, served.current, served.log_size))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    computed = [seconds for seconds, current, _ in readers if current]
    stale = [seconds for seconds, current, _ in readers if not current]
    result["recomputed_by"] = len(computed)
    result["recompute_s"] = max(computed) if computed else None
    result["stale_max_s"] = max(stale) if stale else None
    result["stored_after_s"] = statistics.median(stored_reads(20))
    runtime.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="60k,300k", help="ballots: " + ",".join(SIZES))
    parser.add_argument("--database", default="", help="an empty database's URL (default: a SQLite file)")
    parser.add_argument("--one-transaction", action="store_true", help="also import as one transaction")
    parser.add_argument("--scenario", nargs=3, metavar=("FILE", "URL", "ONE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scenario:
        path, url, one = args.scenario
        print(json.dumps(scenario(path, url, one == "1")))
        return
    imports, reads = [], []
    for size in args.sizes.split(","):
        voters = SIZES[size]
        path = pb_file(voters)
        url = args.database or f"sqlite:///{CACHE / f'budget-outcome-{voters}.db'}"
        for one in [False, True] if args.one_transaction else [False]:
            run = measure([sys.executable, __file__, "--scenario", str(path), url, "1" if one else "0"])
            if run.returncode:
                raise SystemExit(run.stderr[-3000:])
            found = json.loads(run.stdout.strip().splitlines()[-1])
            print(found, file=sys.stderr)
            imports.append(
                [
                    f"{voters:,}",
                    f"{path.stat().st_size / 2**20:.1f}",
                    "one transaction (before)" if one else f"batches of {_batch()}",
                    f"{found['import_s']:.0f}",
                    f"{found['written_mb'] - found['baseline_mb']:.0f}",
                    f"{found['peak_mb'] - found['baseline_mb']:.0f}" if not one else "–",
                    f"{found['votes']}",
                    f"{found['vote_p50_s'] * 1000:.0f}",
                    f"{found['vote_max_s']:.2f}",
                    f"{found['refused']}",
                ]
            )
            if one:
                continue
            reads.append(
                [
                    f"{voters:,}",
                    f"{found['before_s']:.2f}" if "before_s" in found else "–",
                    f"{found['stored_s'] * 1000:.0f}",
                    f"{found['recompute_s']:.2f}" if found["recompute_s"] is not None else "–",
                    f"{found['recomputed_by']} of 8",
                    f"{found['stale_max_s'] * 1000:.0f}" if found["stale_max_s"] is not None else "–",
                    f"{found['stored_after_s'] * 1000:.0f}",
                ]
            )
    database = "PostgreSQL" if args.database.startswith("postgres") else "SQLite"
    print(f"\nImporting a pabulib file while a voter votes elsewhere every 0.25 s ({database}):\n")
    print(
        table(
            ["ballots", "file MB", "written in", "import s", "writing MB", "its outcome MB", "votes",
             "vote p50 ms", "vote max s", "votes refused"],
            imports,
        )
    )  # fmt: skip
    print(f"\nReading the outcome ({database}):\n")
    print(
        table(
            ["ballots", "before: each read s", "stored read ms", "after a ballot: recompute s", "recomputed by",
             "the others: slowest ms", "stored again ms"],
            reads,
        )
    )  # fmt: skip


def _batch() -> str:
    from concord.service.budgets.files import BATCH

    return f"{BATCH:,}"


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
