"""The ingest worker inside `tokenbase serve`: a background thread that runs queued jobs when
an upload wakes it, and every `server.worker_poll_s` seconds otherwise (and expires approvals
past their deadline). With several replicas, each has one; jobs are claimed atomically, so
none is run twice."""

from __future__ import annotations

import logging
import threading

from ..guard import approvals
from ..ingest import jobs as jobstore
from ..kb.platform import Platform

log = logging.getLogger("tokenbase.worker")


class IngestWorker:
    def __init__(self, platform: Platform, poll_s: float) -> None:
        self.platform = platform
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.idle = threading.Event()  # set whenever a pass found nothing more to do

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="ingest-worker", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self.idle.clear()
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        try:
            jobstore.recover_interrupted(self.platform.db.engine)
        except Exception:  # never let housekeeping kill the worker
            log.exception("could not requeue interrupted jobs")
        while not self._stop.is_set():
            self._wake.clear()
            try:
                summary = self.platform.ingestor().run()
                if summary.done or summary.failed or summary.skipped:
                    log.info(
                        "ingest: %d done, %d skipped, %d failed",
                        len(summary.done),
                        len(summary.skipped),
                        len(summary.failed),
                    )
            except Exception:
                log.exception("ingest worker pass failed; retrying in %ss", self.poll_s)
            self._housekeeping()
            if not self._wake.is_set():
                self.idle.set()
            self._wake.wait(self.poll_s)

    def _housekeeping(self) -> None:
        """Between passes: expire approvals past their deadline (audited), so lists and
        reports show them as expired without anyone having to open them."""
        try:
            with self.platform.db.engine.begin() as conn:
                expired = approvals.expire_due(conn, settings=self.platform.settings)
            if expired:
                log.info("approvals: %d expired", expired)
        except Exception:  # never let housekeeping kill the worker
            log.exception("could not expire approvals")
