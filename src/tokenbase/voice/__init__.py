"""Voice intents (言出法随): an utterance becomes a structured, stored record."""
