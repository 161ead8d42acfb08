"""A server killed outright (SIGKILL, as by a power cut or the kernel's out-of-memory killer) in the
middle of a vote load loses no acknowledged vote and leaves a log that verifies: each vote and its log
entry are one transaction, so either both are stored or neither is, and a vote is acknowledged only
after its transaction committed."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from live_server import free_port, serve_process


def test_a_server_killed_mid_load_keeps_every_acknowledged_vote_in_a_log_that_verifies(tmp_path):
    path = tmp_path / "concord.db"
    database = f"sqlite:///{path}"
    port = free_port()
    server, _ = serve_process(database, port=port)  # with the demo conversation (a real Pol.is export)
    with sqlite3.connect(path) as db:
        conversation, statements = db.execute(
            "SELECT c.public_id, c.next_statement_number FROM conversations c ORDER BY c.id LIMIT 1"
        ).fetchone()
    url = f"http://127.0.0.1:{port}/api/conversations/{conversation}"
    acknowledged: list[tuple[int, int, dict]] = []  # statement, vote, receipt
    lock, stop = threading.Lock(), threading.Event()

    def voter(seed: int) -> None:
        with httpx.Client(timeout=10) as client:
            try:
                token = client.post(f"{url}/participants", json={}).json()["token"]
                for i in range(10_000):
                    if stop.is_set():
                        return
                    statement, vote = (seed * 7 + i) % statements, ("agree", "disagree", "pass")[(seed + i) % 3]
                    answer = client.post(
                        f"{url}/votes",
                        json={"statement": statement, "vote": vote},
                        headers={"X-Participant-Token": token},
                    )
                    if answer.status_code == 201:
                        with lock:
                            acknowledged.append((statement, answer.json()["vote"], answer.json()["receipt"]))
            except (httpx.HTTPError, KeyError, ValueError):
                return  # the server is gone

    threads = [threading.Thread(target=voter, args=(seed,), daemon=True) for seed in range(24)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 400 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged) >= 400, "the load did not get going"

    server, _ = serve_process(database, port=port)  # it starts again on what the crash left
    try:
        export = tmp_path / "export"
        run = subprocess.run(
            [sys.executable, "-m", "concord", "export", conversation, str(export), "--database", database],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        verified = subprocess.run(
            [sys.executable, "-m", "concord", "verify", str(export)], capture_output=True, text=True, timeout=300
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    lines = Path(export, "log.jsonl").read_text(encoding="utf-8").splitlines()
    for statement, vote, receipt in acknowledged:
        body = lines[receipt["entry"]]
        assert hashlib.sha256(b"\x00" + body.encode()).hexdigest() == receipt["leaf"], "an acknowledged vote is lost"
        entry = json.loads(body)
        assert (entry["type"], entry["statement"], entry["vote"]) == ("vote", statement, vote)
