"""Several `concord serve` processes on one PostgreSQL behave as one service: a participant's rate limit
is one bucket whichever server they reach, every acknowledged vote is stored once, one process at a
time analyses a conversation, and when it is killed outright another takes over; a server told to
stop (SIGTERM) answers the votes it has before it exits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import create_engine, text

from live_server import serve_process

PASSWORD = "many-servers-password"


def start(database: str, *extra: str) -> tuple[subprocess.Popen, str]:
    return serve_process(database, "--no-demo", *extra)


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


@contextmanager
def servers(database: str, count: int) -> Iterator[list[tuple[subprocess.Popen, str]]]:
    started = []
    try:
        for _ in range(count):
            started.append(start(database))
        yield started
    finally:
        for server, _ in started:
            stop(server)


def conversation(database: str, url: str, statements: int = 20) -> str:
    """A space and an open conversation with ``statements`` statements, made through the API."""
    made = subprocess.run(
        [sys.executable, "-m", "concord", "user", "add", "admin", "--admin", "--password-stdin",
         "--database", database],
        input=PASSWORD + "\n", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    with httpx.Client(base_url=url, timeout=30) as admin:
        answer = admin.post("/api/session", json={"username": "admin", "password": PASSWORD})
        assert answer.is_success, answer.text
        headers = {"X-CSRF-Token": answer.json()["csrf_token"]}
        space = admin.post("/api/spaces", json={"slug": "nation", "name": "Nation"}, headers=headers)
        assert space.status_code == 201, space.text
        created = admin.post(
            f"/api/spaces/{space.json()['id']}/conversations",
            json={"topic": "A national dialogue"},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        public_id = created.json()["id"]
        for number in range(statements):
            added = admin.post(
                f"/api/conversations/{public_id}/statements", json={"text": f"Statement {number}"}, headers=headers
            )
            assert added.status_code == 201, added.text
    return public_id


def join(url: str, public_id: str) -> str:
    answer = httpx.post(f"{url}/api/conversations/{public_id}/participants", json={}, timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def vote(client: httpx.Client, url: str, public_id: str, token: str, statement: int, choice: str) -> httpx.Response:
    return client.post(
        f"{url}/api/conversations/{public_id}/votes",
        json={"statement": statement, "vote": choice},
        headers={"X-Participant-Token": token},
    )


def scalar(database: str, sql: str, **parameters):
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), parameters).scalar()
    finally:
        engine.dispose()


def stored_seqs(database: str) -> set[int]:
    """The log entry of every stored vote event."""
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            return set(connection.execute(text("SELECT seq FROM vote_events")).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def postgres_database(postgres_cluster) -> Iterator[str]:
    name = postgres_cluster.create_database()
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.drop_database(name)


def burst(urls: list[str], public_id: str, token: str, count: int) -> tuple[int, int, float]:
    """``count`` votes by one participant as fast as they go, spread over ``urls`` in turn: how many were
    accepted, how many refused with 429, and how long the burst took."""
    accepted = refused = 0
    started = time.monotonic()
    with httpx.Client(timeout=30) as client:
        for i in range(count):
            answer = vote(client, urls[i % len(urls)], public_id, token, i % 20 + 1, "agree")
            assert answer.status_code in (201, 429), answer.text
            accepted += answer.status_code == 201
            refused += answer.status_code == 429
    return accepted, refused, time.monotonic() - started


def test_a_rate_limit_holds_across_three_servers(postgres_database):
    with servers(postgres_database, 3) as running:
        urls = [url for _, url in running]
        public_id = conversation(postgres_database, urls[0])
        token = join(urls[1], public_id)
        accepted, refused, took = burst(urls, public_id, token, 60)
        # A moderator's session from one server is valid on the others, for reading and for changes.
        with httpx.Client(timeout=30) as moderator:
            login = moderator.post(f"{urls[0]}/api/session", json={"username": "admin", "password": PASSWORD})
            assert login.is_success, login.text
            headers = {"X-CSRF-Token": login.json()["csrf_token"]}
            assert moderator.get(f"{urls[1]}/api/session").json()["username"] == "admin"
            written = moderator.post(
                f"{urls[2]}/api/conversations/{public_id}/statements",
                json={"text": "From another server"},
                headers=headers,
            )
            assert written.status_code == 201, written.text
        # Failed logins count on every server: after four wrong passwords, each on another server, the
        # fifth waits 2 s wherever it goes (2^(4 − 3) s after the fourth, which waited 1 s).
        guesses = []
        for i in range(5):
            started = time.monotonic()
            answer = httpx.post(f"{urls[i % 3]}/api/session", json={"username": "admin", "password": "wrong guess"})
            assert answer.status_code == 401
            guesses.append(time.monotonic() - started)
        assert guesses[3] >= 0.9 and guesses[4] >= 1.9, guesses
    # The bucket holds 30 and refills at 2 a second: one server would accept 30 of 60 at once, three
    # that each kept their own bucket all 60.
    assert 30 <= accepted <= 30 + int(2 * took) + 1, (accepted, took)
    assert accepted + refused == 60
    stored = scalar(postgres_database, "SELECT count(*) FROM vote_events")
    assert stored == accepted


def load(urls: list[str], public_id: str, tokens: list[str], stop: threading.Event, acknowledged: list) -> None:
    """One voter per token, each on the server its number picks, voting until ``stop``; each 201 answer's
    receipt is kept."""
    lock = threading.Lock()

    def voter(number: int, token: str) -> None:
        url = urls[number % len(urls)]
        with httpx.Client(timeout=10) as client:
            for i in range(100_000):
                if stop.is_set():
                    return
                try:
                    answer = vote(
                        client, url, public_id, token, (number * 7 + i) % 20 + 1, ("agree", "disagree")[i % 2]
                    )
                except httpx.HTTPError:  # its server was killed: go on with another
                    url = urls[(urls.index(url) + 1) % len(urls)]
                    continue
                if answer.status_code == 201:
                    with lock:
                        acknowledged.append(answer.json()["receipt"]["entry"])
                elif answer.status_code == 429:
                    time.sleep(0.5)

    threads = [threading.Thread(target=voter, args=pair, daemon=True) for pair in enumerate(tokens)]
    for thread in threads:
        thread.start()


def analysis_state(database: str, public_id: str) -> tuple[str | None, int, int]:
    """Who stored the conversation's analysis, of how many log entries, and its log's size now."""
    engine = create_engine(database)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT a.computed_by, a.log_size, l.size FROM conversations c JOIN logs l "
                    "ON l.conversation_id = c.id LEFT JOIN analyses a ON a.conversation_id = c.id "
                    "WHERE c.public_id = :id"
                ),
                {"id": public_id},
            ).one()
            return row[0], row[1] or 0, row[2]
    finally:
        engine.dispose()


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds} s: {what}")


def test_three_servers_store_every_vote_once_one_analyses_and_another_takes_over_from_a_killed_one(
    postgres_database,
):
    with servers(postgres_database, 3) as running:
        urls = [url for _, url in running]
        public_id = conversation(postgres_database, urls[0])
        tokens = [join(urls[i % 3], public_id) for i in range(12)]
        acknowledged: list[int] = []
        stop = threading.Event()
        load(urls, public_id, tokens, stop, acknowledged)
        try:
            # Votes reach all three servers; the first analysis comes at most 10 s after the first vote
            # (the live analysis's longest delay), then one process goes on analysing.
            wait_for(lambda: analysis_state(postgres_database, public_id)[0] is not None, 30, "a first analysis")
            holders = set()
            deadline = time.monotonic() + 12
            while time.monotonic() < deadline:
                holder, _, _ = analysis_state(postgres_database, public_id)
                if holder:
                    holders.add(holder)
                time.sleep(0.2)
            assert len(holders) == 1, holders
            [leader] = holders
            leases = scalar(postgres_database, "SELECT count(*) FROM analysis_leases")
            assert leases == 1

            # Kill the leader's server outright (its process group: the web process and its analysis).
            leader_pid = int(leader.split(":")[1])
            killed = next(server for server, _ in running if server.pid == os.getpgid(leader_pid))
            os.killpg(killed.pid, signal.SIGKILL)
            killed.wait(timeout=30)
            wait_for(
                lambda: (analysis_state(postgres_database, public_id)[0] or leader) != leader,
                30,
                "another process takes the analysis over",
            )
        finally:
            stop.set()
        time.sleep(1.0)  # the voters' last requests are answered
        _, _, size = analysis_state(postgres_database, public_id)
        wait_for(
            lambda: analysis_state(postgres_database, public_id)[1] >= size,
            30,
            "the new leader's analysis catches up with the log",
        )
        taken_over_by = analysis_state(postgres_database, public_id)[0]
    assert taken_over_by not in (None, leader)
    assert len(acknowledged) >= 200, "the load did not get going"
    stored = stored_seqs(postgres_database)
    assert len(set(acknowledged)) == len(acknowledged), "two votes acknowledged with the same log entry"
    assert set(acknowledged) <= stored, "an acknowledged vote is lost"
    assert scalar(postgres_database, "SELECT count(*) FROM vote_events") == len(stored)  # each stored once


def processes_in_group(group: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == group:
                    found.append(int(entry))
            except ProcessLookupError:
                continue
    return found


def test_workers_share_one_port_and_one_rate_limit(postgres_database):
    server, url = start(postgres_database, "--workers", "2")
    try:
        public_id = conversation(postgres_database, url)
        token = join(url, public_id)
        accepted, _, took = burst([url], public_id, token, 60)  # new connections: any worker answers
        assert 30 <= accepted <= 30 + int(2 * took) + 1, (accepted, took)
        assert len(processes_in_group(server.pid)) >= 1 + 2 + 2, "the supervisor, two workers, their analyses"
    finally:
        stop(server)
    assert server.returncode == 0


def test_workers_need_postgresql(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "concord", "serve", "--database", f"sqlite:///{tmp_path / 'c.db'}", "--workers", "2"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2 and run.stderr.startswith("concord: error: --workers needs PostgreSQL"), run.stderr


def test_sigterm_answers_the_votes_it_has_then_exits(tmp_path):
    database = f"sqlite:///{tmp_path / 'concord.db'}"
    server, url = start(database)
    public_id = conversation(database, url)
    tokens = [join(url, public_id) for _ in range(8)]
    acknowledged: list[int] = []
    halt = threading.Event()
    load([url], public_id, tokens, halt, acknowledged)
    wait_for(lambda: len(acknowledged) >= 200, 60, "the load gets going")
    os.killpg(server.pid, signal.SIGTERM)
    # uvicorn stops listening, finishes the requests it has, stops the service (the intake stores what
    # it holds), then ends by the signal it caught, as a service manager expects.
    assert server.wait(timeout=60) in (0, -signal.SIGTERM)
    halt.set()
    assert server.stderr is not None and "Traceback" not in server.stderr.read().decode()
    wait_for(lambda: not processes_in_group(server.pid), 10, "its analysis process ends with it")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/health", timeout=1)  # it is gone
    stored = stored_seqs(database)
    assert set(acknowledged) <= stored, "a vote acknowledged during shutdown is lost"
