"""Errors of voice intents, each with a message a person can act on.

VoiceError
├── UnknownSchema          no record schema of that name (`tokenbase voice schemas` lists them)
├── NoIntent               the rules could not tell which kind of record the utterance is
├── InvalidRecord          the extracted record fails its JSON Schema (names the field)
├── ExtractionUnavailable  a schema without rules, and no chat model answered
└── TranscriptionError     audio could not be turned into text (not configured, or the server
                           failed)
"""

from __future__ import annotations


class VoiceError(Exception):
    """Base of voice-intent errors."""


class UnknownSchema(VoiceError):
    pass


class NoIntent(VoiceError):
    pass


class InvalidRecord(VoiceError):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class ExtractionUnavailable(VoiceError):
    pass


class TranscriptionError(VoiceError):
    def __init__(self, message: str, configured: bool = True) -> None:
        super().__init__(message)
        self.configured = configured
