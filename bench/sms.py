"""Taking part by SMS through a real Kannel: messages per second into Concord and the reply latency
(a benchmark, not a test).

    python bench/sms.py [--rates 1,10,50] [--duration 20] [--phones 300]

Run it with the project's virtualenv (``. .venv/bin/activate``) on a machine with Debian's ``kannel`` and
``kannel-extras``. It starts

1. Debian's ``bearerbox`` and ``smsbox`` with one ``smsc = fake`` connection (tests/kannel.py: a
   kannel.conf in a temp folder, free loopback ports, log-level 2 so Kannel does not log every message);
2. the real server, ``python -m concord serve --no-demo --port P --database sqlite:///…`` (one process,
   live analysis on), with an administrator made by ``concord user add --admin --password-stdin``, and
   through the API a space and a conversation with ``--statements`` statements; the conversation gets
   the number phones text with ``concord sms connect`` and Kannel gets the ``sms-service`` group that
   ``concord sms kannel-config --url`` prints (the gateway's secret in its URL);
3. the peer, measured in the same run: the same Kannel with an ``sms-service`` whose ``get-url`` is a
   stub web service (a separate Python process, ``http.server``) answering every text at once with a
   fixed text as long as a statement: the cost of Kannel itself and of the fake SMSC's client.

The phones are one Python client of the fake SMSC (tests/kannel.py ``Phones``), not Kannel's
``fakesmsc``: fakesmsc sends its messages in random order and logs whole seconds, while the client
speaks the same line protocol (``SENDER RECEIVER text TEXT`` a line) and takes ``time.perf_counter()``
when it writes a message to the socket and when the reply's last part arrives. Latency is the time
between the two: fake SMSC → bearerbox → smsbox → HTTP to the service → the reply back the same way.

At each offered load (``--rates`` messages per second) messages are sent open loop, on a fixed
schedule, for ``--duration`` seconds, by phones of their own (``--phones`` a rate, each with at most one
text waiting for its reply; a send is "skipped" when all are waiting). Before the window every phone
joins the conversation (its first text, answered by a statement; not measured); in the window each
text is an answer (1 agree, 2 disagree, 3 pass), and Concord's reply is the next statement: a vote
stored, logged and queued for the analysis, then the next statement chosen. "msg/s" is replies
received in the window divided by its length (the last replies may come after its end; they are
waited for, up to 30 s, and a text without a reply by then is "lost"). The last row sends as fast as
the replies come back, from ``--closed-phones`` phones at once (closed loop): the most this setup
takes. A phone answers at most ``--answers-per-phone`` times (Concord lets a phone send 10 texts at
once, then one every 6 s), then a new phone joins in its place: its first text counts in msg/s, not
among the answers or their latencies.
The votes Concord counted are checked at the end against the results endpoint's ``vote_count``.

The CPU columns are the share of one core used during the window by the bearerbox, the smsbox and the
web service (Concord's web process or the stub; Concord's analysis runs in a process of its own and
is not counted), and the web service's CPU time per text. "votes stored" counts Concord's vote events
in its database file before and after the window. This machine's core count and load average are
printed first (and the load again at the end): other work on it adds noise.
"""

from __future__ import annotations

import argparse
import http.server
import itertools
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))
from kannel import Kannel, Sms, free_port, unavailable_reason  # noqa: E402
from measure import seeded_conversation, table  # noqa: E402

PASSWORD = "bench-password-not-secret"
SHORT_CODE = "4545"
TICKS = os.sysconf("SC_CLK_TCK")
STUB_REPLY = "Statement 12: Clean water should reach every village first. 1 agree, 2 disagree, 3 pass, 0 stop"
JOIN_TEXT = "hello"
ANSWERS = ("1", "2", "3")
STATEMENT_MARK = "1 agree, 2 disagree"  # in every reply that puts a statement to the phone


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


# --- the services Kannel calls ----------------------------------------------------------------------


def stub_main(port: int) -> None:
    """The peer's web service: every text answered at once with STUB_REPLY."""
    body = STUB_REPLY.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


