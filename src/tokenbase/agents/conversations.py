"""Conversations with an agent, stored per user, and their memory.

Memory is the last `agents.history_turns` turns (a turn = the user's question and the agent's
answer) kept verbatim, plus a running summary of every older turn. When a turn pushes the
conversation past the window, the turns that fall out are folded into the summary:

- with a chat model configured, through the gateway (tier `agents.summary_tier`, prompt
  "agent.summary", metered and attributed like any call; the red line sees the highest
  classification any summarised answer quoted);
- otherwise, or when the model call fails, extractively: the first sentence of each question
  and answer, appended to the summary.

Either way the summary is cut to `agents.summary_chars` characters, keeping the newest text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from ..db.schema import agent_conversations, agent_messages
from ..guard.redline import clean_context, taint
from ..identity.clock import utcnow
from ..kb.platform import Platform
from ..ledger.errors import BudgetExceeded
from ..llm.errors import ModelError
from .errors import ConversationNotFound

_FIRST_SENTENCE = re.compile(r"^.+?(?:[。！？!?]|\.(?=\s)|$)", re.S)
_MARKERS = re.compile(r"\[\d+\]")
SUMMARY_PROMPT = (
    "You keep the running summary of a conversation between an employee and a company "
    "assistant. Merge the earlier summary with the new turns into one short summary in the "
    "conversation's language: the questions asked, the facts answered, open points. "
    "Reply with the summary only."
)


@dataclass
class Turn:
    question: str
    answer: str
    level: int = 0


@dataclass
class Conversation:
    id: int
    agent_id: int
    user_id: int
    title: str
    summary: str
    summarised_turns: int
    summary_level: int
    created_at: Any = None
    updated_at: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agent_id": self.agent_id,
            "user_id": self.user_id,
            "title": self.title,
            "summary": self.summary,
            "summarised_turns": self.summarised_turns,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


@dataclass
class Memory:
    """What an agent remembers of a conversation: the running summary of older turns and the
    recent turns, oldest first."""

    summary: str = ""
    turns: list[Turn] = field(default_factory=list)


def _conversation(row: Any) -> Conversation:
    return Conversation(
        row.id,
        row.agent_id,
        row.user_id,
        row.title,
        row.summary,
        row.summarised_turns,
        row.summary_level,
        row.created_at,
        row.updated_at,
    )


def create_conversation(conn: Connection, agent_id: int, user_id: int, title: str) -> int:
    now = utcnow()
    result = conn.execute(
        insert(agent_conversations).values(
            agent_id=agent_id,
            user_id=user_id,
            title=title[:200],
            summary="",
            summarised_turns=0,
            summary_level=0,
            created_at=now,
            updated_at=now,
        )
    )
    return int(result.inserted_primary_key[0])


def get_conversation(conn: Connection, conversation_id: int, user_id: int) -> Conversation:
    """The user's own conversation; ConversationNotFound for anyone else's."""
    row = conn.execute(
        select(agent_conversations).where(
            agent_conversations.c.id == conversation_id,
            agent_conversations.c.user_id == user_id,
        )
    ).first()
    if row is None:
        raise ConversationNotFound(f"no conversation {conversation_id}")
    return _conversation(row)


def list_conversations(conn: Connection, agent_id: int, user_id: int) -> list[Conversation]:
    rows = conn.execute(
        select(agent_conversations)
        .where(
            agent_conversations.c.agent_id == agent_id,
            agent_conversations.c.user_id == user_id,
        )
        .order_by(agent_conversations.c.updated_at.desc(), agent_conversations.c.id.desc())
    )
    return [_conversation(r) for r in rows]


def messages(conn: Connection, conversation_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(agent_messages)
        .where(agent_messages.c.conversation_id == conversation_id)
        .order_by(agent_messages.c.id)
    )
    return [
        {
            "id": r.id,
            "role": r.role,
            "content": r.content,
            "citations": r.citations or [],
            "trace_id": r.trace_id,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]


def _turns(conn: Connection, conversation_id: int) -> list[Turn]:
    rows = conn.execute(
        select(agent_messages.c.role, agent_messages.c.content, agent_messages.c.level)
        .where(agent_messages.c.conversation_id == conversation_id)
        .order_by(agent_messages.c.id)
    ).all()
    turns: list[Turn] = []
    for row in rows:
        if row.role == "user":
            turns.append(Turn(row.content, "", row.level))
        elif turns:
            turns[-1].answer = row.content
            turns[-1].level = max(turns[-1].level, row.level)
    return turns


def memory(conn: Connection, conversation: Conversation) -> Memory:
    """The summary and the turns not yet folded into it."""
    turns = _turns(conn, conversation.id)
    return Memory(conversation.summary, turns[conversation.summarised_turns :])


def record_turn(
    platform: Platform,
    conversation_id: int,
    question: str,
    answer: str,
    *,
    citations: list[dict[str, Any]] | None = None,
    trace_id: str = "",
    level: int = 0,
) -> None:
    """Store one turn and, past the window, fold the oldest turns into the summary."""
    now = utcnow()
    with platform.db.engine.begin() as conn:
        conn.execute(
            insert(agent_messages),
            [
                {
                    "conversation_id": conversation_id,
                    "role": "user",
                    "content": question,
                    "citations": [],
                    "trace_id": trace_id,
                    "level": 0,
                    "created_at": now,
                },
                {
                    "conversation_id": conversation_id,
                    "role": "assistant",
                    "content": answer,
                    "citations": citations or [],
                    "trace_id": trace_id,
                    "level": level,
                    "created_at": now,
                },
            ],
        )
        conn.execute(
            update(agent_conversations)
            .where(agent_conversations.c.id == conversation_id)
            .values(updated_at=now)
        )
        row = conn.execute(
            select(agent_conversations).where(agent_conversations.c.id == conversation_id)
        ).one()
        conversation = _conversation(row)
        recent = memory(conn, conversation).turns
    window = platform.settings.agents.history_turns
    if len(recent) <= window:
        return
    folded = recent[: len(recent) - window]
    level = max([conversation.summary_level] + [t.level for t in folded])
    summary = summarise(platform, conversation.summary, folded, level)
    with platform.db.engine.begin() as conn:
        conn.execute(
            update(agent_conversations)
            .where(agent_conversations.c.id == conversation_id)
            .values(
                summary=summary,
                summarised_turns=conversation.summarised_turns + len(folded),
                summary_level=level,
            )
        )


def _first_sentence(text: str) -> str:
    text = _MARKERS.sub("", text).strip()
    match = _FIRST_SENTENCE.match(text)
    return (match.group(0) if match else text).strip()


def extractive_summary(previous: str, turns: list[Turn], limit: int) -> str:
    """The previous summary plus, per turn, "问/Q: first sentence → first sentence of the
    answer", cut to the newest `limit` characters."""
    lines = [previous] if previous else []
    for turn in turns:
        lines.append(f"Q: {_first_sentence(turn.question)} → {_first_sentence(turn.answer)}")
    text = "\n".join(lines)
    return text[-limit:]


