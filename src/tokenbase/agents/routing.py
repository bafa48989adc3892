"""The front desk: which agent should answer a question, and why.

Each agent the user may use gets a profile: the embedding of its name and role description,
and embeddings of a sample of its knowledge bases' chunks (evenly spread over the knowledge
base, at most `agents.route_sample_chunks` per agent, and only chunks the user may read). The
question is embedded with `platform.embedder` and each agent scored

    score = w · cos(question, description) + (1 - w) · mean of the top-3 cos(question, chunk)

with w = `agents.route_description_weight`. The best score wins; every agent's score is
returned so the choice can be explained, and `override` lets the user pick another agent the
user may use. Profiles are cached per (agent, its settings, the user's access) in memory.

    decision = route(platform, "出差住宿标准？", user_id)
    decision.agent.name, decision.scores   # "hr", [AgentScore("hr", 0.81, ...), ...]
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select

from ..db.schema import chunks, knowledge_bases
from ..kb.platform import Platform
from .errors import AgentNotFound
from .registry import Agent, usable_agents
from .runner import agent_scope

TOP_CHUNKS = 3


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

    @property
    def reason(self) -> str:
        if self.overridden:
            return f"chosen by the user: {self.agent.name}"
        if len(self.scores) < 2:
            return f"the only agent available: {self.agent.name}"
        best, runner_up = self.scores[0], self.scores[1]
        return (
            f"{best.agent} scored {best.score:.3f} (description {best.description:.3f}, "
            f"knowledge {best.content:.3f}); next: {runner_up.agent} {runner_up.score:.3f}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent.name,
            "overridden": self.overridden,
            "reason": self.reason,
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
        return RouteDecision(by_name[override], scores, overridden=True)
    return RouteDecision(by_name[scores[0].agent], scores)
