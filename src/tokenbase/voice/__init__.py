"""Voice intents (言出法随): an utterance becomes a structured, stored record.

`VoiceIntents(platform).record(text)` picks a schema (schemas.py), extracts through the gateway
or the offline rules (extract.py, rules.py, dates.py), validates and stores (records.py);
`record_audio` transcribes first (transcribe.py). Errors: errors.py.
"""
