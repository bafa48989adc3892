"""What every request handler can reach: the platform, settings and per-app helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..config import Settings
from ..identity.login import LoginPolicy
from ..kb.platform import Platform
from .metrics import ApiMetrics
from .ratelimit import TokenBuckets
from .worker import IngestWorker

SESSION_COOKIE = "tokenbase_session"


@dataclass
class AppState:
    platform: Platform
    metrics: ApiMetrics
    buckets: TokenBuckets
    worker: IngestWorker | None

    @property
    def settings(self) -> Settings:
        return self.platform.settings

    @property
    def login_policy(self) -> LoginPolicy:
        s = self.settings.server
        return LoginPolicy(
            s.login_max_failures,
            s.login_max_failures_per_ip,
            timedelta(minutes=s.login_window_minutes),
            timedelta(minutes=s.login_lock_minutes),
        )

    @property
    def max_upload_bytes(self) -> int:
        mb = self.settings.server.max_upload_mb or self.settings.ingest.max_file_size_mb
        return int(mb * 1024 * 1024)

    def wake_worker(self) -> None:
        if self.worker is not None:
            self.worker.wake()
