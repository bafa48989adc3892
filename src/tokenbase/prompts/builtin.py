"""Built-in prompts, seeded into the library like any other prompt (authored by "system",
version 1 labelled `production` and `latest`).

`seed(engine)` is idempotent: it creates only the built-in prompts that do not exist yet and
never adds versions to, or moves labels of, one that does — once seeded, a built-in prompt
belongs to the people who edit it. `PromptLibrary` seeds on first use, so no start-up hook is
needed; two replicas seeding at once are fine (the unique name decides, the loser skips).

The answer prompt is one chat prompt per answer language, `kb.answer.zh` and `kb.answer.en`:
a system message (the rules) and a user message taking `sources` (the numbered source blocks,
joined by blank lines) and `question`. Rendered, they are exactly the messages
what the answer path (kb/ask.py) sends:

    lib = PromptLibrary(engine, settings)
    v = lib.get(answer_prompt_name(language))          # production, else latest
    messages = lib.render(v, sources="\\n\\n".join(blocks), question=question)
    ... prompt_name=lib.ref(v)                          # "kb.answer.zh@1"

`agent.route` (zh) is the front desk's tie-breaker (agents/routing.py): given the agents whose
embedding scores are a near-tie (`candidates`, one "- name（display name）：description" line
each) and the user's `question`, the model answers JSON `{"agent": name, "reason": ...}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from ..db.schema import prompt_labels, prompt_versions, prompts
from ..identity.clock import utcnow
from .render import Template, Variable

SYSTEM = "system"

ANSWER_SYSTEM = {
    "zh": (
        "你是企业知识库助手。只根据用户消息中编号的资料回答问题，不要使用资料以外的知识。"
        "每一句陈述都要在句末用方括号标注所依据资料的编号，例如：差旅住宿每晚不超过500元[1]。"
        "可以同时引用多条资料，如[1][3]。数字、日期、金额必须与资料一致。"
        "如果资料不足以回答，直接说明资料中没有找到相关内容，不要猜测。回答简洁，使用中文。"
    ),
    "en": (
        "You are a company knowledge-base assistant. Answer only from the numbered sources in "
        "the user's message, never from outside knowledge. End every statement with the number "
        "of the source it relies on in square brackets, e.g. 'Hotels are capped at 500 yuan a "
        "night [1].' Several sources may be cited, as [1][3]. Numbers, dates and amounts must "
        "match the sources. If the sources do not answer the question, say so; do not guess. "
        "Be concise and answer in English."
    ),
}
ANSWER_USER = {
    "zh": "资料：\n\n{{sources}}\n\n问题：{{question}}",
    "en": "Sources:\n\n{{sources}}\n\nQuestion:{{question}}",
}


@dataclass(frozen=True)
class BuiltinPrompt:
    name: str
    body: str | list[dict[str, str]]
    description: str
    variables: tuple[Variable, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


def answer_prompt_name(language: str) -> str:
    """'kb.answer.zh' or 'kb.answer.en' (other languages: zh)."""
    return f"kb.answer.{language if language in ANSWER_SYSTEM else 'zh'}"


def _answer(language: str) -> BuiltinPrompt:
    return BuiltinPrompt(
        answer_prompt_name(language),
        [
            {"role": "system", "content": ANSWER_SYSTEM[language]},
            {"role": "user", "content": ANSWER_USER[language]},
        ],
        f"Knowledge-base answer with numbered citations ({language}).",
        (
            Variable("sources", description="Numbered source blocks: [1] 《title》 where\\ntext"),
            Variable("question", description="The user's question."),
        ),
    )


ROUTE_PROMPT = "agent.route"
ROUTE_SYSTEM = (
    "你是企业知识库平台的前台，负责把员工的问题交给最合适的数字员工。"
    "下面几位候选数字员工与问题的相似度几乎相同，请根据每位的名称和职责描述，"
    "选出最适合回答这个问题的一位。只能从候选名单中选择，agent 填写候选的英文标识"
    "（括号前的名称）；reason 用一句中文说明理由，不超过50个字。"
    '只输出 JSON，例如：{"agent": "hr", "reason": "问题涉及差旅住宿标准，属于人事制度"}。'
)
ROUTE_USER = "候选数字员工：\n{{candidates}}\n\n员工的问题：{{question}}"


def _route() -> BuiltinPrompt:
    return BuiltinPrompt(
        ROUTE_PROMPT,
        [{"role": "system", "content": ROUTE_SYSTEM}, {"role": "user", "content": ROUTE_USER}],
        "Front desk tie-breaker: pick one of the near-tied agents for a question (zh, JSON).",
        (
            Variable("candidates", description="One line per agent: - name（display）：role"),
            Variable("question", description="The user's question."),
        ),
        {"temperature": 0.0, "max_tokens": 200},
    )


BUILTINS: tuple[BuiltinPrompt, ...] = (_answer("zh"), _answer("en"), _route())


def seed(engine: Engine, builtins: tuple[BuiltinPrompt, ...] = BUILTINS) -> list[str]:
    """Create the missing built-in prompts; returns the names created (empty when all exist)."""
    with engine.connect() as conn:
        existing = set(conn.execute(select(prompts.c.name)).scalars())
    created = []
    for item in builtins:
        if item.name in existing:
            continue
        Template(item.body, list(item.variables)).check()
        now = utcnow()
        try:
            with engine.begin() as conn:
                prompt_id = conn.execute(
                    prompts.insert().values(
                        name=item.name,
                        kind="text" if isinstance(item.body, str) else "chat",
                        description=item.description,
                        created_by=None,
                        created_by_name=SYSTEM,
                        created_at=now,
                    )
                ).inserted_primary_key[0]
                version_id = conn.execute(
                    prompt_versions.insert().values(
                        prompt_id=prompt_id,
                        version=1,
                        body=item.body,
                        variables=[v.to_dict() for v in item.variables],
                        params=dict(item.params),
                        message="built-in",
                        author_id=None,
                        author_name=SYSTEM,
                        created_at=now,
                    )
                ).inserted_primary_key[0]
                for label in ("latest", "production"):
                    conn.execute(
                        prompt_labels.insert().values(
                            prompt_id=prompt_id,
                            label=label,
                            version_id=version_id,
                            updated_by=None,
                            updated_by_name=SYSTEM,
                            updated_at=now,
                        )
                    )
        except IntegrityError:  # another process seeded it first
            continue
        created.append(item.name)
    return created
