"""Record schemas: the four built-ins (客户拜访, 待办, 报销, 跟进) and those from config.

Each schema is a JSON Schema (draft 2020-12) object with Chinese `title`s on its properties;
dates are "YYYY-MM-DD" and times "YYYY-MM-DD HH:MM" (Asia/Shanghai). Config adds more with
`[[voice.schemas]]` (name, title, an inline `json_schema` table or a `schema_file`, `keywords` for
rule-based detection); a config schema of a built-in's name replaces it.

    registry = load_schemas(settings.voice)
    registry["expense"].schema["properties"]["amount"]["title"]   # "金额（元）"
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from ..config import VoiceSettings
from .errors import InvalidRecord, UnknownSchema, VoiceError

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DATE = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}$"}
DATETIME = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$"}
TEXT = {"type": ["string", "null"]}
TEXT_LIST = {"type": "array", "items": {"type": "string"}}


def _schema(title: str, properties: dict[str, dict], required: list[str]) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _p(base: dict, title: str, **extra: Any) -> dict:
    return {**base, "title": title, **extra}


BUILTIN: dict[str, dict[str, Any]] = {
    "customer_visit": _schema(
        "客户拜访",
        {
            "customer": _p(TEXT, "客户", minLength=1),
            "contact": _p(TEXT, "联系人"),
            "date": _p(DATE, "拜访日期"),
            "summary": _p(TEXT, "摘要", minLength=1),
            "key_points": _p(TEXT_LIST, "重点"),
            "next_steps": _p(TEXT_LIST, "下一步"),
            "follow_up_date": _p(DATE, "跟进日期"),
        },
        ["customer", "summary"],
    ),
    "task": _schema(
        "待办",
        {
            "title": _p(TEXT, "事项", minLength=1),
            "due": _p(DATETIME, "截止时间"),
            "owner": _p(TEXT, "负责人"),
            "priority": {"enum": ["高", "中", "低"], "title": "优先级"},
        },
        ["title"],
    ),
    "expense": _schema(
        "报销",
        {
            "amount": {"type": "number", "exclusiveMinimum": 0, "title": "金额（元）"},
            "category": {
                "enum": ["交通", "餐饮", "住宿", "招待", "办公", "通讯", "其他"],
                "title": "类别",
            },
            "date": _p(DATE, "日期"),
            "merchant": _p(TEXT, "商家"),
            "note": _p(TEXT, "备注"),
        },
        ["amount"],
    ),
    "follow_up": _schema(
        "跟进",
        {
            "customer": _p(TEXT, "客户"),
            "contact": _p(TEXT, "联系人"),
            "topic": _p(TEXT, "事由", minLength=1),
            "when": _p(DATETIME, "时间"),
            "channel": {
                "enum": ["电话", "微信", "邮件", "上门", "会议", None],
                "title": "方式",
            },
        },
        ["topic"],
    ),
}

# Rule-based intent detection: (pattern, weight) per built-in schema; see extract.detect.
BUILTIN_KEYWORDS: dict[str, list[tuple[str, int]]] = {
    "customer_visit": [
        ("拜访", 3),
        ("见了", 3),
        ("见客户", 3),
        ("去了客户", 3),
        ("重点是", 1),
        ("聊了", 1),
        ("谈了", 1),
    ],
    "expense": [
        ("报销", 3),
        ("花了", 3),
        ("发票", 3),
        ("费用", 2),
        ("块钱", 2),
        ("元", 1),
        ("¥", 2),
    ],
    "task": [("提醒我", 3), ("待办", 3), ("记得", 3), ("别忘了", 3), ("截止", 2), ("要做", 1)],
    "follow_up": [("回访", 3), ("跟进", 2), ("再联系", 2), ("联系一下", 2), ("问问", 1)],
}


@dataclass(frozen=True)
class RecordSchema:
    name: str
    title: str
    schema: dict[str, Any]
    builtin: bool = True  # built-ins have rule extractors (the offline fallback)
    keywords: tuple[tuple[str, int], ...] = field(default=())

    @property
    def properties(self) -> dict[str, dict[str, Any]]:
        return dict(self.schema.get("properties") or {})

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "builtin": self.builtin,
            "fields": {k: v.get("title", k) for k, v in self.properties.items()},
            "schema": self.schema,
        }

    def validate(self, data: Any) -> None:
        """Raises InvalidRecord naming the first field that fails (by its title and key)."""
        errors = sorted(Draft202012Validator(self.schema).iter_errors(data), key=_error_key)
        if not errors:
            return
        first = errors[0]
        key = str(first.path[0]) if first.path else ""
        if first.validator == "required":
            key = str(first.message).split("'")[1] if "'" in first.message else key
        title = self.properties.get(key, {}).get("title", key)
        where = f"字段「{title}」({key})" if key else "记录"
        if key and isinstance(data, dict) and data.get(key) in (None, "", []):
            raise InvalidRecord(
                f"{self.title} ({self.name}): 缺少{where}，请在原话里说明后重试", field=key
            )
        raise InvalidRecord(
            f"{self.title} ({self.name}): {where} 不符合要求: {first.message}", field=key
        )


def _error_key(error: Any) -> tuple:
    return (0 if error.validator == "required" else 1, [str(p) for p in error.path])


def builtin_schemas() -> dict[str, RecordSchema]:
    return {
        name: RecordSchema(name, schema["title"], schema, True, tuple(BUILTIN_KEYWORDS[name]))
        for name, schema in BUILTIN.items()
    }


def load_schemas(settings: VoiceSettings) -> dict[str, RecordSchema]:
    """Built-ins, then `[[voice.schemas]]` (a same-named one replaces the built-in).
    Raises VoiceError for an unreadable file or an invalid JSON Schema, naming the schema."""
    registry = builtin_schemas()
    for entry in settings.schemas:
        schema = entry.json_schema or {}
        if entry.schema_file:
            try:
                schema = json.loads(Path(entry.schema_file).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise VoiceError(
                    f"voice.schemas {entry.name!r}: cannot read schema_file "
                    f"{entry.schema_file}: {exc}"
                ) from exc
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise VoiceError(
                f"voice.schemas {entry.name!r}: not a valid JSON Schema: {exc.message}"
            ) from exc
        if schema.get("type") != "object":
            raise VoiceError(f"voice.schemas {entry.name!r}: the schema's type must be 'object'")
        title = entry.title or schema.get("title") or entry.name
        keywords = tuple((k, 3) for k in entry.keywords)
        registry[entry.name] = RecordSchema(entry.name, title, schema, False, keywords)
    return registry


def get_schema(registry: dict[str, RecordSchema], name: str) -> RecordSchema:
    if name not in registry:
        raise UnknownSchema(
            f"no record schema named {name!r}; known: {', '.join(registry)} "
            "(`tokenbase voice schemas` lists them)"
        )
    return registry[name]
