"""Sustained vote ingestion through the HTTP API, on SQLite and on PostgreSQL (a benchmark, not a test).

    python bench/ingest.py [--duration 20] [--backends sqlite,postgresql] [--connections 8,32,64]

Run it with the project's virtualenv (``. .venv/bin/activate``). For each backend it

1. starts a database: a temporary SQLite file, or a throw-away PostgreSQL cluster (``initdb`` in a temp
   folder on a free port, run as the ``postgres`` user when we are root; stopped at the end);
2. starts the real server as a separate process, ``python -m concord serve --no-demo --port P
   --database URL`` (uvicorn, one process, live analysis on, rate limits on);
3. sets up one conversation: an administrator made with ``concord user add --admin --password-stdin``,
   then through the API a login, a space, a conversation and ``--statements`` seed statements;
   ``--participants`` participants are joined through the service layer (``participation.join``)
   against the same database, because the API admits only 60 + 2/s new participants per address, and
   ``--seed-votes`` votes per participant are bulk-inserted (with their log entries) so the analysis has
   a full conversation to work on (on PostgreSQL then ``ANALYZE``, as autovacuum would soon after such a
   load, so the server plans with a running deployment's statistics); one HTTP vote then starts the
   live analysis and we wait for its first result;
4. per connection count: a warm-up of ``--warmup`` seconds, then ``--duration`` seconds of votes from
   a separate load process — ``wrk`` (Debian package ``wrk``) with ``bench/ingest.lua``, which cycles
   through the participant tokens (``X-Participant-Token``, so no CSRF token) and statements, so each
   participant gets ≤ 2 votes/s, its rate limit, up to 2 × ``--participants`` votes/s (429s say the
   load outran that: raise ``--participants``). Without wrk it falls back to an asyncio + httpx client
   in a separate process (and says so; it needs CPU the server would otherwise have);
5. meanwhile a light poller (a thread of this process) GETs the results endpoint every
   ``--poll-interval`` seconds and records its latency and the ``vote_count`` it reports.

Votes/s counts 201 responses only. "errors" are all other outcomes (non-201 statuses, socket errors,
timeouts); 429s are also shown on their own, since they mean the load pattern (not the server) is wrong.
CPU columns are the share of one core used during the measured window by the server's web process (all
its threads; the live analysis runs in a process of its own and is not counted), by PostgreSQL (all its
processes, also backends that exited) and by the load client; this machine's core count is printed first.
The results table shows the ``vote_count`` the endpoint reported at the start and end of each window (it
must increase: the analysis keeps up), how many distinct analyses were seen and the longest of them, and
how stale the results were when read: the poller also reads the log's size (its checkpoint) each time,
and a result of the log's first n entries read at t was t − (when the log first held n entries) old.

``--before REV`` (default 5ccfc13, the commit before the lean vote path of issue 28; ``none`` to skip)
first runs every row with the server of that commit, from a temporary ``git worktree`` (removed at the
end) on this virtualenv through PYTHONPATH, on a database of its own, then with this checkout's, and
prints them side by side, with the server's CPU per vote (CPU seconds of the web process over the
votes stored): on a shared machine, the steadier yardstick. The seeding (joins, seed votes) runs in a
process with the server's code too.

``--workers 1,2,4`` runs the PostgreSQL rows with that many server processes (``concord serve
--workers N``: one port, one analysis per conversation between them); server CPU then adds up the
web processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import seeded_conversation, table

HERE = Path(__file__).resolve().parent
LUA = HERE / "ingest.lua"
PASSWORD = "bench-password-not-secret"
TICKS = os.sysconf("SC_CLK_TCK")
VOTES = ("agree", "disagree", "pass")


def vote_for(participant: int, statement: int) -> str:
    """Three planted opinion groups (participant mod 3); the same rule as bench/ingest.lua."""
    return VOTES[(statement + participant % 3) % 3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds so far of these processes (all their threads); for the first one also
    its children that have exited (PostgreSQL backends of closed connections)."""
    total = 0
    for index, pid in enumerate(pids):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if index == 0:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped children
    return total / TICKS


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


# --- databases ----------------------------------------------------------------------------------


