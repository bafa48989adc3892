"""The `tokenbase` command line: quickstart, ingest, jobs, search, ask, rm, kb."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import text

from .access import FULL_ACCESS, AccessScope, scope_for_user
from .config import ConfigError, Settings, load_settings
from .db.schema import CLASSIFICATIONS, parse_classification, parse_usage
from .ingest import jobs as jobstore
from .ingest.catalog import CatalogError, find_documents, kb_id_for, list_kbs, remove_document
from .ingest.errors import IngestError
from .ingest.sources import expand_sources
from .kb.ask import Answer, ask, ask_events
from .kb.platform import Platform
from .ledger.attribution import attributed
from .llm.errors import ModelError

app = typer.Typer(
    help="TokenBase: cited answers from your own documents, offline by default.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="Knowledge bases.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
console = Console()
err_console = Console(stderr=True, soft_wrap=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]
KbOption = Annotated[
    list[str] | None,
    typer.Option("--kb", "-k", help="Knowledge base name (repeat for several; default: all)."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


class _State:
    debug = False


def _fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[red]Error:[/red] {escape(message)}")
    return typer.Exit(code)


def _settings(data_dir: Path | None) -> Settings:
    try:
        return load_settings(data_dir)
    except ConfigError as exc:
        raise _fail(str(exc)) from exc


def _platform(data_dir: Path | None) -> Platform:
    return Platform(_settings(data_dir), debug=_State.debug)


AsUserOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Act as this user: only what their grants and clearance allow is searched.",
    ),
]


def _scope(platform: Platform, username: str | None) -> AccessScope:
    """The operator at the CLI reads everything unless they ask to act as a user."""
    if username is None:
        return FULL_ACCESS
    with platform.db.engine.connect() as conn:
        user_id = conn.execute(
            text("SELECT id FROM users WHERE username = :u"), {"u": username}
        ).scalar()
        if user_id is None:
            raise _fail(f"no user named {username}; `tokenbase user list` shows them")
        return scope_for_user(conn, int(user_id))


def _attribution(platform: Platform, username: str | None) -> dict[str, int | None]:
    """Ledger attribution for a CLI command run as `username` (none: the operator)."""
    if username is None:
        return {}
    with platform.db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, department_id FROM users WHERE username = :u"), {"u": username}
        ).one()
    return {"user_id": int(row.id), "department_id": row.department_id}


@contextmanager
def _query_errors() -> Iterator[None]:
    """Turn an unknown knowledge base or a failing model into a one-line CLI error."""
    try:
        yield
    except KeyError as exc:
        raise _fail(
            f"no knowledge base named {exc.args[0]}; `tokenbase kb list` shows them"
        ) from exc
    except ModelError as exc:
        raise _fail(str(exc)) from exc


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    _State.debug = debug or bool(os.environ.get("TOKENBASE_DEBUG"))


# -- ingest ------------------------------------------------------------------------------------
@app.command()
def ingest(
    sources: Annotated[
        list[str], typer.Argument(help="Files, folders, URLs, or a SQLAlchemy URL with --query.")
    ],
    kb: Annotated[
        str, typer.Option("--kb", "-k", help="Knowledge base to add to (created if new).")
    ] = "default",
    include: Annotated[
        list[str] | None,
        typer.Option("--include", "-i", help="Glob of files to take from folders (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", "-x", help="Glob of files to skip (repeatable)."),
    ] = None,
    query: Annotated[
        str | None,
        typer.Option(
            "--query", "-q", help="SQL query for a database source: each row becomes a record."
        ),
    ] = None,
    classification: Annotated[
        str | None,
        typer.Option(
            "--classification",
            "-c",
            help="公开/内部/机密/绝密 (public/internal/confidential/secret). Default 内部.",
        ),
    ] = None,
    licence: Annotated[
        str | None,
        typer.Option("--licence", help="Source / licence note stored with each document."),
    ] = None,
    usage: Annotated[
        str | None,
        typer.Option(
            "--usage",
            help="Where the text may be used: internal (default), external, third_party.",
        ),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="Title for a single source.")] = None,
    no_embed: Annotated[
        bool,
        typer.Option(
            "--no-embed", help="Index lexically now; embed later with `tokenbase resume`."
        ),
    ] = False,
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """Ingest documents: each becomes a job (fetch, parse, OCR, chunk, index, embed)."""
    level = None
    try:
        if classification is not None:
            level = parse_classification(classification)
        if usage is not None:
            usage = parse_usage(usage)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    platform = _platform(data_dir)
    try:
        found, problems = expand_sources(sources, include, exclude, sql_query=query)
    except IngestError as exc:
        raise _fail(str(exc)) from exc
    for problem in problems:
        err_console.print(f"[yellow]Skipped:[/yellow] {escape(problem)}")
    if not found:
        raise _fail("nothing to ingest", 2)
    summary = _run_jobs(
        platform, found, kb, level, licence, title, embed=not no_embed, quiet=as_json, usage=usage
    )
    if as_json:
        rows = jobstore.list_jobs(
            platform.db.engine, ids=summary["job_ids"], limit=len(summary["job_ids"])
        )
        console.print_json(
            json.dumps([_job_dict(r) for r in rows], ensure_ascii=False, default=str)
        )
    platform.close()
    if summary["failed"]:
        raise typer.Exit(1)


def _run_jobs(
    platform: Platform,
    found,
    kb,
    level,
    licence,
    title,
    *,
    embed: bool,
    quiet: bool = False,  # type: ignore[no-untyped-def]
    usage: str | None = None,
) -> dict:
    from .cli_progress import RichJobProgress

    engine = platform.db.engine
    resumed = jobstore.recover_interrupted(engine)
    ingestor = platform.ingestor(embed=embed)
    job_ids = ingestor.enqueue(
        found, kb, classification=level, licence=licence, usage=usage, title=title
    )
    job_ids = sorted(set(job_ids) | set(resumed))
    out = console if not quiet else Console(stderr=True)
    with RichJobProgress(out, len(job_ids) * (2 if embed else 1), f"导入 Ingest → {kb}") as bar:
        result = ingestor.run(job_ids, bar, embed=embed)
    if not quiet:
        console.print(
            f"[green]{len(result.done)} done[/green], {len(result.skipped)} unchanged, "
            f"[red]{len(result.failed)} failed[/red]"
            + (
                f", {len(result.pending_embed)} waiting to embed (tokenbase resume)"
                if result.pending_embed
                else ""
            )
        )
        if result.failed:
            console.print("See them again with: tokenbase jobs --failed")
    return {"job_ids": job_ids, "failed": result.failed}


@app.command()
def resume(data_dir: DataDir = None) -> None:
    """Resume interrupted jobs and finish pending embeddings."""
    from .cli_progress import RichJobProgress

    platform = _platform(data_dir)
    engine = platform.db.engine
    requeued = jobstore.recover_interrupted(engine)
    pending = [r.id for r in jobstore.list_jobs(engine, status="queued", limit=100000)]
    if not pending:
        console.print(f"Nothing to resume ({len(requeued)} interrupted jobs found).")
        return
    ingestor = platform.ingestor()
    with RichJobProgress(console, len(pending) * 2, "继续 Resume") as bar:
        result = ingestor.run(pending, bar)
    console.print(f"[green]{len(result.done)} done[/green], [red]{len(result.failed)} failed[/red]")
    platform.close()


def _job_dict(row: jobstore.JobRow) -> dict:
    return {
        "id": row.id,
        "kb": row.kb,
        "source": row.source,
        "status": row.status,
        "stage": row.stage,
        "progress": round(row.progress, 3),
        "message": row.message,
        "error_code": row.error_code,
        "error": row.error,
        "attempts": row.attempts,
        "document_id": row.document_id,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


@app.command("jobs")
def jobs_cmd(
    failed: Annotated[
        bool, typer.Option("--failed", help="Only failed jobs, with their reasons.")
    ] = False,
    status: Annotated[
        str | None, typer.Option("--status", help="queued | running | done | failed | skipped")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 50,
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """List ingest jobs with their stage and progress."""
    platform = _platform(data_dir)
    rows = jobstore.list_jobs(
        platform.db.engine, status="failed" if failed else status, limit=limit
    )
    if as_json:
        console.print_json(json.dumps([_job_dict(r) for r in rows], ensure_ascii=False))
        return
    table = Table(title="Jobs 任务")
    for column in ("id", "kb", "source", "status", "stage", "progress", "message"):
        table.add_column(column, overflow="fold")
    colours = {"failed": "red", "done": "green", "running": "cyan", "queued": "yellow"}
    for r in rows:
        colour = colours.get(r.status, "white")
        table.add_row(
            str(r.id),
            r.kb,
            Path(r.source).name if r.source_kind == "file" else r.source,
            f"[{colour}]{r.status}[/{colour}]",
            r.stage,
            f"{r.progress:.0%}",
            escape(r.error or r.message or ""),
        )
    console.print(table)


@app.command()
def rm(
    document: Annotated[
        str, typer.Argument(help="Document id, source path/URL, title or file name.")
    ],
    kb: Annotated[str | None, typer.Option("--kb", "-k")] = None,
    data_dir: DataDir = None,
) -> None:
    """Remove a document with its chunks and vectors."""
    platform = _platform(data_dir)
    with platform.db.engine.begin() as conn:
        try:
            kb_id = kb_id_for(conn, kb) if kb else None
        except CatalogError as exc:
            raise _fail(str(exc)) from exc
        matches = find_documents(conn, document, kb_id)
        if not matches:
            raise _fail(f"no document matches {document!r}; `tokenbase ls` lists them")
        if len(matches) > 1:
            ids = ", ".join(f"{m['id']} ({m['title']})" for m in matches)
            raise _fail(f"{document!r} matches several documents: {ids}; pass the id")
        removed = remove_document(conn, matches[0]["id"])
    console.print(f"Removed {matches[0]['title']} ({removed} chunks).")


@app.command("ls")
def ls_cmd(kb: KbOption = None, as_json: JsonFlag = False, data_dir: DataDir = None) -> None:
    """List documents."""
    from sqlalchemy import select

    from .db.schema import documents, knowledge_bases

    platform = _platform(data_dir)
    stmt = (
        select(
            documents.c.id,
            knowledge_bases.c.name,
            documents.c.title,
            documents.c.source,
            documents.c.media_type,
            documents.c.classification,
            documents.c.status,
            documents.c.chunk_count,
            documents.c.ocr_pages,
        )
        .join(knowledge_bases)
        .order_by(documents.c.id)
    )
    if kb:
        stmt = stmt.where(knowledge_bases.c.name.in_(kb))
    with platform.db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    if as_json:
        keys = [
            "id",
            "kb",
            "title",
            "source",
            "media_type",
            "classification",
            "status",
            "chunks",
            "ocr_pages",
        ]
        data = [
            dict(zip(keys, r, strict=True)) | {"classification": CLASSIFICATIONS[r[5]]}
            for r in rows
        ]
        console.print_json(json.dumps(data, ensure_ascii=False))
        return
    table = Table(title="Documents 文档")
    for column in ("id", "kb", "title", "type", "密级", "status", "chunks"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r[0]), r[1], r[2], r[4], CLASSIFICATIONS[r[5]], r[6], str(r[7]))
    console.print(table)


# -- search and ask ----------------------------------------------------------------------------
@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for (Chinese or English).")],
    kb: KbOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 10,
    mode: Annotated[str, typer.Option("--mode", help="hybrid | lexical | dense")] = "hybrid",
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each channel's rank and score.")
    ] = False,
    as_user: AsUserOption = None,
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """Search chunks with hybrid retrieval (BM25 + dense, fused by RRF)."""
    if mode not in ("hybrid", "lexical", "dense"):
        raise _fail("--mode must be hybrid, lexical or dense")
    platform = _platform(data_dir)
    scope = _scope(platform, as_user)
    with _query_errors(), attributed(scenario="kb.search", **_attribution(platform, as_user)):
        found = platform.searcher.search(query, kb, scope=scope, limit=limit, mode=mode)  # type: ignore[arg-type]
    hits = found.hits
    if as_json:
        console.print_json(json.dumps([h.to_dict() for h in hits], ensure_ascii=False))
        return
    if not hits:
        console.print("No results. 没有找到结果。")
        return
    for i, hit in enumerate(hits, 1):
        where = escape(hit.locator.label(title=hit.title))
        console.print(
            f"[bold cyan]{i}.[/bold cyan] [bold]{escape(hit.title)}[/bold] · {where}"
            f"  [dim]score {hit.score:.4f}[/dim]"
        )
        if explain:
            parts = [
                f"{name}: rank {c.rank}, score {c.score:.4f}" for name, c in hit.channels.items()
            ]
            missing = [n for n in ("lexical", "dense") if n not in hit.channels]
            parts += [f"{name}: —" for name in missing]
            console.print("   [magenta]" + escape(" | ".join(parts)) + "[/magenta]")
        snippet = hit.text.replace("\n", " ")
        console.print("   " + escape(snippet[:240] + ("…" if len(snippet) > 240 else "")))


def print_answer(answer: Answer, *, text: bool = True) -> None:
    """The answer (unless it was already streamed), its note, citations and dropped ones."""
    if text:
        console.print(f"[bold]{escape(answer.text)}[/bold]")
    if answer.note:
        console.print(f"[dim]{escape(answer.note)}[/dim]")
    for c in answer.citations:
        console.print(f"  [cyan][{c.n}][/cyan] {escape(c.title)} · {escape(c.location)}")
        console.print(f"      [dim]{escape(c.snippet[:200])}[/dim]")
    for issue in answer.citation_issues:
        console.print(
            f"  [yellow]removed citation [{issue['n']}][/yellow] ({issue['reason']}): "
            f"[dim]{escape(issue['sentence'][:120])}[/dim]"
        )


@app.command("ask")
def ask_cmd(
    question: Annotated[str, typer.Argument(help="Your question.")],
    kb: KbOption = None,
    as_user: AsUserOption = None,
    external: Annotated[
        bool,
        typer.Option(
            "--external", help="The answer leaves the company: use only sources cleared for it."
        ),
    ] = False,
    as_json: JsonFlag = False,
    data_dir: DataDir = None,
) -> None:
    """Answer a question from the knowledge base, with citations."""
    platform = _platform(data_dir)
    scope = _scope(platform, as_user)
    answer: Answer | None = None
    streamed = False
    with _query_errors(), attributed(**_attribution(platform, as_user)):
        audience = "external" if external else "internal"
        for event in ask_events(platform, question, kb, scope=scope, audience=audience):
            if event.kind == "done":
                answer = event.data
            elif event.kind == "delta" and not as_json:
                console.print(escape(event.data), end="", style="bold", soft_wrap=True)
                streamed = True
    assert answer is not None
    if as_json:
        console.print_json(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    if streamed:
        console.print()
    print_answer(answer, text=not streamed)


# -- knowledge bases ---------------------------------------------------------------------------
@kb_app.command("list")
def kb_list(as_json: JsonFlag = False, data_dir: DataDir = None) -> None:
    """List knowledge bases with document and chunk counts."""
    platform = _platform(data_dir)
    kbs = list_kbs(platform.db.engine)
    if as_json:
        console.print_json(json.dumps([kb.__dict__ for kb in kbs], ensure_ascii=False))
        return
    table = Table(title="Knowledge bases 知识库")
    for column in ("name", "documents", "chunks", "description"):
        table.add_column(column)
    for kb in kbs:
        table.add_row(kb.name, str(kb.documents), str(kb.chunks), kb.description)
    console.print(table)


@kb_app.command("create")
def kb_create(
    name: str,
    description: Annotated[str, typer.Option("--description")] = "",
    data_dir: DataDir = None,
) -> None:
    """Create an empty knowledge base."""
    from .ingest.catalog import get_or_create_kb

    platform = _platform(data_dir)
    with platform.db.engine.begin() as conn:
        get_or_create_kb(conn, name, description)
    console.print(f"Knowledge base {name} is ready.")


# -- quickstart --------------------------------------------------------------------------------
@app.command()
def quickstart(data_dir: DataDir = None) -> None:
    """Create a data directory, ingest the bundled sample documents, ask three questions."""
    from .quickstart import QUICKSTART_KB, sample_files, sample_questions

    settings = _settings(data_dir)
    platform = Platform(settings, debug=_State.debug)
    console.print(
        f"[bold]TokenBase quickstart[/bold] — data directory: {settings.data_dir.resolve()}"
    )
    files = sample_files()
    found, _ = expand_sources([str(f) for f in files])
    _run_jobs(
        platform,
        found,
        QUICKSTART_KB,
        None,
        "sample content written for TokenBase",
        None,
        embed=True,
    )
    for item in sample_questions():
        console.rule(f"[bold]问 Q: {escape(item['question'])}")
        print_answer(ask(platform, item["question"], [QUICKSTART_KB]))
    console.rule("[bold]Token ledger 用量账本")
    _print_usage(platform)
    platform.close()
    console.rule()
    console.print(
        'Next: tokenbase ask "…" --kb quickstart  ·  tokenbase search "…" --explain  ·  '
        "tokenbase ingest PATH --kb NAME  ·  tokenbase ledger report --by scenario"
    )


def _print_usage(platform: Platform) -> None:
    """Every model call of this run, by scenario: the bundled models are metered too."""
    report = platform.ledger.report("scenario", month=platform.ledger.today().strftime("%Y-%m"))
    table = Table(title="Model calls this month, by scenario (CNY)")
    for column in ("scenario", "calls", "tokens in", "tokens out", "cost ¥"):
        table.add_column(column)
    for row in [*report.rows, report.total]:
        table.add_row(
            row.label,
            str(row.calls),
            str(row.prompt_tokens),
            str(row.completion_tokens),
            f"{row.cost_cny:.4f}",
        )
    console.print(table)


# Server and administration commands (serve, admin, user, dept, grant, key).
from .cli_admin import register as _register_admin  # noqa: E402

_register_admin(app)

# Chat model commands (models list, models ping).
from .cli_models import register as _register_models  # noqa: E402

_register_models(app)

# Token ledger commands (ledger, budget, outcome, prices).
from .cli_ledger import register as _register_ledger  # noqa: E402

_register_ledger(app)

# Governance commands (audit, approval, badcase, eval).
from .cli_governance import register as _register_governance  # noqa: E402

_register_governance(app)

# Guard commands (guard scan, guard lexicon); other guard commands attach to the same group.
from .cli_guard import register as _register_guard  # noqa: E402

_register_guard(app)

# PII masking preview (guard mask), attached to the guard group above.
from .cli_guard_pii import register as _register_guard_pii  # noqa: E402

_register_guard_pii(app)


# Agents (agent create, ls, chat).
from . import cli_agent_templates  # noqa: E402, F401 - agent export, import, templates
from .cli_agents import register as _register_agents  # noqa: E402

_register_agents(app)


# Prompt library (prompt create, commit, ls, show, label, report, render).
from .cli_prompts import register as _register_prompts  # noqa: E402

_register_prompts(app)


# Voice intents (voice record, ls, export, schemas).
from .cli_voice import register as _register_voice  # noqa: E402

_register_voice(app)


def run() -> None:  # pragma: no cover - console entry for `python -m tokenbase`
    try:
        app()
    except (IngestError, ModelError, ConfigError) as exc:
        if _State.debug:
            raise
        err_console.print(f"[red]Error:[/red] {escape(str(exc))}")
        sys.exit(1)
