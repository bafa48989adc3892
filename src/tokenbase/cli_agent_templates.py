"""Agent template commands (智能体超市): `agent export`, `agent import`, `agent templates`.

They join the `agent` group of cli_agents.py when cli.py imports this module.

    tokenbase agent templates
    tokenbase agent import hr-policy                        # a shipped template
    tokenbase agent export hr -o hr.agent.json --with-knowledge
    tokenbase agent import hr.agent.json --name hr2 --no-knowledge
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from .agents import AgentError
from .agents.templates import (
    export_agent,
    import_template,
    list_builtin_templates,
    load_builtin_template,
    load_template_dir,
)
from .cli_agents import DataDirOpt, JsonFlag, _cli, agent_app
from .db.schema import users


def _read_template(source: str) -> dict[str, Any]:
    """A template file, a template folder, or the key of a shipped template."""
    cli = _cli()
    path = Path(source)
    try:
        if path.is_file():
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise cli._fail(
                    f"{source} is not a JSON agent template ({exc}); "
                    "`tokenbase agent export NAME -o FILE` writes one"
                ) from exc
        if (path / "template.json").is_file():
            return load_template_dir(path)
        return load_builtin_template(source)
    except AgentError as exc:
        raise cli._fail(f"{exc} (or pass a template file)") from exc


def _acting_user(platform, username: str | None) -> int | None:  # type: ignore[no-untyped-def]
    """--as USER, else the first administrator, else nobody (the system)."""
    with platform.db.engine.connect() as conn:
        if username is None:
            query = select(users.c.id).where(users.c.role == "admin").order_by(users.c.id)
        else:
            query = select(users.c.id).where(users.c.username == username)
        user_id = conn.execute(query).scalars().first()
    if user_id is None and username is not None:
        raise _cli()._fail(f"no user named {username}; `tokenbase user list` shows them")
    return None if user_id is None else int(user_id)


@agent_app.command("export")
def agent_export(
    name: Annotated[str, typer.Argument(help="The agent to export.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the template here (default: print it)."),
    ] = None,
    with_knowledge: Annotated[
        bool,
        typer.Option(
            "--with-knowledge", help="Include the documents of its knowledge bases (≤ 20 MB)."
        ),
    ] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Export an agent as one JSON file: settings, tool names, its prompt's versions and
    labels, and optionally its knowledge. Access (who may use it) stays here."""
    cli = _cli()
    platform = cli._platform(data_dir)
    try:
        data = export_agent(platform, name, include_knowledge=with_knowledge)
    except AgentError as exc:
        raise cli._fail(f"{exc}; `tokenbase agent ls` lists agents") from exc
    finally:
        platform.close()
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        print(text, end="")
        return
    output.write_text(text, encoding="utf-8")
    versions = len((data.get("prompt") or {}).get("versions", []))
    docs = sum(len(kb["documents"]) for kb in data.get("knowledge", []))
    cli.console.print(
        f"wrote {escape(str(output))}: agent {escape(name)}, {versions} prompt version(s), "
        f"{docs} document(s)"
    )


@agent_app.command("import")
def agent_import(
    source: Annotated[
        str, typer.Argument(help="A template file, or a shipped template's key (agent templates).")
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Name the agent this (default: the template's).")
    ] = None,
    no_knowledge: Annotated[
        bool, typer.Option("--no-knowledge", help="Skip the template's sample knowledge.")
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option("--as", help="Record this user as creator; default: the first admin."),
    ] = None,
    data_dir: DataDirOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an agent from a template: its prompt (reused if identical, else added as new
    versions), its sample knowledge (ingested into new knowledge bases) and the agent."""
    cli = _cli()
    data = _read_template(source)
    platform = cli._platform(data_dir)
    try:
        docs = 0 if no_knowledge else _document_count(data)
        out = cli.console if not as_json else cli.err_console
        bar = _LazyProgress(out, docs * 2, "导入样例知识 Sample knowledge")
        try:
            result = import_template(
                platform,
                data,
                name=name,
                created_by=_acting_user(platform, as_user),
                knowledge=not no_knowledge,
                progress=bar,
            )
        finally:
            bar.close()
    except AgentError as exc:
        raise cli._fail(str(exc)) from exc
    finally:
        platform.close()
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    agent = result.agent
    cli.console.print(
        f"created agent {escape(agent.name)} {escape(agent.avatar)} "
        f"{escape(agent.display_name)} (prompt {escape(agent.prompt_ref or 'built-in')}: "
        f"{result.prompt_action}; {result.documents} sample document(s) in "
        f"{escape(', '.join(result.knowledge_bases) or 'no new knowledge base')})"
    )
    for warning in result.warnings:
        cli.console.print(f"[yellow]Warning:[/yellow] {escape(warning)}")
    cli.console.print(f'Try it: tokenbase agent chat {escape(agent.name)} "..."')


class _LazyProgress:
    """Rich ingest bars that appear only once a sample document is being ingested."""

    def __init__(self, console: Any, total: int, title: str) -> None:
        self.args = (console, total, title)
        self.bar: Any = None

    def job_started(self, job_id: int, name: str) -> None:
        if self.bar is None:
            from .cli_progress import RichJobProgress

            self.bar = RichJobProgress(*self.args).__enter__()
        self.bar.job_started(job_id, name)

    def job_stage(self, job_id: int, stage: str, fraction: float) -> None:
        if self.bar is not None:
            self.bar.job_stage(job_id, stage, fraction)

    def job_finished(self, job_id: int, status: str, message: str) -> None:
        if self.bar is not None:
            self.bar.job_finished(job_id, status, message)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _document_count(data: Any) -> int:
    knowledge = data.get("knowledge") if isinstance(data, dict) else None
    if not isinstance(knowledge, list):
        return 0
    return sum(len(kb.get("documents") or []) for kb in knowledge if isinstance(kb, dict))


@agent_app.command("templates")
def agent_templates(as_json: JsonFlag = False) -> None:
    """The shipped agent templates (import one with `tokenbase agent import KEY`)."""
    cli = _cli()
    found = list_builtin_templates()
    if as_json:
        print(json.dumps([t.to_dict() for t in found], ensure_ascii=False, indent=2))
        return
    table = Table("key", "agent", "knowledge", "tools", "description")
    for item in found:
        table.add_row(
            escape(item.key),
            escape(f"{item.avatar} {item.display_name}".strip()),
            escape(f"{', '.join(item.knowledge_bases)} ({item.documents} docs)"),
            escape(", ".join(item.tools)),
            escape(item.description),
        )
    cli.console.print(table)
