"""Per-scenario policies: turn findings into block / flag / pass, with a reason in plain words.

A policy is `guard.input` with the `[guard.input.scenarios.<name>]` table of the agent (first)
or the scenario laid over it, and the administrators' overrides from the database
(`overrides.py`: the "*" row over `guard.input`, a scenario's row over its table). For injections, the score (the highest rule or classifier score)
is compared with two thresholds: from `block_threshold` the scenario's `injection_action`
applies, from `flag_threshold` the text is flagged (never more than `injection_action`). For
documents (retrieved chunks, fetched pages) `document_action` takes the place of
`injection_action`. Each sensitive word's category maps to an action. The verdict is the most
severe action of all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...config import InputGuardSettings
from .findings import Action, Finding

SEVERITY: dict[str, int] = {"pass": 0, "flag": 1, "block": 2}

# Plain-word descriptions of each injection category, for the user.
CATEGORY_WORDS: dict[str, tuple[str, str]] = {
    "override": ("要求忽略或替换助手原有的指令", "asks to ignore or replace the assistant's instructions"),
    "jailbreak": ("要求助手扮演不受规则约束的角色", "asks the assistant to play a role without its rules"),
    "extraction": ("试图获取助手的系统提示或内部设定", "tries to obtain the assistant's system prompt or settings"),
    "delimiter": ("包含伪造的系统消息或对话格式标记", "contains fake system messages or chat-format markers"),
    "dialogue_completion": ("伪造了对话并预先写好了回答", "fakes a conversation with a pre-written answer"),
    "goal_hijack": ("试图让助手原样输出指定的内容", "tries to make the assistant output a fixed text"),
    "encoding": ("包含经过编码隐藏的指令", "contains instructions hidden by encoding"),
    "obfuscation": ("包含不可见字符，疑似在隐藏指令", "contains invisible characters that may hide instructions"),
    "classifier": ("整体看起来像是针对助手的攻击指令", "reads like an attack on the assistant as a whole"),
}  # fmt: skip


def _min_action(a: Action, b: Action) -> Action:
    return a if SEVERITY[a] <= SEVERITY[b] else b


def _max_action(a: Action, b: Action) -> Action:
    return a if SEVERITY[a] >= SEVERITY[b] else b


@dataclass(frozen=True)
class Policy:
    """The resolved policy for one scenario/agent."""

    name: str
    injection_action: Action
    document_action: Action
    flag_threshold: float
    block_threshold: float
    sensitive_actions: dict[str, Action] = field(default_factory=dict)
    sensitive_default_action: Action = "flag"

    def injection(self, score: float, source: str) -> Action:
        """The action for an injection score on a text from `source` ("user"/"document")."""
        ceiling = self.document_action if source == "document" else self.injection_action
        if score >= self.block_threshold:
            return ceiling
        if score >= self.flag_threshold:
            return _min_action("flag", ceiling)
        return "pass"

    def sensitive(self, category: str) -> Action:
        return self.sensitive_actions.get(category, self.sensitive_default_action)


# The fields a scenario table or a database override may set, besides sensitive_actions.
FIELDS = (
    "injection_action",
    "document_action",
    "flag_threshold",
    "block_threshold",
    "sensitive_default_action",
)
DEFAULT_ROW = "*"  # the database override of `[guard.input]` itself


def explain(
    settings: InputGuardSettings,
    *,
    scenario: str = "",
    agent: str = "",
    overrides: dict[str, dict[str, Any]] | None = None,
) -> tuple[Policy, dict[str, Any]]:
    """The policy of `agent` if it has one, else of `scenario`, else the defaults; and where
    each value comes from ("default", "config" or "override"; sensitive_actions per category).

    Layers, last wins: built-in defaults, `[guard.input]`, the "*" row of `overrides`, the
    `[guard.input.scenarios.<name>]` table, the `overrides` row of that name."""
    overrides = overrides or {}
    names = set(settings.scenarios) | {n for n in overrides if n != DEFAULT_ROW}
    name = agent if agent and agent in names else scenario if scenario in names else ""
    given = settings.model_fields_set
    values: dict[str, Any] = {f: getattr(settings, f) for f in FIELDS}
    sources: dict[str, Any] = {f: "config" if f in given else "default" for f in FIELDS}
    sensitive = dict(settings.sensitive_actions)
    origin = "config" if "sensitive_actions" in given else "default"
    sensitive_sources = dict.fromkeys(sensitive, origin)
    layers: list[tuple[str, dict[str, Any]]] = [("override", overrides.get(DEFAULT_ROW) or {})]
    if name:
        table = settings.scenarios.get(name)
        if table is not None:
            layers.append(("config", table.model_dump(exclude_none=True)))
        layers.append(("override", overrides.get(name) or {}))
    for origin, layer in layers:
        for f in FIELDS:
            if layer.get(f) is not None:
                values[f], sources[f] = layer[f], origin
        for category, action in (layer.get("sensitive_actions") or {}).items():
            sensitive[category], sensitive_sources[category] = action, origin
    sources["sensitive_actions"] = sensitive_sources
    policy = Policy(
        name,
        values["injection_action"],
        values["document_action"],
        float(values["flag_threshold"]),
        float(values["block_threshold"]),
        sensitive,
        values["sensitive_default_action"],
    )
    return policy, sources


def resolve(
    settings: InputGuardSettings,
    *,
    scenario: str = "",
    agent: str = "",
    overrides: dict[str, dict[str, Any]] | None = None,
) -> Policy:
    """The policy of `agent` if it has one, else of `scenario`, else the defaults (with the
    administrators' `overrides` from the database laid over the configuration)."""
    return explain(settings, scenario=scenario, agent=agent, overrides=overrides)[0]


def decide(
    policy: Policy, injection_score: float, findings: list[Finding], source: str
) -> tuple[Action, list[Finding]]:
    """The verdict's action and the findings that caused it (most severe first)."""
    action: Action = policy.injection(injection_score, source)
    for f in findings:
        if f.kind == "sensitive":
            action = _max_action(action, policy.sensitive(f.category))
    return action, findings


def messages(action: Action, findings: list[Finding], source: str = "user") -> tuple[str, str]:
    """(Chinese, English) reason for the user, in plain words; empty when nothing was found."""
    if action == "pass" or not findings:
        return "", ""
    injection = [f for f in findings if f.kind == "injection"]
    sensitive = [f for f in findings if f.kind == "sensitive"]
    parts_zh, parts_en = [], []
    seen: set[str] = set()
    for f in sorted(injection, key=lambda f: (f.category == "classifier", -f.score)):
        if f.category in seen or f.category not in CATEGORY_WORDS:
            continue
        seen.add(f.category)
        zh, en = CATEGORY_WORDS[f.category]
        parts_zh.append(zh)
        parts_en.append(en)
        if len(seen) == 2:
            break
    categories = sorted({f.category for f in sensitive})
    if categories:
        parts_zh.append(f"包含敏感词（{'、'.join(categories)}）")
        parts_en.append(f"contains sensitive words ({', '.join(categories)})")
    what_zh = "您的问题" if source == "user" else "这段资料"
    what_en = "Your question" if source == "user" else "This passage"
    reason_zh = "；".join(parts_zh)
    reason_en = "; ".join(parts_en)
    if action == "block":
        return (
            f"{what_zh}{reason_zh}，已被拦截。请换一种说法，或联系管理员。",
            f"{what_en} {reason_en}, so it was blocked. Please rephrase it or contact an "
            "administrator.",
        )
    return (
        f"{what_zh}{reason_zh}，已记录并提交人工复核，回答可能受限。",
        f"{what_en} {reason_en}; it has been logged for review and the answer may be limited.",
    )
