"""Structured output: ask for JSON matching a schema, then parse -> repair -> validate.

The ladder, cheapest first: the provider's native mode (`json_schema` response_format, or
`json_object` with the schema in the system prompt, or the prompt alone); strict `json.loads`;
syntax repair with json_repair (fences, trailing commas, single quotes, cut-off brackets);
jsonschema validation. The gateway re-asks with the validation error, then falls back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import json_repair
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .chat import Message
from .errors import ModelConfigError


@dataclass
class Parsed:
    value: Any
    output_format: str  # "valid" | "repaired" | "invalid"
    error: str = ""  # why it is invalid, phrased for a re-ask


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """Raises ModelConfigError when the schema itself is not a valid JSON Schema."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ModelConfigError(f"invalid JSON Schema: {exc.message}") from exc
    return Draft202012Validator(schema)


def response_format(json_mode: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    if json_mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}
    if json_mode == "json_object":
        return {"type": "json_object"}
    return None


def with_schema_prompt(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """The messages with an instruction to answer in JSON matching `schema` (system prompt)."""
    instruction = (
        "Reply with one JSON value only, no prose and no code fences, matching this JSON "
        f"Schema:\n{json.dumps(schema, ensure_ascii=False)}"
    )
    if messages and messages[0].get("role") == "system":
        first = dict(messages[0])
        first["content"] = f"{first.get('content') or ''}\n\n{instruction}".strip()
        return [first, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def parse(text: str, validator: Draft202012Validator) -> Parsed:
    output_format = "valid"
    try:
        value = json.loads(text)
    except ValueError:
        output_format = "repaired"
        value = json_repair.repair_json(text, return_objects=True)
        if value == "" and text.strip() not in ('""', "''"):
            return Parsed(None, "invalid", "the reply was not JSON")
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(root)"
        return Parsed(value, "invalid", f"at {where}: {first.message}"[:500])
    return Parsed(value, output_format)


def reask_messages(messages: list[Message], reply: str, error: str) -> list[Message]:
    """The conversation plus the bad reply and the validation error, asking again."""
    return [
        *messages,
        {"role": "assistant", "content": reply},
        {
            "role": "user",
            "content": f"That reply does not match the JSON Schema ({error}). "
            "Reply again with only the corrected JSON.",
        },
    ]