class Postgres:
    """A throw-away PostgreSQL cluster in a temp folder on a free port (as ``postgres`` when root)."""

    def __init__(self, root: Path, bin_dir: Path) -> None:
        self.dir = root / "pg"
        self.bin = bin_dir
        self.port = free_port()
        self.started = False

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> str:
        self.dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "concord")
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
            "-o",
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
        )
        self.started = True
        return f"postgresql://concord@127.0.0.1:{self.port}/postgres"

    def pids(self) -> list[int]:
        """The postmaster and its children (backends, WAL writer, checkpointer …)."""
        try:
            postmaster = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return []
        return [postmaster, *children(postmaster)]

    def stop(self) -> None:
        if self.started:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
            self.started = False


def postgres_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


# --- the server ---------------------------------------------------------------------------------


def code_environment(code: Path | None) -> dict[str, str]:
    """The environment of a process that runs ``code`` (a ``src`` folder put first on PYTHONPATH, with
    this virtualenv's packages), or this checkout's."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), *filter(None, [os.environ.get("PYTHONPATH")])])
    return env


class Server:
    def __init__(self, database: str, log: Path, workers: int = 1, code: Path | None = None) -> None:
        """``code``: a checkout's ``src`` folder to run instead of this one (``--before``)."""
        self.port = free_port()
        self.env = code_environment(code)
        self.workers = workers
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [
            sys.executable,
            "-m",
            "concord",
            "serve",
            "--no-demo",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--database",
            database,
            *(["--workers", str(workers)] if workers > 1 else []),
        ]
        with open(log, "w") as output:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited ({self.process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/api/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def web_pids(self) -> list[int]:
        """The web processes: this one, or with workers its children (the analysis processes, one per
        web process, are their children and are not counted)."""
        return [self.process.pid] if self.workers == 1 else children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn shuts down cleanly (live analysis stops)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- setting up the conversation ----------------------------------------------------------------


@dataclass
class Setup:
    conversation: str
    tokens_file: Path
    participants: int
    statements: int
    seed_votes: int
    first_analysis_s: float
    first_vote_count: int
    first_statement: int = 0  # the statements' numbers: first_statement … first_statement + statements - 1
    timings: dict = field(default_factory=dict)


def set_up(server: Server, database: str, work: Path, participants: int, statements: int, seed_votes: int) -> Setup:
    timings = {}
    started = time.perf_counter()
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "concord",
            "user",
            "add",
            "bench",
            "--admin",
            "--password-stdin",
            "--database",
            database,
        ],
        check=False,
        input=PASSWORD + "\n",
        text=True,
        capture_output=True,
        env=server.env,
    )
    if added.returncode != 0:
        raise RuntimeError(f"concord user add failed: {added.stderr or added.stdout}")

    conversation = seeded_conversation(server.url, "bench", PASSWORD, statements, "bench", "Ingestion benchmark")
    timings["api setup"] = time.perf_counter() - started

    # Joins and seed votes through the service layer, against the same database (see the docstring),
    # in a process running the server's code (the code before, with --before).
    tokens_file = work / "tokens.txt"
    seeded = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--_seed",
            database,
            conversation,
            str(participants),
            str(statements),
            str(seed_votes),
            str(tokens_file),
        ],
        check=False,
        text=True,
        capture_output=True,
        env=server.env,
    )
    if seeded.returncode != 0:
        raise RuntimeError(f"seeding failed: {seeded.stderr[-3000:]}")
    report = json.loads(seeded.stdout.strip().splitlines()[-1])
    timings.update(report["timings"])
    first_statement = report["first_statement"]
    tokens = tokens_file.read_text().split()

    # One HTTP vote starts the live analysis; wait for its first result.
    started = time.perf_counter()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        voted = client.post(
            f"/api/conversations/{conversation}/votes",
            json={"statement": first_statement, "vote": "agree"},
            headers={"X-Participant-Token": tokens[0]},
        )
        if voted.status_code != 201:
            raise RuntimeError(f"first vote: {voted.status_code} {voted.text}")
        deadline = time.monotonic() + 300
        while True:
            body = client.get(f"/api/conversations/{conversation}/results").json()
            if body.get("results") is not None:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the live analysis produced no result within 300 s")
            time.sleep(0.2)
    timings["first analysis (wall)"] = time.perf_counter() - started
    return Setup(
        conversation,
        tokens_file,
        participants,
        statements,
        seed_votes,
        body.get("seconds") or 0.0,
        body.get("vote_count") or 0,
        first_statement,
        timings,
    )


