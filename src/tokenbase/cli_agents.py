"""Agent commands: `agent create`, `agent ls`, `agent chat`, `agent route`, `agent tools`,
`agent trace`.

Registered into the main `tokenbase` app by `register(app)` (see the end of cli.py).

    tokenbase agent create hr --kb hr --description "人事制度问答" --display-name 人事助手
    tokenbase agent chat hr "出差住宿标准？" --as alice
    tokenbase agent chat hr "经理呢？" --as alice --conversation 1
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from .agents import AgentError, AgentSpec, AgentTurn, create_agent, get_agent, list_agents
from .db.schema import users

agent_app = typer.Typer(
    help="Agents (数字员工): digital employees with their own knowledge.", no_args_is_help=True
)

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _cli():  # type: ignore[no-untyped-def]
    from . import cli  # imported late: cli.py registers this module at its end

    return cli


@agent_app.command("create")
def agent_create(
    name: Annotated[str, typer.Argument(help="ASCII slug; the OpenAI `model` id.")],
    kb: Annotated[
        list[str] | None,
        typer.Option("--kb", "-k", help="Knowledge base it searches (repeat; default: all)."),
    ] = None,
    description: Annotated[str, typer.Option(help="Role description (used to route).")] = "",
    display_name: Annotated[str, typer.Option(help="Name shown to users.")] = "",
    avatar: Annotated[str, typer.Option(help="An emoji or an image URL.")] = "",
    tier: Annotated[str, typer.Option(help="Model tier ('' = llm.default_tier).")] = "",
    prompt_ref: Annotated[str, typer.Option(help="Prompt in the library, '<name>:<label>'.")] = "",
    tool: Annotated[
        list[str] | None,
        typer.Option("--tool", "-t", help="A tool it may call (repeat; `agent tools` lists)."),
    ] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create an agent, usable by everyone (change who may use it with PATCH /agents/NAME)."""
    from .agents.tools import check_tool_names

    cli = _cli()
    platform = cli._platform(data_dir)
    spec = AgentSpec(
        name,
        display_name=display_name,
        description=description,
        avatar=avatar,
        kbs=kb or [],
        tier=tier,
        prompt_ref=prompt_ref,
        tools=tool or [],
    )
    try:
        check_tool_names(platform.settings, spec.tools)
        with platform.db.engine.begin() as conn:
            agent = create_agent(conn, spec)
    except AgentError as exc:
        raise cli._fail(
            f"{exc}; `tokenbase agent ls` lists agents, `tokenbase kb list` knowledge bases"
        ) from exc
    cli.console.print(f"created agent {escape(agent.name)} (scenario {agent.ledger_scenario})")


@agent_app.command("ls")
def agent_ls(data_dir: DataDirOpt = None, as_json: JsonFlag = False) -> None:
    """List agents."""
    cli = _cli()
    platform = cli._platform(data_dir)
    with platform.db.engine.connect() as conn:
        agents = list_agents(conn)
    if as_json:
        print(json.dumps([a.to_dict() for a in agents], ensure_ascii=False, indent=2))
        return
    table = Table("name", "display name", "knowledge bases", "tier", "description")
    for agent in agents:
        table.add_row(
            escape(agent.name),
            escape(f"{agent.avatar} {agent.display_name}".strip()),
            escape(", ".join(agent.kbs) or "(all readable)"),
            escape(agent.tier or "-"),
            escape(agent.description),
        )
    cli.console.print(table)


def _user_id(platform, username: str | None) -> int:  # type: ignore[no-untyped-def]
    """The user the chat runs as: --as USER, or else the first administrator."""
    cli = _cli()
    with platform.db.engine.connect() as conn:
        if username is not None:
            query = select(users.c.id).where(users.c.username == username)
            hint = f"no user named {username}; `tokenbase user list` shows them"
        else:
            query = select(users.c.id).where(users.c.role == "admin").order_by(users.c.id)
            hint = "no administrator to chat as; pass --as USER or run `tokenbase user create`"
        user_id = conn.execute(query).scalars().first()
    if user_id is None:
        raise cli._fail(hint)
    return int(user_id)


