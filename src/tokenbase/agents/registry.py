"""The agent registry: digital employees (数字员工) stored in the `agents` table.

An agent is named by an ascii slug — the `model` id a client sends to /v1/chat/completions —
and carries a display name, a role description (used by the front desk to route), an avatar,
the knowledge bases it may search, its prompt (a `prompt_ref` such as "hr-answer:production"
in the prompt library, plus a literal `prompt` until the library resolves it), a tier, the
names of the tools it may call, the ledger scenario (default `agent.<name>`) and who may use
it (`allowed`: everyone, some departments — with their sub-departments — or some users).

    with engine.begin() as conn:
        agent = create_agent(conn, AgentSpec("hr", kbs=["hr"], description="人事制度问答"))
        may_use(conn, agent, user_id)
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ..db.schema import agents, departments, knowledge_bases, users
from ..identity.clock import utcnow
from .errors import AgentExists, AgentNotFound, InvalidAgent

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
RESERVED = {"auto"}  # the front desk's model id on /v1/chat/completions


@dataclass
class Access:
    """Who may use an agent: everyone, or the listed departments (and their sub-departments)
    and users. Administrators may always use every agent."""

    all: bool = True
    departments: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Access:
        data = data or {}
        return cls(
            bool(data.get("all", not (data.get("departments") or data.get("users")))),
            [int(d) for d in data.get("departments") or []],
            [int(u) for u in data.get("users") or []],
        )


@dataclass
class AgentSpec:
    """What an administrator sets; every field but `name` has a default."""

    name: str
    display_name: str = ""
    description: str = ""
    avatar: str = ""
    kbs: list[str] = field(default_factory=list)  # [] = whatever the user may read
    prompt: str = ""
    prompt_ref: str = ""
    tier: str = ""
    tools: list[str] = field(default_factory=list)
    scenario: str = ""
    allowed: Access = field(default_factory=Access)
    enabled: bool = True


@dataclass
class Agent(AgentSpec):
    id: int = 0
    created_by: int | None = None

    @property
    def ledger_scenario(self) -> str:
        return self.scenario or f"agent.{self.name}"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["scenario"] = self.ledger_scenario
        return data


UPDATABLE = {f.name for f in fields(AgentSpec)} - {"name"}


def _row_to_agent(row: Any) -> Agent:
    return Agent(
        name=row.name,
        display_name=row.display_name,
        description=row.description,
        avatar=row.avatar,
        kbs=list(row.kbs or []),
        prompt=row.prompt,
        prompt_ref=row.prompt_ref,
        tier=row.tier,
        tools=list(row.tools or []),
        scenario=row.scenario,
        allowed=Access.from_dict(row.allowed),
        enabled=bool(row.enabled),
        id=row.id,
        created_by=row.created_by,
    )


def _check(conn: Connection, spec: AgentSpec) -> None:
    if not NAME.match(spec.name) or spec.name in RESERVED:
        raise InvalidAgent(
            f"agent name {spec.name!r} must be a lowercase ascii slug (a-z, 0-9, '.', '_', '-') "
            "other than 'auto' (the front desk)"
        )
    known = set(conn.execute(select(knowledge_bases.c.name)).scalars())
    missing = [kb for kb in spec.kbs if kb not in known]
    if missing:
        raise InvalidAgent(f"unknown knowledge base(s): {', '.join(missing)}")
    ids = set(conn.execute(select(departments.c.id)).scalars())
    if bad := [d for d in spec.allowed.departments if d not in ids]:
        raise InvalidAgent(f"unknown department id(s): {bad}")
    ids = set(conn.execute(select(users.c.id)).scalars())
    if bad := [u for u in spec.allowed.users if u not in ids]:
        raise InvalidAgent(f"unknown user id(s): {bad}")


def _values(spec: AgentSpec) -> dict[str, Any]:
    values = {f.name: getattr(spec, f.name) for f in fields(AgentSpec)}
    values["allowed"] = asdict(spec.allowed)
    return values


def create_agent(conn: Connection, spec: AgentSpec, created_by: int | None = None) -> Agent:
    """Store a new agent. Raises InvalidAgent (bad name, unknown knowledge base or principal)
    or AgentExists."""
    _check(conn, spec)
    if conn.execute(select(agents.c.id).where(agents.c.name == spec.name)).first():
        raise AgentExists(f"an agent named {spec.name!r} already exists")
    now = utcnow()
    conn.execute(
        insert(agents).values(
            **_values(spec), created_by=created_by, created_at=now, updated_at=now
        )
    )
    return get_agent(conn, spec.name)


def get_agent(conn: Connection, name: str) -> Agent:
    row = conn.execute(select(agents).where(agents.c.name == name)).first()
    if row is None:
        raise AgentNotFound(f"no agent named {name!r} (see `tokenbase agent ls`)")
    return _row_to_agent(row)


def get_agent_by_id(conn: Connection, agent_id: int) -> Agent:
    row = conn.execute(select(agents).where(agents.c.id == agent_id)).first()
    if row is None:
        raise AgentNotFound(f"no agent with id {agent_id}")
    return _row_to_agent(row)


def list_agents(conn: Connection) -> list[Agent]:
    return [_row_to_agent(r) for r in conn.execute(select(agents).order_by(agents.c.name))]


def update_agent(conn: Connection, name: str, **changes: Any) -> Agent:
    """Change the given fields (any of AgentSpec's but the name). Raises AgentNotFound,
    InvalidAgent."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidAgent(f"cannot change: {', '.join(sorted(unknown))}")
    agent = get_agent(conn, name)
    if isinstance(changes.get("allowed"), dict):
        changes["allowed"] = Access.from_dict(changes["allowed"])
    for key, value in changes.items():
        setattr(agent, key, value)
    _check(conn, agent)
    conn.execute(
        update(agents).where(agents.c.id == agent.id).values(**_values(agent), updated_at=utcnow())
    )
    return get_agent(conn, name)


def _department_chain(conn: Connection, department_id: int | None) -> set[int]:
    parents = dict(conn.execute(select(departments.c.id, departments.c.parent_id)).all())
    chain: set[int] = set()
    while department_id is not None and department_id not in chain:
        chain.add(department_id)
        department_id = parents.get(department_id)
    return chain


def may_use(conn: Connection, agent: Agent, user_id: int) -> bool:
    """Whether the user may talk to the agent: enabled, and allowed to everyone, to the user,
    or to their department or one above it. Administrators may use every agent."""
    row = conn.execute(
        select(users.c.role, users.c.department_id).where(users.c.id == user_id)
    ).first()
    if row is None:
        return False
    if row.role == "admin":
        return True
    if not agent.enabled:
        return False
    access = agent.allowed
    if access.all or user_id in access.users:
        return True
    return bool(_department_chain(conn, row.department_id) & set(access.departments))


def usable_agents(conn: Connection, user_id: int) -> list[Agent]:
    """The agents this user may talk to, by name."""
    return [a for a in list_agents(conn) if may_use(conn, a, user_id)]


def agent_for_user(conn: Connection, name: str, user_id: int) -> Agent:
    """The agent, if the user may use it; AgentNotFound otherwise (the same error either way,
    so a user cannot learn which agents exist beyond their own)."""
    try:
        agent = get_agent(conn, name)
    except AgentNotFound:
        raise AgentNotFound(f"no agent named {name!r}") from None
    if not may_use(conn, agent, user_id):
        raise AgentNotFound(f"no agent named {name!r}")
    return agent
