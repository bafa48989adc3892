"""From an utterance to a record: pick the schema, extract through the gateway, else rules.

    result = extract(text, registry, gateway, today=date(2026, 11, 24), tier="fast")
    result.schema, result.data, result.extracted_by   # "customer_visit", {...}, "model"

Detection: keyword rules first (拜访/见了 → customer_visit, 报销/花了/发票 → expense,
提醒我/待办/记得 → task, 回访/跟进 → follow_up, plus each config schema's `keywords`); when the
rules are unsure (no keyword, or two schemas within one point) and a chat model is configured,
the model picks. Extraction: `gateway.complete_json(..., prompt_name="voice.extract")` with
today's date and weekday in the prompt, so "明天下午" and "下周一" come back as dates; date
fields the model leaves relative are resolved here too. With no chat model, or when every model
fails, the built-in schemas fall back to `rules.extract_rules` and say so (`notice`).

Raises NoIntent (the rules cannot tell and no model decides), ExtractionUnavailable (a config
schema without rules and no model answered), InvalidRecord (the record fails its schema).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..ledger.errors import BudgetExceeded
from ..llm.errors import ModelError
from ..llm.gateway import Gateway
from .dates import normalise_date
from .errors import ExtractionUnavailable, NoIntent
from .rules import extract_rules
from .schemas import RecordSchema, get_schema

NOTICE_NO_MODEL = "未配置大模型，已按规则提取，请核对。"
NOTICE_MODEL_FAILED = "大模型调用失败，已按规则提取，请核对。"
WEEKDAYS_ZH = "一二三四五六日"
SYSTEM = (
    "你是企业助理，把员工口述的一句话整理成结构化记录。今天是 {today}（星期{weekday}，{tz}）。"
    "把“今天、明天、下周一、刚才”等相对时间换算成具体日期（YYYY-MM-DD，有具体钟点时写成 "
    "YYYY-MM-DD HH:MM）；金额以人民币元计，写成数字；原话没有提到的字段填 null（列表填 []），"
    "不要编造。只输出符合 JSON Schema 的 JSON。"
)
CLASSIFY = "判断下面这句话要记录哪一类信息，只回答类别名。类别：{choices}。如果都不是，回答 none。"


@dataclass
class Detection:
    schema: str | None
    confident: bool
    scores: dict[str, int]
    by: str = "rules"  # "rules" | "model" | "caller"


@dataclass
class Extraction:
    schema: str
    data: dict[str, Any]
    extracted_by: str  # "model" | "rules"
    model: str = ""  # "<provider>/<model>" when a model extracted it
    notice: str = ""  # plain words for the user when rules were used
    detection: str = "caller"  # how the schema was chosen: caller | rules | model
    fallback_reason: str = ""


def detect(text: str, registry: dict[str, RecordSchema]) -> Detection:
    """Keyword scores per schema; confident when the best scores ≥ 2 and leads by ≥ 1."""
    scores = {
        name: sum(weight for word, weight in schema.keywords if word in text)
        for name, schema in registry.items()
    }
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] == 0:
        return Detection(None, False, scores)
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    return Detection(best, top >= 2 and top - second >= 1, scores)


def _classify(text: str, registry: dict[str, RecordSchema], gateway: Gateway, tier: str) -> str:
    names = list(registry)
    choices = "；".join(f"{n}（{registry[n].title}）" for n in names)
    schema = {
        "type": "object",
        "properties": {"schema": {"enum": [*names, "none"]}},
        "required": ["schema"],
    }
    messages = [
        {"role": "system", "content": CLASSIFY.format(choices=choices)},
        {"role": "user", "content": text},
    ]
    result = gateway.complete_json(
        messages, schema, tier=tier or None, prompt_name="voice.classify", temperature=0
    )
    return str(result.value["schema"])


def _model_extract(
    text: str, record: RecordSchema, gateway: Gateway, tier: str, today: date, tz: str
) -> tuple[dict[str, Any], str]:
    system = SYSTEM.format(today=today.isoformat(), weekday=WEEKDAYS_ZH[today.weekday()], tz=tz)
    fields = "，".join(f"{k}={v.get('title', k)}" for k, v in record.properties.items())
    messages = [
        {"role": "system", "content": f"{system}\n记录类型：{record.title}（{record.name}）。"},
        {"role": "user", "content": f"字段：{fields}\n原话：{text}"},
    ]
    result = gateway.complete_json(
        messages,
        model_schema(record.schema),
        tier=tier or None,
        prompt_name="voice.extract",
        temperature=0,
    )
    return normalise_dates(result.value, record, today), f"{result.provider}/{result.model}"


def _is_date(prop: dict[str, Any]) -> bool:
    return str(prop.get("pattern", "")).startswith(r"^\d{4}-\d{2}-\d{2}")


def model_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema sent to the model: date patterns become descriptions, so a reply with
    "明天" is resolved here (`normalise_dates`) instead of being re-asked; the stored record
    is still validated against the full schema."""
    props = {}
    for key, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and _is_date(prop):
            prop = {k: v for k, v in prop.items() if k != "pattern"}
            with_time = "( " in str(schema["properties"][key]["pattern"])
            prop["description"] = "YYYY-MM-DD HH:MM 或 YYYY-MM-DD" if with_time else "YYYY-MM-DD"
        props[key] = prop
    return {**schema, "properties": props} if props else schema


