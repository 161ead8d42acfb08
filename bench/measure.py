"""Run a command as a separate process and measure what a user would see: wall time and peak memory."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    returncode: int
    stdout: str
    stderr: str


def measure(command: list[str]) -> Run:
    """Wall-clock seconds and peak resident memory (``ru_maxrss`` of this child alone)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, process.returncode, out.read(), err.read())


def median_run(command: list[str], repeats: int) -> Run:
    """The run with the median time of ``repeats`` fresh processes (machines here are noisy)."""
    runs = sorted((measure(command) for _ in range(repeats)), key=lambda run: run.seconds)
    return runs[len(runs) // 2]


def table(header: list[str], rows: list[list]) -> str:
    """A Markdown table, so the output can be pasted into the README as is."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def seeded_conversation(url: str, username: str, password: str, statements: int, slug: str, name: str) -> str:
    """A conversation made through a running server's API, by an administrator already added: a login,
    a space, the conversation and ``statements`` statements. Returns its public id."""
    import httpx

    with httpx.Client(base_url=url, timeout=30) as client:
        login = client.post("/api/session", json={"username": username, "password": password})
        login.raise_for_status()
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        space = client.post("/api/spaces", json={"slug": slug, "name": name})
        space.raise_for_status()
        created = client.post(
            f"/api/spaces/{space.json()['id']}/conversations", json={"topic": "How should the town spend its budget?"}
        )
        created.raise_for_status()
        conversation = created.json()["id"]
        for number in range(statements):
            made = client.post(
                f"/api/conversations/{conversation}/statements",
                json={"text": f"Proposal {number}: fund project number {number} this year"},
            )
            if made.status_code != 201:
                raise RuntimeError(f"seed statement {number}: {made.status_code} {made.text}")
    return conversation
