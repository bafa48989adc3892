"""Built-in prompts are seeded once, as the system, and render the answer messages."""

from __future__ import annotations

from sqlalchemy import func, select

from tokenbase.db.schema import prompt_versions, prompts
from tokenbase.prompts.builtin import ANSWER_SYSTEM, ROUTE_PROMPT, answer_prompt_name, seed
from tokenbase.prompts.library import PromptLibrary


def test_seed_is_idempotent_and_labels_production(lib: PromptLibrary):
    assert seed(lib.engine) == ["kb.answer.zh", "kb.answer.en", "agent.route"]
    assert seed(lib.engine) == []
    lib.commit("kb.answer.zh", params={"temperature": 0.1}, message="cooler")
    assert seed(lib.engine) == []  # an edited built-in is left alone
    with lib.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(prompts)).scalar() == 3
        assert conn.execute(select(func.count()).select_from(prompt_versions)).scalar() == 4
    v = lib.get("kb.answer.en")
    assert (v.version, v.author_name, v.labels) == (1, "system", ("latest", "production"))
    assert lib.get("kb.answer.zh").version == 1  # production stays until someone moves it


# The messages kb.generate.build_messages built before the answer prompt moved here.
SOURCES_HEADER = {"zh": "资料：", "en": "Sources:"}
QUESTION_HEADER = {"zh": "问题：", "en": "Question:"}


def test_answer_prompt_renders_what_build_messages_built(lib: PromptLibrary):
    assert ANSWER_SYSTEM["zh"].startswith("你是企业知识库助手。只根据用户消息中编号的资料回答问题")
    assert ANSWER_SYSTEM["en"].endswith("Be concise and answer in English.")
    blocks = ["[1] 《员工手册》 第2页\n住宿每晚500元", "[2] 《制度》 §3\n机票经济舱"]
    for language in ("zh", "en"):
        v = lib.get(answer_prompt_name(language))
        assert lib.ref(v) == f"kb.answer.{language}@1"
        rendered = lib.render(v, sources="\n\n".join(blocks), question="住宿标准？")
        user = (
            f"{SOURCES_HEADER[language]}\n\n" + "\n\n".join(blocks) + "\n\n"
            f"{QUESTION_HEADER[language]}住宿标准？"
        )
        assert rendered == [
            {"role": "system", "content": ANSWER_SYSTEM[language]},
            {"role": "user", "content": user},
        ]
    assert answer_prompt_name("fr") == "kb.answer.zh"


def test_route_prompt_renders_candidates_and_question(lib: PromptLibrary):
    v = lib.get(ROUTE_PROMPT)
    assert lib.ref(v) == "agent.route@1" and v.model_params()["temperature"] == 0.0
    rendered = lib.render(v, candidates="- hr（人事助手）：人事制度", question="年假几天？")
    assert rendered[0]["role"] == "system" and "JSON" in rendered[0]["content"]
    user = "候选数字员工：\n- hr（人事助手）：人事制度\n\n员工的问题：年假几天？"
    assert rendered[1]["content"] == user