def seed(database: str, conversation: str, participants: int, statements: int, seed_votes: int, tokens: Path) -> None:
    """``--_seed``: join the participants and bulk-insert their seed votes (with their log entries)
    through the service layer of the code this process runs, then (PostgreSQL) ANALYZE; prints the timings and the first
    statement's number as JSON, and writes the tokens, one a line."""
    from sqlalchemy import insert, select

    from concord.ledger import events as ledger_events
    from concord.service.clock import now_ms
    from concord.service.conversations.lifecycle import conversation_by_public_id
    from concord.service.log.appending import append_all, conversation_log_id
    from concord.service.participation import joining as participation
    from concord.store.database import open_database, session_factory
    from concord.store.models import Statement, Vote, VoteEvent

    timings = {}
    started = time.perf_counter()
    engine = open_database(database)
    try:
        sessions = session_factory(engine)
        joined_tokens, ids, numbers = [], [], []
        with sessions.begin() as session:
            found = conversation_by_public_id(session, conversation)
            for _ in range(participants):
                joined = participation.join(session, found)
                joined_tokens.append(joined.token)
                ids.append(joined.participant.id)
                numbers.append(joined.participant.number)
        timings["joins (service layer)"] = time.perf_counter() - started
        started = time.perf_counter()
        with sessions.begin() as session:
            found = conversation_by_public_id(session, conversation)
            statement_ids = dict(
                session.execute(
                    select(Statement.number, Statement.id).where(Statement.conversation_id == found.id)
                ).all()
            )
            first_statement = min(statement_ids)  # 0 or 1, as the server numbers them
            now = now_ms()
            events, current, entries = [], [], []
            for p, participant_id in enumerate(ids):
                for j in range(min(seed_votes, statements)):
                    index = (p * 7 + j * 13) % statements  # distinct unless 13 divides the count
                    number = first_statement + index
                    value = {"agree": 1, "disagree": -1, "pass": 0}[vote_for(p, index)]
                    row = {
                        "conversation_id": found.id,
                        "participant_id": participant_id,
                        "statement_id": statement_ids[number],
                        "value": value,
                    }
                    events.append({**row, "created_ms": now})
                    current.append({**row, "updated_ms": now})
                    entries.append(ledger_events.vote(now, numbers[p], number, value))
            seqs = append_all(session.connection(), conversation_log_id(session.connection(), found.id), entries)
            events = [{**event, "seq": seq} for event, seq in zip(events, seqs)]  # each vote with its log entry
            unique = {(r["participant_id"], r["statement_id"]): r for r in current}
            for chunk in range(0, len(events), 10_000):
                session.execute(insert(VoteEvent), events[chunk : chunk + 10_000])
            rows = list(unique.values())
            for chunk in range(0, len(rows), 10_000):
                session.execute(insert(Vote), rows[chunk : chunk + 10_000])
        timings["seed votes (bulk insert)"] = time.perf_counter() - started
        if engine.dialect.name == "postgresql":  # what autovacuum does within a minute of such a load: the
            # server then plans with the statistics of a running deployment, not those of empty tables
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    tokens.write_text("\n".join(joined_tokens) + "\n")
    print(json.dumps({"timings": timings, "first_statement": first_statement}))


# --- load ---------------------------------------------------------------------------------------


def run_wrk(url: str, setup: Setup, connections: int, duration: float, start: int, threads: int) -> dict:
    command = [
        "wrk",
        "-t",
        str(max(1, min(threads, connections))),
        "-c",
        str(connections),
        "-d",
        f"{duration:g}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        setup.conversation,
        str(setup.tokens_file),
        str(setup.statements),
        str(start),
        str(setup.first_statement),
    ]
    return _load_process(command)


def run_python_client(url: str, setup: Setup, connections: int, duration: float, start: int) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--_load-client",
        url,
        setup.conversation,
        str(setup.tokens_file),
        str(setup.statements),
        str(start),
        str(connections),
        str(duration),
        str(setup.first_statement),
    ]
    return _load_process(command)


def _load_process(command: list[str]) -> dict:
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    lines = [line for line in stdout.splitlines() if line.startswith("INGEST ")]
    if not lines:
        raise RuntimeError(f"the load client printed no result (status {status}):\n{stdout}\n{stderr}")
    result = json.loads(lines[-1][len("INGEST ") :])
    result["client_cpu_s"] = usage.ru_utime + usage.ru_stime
    result["stderr"] = stderr.strip()
    return result


