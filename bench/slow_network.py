"""What a participant on a cheap phone and a slow network waits for (a benchmark, not a test).

Starts two real servers on SQLite with the demo conversation: this working tree, and an earlier
revision (``--before``, checked out in a temporary git worktree), and loads in Debian's chromium,
through Chrome's network and CPU emulation (``Slow 3G`` as DevTools defines it: 400 ms round trip,
400 kbit/s each way; CPU 4× slower), the pages a newcomer opens: the home page, the demo conversation,
its results, and the conversation again (warm cache). Prints, per page and revision, the time to the
first contentful paint, to the load event, and the bytes that crossed the network (as sent, i.e.
compressed when the server compresses).

    python bench/slow_network.py --before 8ef8ee5
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
CPU_SLOWDOWN = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``concord serve`` of the code under ``source`` (its src/ first on the path), with the demo."""

    def __init__(self, source: Path, work: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        database = f"sqlite:///{work / 'concord.db'}"
        environment = {**os.environ, "PYTHONPATH": str(source / "src")}
        command = [sys.executable, "-m", "concord", "serve", "--port", str(self.port), "--database", database]
        with open(work / "server.log", "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(self.url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((work / "server.log").read_text()[-2000:])
            time.sleep(0.3)
        spaces = httpx.get(self.url + "/api/spaces?path=/demo").json()
        detail = httpx.get(f"{self.url}/api/spaces/{spaces[0]['id']}").json()
        self.demo = detail["conversations"][0]["id"]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def measure(browser, server: Server) -> list[tuple[str, float, float, int]]:
    """(page, first contentful paint ms, load ms, bytes) for a newcomer's first pages, one browser."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, locale="fa-AF")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
    received = [0]
    cdp.on("Network.loadingFinished", lambda event: received.__setitem__(0, received[0] + event["encodedDataLength"]))
    rows = []
    visits = [("home", "/"), ("conversation", f"/c/{server.demo}"), ("results", f"/c/{server.demo}/results"),
              ("conversation again", f"/c/{server.demo}")]  # fmt: skip
    for name, path in visits:
        received[0] = 0
        page.goto(server.url + path, wait_until="load")
        page.wait_for_timeout(300)  # late requests (a favicon) are counted too
        timing = page.evaluate(
            """() => {
                const paint = performance.getEntriesByName('first-contentful-paint')[0];
                const nav = performance.getEntriesByType('navigation')[0];
                return [paint ? paint.startTime : 0, nav.loadEventEnd];
            }"""
        )
        rows.append((name, timing[0], timing[1], received[0]))
    context.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="HEAD", help="the revision to compare with (a git ref)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch:
        before_tree = Path(scratch) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before_tree), args.before],
                       check=True, capture_output=True)  # fmt: skip
        results = {}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                for label, source in ((f"before ({args.before})", before_tree), ("now", ROOT)):
                    work = Path(scratch) / ("server-" + label.split()[0])
                    work.mkdir()
                    server = Server(source, work)
                    try:
                        measure(browser, server)  # a first pass warms the server (imports, templates)
                        results[label] = measure(browser, server)
                    finally:
                        server.stop()
                browser.close()
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)], check=False)
    print(f"Slow 3G (400 ms round trip, 400 kbit/s), CPU {CPU_SLOWDOWN}× slower, 360 × 640, Dari, chromium\n")
    print("| page | revision | first paint ms | load ms | bytes over the network |")
    print("|---|---|---|---|---|")
    for index in range(len(next(iter(results.values())))):
        for label, rows in results.items():
            name, paint, load, size = rows[index]
            print(f"| {name} | {label} | {paint:,.0f} | {load:,.0f} | {size:,} |")


if __name__ == "__main__":
    main()