class Service:
    """A web service process Kannel calls: the stub or ``concord serve``."""

    def __init__(self, name: str, command: list[str], url: str, ready_path: str, log: Path) -> None:
        self.name = name
        self.url = url
        ready_url = url + ready_path
        self.log = log
        with open(log, "w") as output:
            self.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        deadline = time.monotonic() + 90
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{name} exited ({self.process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(ready_url, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        """TERM to its process group (Concord's analysis process too), KILL after ten seconds."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def concord(*arguments: str, database: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "concord", *arguments, "--database", database],
        input=stdin,
        text=True,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"concord {' '.join(arguments)} failed: {done.stderr or done.stdout}")
    return done.stdout


def start_concord(work: Path, statements: int, services: list[Service]) -> tuple[Service, str, str]:
    """The server (added to ``services`` at once, to be stopped whatever happens next), its conversation
    (public id) with ``statements`` statements, and the sms-service group."""
    database = f"sqlite:///{work / 'concord.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "concord", "serve", "--no-demo", "--host", "127.0.0.1", "--port", str(port)]
    server = Service("concord", [*command, "--database", database], url, "/api/ready", work / "concord.log")
    services.append(server)
    concord("user", "add", "bench", "--admin", "--password-stdin", database=database, stdin=PASSWORD + "\n")
    conversation = seeded_conversation(url, "bench", PASSWORD, statements, "sms", "SMS benchmark")
    concord("sms", "connect", conversation, SHORT_CODE, database=database)
    group = concord("sms", "kannel-config", "--url", url, database=database)
    return server, conversation, group


def vote_count(url: str, conversation: str) -> int:
    return httpx.get(f"{url}/api/conversations/{conversation}/results", timeout=10).json()["vote_count"]


def vote_events(database: Path) -> int:
    with sqlite3.connect(database, timeout=30) as db:
        return db.execute("SELECT count(*) FROM vote_events").fetchone()[0]


def wait_for_votes(url: str, conversation: str, expected: int, timeout: float = 60) -> int:
    """The results' vote_count once it reaches ``expected`` (the analysis trails votes), or at the timeout."""
    deadline = time.monotonic() + timeout
    while (count := vote_count(url, conversation)) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    return count


def kannel_version() -> str:
    from kannel import binary

    done = subprocess.run([binary("bearerbox") or "bearerbox", "--version"], capture_output=True, text=True)
    found = [line for line in (done.stdout + done.stderr).splitlines() if "version" in line]
    return found[0].split("version", 1)[1].strip(" `'.") if found else "?"


# --- the load ---------------------------------------------------------------------------------------


@dataclass
class Window:
    sent: int = 0
    skipped: int = 0
    latencies: list[float] = field(default_factory=list)  # of answers
    joins: int = 0  # first texts of phones that joined during the window (closed loop)
    replies: int = 0
    lost: int = 0
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


class Traffic:
    """Routes each reply to its phone's waiting text, keeps the latencies and the phones free to text.
    A phone answers at most ``max_answers`` times (Concord's rate limit lets a phone send 10 texts at
    once, then one every 6 s); when ``fresh`` numbers are given, a new phone takes its place (its first
    text joins; those texts count as messages, their latencies are not among the answers')."""

    def __init__(self, max_answers: int | None) -> None:
        self.lock = threading.Lock()
        self.replied = threading.Condition(self.lock)
        self.max_answers = max_answers
        self.waiting: dict[str, tuple[float, str]] = {}  # phone → when its text was sent, and its kind
        self.answers: dict[str, int] = {}
        self.idle: deque[str] = deque()  # phones with no text waiting, in the order they got their reply
        self.latencies: dict[str, list[float]] = {"join": [], "answer": []}
        self.unexpected: list[Sms] = []
        self.other_replies: list[str] = []  # replies that put no statement to the phone

    def on_message(self, sms: Sms) -> None:
        with self.lock:
            waiting = self.waiting.pop(sms.receiver, None)
            if waiting is None:
                self.unexpected.append(sms)
            else:
                sent, kind = waiting
                self.latencies[kind].append(sms.at - sent)
                if STATEMENT_MARK not in sms.text:
                    self.other_replies.append(sms.text)
                if self.max_answers is None or self.answers.get(sms.receiver, 0) < self.max_answers:
                    self.idle.append(sms.receiver)
            self.replied.notify_all()

    def send(self, phones, phone: str, kind: str) -> None:
        if kind == "answer":
            count = self.answers.get(phone, 0)
            self.answers[phone] = count + 1
            text = ANSWERS[count % len(ANSWERS)]
        else:
            text = JOIN_TEXT
        with self.lock:
            self.waiting[phone] = (time.perf_counter(), kind)
        phones.send(phone, SHORT_CODE, text)

    def wait_for_all(self, timeout: float) -> int:
        """Wait until no text is waiting; returns how many still were at the timeout (lost)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.waiting and time.monotonic() < deadline:
                self.replied.wait(timeout=max(0.01, deadline - time.monotonic()))
            lost = len(self.waiting)
            self.waiting.clear()
            return lost

    def take(self) -> tuple[dict[str, list[float]], deque[str]]:
        with self.lock:
            taken, self.latencies = self.latencies, {"join": [], "answer": []}
            idle, self.idle = self.idle, deque()
            return taken, idle


def join_phones(phones, traffic: Traffic, numbers: list[str], rate: float = 50) -> None:
    """Every phone's first text (not measured), paced at ``rate`` a second; the phones are then idle."""
    started = time.perf_counter()
    for index, number in enumerate(numbers):
        pause = started + index / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        traffic.send(phones, number, "join")
    lost = traffic.wait_for_all(60)
    if lost:
        raise RuntimeError(f"{lost} of {len(numbers)} phones got no answer to their first text")
    traffic.latencies["join"].clear()


def window(
    phones, traffic: Traffic, rate: float | None, duration: float, pids: dict[str, int], fresh: Iterator[str]
) -> Window:
    """Answers from the idle phones at ``rate`` a second, or (None) each phone again as soon as its reply
    came (a retired phone's place taken by one from ``fresh``), for ``duration`` seconds; the CPU of
    ``pids`` ({name: pid}) meanwhile."""
    result = Window()
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    slots = len(traffic.idle)
    started = time.perf_counter()
    end = started + duration
    while True:
        kind = "answer"
        if rate is not None:
            due = started + (result.sent + result.skipped) / rate
            if due >= end:
                break
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        with traffic.lock:
            if rate is None:
                while not traffic.idle and len(traffic.waiting) >= slots and time.perf_counter() < end:
                    traffic.replied.wait(timeout=0.05)
                if time.perf_counter() >= end:
                    break
            if traffic.idle:
                phone = traffic.idle.popleft()
            elif rate is None:
                phone, kind = next(fresh), "join"
            else:
                result.skipped += 1
                continue
        traffic.send(phones, phone, kind)
        result.sent += 1
        result.joins += kind == "join"
    result.lost = traffic.wait_for_all(30)
    result.seconds = max(duration, time.perf_counter() - started)
    result.cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / result.seconds for name, pid in pids.items()}
    latencies, _idle = traffic.take()
    result.latencies = latencies["answer"]
    result.replies = len(latencies["answer"]) + len(latencies["join"])
    return result


# --- the run ----------------------------------------------------------------------------------------


def run_target(
    name: str,
    group: str,
    service: Service,
    work: Path,
    args,
    max_answers: int | None,
    stored_votes: Callable[[], int] | None = None,
) -> list[list]:
    """One web service behind a Kannel of its own: a row per load. ``stored_votes``: the votes the
    service has stored so far (Concord's vote events, read from its database file)."""
    rows = []
    traffic = Traffic(max_answers)
    serial = itertools.count()
    with Kannel(work / f"kannel-{name}", group, log_level=2) as kannel:
        phones = kannel.phones(traffic.on_message)
        try:
            pids = {
                "bearerbox": kannel.processes[0].pid,
                "smsbox": kannel.processes[1].pid,
                "service": service.process.pid,
            }
            for rate in [*args.rates, None]:
                count = args.phones if rate is None else max(1, min(args.phones, round(rate * args.duration)))
                if rate is None:
                    count = args.closed_phones
                numbers = (f"+9370{next(serial):07d}" for _ in itertools.count())
                join_phones(phones, traffic, list(itertools.islice(numbers, count)))
                votes_before = stored_votes() if stored_votes else 0
                result = window(phones, traffic, rate, args.duration, pids, numbers)
                votes = str(stored_votes() - votes_before) if stored_votes else "–"
                load = "as fast as replies come" if rate is None else f"{rate:g}/s"
                rows.append(
                    [
                        name,
                        load,
                        count,
                        result.sent - result.joins,
                        votes,
                        f"{result.replies / result.seconds:.1f}",
                        f"{percentile(result.latencies, 50) * 1000:.0f}",
                        f"{percentile(result.latencies, 99) * 1000:.0f}",
                        f"{max(result.latencies, default=float('nan')) * 1000:.0f}",
                        result.lost,
                        result.skipped,
                        " / ".join(f"{result.cpu[k] * 100:.0f} %" for k in ("bearerbox", "smsbox", "service")),
                        f"{result.cpu['service'] * result.seconds / max(1, result.replies) * 1000:.1f}",
                    ]
                )
                print(table(HEADER, rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
        finally:
            phones.close()
    if traffic.unexpected:
        print(f"{name}: {len(traffic.unexpected)} replies came after their text was counted lost", file=sys.stderr)
    if traffic.other_replies:
        samples = "; ".join(sorted(set(traffic.other_replies))[:3])
        print(f"{name}: {len(traffic.other_replies)} replies put no statement to the phone, e.g. {samples}")
    return rows


HEADER = [
    "web service",
    "offered load",
    "phones",
    "answers sent",
    "votes stored",
    "msg/s",
    "p50 ms",
    "p99 ms",
    "max ms",
    "lost",
    "skipped",
    "CPU bearerbox / smsbox / service",
    "service CPU ms / text",
]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--_stub":
        stub_main(int(argv[1]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="1,10,50", help="offered loads, messages a second, comma-separated")
    parser.add_argument("--duration", type=float, default=20, help="measured seconds per load")
    parser.add_argument("--phones", type=int, default=300, help="most phones a load (fewer if rate × duration is)")
    parser.add_argument("--closed-phones", type=int, default=50, help="phones of the closed-loop row")
    parser.add_argument("--statements", type=int, default=60)
    parser.add_argument(
        "--answers-per-phone",
        type=int,
        default=8,
        help="then a phone rests (Concord lets a phone send 10 texts at once)",
    )
    parser.add_argument("--targets", default="stub,concord")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (databases, Kannel's logs)")
    args = parser.parse_args(argv)
    args.rates = [float(r) for r in args.rates.split(",")]
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    reason = unavailable_reason()
    if reason:
        raise SystemExit(reason)

    work = Path(tempfile.mkdtemp(prefix="concord-sms-"))
    print(
        f"cores: {len(os.sched_getaffinity(0))}; Kannel {kannel_version()}; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    services: list[Service] = []
    rows: list[list] = []
    try:
        server, conversation, group = start_concord(work, args.statements, services)
        if "stub" in targets:
            port = free_port()
            stub_url = f"http://127.0.0.1:{port}"
            stub = Service("stub", [sys.executable, __file__, "--_stub", str(port)], stub_url, "/", work / "stub.log")
            services.append(stub)
            rows += run_target("stub (Kannel alone)", group.replace(server.url, stub_url), stub, work, args, None)
        if "concord" in targets:
            before = vote_count(server.url, conversation)
            database = work / "concord.db"
            sent = run_target(
                "Concord", group, server, work, args, args.answers_per_phone, lambda: vote_events(database)
            )
            rows += sent
            answers = sum(row[3] for row in sent)
            counted = wait_for_votes(server.url, conversation, before + answers)
            print(f"Concord's results counted {counted - before} votes of the {answers} answers sent", flush=True)
        print(f"load average at the end {os.getloadavg()[0]:.1f}", flush=True)
        print(table(HEADER, rows), flush=True)
    finally:
        for service in services:
            service.stop()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
