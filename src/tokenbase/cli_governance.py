"""Governance commands: `audit` (verify, ls), `approval` (ls, approve, reject), `badcase`
(ls, export) and `eval run`.

Registered into the main `tokenbase` app by `register(app)` (see the end of cli.py). Expected
failures (a broken chain, an approval someone else decided, an unreadable eval set) are one-line
errors naming the fix; `audit verify` exits 1 when the chain is broken.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Connection

from .guard import approvals as approvals_mod
from .guard import audit, badcases
from .guard.approvals import ApprovalError
from .guard.audit import AuditError
from .guard.evals import EvalError, load_cases, run_eval

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
approval_app = typer.Typer(
    help="High-impact actions waiting for a person (red line 2).", no_args_is_help=True
)
badcase_app = typer.Typer(
    help="Bad cases: thumbs-down answers and guard blocks/flags.", no_args_is_help=True
)
eval_app = typer.Typer(
    help="Replay evaluation sets against the current setup.", no_args_is_help=True
)

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AsOpt = Annotated[
    str | None, typer.Option("--as", help="Who decides: a username (required; recorded).")
]


def _cli():  # type: ignore[no-untyped-def]
    from . import cli  # imported late: cli.py registers this module at its end

    return cli


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except (ApprovalError, AuditError, EvalError, badcases.BadCaseError) as exc:
        raise _cli()._fail(str(exc)) from exc


def cli_audit(
    conn: Connection | None,
    data_dir: Any,
    action: str,
    target: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    """Audit a CLI change as `cli:<login>`, in `conn`'s transaction (None: a transaction of
    its own), with the HMAC key from this data directory's settings."""
    platform = _cli()._platform(data_dir)
    with _errors():
        if conn is None:
            audit.record(
                platform.db.engine,
                audit.cli_actor(),
                action,
                target,
                detail,
                settings=platform.settings,
            )
        else:
            audit.append(
                conn, audit.cli_actor(), action, target, detail, settings=platform.settings
            )


def _print_json(data: Any) -> None:
    _cli().console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(str(v)) for v in row))
    _cli().console.print(table)


# -- audit -------------------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(
    unkeyed_until: Annotated[
        int,
        typer.Option(
            "--unkeyed-until",
            help="Accept plain SHA-256 entries up to this seq (written "
            "before the HMAC key was set).",
        ),
    ] = 0,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Check the whole chain: any edited, deleted, inserted or reordered entry fails it.
    Keep the printed last hash elsewhere to anchor the log."""
    platform = _cli()._platform(data_dir)
    with _errors():
        result = audit.verify(
            platform.db.engine, settings=platform.settings, unkeyed_until=unkeyed_until
        )
    if as_json:
        _print_json(result.to_dict())
    elif result.ok:
        _cli().console.print(
            f"[green]OK[/green]: {result.checked} entries, chain intact; "
            f"last entry {result.last_seq}, hash {result.last_hash}"
        )
    else:
        _cli().err_console.print(
            f"[red]BROKEN[/red] at entry {result.first_bad_seq}: {escape(result.problem)} "
            f"({result.checked} entries before it are intact)"
        )
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("ls")
def audit_ls(
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many, newest first.")
    ] = 30,
    action: Annotated[
        str | None, typer.Option("--action", help="Only actions starting with this.")
    ] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Only this actor.")] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """The latest audit entries."""
    with _cli()._platform(data_dir).db.engine.connect() as conn:
        found = audit.entries(conn, limit=limit, action=action, actor=actor)
    if as_json:
        _print_json([e.to_dict() for e in found])
        return
    _table(
        "Audit log",
        ["seq", "at", "actor", "action", "target", "detail"],
        [
            [
                e.seq,
                e.at.isoformat(timespec="seconds"),
                e.actor,
                e.action,
                e.target,
                json.dumps(e.detail, ensure_ascii=False)[:80],
            ]
            for e in found
        ],
    )


# -- approvals ---------------------------------------------------------------------------------
@approval_app.command("ls")
def approval_ls(
    status: Annotated[
        str | None, typer.Option("--status", help="pending, approved, rejected or expired.")
    ] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Approval requests, newest first."""
    with _cli()._platform(data_dir).db.engine.connect() as conn:
        found = approvals_mod.list_approvals(conn, status=status)
    if as_json:
        _print_json([a.to_dict() for a in found])
        return
    _table(
        "Approvals",
        ["id", "kind", "summary", "by", "needs", "status", "decided by", "run", "expires"],
        [
            [
                a.id,
                a.kind,
                a.summary[:60],
                a.requested_by_name,
                a.required_role,
                a.status,
                a.decided_by_name,
                a.execution,
                a.expires_at.isoformat(timespec="minutes"),
            ]
            for a in found
        ],
    )


