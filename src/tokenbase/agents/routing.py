"""The front desk: which agent should answer a question, and why.

Each agent the user may use gets a profile: the embedding of its name and role description,
and embeddings of a sample of its knowledge bases' chunks (evenly spread over the knowledge
base, at most `agents.route_sample_chunks` per agent, and only chunks the user may read). The
question is embedded with `platform.embedder` and each agent scored

    score = w · cos(question, description) + (1 - w) · mean of the top-3 cos(question, chunk)

with w = `agents.route_description_weight`. The best score wins; every agent's score is
returned so the choice can be explained, and `override` lets the user pick another agent the
user may use. Profiles are cached per (agent, its settings, the user's access) in memory.

Model tie-breaker. Agents scoring within `agents.route_tie_margin` of the best are a near-tie
(`decision.tied`, best first, at most MAX_TIED). When `agents.route_model_tier` is set and a
chat model is configured, the model picks one of them: the built-in prompt "agent.route" in
the prompt library (editable and versioned like any prompt) gets each candidate's name,
display name and description and the question, and `gateway.complete_json` must answer
`{"agent": <one of the candidates>, "reason": ...}`. The call is metered like any other,
attributed to the user, their department and scenario "agent.route", and keeps the caller's
red-line context (only the question and the agents' descriptions are sent). The model's pick
wins (`decided_by="model"`, its reason in `model_reason`); when the call fails (no model
answers, the budget blocks it, the prompt does not render) or the answer is not a candidate,
the best score is kept and `model_error` says why.

    decision = route(platform, "出差住宿标准？", user_id)
    decision.agent.name, decision.scores   # "hr", [AgentScore("hr", 0.81, ...), ...]
    decision.decided_by, decision.reason   # "embedding" | "model" | "user", one line
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from ..db.schema import chunks, knowledge_bases, users
from ..kb.platform import Platform
from ..ledger.attribution import attributed
from ..ledger.errors import BudgetExceeded
from ..llm.errors import ModelError
from ..prompts.builtin import ROUTE_PROMPT
from ..prompts.errors import PromptError
from .errors import AgentNotFound
from .registry import Agent, usable_agents
from .runner import agent_scope

TOP_CHUNKS = 3
MAX_TIED = 5  # most near-tied agents put to the model
SCENARIO = "agent.route"


@dataclass
class AgentScore:
    agent: str
    score: float
    description: float  # cosine with the role description
    content: float  # mean cosine with the top chunks of its knowledge

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "score": round(self.score, 4),
            "description": round(self.description, 4),
            "content": round(self.content, 4),
        }


@dataclass
class RouteDecision:
    agent: Agent
    scores: list[AgentScore] = field(default_factory=list)  # best first
    overridden: bool = False
    decided_by: str = "embedding"  # "embedding" | "model" | "user"
    tied: list[str] = field(default_factory=list)  # near-tie with the best, best first
    margin: float = 0.0  # the tie margin used
    model_reason: str = ""  # the model's own reason, when it decided
    model_error: str = ""  # why the model's answer was not used, when it was asked
    model: str = ""  # "provider/model" that answered the tie-breaker
    trace_id: str = ""  # the tie-breaker call's trace in the ledger ('' = no call)

    @property
    def reason(self) -> str:
        if self.overridden:
            return f"chosen by the user: {self.agent.name}"
        if len(self.scores) < 2:
            return f"the only agent available: {self.agent.name}"
        best, runner_up = self.scores[0], self.scores[1]
        scored = (
            f"{best.agent} scored {best.score:.3f} (description {best.description:.3f}, "
            f"knowledge {best.content:.3f}); next: {runner_up.agent} {runner_up.score:.3f}"
        )
        if len(self.tied) < 2:
            return scored
        tie = f"near-tie of {', '.join(self.tied)} (within {self.margin:.3f})"
        if self.decided_by == "model":
            return f"{tie}: the model chose {self.agent.name}: {self.model_reason}; {scored}"
        if self.model_error:
            failed = f"the model tie-breaker failed ({self.model_error})"
            return f"{scored}; {tie}: {failed}, best score kept"
        return f"{scored}; {tie}, no tie-breaker model (agents.route_model_tier)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent.name,
            "overridden": self.overridden,
            "decided_by": self.decided_by,
            "reason": self.reason,
            "model_reason": self.model_reason,
            "model_error": self.model_error,
            "model": self.model,
            "trace_id": self.trace_id,
            "tied": list(self.tied),
            "scores": [s.to_dict() for s in self.scores],
        }


@dataclass
class _Profile:
    description: np.ndarray
    chunks: np.ndarray  # (n, dim), possibly n = 0


_CACHE: dict[tuple, _Profile] = {}
_LOCK = threading.Lock()


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _sample_texts(platform: Platform, agent: Agent, user_id: int, limit: int) -> list[str]:
    scope = agent_scope(platform, agent, user_id)
    if scope.empty:
        return []
    query = select(chunks.c.id, chunks.c.text, chunks.c.kb_id, chunks.c.classification)
    if scope.kb_ids is not None:
        query = query.where(chunks.c.kb_id.in_(sorted(scope.kb_ids)))
    query = query.where(chunks.c.classification <= scope.clearance).order_by(chunks.c.id)
    with platform.db.engine.connect() as conn:
        rows = conn.execute(query).all()
    if len(rows) > limit:
        step = len(rows) / limit
        rows = [rows[int(i * step)] for i in range(limit)]
    return [r.text for r in rows]


def _profile(platform: Platform, agent: Agent, user_id: int) -> _Profile:
    settings = platform.settings.agents
    scope = agent_scope(platform, agent, user_id)
    with platform.db.engine.connect() as conn:
        chunk_count = conn.execute(select(chunks.c.id).order_by(chunks.c.id.desc())).first()
        kb_count = conn.execute(select(knowledge_bases.c.id)).all()
    key = (
        agent.name,
        agent.display_name,
        agent.description,
        tuple(agent.kbs),
        scope,
        chunk_count[0] if chunk_count else 0,
        len(kb_count),
        platform.embedder.name,
    )
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    text = f"{agent.display_name or agent.name}：{agent.description}".strip("：")
    description = _normalise(platform.embedder.embed_passages([text]))[0]
    sample = _sample_texts(platform, agent, user_id, settings.route_sample_chunks)
    vectors = (
        _normalise(platform.embedder.embed_passages(sample))
        if sample
        else np.zeros((0, description.shape[0]), dtype=np.float32)
    )
    profile = _Profile(description, vectors)
    with _LOCK:
        _CACHE[key] = profile
    return profile


def score_agents(
    platform: Platform, question: str, agents: list[Agent], user_id: int
) -> list[AgentScore]:
    """Every agent's score for the question, best first (see the module docstring)."""
    weight = platform.settings.agents.route_description_weight
    query = _normalise(platform.embedder.embed_queries([question]))[0]
    scores = []
    for agent in agents:
        profile = _profile(platform, agent, user_id)
        description = float(profile.description @ query)
        if len(profile.chunks):
            sims = np.sort(profile.chunks @ query)[::-1][:TOP_CHUNKS]
            content = float(sims.mean())
        else:
            content = 0.0
        score = weight * description + (1 - weight) * content
        scores.append(AgentScore(agent.name, score, description, content))
    scores.sort(key=lambda s: (-s.score, s.agent))
    return scores


