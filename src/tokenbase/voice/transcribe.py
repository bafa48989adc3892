"""Audio to text through an OpenAI-compatible `/audio/transcriptions` server (whisper,
SenseVoice behind vLLM/Xinference, a cloud API), metered like any model call.

    transcriber = Transcriber(settings.voice.transcription, platform.ledger)
    text = transcriber.transcribe(audio_bytes, "memo.webm", "audio/webm").text

The upload is multipart (`file`, `model`, `language`, `response_format=json`). Each call is
one CallRecord of kind "transcription" (provider, model, deployment, latency, tokens when the
server reports them — `usage.input_tokens/output_tokens` — else the transcript's tokens,
estimated; the audio's seconds in `extra` when reported), attributed to the current
`attributed(...)` context. The API key comes from the env var named in config, never logged.

Raises TranscriptionError: not configured (`configured=False`), audio too large, the server
failed or answered without text.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from ..config import TranscriptionSettings
from ..ledger.attribution import current_attribution
from ..ledger.calls import CallRecord
from ..llm.errors import ModelConfigError
from ..llm.http import api_client
from ..llm.metering import Meter
from ..tokens import count_tokens
from .errors import TranscriptionError

NOT_CONFIGURED = (
    "audio transcription is not configured: set [voice.transcription] base_url (an "
    "OpenAI-compatible /audio/transcriptions server) in tokenbase.toml, or send text"
)


@dataclass
class Transcript:
    text: str
    model: str
    seconds: float | None = None


class Transcriber:
    def __init__(self, settings: TranscriptionSettings, meter: Meter) -> None:
        self.settings = settings
        self.meter = meter

    @property
    def configured(self) -> bool:
        return bool(self.settings.base_url)

    def transcribe(self, audio: bytes, filename: str, content_type: str = "") -> Transcript:
        s = self.settings
        if not self.configured:
            raise TranscriptionError(NOT_CONFIGURED, configured=False)
        if not audio:
            raise TranscriptionError("the audio file is empty")
        if len(audio) > s.max_audio_mb * 1024 * 1024:
            raise TranscriptionError(
                f"the audio is larger than voice.transcription.max_audio_mb ({s.max_audio_mb} MB)"
            )
        try:
            client = api_client(s.base_url, s.api_key_env, s.timeout_s, "voice.transcription")
        except ModelConfigError as exc:
            raise TranscriptionError(str(exc)) from exc
        data = {"model": s.model, "response_format": "json"}
        if s.language:
            data["language"] = s.language
        files = {"file": (filename or "audio", audio, content_type or "application/octet-stream")}
        started, t0 = datetime.now(UTC), time.perf_counter()
        try:
            with client:
                response = client.post("/audio/transcriptions", data=data, files=files)
            if response.status_code >= 400:
                raise TranscriptionError(
                    f"the transcription server answered HTTP {response.status_code}"
                )
            body = response.json()
            text = str(body.get("text") or "").strip() if isinstance(body, dict) else ""
            if not text:
                raise TranscriptionError("the transcription server returned no text")
        except (httpx.HTTPError, ValueError, TranscriptionError) as exc:
            self._record(started, t0, error=_error_class(exc))
            if isinstance(exc, TranscriptionError):
                raise
            raise TranscriptionError(f"transcription failed: {type(exc).__name__}") from exc
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        seconds = usage.get("seconds") if usage.get("type") == "duration" else body.get("duration")
        self._record(started, t0, usage=usage, text=text, seconds=seconds)
        return Transcript(text, s.model, float(seconds) if seconds is not None else None)

    def _record(
        self,
        started: datetime,
        t0: float,
        *,
        error: str = "",
        usage: dict[str, Any] | None = None,
        text: str = "",
        seconds: Any = None,
    ) -> None:
        usage = usage or {}
        reported = isinstance(usage.get("output_tokens"), int)
        extra = {"audio_seconds": str(seconds)} if seconds is not None else {}
        call = CallRecord(
            kind="transcription",
            provider=self.settings.provider,
            model=self.settings.model,
            deployment=self.settings.deployment,
            started_at=started,
            request_id=uuid.uuid4().hex,
            latency_ms=(time.perf_counter() - t0) * 1000,
            prompt_tokens=int(usage.get("input_tokens") or 0) if reported else 0,
            completion_tokens=int(usage["output_tokens"]) if reported else count_tokens(text),
            estimated=not reported and not error,
            status="error" if error else "ok",
            error_class=error,
            prompt_name="voice.transcribe",
            extra=extra,
        )
        self.meter.record(call, current_attribution())


def _error_class(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.TransportError):
        return "connection"
    if isinstance(exc, TranscriptionError) and "HTTP 5" in str(exc):
        return "server_error"
    return "bad_response"
