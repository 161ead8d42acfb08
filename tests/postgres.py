"""A throw-away PostgreSQL cluster for the tests (../shared/docs/environment.md).

``Cluster.start()`` runs ``initdb`` and ``pg_ctl start`` in a new temporary folder, on a free loopback
port, with the unix socket in that folder and durability switched off (fsync, synchronous commit and
full-page writes: a crash only loses test data). PostgreSQL refuses to run as root, so when the tests
run as root the server runs as the ``postgres`` user (``runuser``). ``stop()`` stops it and removes the
folder; an ``atexit`` hook does the same if the test session dies before its fixtures are torn down.

``Cluster.create_database()`` gives each test a database of its own; ``drop_database()`` removes it.
"""

from __future__ import annotations

import atexit
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BINARIES_VARIABLE = "CONCORD_PG_BIN"  # a folder with initdb and pg_ctl, to use another PostgreSQL
SUPERUSER = "concord"
SERVER_USER = "postgres"  # the account the server runs as when the tests run as root


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says why and what to install."""


def find_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: $CONCORD_PG_BIN when set (and then only it), else
    Debian's newest /usr/lib/postgresql/<version>/bin, else the PATH."""
    candidates = []
    if os.environ.get(BINARIES_VARIABLE):
        candidates.append(Path(os.environ[BINARIES_VARIABLE]))
        return candidates[0] if _complete(candidates[0]) else None
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version(Path(p).parent.name), reverse=True)
    candidates += [Path(p) for p in debian]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if _complete(folder):
            return folder
    return None


def _complete(folder: Path) -> bool:
    return all((folder / program).is_file() for program in ("initdb", "pg_ctl", "postgres"))


def _version(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in text.split("."))


def unavailable_reason() -> str | None:
    """None when a cluster can be started here; otherwise why not."""
    if find_binaries() is None:
        where = (
            f"${BINARIES_VARIABLE}={os.environ[BINARIES_VARIABLE]}"
            if os.environ.get(BINARIES_VARIABLE)
            else "/usr/lib/postgresql/*/bin or the PATH"
        )
        return f"PostgreSQL is not installed (no initdb, pg_ctl and postgres in {where}): apt-get install -y postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"the tests run as root but there is no {SERVER_USER!r} user to run PostgreSQL as"
        if shutil.which("runuser") is None:
            return "the tests run as root and runuser (util-linux) is missing"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        self.binaries = find_binaries()
        self.folder: Path | None = None
        self.port: int | None = None
        self._admin = None  # psycopg connection to the "postgres" database, autocommit
        self._names = itertools.count(1)
        self._running = False

    # --- life cycle -----------------------------------------------------------------------------

    def start(self) -> Cluster:
        reason = unavailable_reason()
        if reason:
            raise PostgresUnavailable(reason)
        self.folder = Path(tempfile.mkdtemp(prefix="concord-pg-"))
        self.folder.chmod(0o755)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        atexit.register(self.stop)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        last_error = None
        for _attempt in range(3):  # another process may take the free port between probe and start
            self.port = free_port()
            try:
                self._start_server()
            except PostgresUnavailable as error:
                last_error = error
                continue
            self._running = True
            break
        else:
            raise last_error
        self._admin = self._connect("postgres")
        return self

    def _start_server(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start", "-o", options)

    def pause(self) -> None:
        """Stop the server as an outage would (its data kept): every connection drops."""
        self._admin.close()
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start it again, on the same port with the same data."""
        self._start_server()
        self._admin = self._connect("postgres")

    def stop(self) -> None:
        if self._admin is not None:
            try:
                self._admin.close()
            except Exception:
                pass
            self._admin = None
        if self._running:
            self._running = False
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except PostgresUnavailable:
                pass
        if self.folder is not None and self.folder.exists():
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    # --- databases ------------------------------------------------------------------------------

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; returns its name."""
        name = f"concord_test_{os.getpid()}_{next(self._names)}"
        self._admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        return name

    def drop_database(self, name: str) -> None:
        self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def query(self, sql: str, *parameters) -> list[tuple]:
        """Rows of one query on the maintenance database (e.g. pg_stat_activity)."""
        return self._admin.execute(sql, parameters).fetchall()

    def sessions_waiting_for_a_lock(self, database: str) -> int:
        return self.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", database
        )[0][0]

    # --- plumbing -------------------------------------------------------------------------------

    def _connect(self, database: str):
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                return psycopg.connect(
                    host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True
                )
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.binaries / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(
            command, cwd=self.folder, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
        )
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{program} failed (exit {done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
                + (f"\nserver log:\n{log}" if log else "")
            )