def route(
    platform: Platform,
    question: str,
    user_id: int,
    *,
    override: str | None = None,
    exclude: set[str] | None = None,
) -> RouteDecision:
    """The agent that should answer `question` for this user, with every agent's score.
    `override` names the agent the user chose instead (it must be one they may use).
    Raises AgentNotFound when the user may use no agent (or not the one named)."""
    with platform.db.engine.connect() as conn:
        agents = [a for a in usable_agents(conn, user_id) if a.name not in (exclude or set())]
    if not agents:
        raise AgentNotFound("no agent available to this user (`tokenbase agent ls`)")
    scores = score_agents(platform, question, agents, user_id)
    by_name = {a.name: a for a in agents}
    if override is not None:
        if override not in by_name:
            raise AgentNotFound(f"no agent named {override!r}")
        return RouteDecision(by_name[override], scores, overridden=True, decided_by="user")
    margin = platform.settings.agents.route_tie_margin
    tied = [s.agent for s in scores if scores[0].score - s.score <= margin][:MAX_TIED]
    decision = RouteDecision(by_name[scores[0].agent], scores, tied=tied, margin=margin)
    if len(tied) >= 2 and platform.settings.agents.route_model_tier and platform.gateway.has_chat:
        _break_tie(platform, question, user_id, [by_name[n] for n in tied], decision)
    return decision


def candidate_lines(agents: list[Agent]) -> str:
    """The `candidates` variable of the "agent.route" prompt: one line per agent."""
    lines = []
    for agent in agents:
        display = f"（{agent.display_name}）" if agent.display_name else ""
        lines.append(f"- {agent.name}{display}：{agent.description or '（无描述）'}")
    return "\n".join(lines)


def _break_tie(
    platform: Platform, question: str, user_id: int, tied: list[Agent], decision: RouteDecision
) -> None:
    """Ask the model to pick one of `tied`; on success the decision takes its pick."""
    names = [a.name for a in tied]
    schema = {
        "type": "object",
        "properties": {
            "agent": {"type": "string", "enum": names},
            "reason": {"type": "string"},
        },
        "required": ["agent", "reason"],
        "additionalProperties": False,
    }
    with platform.db.engine.connect() as conn:
        department_id = conn.execute(
            select(users.c.department_id).where(users.c.id == user_id)
        ).scalar()
    decision.trace_id = uuid.uuid4().hex
    library = platform.prompts
    try:
        version = library.get(ROUTE_PROMPT)
        params = version.model_params()
        messages = library.render(version, candidates=candidate_lines(tied), question=question)
        if not isinstance(messages, list):  # edited into a text prompt
            messages = [{"role": "user", "content": messages}]
        with attributed(
            user_id=user_id,
            department_id=department_id,
            agent="",
            scenario=SCENARIO,
            trace_id=decision.trace_id,
        ):
            result = platform.gateway.complete_json(
                messages,
                schema,
                tier=params.get("tier") or platform.settings.agents.route_model_tier,
                model=params.get("model"),
                max_tokens=params.get("max_tokens"),
                temperature=params.get("temperature"),
                prompt_name=library.ref(version),
            )
    except (ModelError, BudgetExceeded, PromptError) as exc:
        decision.model_error = _short(str(exc) or type(exc).__name__)
        return
    decision.model = f"{result.provider}/{result.model}"
    value = result.value if isinstance(result.value, dict) else {}
    chosen = value.get("agent")
    if chosen not in names:  # the schema's enum should prevent it; never trust it
        decision.model_error = _short(f"the model answered {chosen!r}, not a candidate")
        return
    decision.agent = tied[names.index(chosen)]
    decision.decided_by = "model"
    decision.model_reason = str(value.get("reason") or "").strip()[:200]


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
