"""Stage-by-stage progress on stderr for long runs ("reading … 1.3 s", "pca … 0.8 s")."""

from __future__ import annotations

import sys
import time


class StageReporter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._clock = time.perf_counter()

    def _print(self, text: str) -> None:
        if self.enabled:
            print(text, file=sys.stderr, flush=True)

    def start(self, name: str) -> None:
        self._clock = time.perf_counter()
        self._print(f"{name} …")

    def done(self, detail: str) -> None:
        self._print(f"  {detail} ({time.perf_counter() - self._clock:.2f} s)")
        self._clock = time.perf_counter()

    def stage_done(self, name: str) -> None:
        now = time.perf_counter()
        self._print(f"{name} done ({now - self._clock:.2f} s)")
        self._clock = now

    def note(self, text: str) -> None:
        self._print(text)