def summarise(platform: Platform, previous: str, turns: list[Turn], level: int = 0) -> str:
    """The running summary after folding `turns` into `previous` (see the module docstring)."""
    settings = platform.settings.agents
    if not platform.gateway.has_chat:
        return extractive_summary(previous, turns, settings.summary_chars)
    transcript = "\n".join(f"User: {t.question}\nAssistant: {t.answer}" for t in turns)
    messages = [
        {"role": "system", "content": SUMMARY_PROMPT},
        {
            "role": "user",
            "content": f"Earlier summary:\n{previous or '(none)'}\n\nNew turns:\n{transcript}",
        },
    ]
    try:
        with clean_context():
            taint(level)  # the red line: these answers quoted text of this classification
            result = platform.gateway.chat(
                messages, tier=settings.summary_tier or None, prompt_name="agent.summary"
            )
    except (ModelError, BudgetExceeded):  # a summary never fails the turn
        return extractive_summary(previous, turns, settings.summary_chars)
    text = (result.text or "").strip()
    if not text:
        return extractive_summary(previous, turns, settings.summary_chars)
    return text[-settings.summary_chars :]


def count_turns(conn: Connection, conversation_id: int) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(agent_messages)
            .where(
                agent_messages.c.conversation_id == conversation_id,
                agent_messages.c.role == "user",
            )
        ).scalar_one()
    )