def _decide(approval_id: int, username: str | None, approve: bool, reason: str, data_dir) -> None:  # type: ignore[no-untyped-def]
    from .cli_admin import _user

    if not username:
        raise _cli()._fail("say who decides: --as USERNAME (a person, never the system)")
    platform = _cli()._platform(data_dir)
    engine = platform.db.engine
    with engine.connect() as conn:
        person = _user(conn, username)
    with _errors():
        result = approvals_mod.decide_and_execute(
            engine, approval_id, person, approve, reason, settings=platform.settings
        )
    line = f"Approval {result.id} ({escape(result.kind)}): {result.status}"
    if result.execution:
        line += f", run {result.execution}"
        if result.error:
            line += f": {escape(result.error)}"
    elif result.status == "approved":
        line += "; no executor for this kind in this process — it runs where one is registered"
    _cli().console.print(line + ".")


@approval_app.command("approve")
def approval_approve(
    approval_id: int,
    by: AsOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Approve a pending request; its action then runs once."""
    _decide(approval_id, by, True, reason, data_dir)


@approval_app.command("reject")
def approval_reject(
    approval_id: int,
    reason: Annotated[str, typer.Option("--reason", help="Why (required; recorded).")],
    by: AsOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Reject a pending request; its action never runs."""
    _decide(approval_id, by, False, reason, data_dir)


# -- bad cases ---------------------------------------------------------------------------------
@badcase_app.command("ls")
def badcase_ls(
    kind: Annotated[
        str | None, typer.Option("--kind", help="feedback, guard_block, guard_flag, …")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many, newest first.")
    ] = 30,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Bad cases, newest first."""
    with _cli()._platform(data_dir).db.engine.connect() as conn:
        found = badcases.list_badcases(conn, kind=kind, limit=limit)
    if as_json:
        _print_json([c.to_dict() for c in found])
        return
    _table(
        "Bad cases",
        ["id", "at", "kind", "trace", "question", "expected"],
        [
            [
                c.id,
                c.created_at.isoformat(timespec="seconds"),
                c.kind,
                c.trace_id[:12],
                c.question[:40],
                c.expected[:40],
            ]
            for c in found
        ],
    )


@badcase_app.command("export")
def badcase_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="JSONL file to write.")],
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Write the bad cases as an evaluation set (JSONL) for `tokenbase eval run`."""
    platform = _cli()._platform(data_dir)
    count = 0
    with platform.db.engine.begin() as conn, out.open("w", encoding="utf-8") as fh:
        for line in badcases.export_jsonl(conn, kind=kind):
            fh.write(line)
            count += 1
        audit.append(
            conn,
            audit.cli_actor(),
            "badcase.export",
            str(out.name),
            {"cases": count, "kind": kind},
            settings=platform.settings,
        )
    _cli().console.print(f"Wrote {count} cases to {escape(str(out))}.")


# -- eval --------------------------------------------------------------------------------------
@eval_app.command("run")
def eval_run(
    cases_file: Annotated[Path, typer.Argument(help="Evaluation set (JSONL).")],
    kb: Annotated[
        list[str] | None, typer.Option("--kb", "-k", help="Knowledge base (default: all).")
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Ask as this user (their grants and clearance).")
    ] = None,
    min_pass_rate: Annotated[
        float | None,
        typer.Option("--min-pass-rate", help="Exit 1 below this rate (0–1), for CI."),
    ] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Ask each question of the set with the current configuration and report the pass
    rate (per kind, and each failure)."""
    from .kb.ask import ask

    cli = _cli()
    with _errors():
        cases = load_cases(cases_file)
    platform = cli._platform(data_dir)
    scope = cli._scope(platform, as_user)

    def ask_one(question: str):  # type: ignore[no-untyped-def]
        return ask(platform, question, kb, scope=scope)

    if as_json:
        report = run_eval(cases, ask_one)
        _print_json({"file": str(cases_file), **report.to_dict()})
    else:
        progress = Progress(
            TextColumn("[bold]评测 eval"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[passed]} passed"),
            TimeElapsedColumn(),
            console=cli.err_console,
        )
        with progress:
            task = progress.add_task("eval", total=len(cases), passed=0)
            report = run_eval(
                cases,
                ask_one,
                on_result=lambda r: progress.update(
                    task, advance=1, passed=progress.tasks[0].fields["passed"] + int(r.passed)
                ),
            )
        failures = [r for r in report.results if not r.passed]
        if failures:
            _table(
                "Failed cases",
                ["line", "kind", "question", "expected", "why"],
                [
                    [r.case.line, r.case.kind, r.case.question[:40], r.case.expected[:30], r.reason]
                    for r in failures
                ],
            )
        cli.console.print(
            f"Pass rate: [bold]{report.pass_rate:.1%}[/bold] ({report.passed}/{report.total})"
            + "".join(
                f"; {kind} {v['passed']}/{v['total']}" for kind, v in report.by_kind().items()
            )
        )
    if min_pass_rate is not None and report.pass_rate < min_pass_rate:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the audit, approval, badcase and eval commands to the main `tokenbase` app."""
    app.add_typer(audit_app, name="audit")
    app.add_typer(approval_app, name="approval")
    app.add_typer(badcase_app, name="badcase")
    app.add_typer(eval_app, name="eval")