def normalise_dates(data: Any, record: RecordSchema, today: date) -> Any:
    """Date fields (a YYYY-MM-DD pattern in the schema) a model left relative ("明天")."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for key, prop in record.properties.items():
        value = out.get(key)
        if isinstance(value, str) and _is_date(prop):
            out[key] = normalise_date(value, today, with_time="( " in str(prop["pattern"]))
    return out


def extract(
    text: str,
    registry: dict[str, RecordSchema],
    gateway: Gateway | None,
    *,
    today: date,
    schema: str | None = None,
    tier: str = "",
    timezone: str = "Asia/Shanghai",
) -> Extraction:
    """Choose the schema (unless given) and extract the record; see the module docstring."""
    has_model = gateway is not None and gateway.has_chat
    how = "caller"
    failure = ""
    if schema is None:
        found = detect(text, registry)
        schema, how = found.schema, "rules"
        if not found.confident and has_model:
            assert gateway is not None
            try:
                picked = _classify(text, registry, gateway, tier)
                if picked in registry:
                    schema, how = picked, "model"
            except (ModelError, BudgetExceeded) as exc:
                failure = str(exc)
        if schema is None:
            raise NoIntent(
                "无法判断要记录哪类信息（" + "、".join(s.title for s in registry.values()) + "）；"
                '请指定类型（CLI: --schema NAME；API: "schema"）'
            )
    record = get_schema(registry, schema)
    if has_model and not failure:
        assert gateway is not None
        try:
            data, model = _model_extract(text, record, gateway, tier, today, timezone)
            return Extraction(record.name, data, "model", model, "", how)
        except (ModelError, BudgetExceeded) as exc:
            failure = str(exc)
    data = extract_rules(record.name, text, today) if record.builtin else None
    if data is None:
        raise ExtractionUnavailable(
            f"schema {record.name!r} has no offline rules and no chat model answered"
            + (f" ({failure})" if failure else "; configure one under [[llm.providers]]")
        )
    notice = NOTICE_MODEL_FAILED if failure else NOTICE_NO_MODEL
    return Extraction(record.name, data, "rules", "", notice, how, failure)


def describe(extraction: Extraction) -> str:
    """One line for logs and the CLI: schema, how it was extracted, the data."""
    data = json.dumps(extraction.data, ensure_ascii=False)
    return f"{extraction.schema} ({extraction.extracted_by}) {data}"
