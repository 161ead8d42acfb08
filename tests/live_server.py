"""A real Concord server for tests that need HTTP from another client: uvicorn on a free loopback port
in a thread (the browser tests), or `concord serve` as a process of its own (tests that kill it)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(app) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def serve_process(database: str, *options: str, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """``concord serve`` on ``database`` in its own process group (its analysis process and workers die
    with it when the group is signalled), once it says it is ready; the process and its base URL."""
    port = port or free_port()
    command = [sys.executable, "-m", "concord", "serve", "--database", database, "--port", str(port), *options]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/ready", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.2)
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else "the server ended"
    raise AssertionError("the server did not start")
