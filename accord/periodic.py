"""One background job of `accord serve`: a function run every few seconds on its own thread.

A failing round is logged and the next one retries, so a briefly unavailable database or a broken
configuration never stops the node.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class Periodic:
    def __init__(self, name: str, interval_s: float, job: Callable[[], object], log: logging.Logger) -> None:
        self.name, self.interval_s, self.job, self.log = name, interval_s, job, log
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"accord-{name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stop_event.wait(self.interval_s):
            try:
                self.job()
            except Exception:  # logged; the next round retries
                self.log.exception("%s failed", self.name)
