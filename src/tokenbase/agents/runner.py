"""One turn of a conversation with an agent.

The user's own access scope, narrowed to the agent's knowledge bases, decides what may be
read: an agent never lets a user read what they could not read themselves. The question is
answered by `kb.ask.ask_events` (red line, input fence, citation checks all apply), with the
conversation's recent questions folded into the question used for retrieval, so a follow-up
such as "经理呢？" finds the sources of the turn before. Model calls are attributed to the
user, their department, `agent=<name>` and the agent's ledger scenario.

    turn = AgentTurn(platform, agent, user_id, "出差住宿标准？")
    for event in turn.events():   # AskEvent: citations / delta / done
        ...
    turn.conversation_id, turn.answer
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from ..access import AccessScope, scope_for_user
from ..db.schema import knowledge_bases
from ..identity.users import get_user
from ..kb.ask import Answer, AskEvent, Audience, ask_events
from ..kb.platform import Platform
from ..ledger.attribution import attributed
from .conversations import (
    Turn,
    create_conversation,
    get_conversation,
    memory,
    record_turn,
)
from .errors import AgentNotFound, ConversationNotFound
from .registry import Agent, may_use
from .tools import AgentToolBelt, ToolContext


def citation_dict(citation: Any) -> dict[str, Any]:
    """A citation as the agent APIs return it (the OpenAI endpoint's `message.citations`)."""
    return {
        "n": citation.n,
        "title": citation.title,
        "location": citation.location,
        "snippet": citation.snippet,
        "document_id": citation.document_id,
        "chunk_id": citation.chunk_id,
        "url_path": f"/documents/{citation.document_id}",
    }


def fold_question(question: str, history: list[Turn], turns: int) -> str:
    """The question used for retrieval: the last `turns` earlier questions, then this one."""
    if turns <= 0 or not history:
        return question
    earlier = [t.question for t in history[-turns:]]
    return "\n".join([*earlier, question])


def history_messages(summary: str, history: list[Turn]) -> list[dict[str, str]]:
    """The conversation so far as chat messages for the model: the summary of older turns
    (as a system note), then the recent turns."""
    messages = [{"role": "system", "content": f"对话摘要 (conversation so far): {summary}"}]
    messages = messages if summary else []
    for turn in history:
        messages.append({"role": "user", "content": turn.question})
        messages.append({"role": "assistant", "content": turn.answer})
    return messages


def agent_scope(platform: Platform, agent: Agent, user_id: int) -> AccessScope:
    """The user's own scope narrowed to the agent's knowledge bases ([] = no narrowing)."""
    with platform.db.engine.connect() as conn:
        scope = scope_for_user(conn, user_id)
        if not agent.kbs:
            return scope
        ids = conn.execute(
            select(knowledge_bases.c.id).where(knowledge_bases.c.name.in_(agent.kbs))
        ).scalars()
        return scope.narrowed(set(ids))


class AgentTurn:
    """One question to an agent. `events()` yields the answer's AskEvents; afterwards
    `answer` is the Answer and `conversation_id` the stored conversation (None when
    `store=False`, as for the stateless OpenAI endpoint).

    `history` replaces the stored memory (the OpenAI endpoint passes the client's messages).
    Raises AgentNotFound when the user may not use the agent, ConversationNotFound for a
    conversation that is not theirs or not with this agent."""

    def __init__(
        self,
        platform: Platform,
        agent: Agent,
        user_id: int,
        question: str,
        *,
        conversation_id: int | None = None,
        history: list[Turn] | None = None,
        store: bool = True,
        audience: Audience = "internal",
        depth: int = 0,
        trace_id: str | None = None,
    ) -> None:
        self.platform = platform
        self.agent = agent
        self.user_id = user_id
        self.question = question
        self.conversation_id = conversation_id
        self.history = history
        self.store = store
        self.audience: Audience = audience
        self.depth = depth  # 0: asked by the user; 1+: consulted by another agent (ask_agent)
        self.trace_id = trace_id
        self.answer: Answer | None = None
        self.summary = ""  # the running summary of turns older than the window

    def _prepare(self) -> tuple[list[Turn], int | None]:
        with self.platform.db.engine.begin() as conn:
            user = get_user(conn, self.user_id)
            if not may_use(conn, self.agent, self.user_id):
                raise AgentNotFound(f"no agent named {self.agent.name!r}")
            if self.conversation_id is not None:
                conversation = get_conversation(conn, self.conversation_id, self.user_id)
                if conversation.agent_id != self.agent.id:
                    raise ConversationNotFound(f"no conversation {self.conversation_id}")
                remembered = memory(conn, conversation)
                history, self.summary = remembered.turns, remembered.summary
            else:
                history = []
                if self.store:
                    self.conversation_id = create_conversation(
                        conn, self.agent.id, self.user_id, self.question[:60]
                    )
        if self.history is not None:
            history = self.history
        return history, user.department_id

    def events(self) -> Iterator[AskEvent]:
        history, department_id = self._prepare()
        settings = self.platform.settings.agents
        folded = fold_question(self.question, history, settings.retrieval_turns)
        scope = agent_scope(self.platform, self.agent, self.user_id)
        belt = None
        if self.agent.tools:
            context = ToolContext(
                self.platform, self.agent, self.user_id, department_id, scope, self.depth
            )
            belt = AgentToolBelt(context, self.agent.tools)
        with attributed(
            user_id=self.user_id,
            department_id=department_id,
            agent=self.agent.name,
            scenario=self.agent.ledger_scenario,
        ):
            for event in ask_events(
                self.platform,
                folded,
                None,
                scope=scope,
                audience=self.audience,
                prompt_ref=self.agent.prompt_ref,
                tier=self.agent.tier,
                history=history_messages(self.summary, history),
                history_level=max((t.level for t in history), default=0),
                tools=belt,
                trace_id=self.trace_id,
            ):
                if event.kind == "done":
                    answer: Answer = event.data
                    answer.question = self.question
                    self.answer = answer
                    if self.store and self.conversation_id is not None:
                        self._record(answer)
                yield event

    def _record(self, answer: Answer) -> None:
        cited = {c.chunk_id for c in answer.citations}
        level = max((h.classification for h in answer.hits if h.chunk_id in cited), default=0)
        assert self.conversation_id is not None
        record_turn(
            self.platform,
            self.conversation_id,
            self.question,
            answer.text,
            citations=[citation_dict(c) for c in answer.citations],
            trace_id=answer.trace_id,
            level=level,
        )

    def run(self) -> Answer:
        """The whole turn at once."""
        for _ in self.events():
            pass
        assert self.answer is not None
        return self.answer
