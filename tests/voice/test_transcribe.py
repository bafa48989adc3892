"""Audio → text through a scripted /audio/transcriptions server: multipart upload, the key
from its env var, one metered "transcription" call, then the text becomes a record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tokenbase.db.schema import usage_events
from tokenbase.voice.errors import TranscriptionError

from .transcription_server import TranscriptionServer

AUDIO = b"RIFF\x00\x00fake-wav-bytes" * 10


def _config(base_url: str, **extra: object) -> dict:
    return {
        "transcription": {
            "base_url": base_url,
            "model": "sensevoice",
            "api_key_env": "TB_TEST_ASR_KEY",
            "provider": "asr",
            **extra,
        }
    }


def test_audio_is_uploaded_metered_and_recorded(make_voice, monkeypatch):
    monkeypatch.setenv("TB_TEST_ASR_KEY", "sk-asr-secret")
    text = "报销一下昨天打车去机场花了三百五"
    reply = {"text": text, "usage": {"type": "tokens", "input_tokens": 90, "output_tokens": 12}}
    with TranscriptionServer((200, reply)) as asr:
        voice = make_voice(voice=_config(asr.base_url))
        outcome = voice.record_audio(AUDIO, "memo.wav", "audio/wav", user_id=None)

    (request,) = asr.requests
    assert request["path"] == "/v1/audio/transcriptions"
    assert request["fields"] == {"model": "sensevoice", "response_format": "json", "language": "zh"}
    assert request["files"]["file"] == ("memo.wav", "audio/wav", AUDIO)
    assert request["headers"]["Authorization"] == "Bearer sk-asr-secret"

    assert outcome.transcript is not None and outcome.transcript.text == text
    assert outcome.record.schema == "expense" and outcome.record.data["amount"] == 350
    assert outcome.to_dict()["transcript"] == text
    with voice.platform.db.engine.connect() as conn:
        (event,) = conn.execute(
            select(usage_events).where(usage_events.c.kind == "transcription")
        ).all()
    assert (event.provider, event.model, event.deployment) == ("asr", "sensevoice", "private")
    assert (event.prompt_tokens, event.completion_tokens, event.estimated) == (90, 12, False)
    assert event.scenario == "voice" and event.status == "ok"
    assert "sk-asr-secret" not in str(event._mapping)


def test_a_server_error_is_metered_and_reported(make_voice):
    with TranscriptionServer((500, {"error": {"message": "boom"}})) as asr:
        voice = make_voice(voice=_config(asr.base_url, api_key_env=""))
        with pytest.raises(TranscriptionError, match="HTTP 500"):
            voice.record_audio(AUDIO, "memo.webm", "audio/webm")
    with voice.platform.db.engine.connect() as conn:
        (event,) = conn.execute(select(usage_events)).all()
    assert (event.kind, event.status, event.error_class) == (
        "transcription",
        "error",
        "server_error",
    )


def test_without_a_server_audio_is_refused_with_the_setting_to_change(make_voice):
    voice = make_voice()
    with pytest.raises(TranscriptionError, match=r"\[voice.transcription\] base_url") as info:
        voice.record_audio(AUDIO, "memo.wav")
    assert info.value.configured is False


def test_usage_by_duration_is_estimated_from_the_text(make_voice):
    reply = {"text": "提醒我明天下午三点开会", "usage": {"type": "duration", "seconds": 4}}
    with TranscriptionServer((200, reply)) as asr:
        voice = make_voice(voice=_config(asr.base_url, api_key_env=""))
        outcome = voice.record_audio(AUDIO, "a.wav")
    assert outcome.transcript is not None and outcome.transcript.seconds == 4
    with voice.platform.db.engine.connect() as conn:
        event = conn.execute(select(usage_events)).one()
    assert event.estimated and event.completion_tokens > 0
    assert event.extra == {"audio_seconds": "4"}