def load(client: str, url: str, setup: Setup, connections: int, duration: float, start: int, threads: int) -> dict:
    if client == "wrk":
        return run_wrk(url, setup, connections, duration, start, threads)
    return run_python_client(url, setup, connections, duration, start)


def python_client(
    url: str,
    conversation: str,
    tokens_file: str,
    statements: int,
    start: int,
    connections: int,
    duration: float,
    first_statement: int = 0,
) -> None:
    """The fallback load process: ``connections`` asyncio workers, each one request at a time."""
    tokens = [line for line in Path(tokens_file).read_text().splitlines() if line]
    path = f"/api/conversations/{conversation}/votes"
    latencies: list[float] = []
    counts = {"ok": 0, "limited": 0, "other": 0, "errors": 0, "sent": 0}
    counter = [start]

    async def worker(client: httpx.AsyncClient, deadline: float) -> None:
        while time.perf_counter() < deadline:
            k = counter[0]
            counter[0] += 1
            p, s = k % len(tokens), (k // len(tokens)) % statements
            counts["sent"] += 1
            began = time.perf_counter()
            try:
                response = await client.post(
                    path,
                    json={"statement": first_statement + s, "vote": vote_for(p, s)},
                    headers={"X-Participant-Token": tokens[p]},
                )
            except httpx.HTTPError:
                counts["errors"] += 1
                continue
            latencies.append(time.perf_counter() - began)
            key = "ok" if response.status_code == 201 else "limited" if response.status_code == 429 else "other"
            counts[key] += 1

    async def main() -> float:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=10) as client:
            began = time.perf_counter()
            await asyncio.gather(*(worker(client, began + duration) for _ in range(connections)))
            return time.perf_counter() - began

    elapsed = asyncio.run(main())
    us = [x * 1e6 for x in latencies]
    print(
        "INGEST "
        + json.dumps(
            {
                "duration_us": int(elapsed * 1e6),
                "requests": len(latencies),
                "sent": counts["sent"],
                "ok": counts["ok"],
                "limited": counts["limited"],
                "other": counts["other"],
                "connect_errors": 0,
                "read_errors": counts["errors"],
                "write_errors": 0,
                "timeouts": 0,
                "p50_us": percentile(us, 50),
                "p90_us": percentile(us, 90),
                "p99_us": percentile(us, 99),
                "max_us": max(us, default=0),
                "mean_us": sum(us) / max(1, len(us)),
            }
        )
    )


