"""The live analysis in a process of its own, as ``concord serve`` runs it, supervised: restarted
when it dies, stopped with the server, never left behind as an orphan."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from queue import Empty
from typing import Any

from sqlalchemy.orm import sessionmaker

from concord.service.live_analysis.scheduler import LiveAnalysis
from concord.store.models import AnalysisRecord

log = logging.getLogger("concord.analysis")


class AnalysisProcess:
    """The live analysis in a process of its own, as ``concord serve`` runs it: the engine's Python
    parts then never hold the web server's interpreter lock, so votes keep their latency while a large
    conversation is re-analysed. This process only forwards which conversations changed; ``analyse_now``
    (imports, the demo) still runs here, at once."""

    def __init__(
        self, sessions: sessionmaker, database_url: str, *, debounce: float = 1.0, max_delay: float = 10.0
    ) -> None:
        self._here = LiveAnalysis(sessions, debounce=debounce, max_delay=max_delay)
        self._arguments = (database_url, debounce, max_delay, os.getpid())
        self._inbox: Any = None  # a multiprocessing queue while the process runs
        self._process: Any = None
        self._restarting = threading.Lock()

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no copied threads or locks
        self._inbox = context.Queue()
        self._process = context.Process(
            target=_analyse_in_child, args=(self._inbox, *self._arguments), name="concord-analysis", daemon=True
        )
        self._process.start()

    def stop(self) -> None:
        with self._restarting:
            if self._process is None:
                return
            self._inbox.put(None)
            self._process.join(timeout=30)
            if self._process.is_alive():
                self._process.terminate()
            self._inbox.close()
            self._inbox.join_thread()
            self._process = self._inbox = None  # frees the queue's semaphores before the interpreter exits

    def notify(self, conversation_id: int) -> None:
        with self._restarting:
            if self._process is None:
                return
            if not self._process.is_alive():  # it crashed (out of memory, say): analyses must go on
                log.error("the analysis process ended (exit code %s); starting a new one", self._process.exitcode)
                self.start()
            self._inbox.put(conversation_id)

    def analyse_now(self, conversation_id: int) -> AnalysisRecord | None:
        return self._here.analyse_now(conversation_id)


def _analyse_in_child(inbox: Any, database_url: str, debounce: float, max_delay: float, parent: int) -> None:
    import signal

    from concord.store.database import open_database, session_factory

    # A service manager signals the whole process group: the server stops this process itself, once its
    # requests are answered, so that it finishes its analysis and gives up its leases.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    live = LiveAnalysis(session_factory(open_database(database_url)), debounce=debounce, max_delay=max_delay)
    live.start()
    while os.getppid() == parent:  # a server killed outright leaves no orphan behind
        try:
            message = inbox.get(timeout=2.0)
        except Empty:
            continue
        if message is None:
            break
        live.notify(message)
    live.stop()