@agent_app.command("chat")
def agent_chat(
    name: Annotated[str, typer.Argument(help="The agent.")],
    question: Annotated[str, typer.Argument(help="Your question.")],
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Chat as this user (their own access applies); default: the first administrator.",
        ),
    ] = None,
    conversation: Annotated[
        int | None, typer.Option("--conversation", "-c", help="Continue this conversation.")
    ] = None,
    data_dir: DataDirOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Ask an agent; prints the answer, its sources and the conversation id."""
    cli = _cli()
    platform = cli._platform(data_dir)
    user_id = _user_id(platform, as_user)
    try:
        with platform.db.engine.connect() as conn:
            agent = get_agent(conn, name)
        turn = AgentTurn(platform, agent, user_id, question, conversation_id=conversation)
        with cli._query_errors():
            answer = turn.run()
    except AgentError as exc:
        raise cli._fail(str(exc)) from exc
    if as_json:
        data = answer.to_dict()
        data.pop("results", None)
        print(json.dumps({"conversation_id": turn.conversation_id, **data}, ensure_ascii=False))
        return
    cli.console.print(escape(answer.text))
    for citation in answer.citations:
        cli.console.print(f"  [{citation.n}] {escape(citation.location)}", highlight=False)
    for call in answer.tool_calls:
        status = call["status"]
        if call.get("approval_id"):
            status += f" #{call['approval_id']} (`tokenbase approval ls`)"
        cli.console.print(f"[dim]  tool {escape(call['tool'])}: {escape(status)}[/dim]")
    if answer.note:
        cli.console.print(f"[dim]{escape(answer.note)}[/dim]")
    cli.console.print(f"[dim]conversation {turn.conversation_id}[/dim]")


@agent_app.command("route")
def agent_route(
    question: Annotated[str, typer.Argument(help="The question to route.")],
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Route among this user's agents; default: the first admin."),
    ] = None,
    data_dir: DataDirOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """The front desk: which agent should answer, who decided (embedding scores, or the
    tie-breaker model when agents.route_model_tier is set) and why, with every agent's score."""
    from .agents.routing import route

    cli = _cli()
    platform = cli._platform(data_dir)
    try:
        decision = route(platform, question, _user_id(platform, as_user))
    except AgentError as exc:
        raise cli._fail(str(exc)) from exc
    if as_json:
        print(json.dumps(decision.to_dict(), ensure_ascii=False))
        return
    cli.console.print(
        f"→ {escape(decision.agent.name)} (decided by {decision.decided_by}): "
        f"{escape(decision.reason)}"
    )
    for score in decision.scores:
        cli.console.print(
            f"  {escape(score.agent):<16} {score.score:.3f}  (description "
            f"{score.description:.3f}, knowledge {score.content:.3f})",
            highlight=False,
        )


@agent_app.command("tools")
def agent_tools(data_dir: DataDirOpt = None, as_json: JsonFlag = False) -> None:
    """Tools agents may be given: the built-ins and [[agents.http_tools]]."""
    from .agents.tools import HttpTool, known_tools

    cli = _cli()
    settings = cli._platform(data_dir).settings
    rows = [
        {
            "name": name,
            "kind": "http" if isinstance(tool, HttpTool) else "builtin",
            "impact": tool.spec().impact if isinstance(tool, HttpTool) else "low",
            "summary": tool.summary,
        }
        for name, tool in known_tools(settings).items()
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("name", "kind", "impact", "what it does")
    for row in rows:
        table.add_row(*(escape(row[k]) for k in ("name", "kind", "impact", "summary")))
    cli.console.print(table)


@agent_app.command("trace")
def agent_trace(
    trace_id: Annotated[str, typer.Argument(help="The answer's trace id.")],
    data_dir: DataDirOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """The tool calls of one answer (a consulted agent's included), in order."""
    from .agents.tools import calls_for_trace

    cli = _cli()
    platform = cli._platform(data_dir)
    with platform.db.engine.connect() as conn:
        calls = calls_for_trace(conn, trace_id)
    if as_json:
        print(json.dumps(calls, ensure_ascii=False))
        return
    if not calls:
        raise cli._fail(f"no tool calls under trace {trace_id}")
    table = Table("#", "agent", "tool", "status", "arguments", "ms")
    for call in calls:
        status = call["status"] + (f" #{call['approval_id']}" if call["approval_id"] else "")
        table.add_row(
            str(call["id"]),
            escape(("  " * call["depth"]) + call["agent"]),
            escape(call["tool"]),
            escape(status if not call["error"] else f"{status}: {call['error'][:60]}"),
            escape(json.dumps(call["arguments"], ensure_ascii=False)[:80]),
            f"{call['latency_ms']:.0f}",
        )
    cli.console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `agent` commands to the main `tokenbase` app."""
    app.add_typer(agent_app, name="agent")