class ResultsPoller(threading.Thread):
    """GETs the results endpoint every ``interval`` seconds; records latency and ``vote_count``."""

    def __init__(self, url: str, conversation: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.path = f"/api/conversations/{conversation}/results"
        self.url, self.interval = url, interval
        self.checkpoint = f"/api/conversations/{conversation}/log/checkpoint"
        # time, latency, status, votes, computed, response bytes, log entries the results are of
        self.samples: list[tuple[float, float, int, int, int, float, int]] = []
        self.log_sizes: list[tuple[float, int]] = []  # time, the log's size then
        self.analysis_seconds: set[tuple[int, float]] = set()
        self._halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            next_at = time.perf_counter()
            while not self._halt.is_set():
                try:
                    size_at = time.perf_counter()
                    self.log_sizes.append((size_at, int(client.get(self.checkpoint).text.splitlines()[1])))
                except (httpx.HTTPError, IndexError, ValueError):
                    pass
                began = time.perf_counter()
                try:
                    response = client.get(self.path)
                    latency = time.perf_counter() - began
                    body = response.json() if response.status_code == 200 else {}
                    self.samples.append(
                        (
                            began,
                            latency,
                            response.status_code,
                            body.get("vote_count") or 0,
                            body.get("computed_ms") or 0,
                            len(response.content),
                            body.get("log_size") or 0,
                        )
                    )
                    if body.get("computed_ms"):
                        self.analysis_seconds.add((body["computed_ms"], body.get("seconds") or 0.0))
                except httpx.HTTPError:
                    self.samples.append((began, time.perf_counter() - began, 0, 0, 0, 0, 0))
                next_at += self.interval
                self._halt.wait(max(0.0, next_at - time.perf_counter()))

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def staleness(self, sample: tuple) -> float | None:
        """How old the results of a sample were: from when the log first held every entry they are of
        (as this poller saw it, to within its interval) to when they were read."""
        reached = next((at for at, size in self.log_sizes if size >= sample[6]), None)
        return None if reached is None or not sample[6] else max(0.0, sample[0] - reached)


# --- before and after ---------------------------------------------------------------------------

BEFORE = "5ccfc13"  # the commit before the lean vote path (issue 28)
COMPARED = [
    "backend",
    "processes",
    "connections",
    "votes/s before",
    "votes/s after",
    "change",
    "p99 ms before",
    "p99 ms after",
    "server CPU µs / vote before",
    "server CPU µs / vote after",
    "errors before / after",
]


def add_worktree(revision: str) -> Path:
    """A temporary checkout of ``revision`` (``git worktree add``), whose server runs on this
    virtualenv through PYTHONPATH; :func:`remove_worktree` removes it."""
    root = Path(
        subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--show-toplevel"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    folder = Path(tempfile.mkdtemp(prefix="concord-before-")) / "checkout"
    subprocess.run(
        ["git", "-C", str(root), "worktree", "add", "--detach", str(folder), revision],
        check=True,
        capture_output=True,
    )
    return folder


def remove_worktree(folder: Path) -> None:
    subprocess.run(
        ["git", "-C", str(folder), "worktree", "remove", "--force", str(folder)], check=False, capture_output=True
    )
    shutil.rmtree(folder.parent, ignore_errors=True)
    root = Path(
        subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--show-toplevel"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    subprocess.run(["git", "-C", str(root), "worktree", "prune"], check=False, capture_output=True)


def compare(rows: list[list]) -> list[list]:
    """The load rows of the code before and after (code, backend, processes, connections, votes/s, p50,
    p99, max, errors, 429s, CPU %, CPU µs / vote, …) paired by backend, processes and connections."""
    by_key: dict[tuple, dict[str, list]] = {}
    for row in rows:
        by_key.setdefault(tuple(row[1:4]), {})["before" if row[0].startswith("before") else "after"] = row
    paired = []
    for key, found in by_key.items():
        if {"before", "after"} <= found.keys():
            old, new = found["before"], found["after"]
            old_rate, new_rate = float(old[4].replace(",", "")), float(new[4].replace(",", ""))
            change = f"{100 * (new_rate / old_rate - 1):+.0f} %" if old_rate else "–"
            paired.append([*key, old[4], new[4], change, old[6], new[6], old[11], new[11], f"{old[8]} / {new[8]}"])
    return paired


# --- one backend --------------------------------------------------------------------------------


def bench_backend(
    backend: str, args, work: Path, client: str, label: str = "", code: Path | None = None
) -> tuple[list, list, Setup]:
    """Every row of one backend for one version of the code (``code``: its ``src`` folder, None for this
    checkout's), on a database of its own; rows start with ``label`` when given."""
    postgres = None
    server = None
    load_rows, results_rows = [], []
    work = work / f"{backend}-{'before' if code is not None else 'after'}"
    work.mkdir()
    os.chmod(work, 0o755)
    try:
        if backend == "sqlite":
            database = f"sqlite:///{work / 'ingest.db'}"
            db_pids: Callable[[], list[int]] = list  # no separate database processes: SQLite runs inside the server
        elif backend == "postgresql":
            bin_dir = Path(args.pg_bin) if args.pg_bin else postgres_bin()
            if bin_dir is None:
                raise RuntimeError("PostgreSQL binaries not found (apt-get install -y postgresql, or --pg-bin)")
            postgres = Postgres(work, bin_dir)
            database = postgres.start()
            db_pids = postgres.pids
        else:
            raise SystemExit(f"unknown backend {backend!r}: sqlite or postgresql")

        counts = args.workers if backend == "postgresql" else [1]
        server = Server(database, work / f"server-{backend}.log", counts[0], code)
        setup = set_up(server, database, work, args.participants, args.statements, args.seed_votes)
        print(
            f"[{backend}{' ' + label if label else ''}] conversation {setup.conversation}: "
            f"{setup.participants:,} participants, "
            f"{setup.statements} statements, {setup.first_vote_count:,} votes; first analysis "
            f"{setup.first_analysis_s:.2f} s; setup " + ", ".join(f"{k} {v:.1f} s" for k, v in setup.timings.items()),
            file=sys.stderr,
        )

        start = 1  # pair counter across runs, so runs use fresh (participant, statement) pairs
        for workers, connections in [(w, c) for w in counts for c in args.connections]:
            if workers != server.workers:
                server.stop()
                server = Server(database, work / f"server-{backend}-{workers}.log", workers, code)
            if args.warmup > 0:
                start += load(client, server.url, setup, connections, args.warmup, start, args.wrk_threads)["sent"]
            poller = ResultsPoller(server.url, setup.conversation, args.poll_interval)
            web = server.web_pids()
            server_cpu, db_cpu = cpu_seconds(web), cpu_seconds(db_pids())
            poller.start()
            began = time.perf_counter()
            result = load(client, server.url, setup, connections, args.duration, start, args.wrk_threads)
            elapsed = time.perf_counter() - began
            poller.stop()
            server_cpu = cpu_seconds(web) - server_cpu
            db_cpu = cpu_seconds(db_pids()) - db_cpu
            start += result["sent"]

            seconds = result["duration_us"] / 1e6
            errors = (
                (result["requests"] - result["ok"] - result["limited"])
                + result["connect_errors"]
                + result["read_errors"]
                + result["write_errors"]
                + result["timeouts"]
            )
            if result["stderr"]:
                print(f"[{backend} c={connections}] client said: {result['stderr'][:500]}", file=sys.stderr)
            load_rows.append(
                [
                    *([label] if label else []),
                    backend,
                    workers,
                    connections,
                    f"{result['ok'] / seconds:,.0f}",
                    f"{result['p50_us'] / 1000:.1f}",
                    f"{result['p99_us'] / 1000:.1f}",
                    f"{result['max_us'] / 1000:.0f}",
                    errors,
                    result["limited"],
                    f"{100 * server_cpu / elapsed:.0f} %",
                    f"{1e6 * server_cpu / max(1, result['ok']):,.0f}",
                    f"{100 * db_cpu / elapsed:.0f} %" if backend == "postgresql" else "–",
                    f"{1e6 * db_cpu / max(1, result['ok']):,.0f}" if backend == "postgresql" else "–",
                    f"{100 * result['client_cpu_s'] / elapsed:.0f} %",
                ]
            )

            window = [s for s in poller.samples if began <= s[0] <= began + elapsed]
            good = [s for s in window if s[2] == 200]
            latencies = [s[1] * 1000 for s in good]
            counts = [s[3] for s in good]
            analyses = sorted({s[4] for s in good})
            ran = [sec for computed, sec in poller.analysis_seconds if computed in analyses]
            stale = [age for age in map(poller.staleness, good) if age is not None]
            results_rows.append(
                [
                    *([label] if label else []),
                    backend,
                    workers,
                    connections,
                    len(window),
                    len(window) - len(good),
                    f"{percentile(latencies, 50):.1f}",
                    f"{percentile(latencies, 99):.1f}",
                    f"{max(latencies, default=0):.1f}",
                    f"{counts[0]:,} → {counts[-1]:,}" if counts else "–",
                    "yes" if counts and counts[-1] > counts[0] else "NO",
                    len(analyses),
                    f"{max(ran, default=0):.2f}",
                    f"{max((s[5] for s in good), default=0) / 1024:,.0f}",
                    f"{percentile(stale, 50):.1f} / {max(stale, default=0):.1f}" if stale else "–",
                ]
            )
            print(
                f"[{backend}{' ' + label if label else ''} ×{workers} c={connections}] "
                f"{result['ok'] / seconds:,.0f} votes/s, p50 "
                f"{result['p50_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms, errors {errors}, "
                f"429s {result['limited']}; server CPU {1e6 * server_cpu / max(1, result['ok']):,.0f} µs/vote; "
                f"results p99 {percentile(latencies, 99):.1f} ms; load {os.getloadavg()[0]:.1f}",
                file=sys.stderr,
            )
        return load_rows, results_rows, setup
    finally:
        if server is not None:
            server.stop()
        if postgres is not None:
            postgres.stop()


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--_load-client":
        url, conversation, tokens, statements, start, connections, duration, first = argv[1:9]
        python_client(
            url, conversation, tokens, int(statements), int(start), int(connections), float(duration), int(first)
        )
        return
    if argv and argv[0] == "--_seed":
        database, conversation, participants, statements, seed_votes, tokens = argv[1:7]
        seed(database, conversation, int(participants), int(statements), int(seed_votes), Path(tokens))
        return

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20, help="measured seconds per connection count")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds before each measurement")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--connections", default="8,32,64", help="comma-separated connection counts")
    parser.add_argument(
        "--workers", default="1", help="comma-separated server process counts for PostgreSQL (concord serve --workers)"
    )
    parser.add_argument("--participants", type=int, default=6000)
    parser.add_argument("--statements", type=int, default=200)
    parser.add_argument("--seed-votes", type=int, default=20, help="votes per participant inserted before the load")
    parser.add_argument("--poll-interval", type=float, default=0.25, help="seconds between results requests")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--wrk-threads", type=int, default=1)
    parser.add_argument("--pg-bin", help="folder with initdb and pg_ctl (default: newest /usr/lib/postgresql/*/bin)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (databases, server logs)")
    parser.add_argument(
        "--before",
        default=BEFORE,
        help=f"also run the server of this commit (a temporary git worktree), before this checkout's, and compare "
        f"(default {BEFORE}; 'none': this checkout's only)",
    )
    args = parser.parse_args(argv)
    args.connections = [int(c) for c in args.connections.split(",")]
    args.workers = [int(w) for w in args.workers.split(",")]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]

    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    if client == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk), or use --client python")

    work = Path(tempfile.mkdtemp(prefix="concord-ingest-"))
    os.chmod(work, 0o755)  # the postgres user needs to reach its folder inside
    cores = len(os.sched_getaffinity(0))
    load_rows, results_rows, setups, failed = [], [], {}, []
    before = None if args.before.lower() == "none" else args.before
    versions: list[tuple[str, Path | None]] = [("after", None)]
    checkout = None
    try:
        if before is not None:
            checkout = add_worktree(before)
            versions.insert(0, (f"before ({before})", checkout / "src"))
        for backend in backends:
            for label, code in versions:  # one after the other on the same machine: compare the pairs
                name = f"{backend} {label}" if before else backend
                try:
                    rows, polled, setup = bench_backend(backend, args, work, client, label if before else "", code)
                except (RuntimeError, OSError, subprocess.CalledProcessError, httpx.HTTPError) as error:
                    stderr = getattr(error, "stderr", None)
                    print(
                        f"[{name}] FAILED: {error}" + (f"\n{stderr.decode(errors='replace')}" if stderr else ""),
                        file=sys.stderr,
                    )
                    failed.append(name)
                    continue
                load_rows += rows
                results_rows += polled
                setups[name] = setup
    finally:
        if checkout is not None:
            remove_worktree(checkout)
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)

    import platform

    print(
        f"Machine: {cores} cores ({os.cpu_count()} online), Python {platform.python_version()}, "
        f"load client: "
        + (
            "wrk + bench/ingest.lua"
            if client == "wrk"
            else "asyncio + httpx in a separate process ("
            + ("chosen with --client python" if args.client == "python" else "wrk is not installed")
            + ": this client takes CPU from the server, so these numbers understate it)"
        )
    )
    if failed:
        print(f"FAILED (see stderr): {', '.join(failed)}")
    if not setups:
        raise SystemExit(1)
    setup = next(iter(setups.values()))
    print(
        f"Conversation: {setup.participants:,} participants, {setup.statements} statements, "
        f"{setup.seed_votes} seed votes each; {args.warmup:g} s warm-up, {args.duration:g} s measured per row.\n"
    )
    code_column = ["code"] if before else []
    print(f"Load average (1 / 5 / 15 min) at the end: {' / '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("Vote ingestion (POST /api/conversations/{id}/votes):\n")
    print(
        table(
            [
                *code_column,
                "backend",
                "processes",
                "connections",
                "votes/s",
                "p50 ms",
                "p99 ms",
                "max ms",
                "errors",
                "429s",
                "server CPU",
                "server CPU µs / vote",
                "PostgreSQL CPU",
                "PostgreSQL CPU µs / vote",
                "client CPU",
            ],
            load_rows,
        )
    )
    if before:
        print(f"\nBefore ({before}) and after, side by side:\n")
        print(table(COMPARED, compare(load_rows)))
    print(
        "\nResults endpoint (GET /api/conversations/{id}/results) polled every "
        f"{args.poll_interval:g} s during the same runs:\n"
    )
    print(
        table(
            [
                *code_column,
                "backend",
                "processes",
                "connections",
                "requests",
                "failed",
                "p50 ms",
                "p99 ms",
                "max ms",
                "vote_count seen",
                "increases",
                "analyses seen",
                "analysis s (max)",
                "response KB",
                "staleness s (p50 / max)",
            ],
            results_rows,
        )
    )
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
