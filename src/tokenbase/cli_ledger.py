"""Token ledger commands: `ledger` (report, roi, quality, export, events, rebuild), `budget`
(set, ls, rm, alerts), `outcome` (add, ls) and `prices ls`.

Registered into the main `tokenbase` app by `register(app)` (see the end of cli.py). A
`LedgerError` (bad month, unknown budget, ...) becomes a one-line error naming the fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .cli_governance import cli_audit
from .ledger import Ledger
from .ledger.errors import LedgerError
from .ledger.periods import parse_day

ledger_app = typer.Typer(
    help="Token ledger: spend, ROI, model quality, export.", no_args_is_help=True
)
budget_app = typer.Typer(help="Budgets per department, scenario or user.", no_args_is_help=True)
outcome_app = typer.Typer(
    help="Business outcomes, for cost per outcome and ROI.", no_args_is_help=True
)
prices_app = typer.Typer(help="The price book (CNY per million tokens).", no_args_is_help=True)

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
MonthOpt = Annotated[
    str | None, typer.Option("--month", "-m", help="YYYY-MM (default: this month).")
]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day (inclusive), YYYY-MM-DD.")]


def _cli():  # type: ignore[no-untyped-def]
    from . import cli  # imported late: cli.py registers this module at its end

    return cli


@contextmanager
def _ledger_errors() -> Iterator[None]:
    try:
        yield
    except LedgerError as exc:
        raise _cli()._fail(str(exc)) from exc


def _ledger(data_dir: Path | None) -> Ledger:
    return _cli()._platform(data_dir).ledger


def _range(month: str | None, start: str | None, end: str | None) -> dict[str, Any]:
    return {"month": month, "start": start, "end": end} if (start or end) else {"month": month}


def _print_json(data: Any) -> None:
    _cli().console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    table = Table(title=title)
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*(escape(str(v)) if v is not None else "—" for v in row))
    _cli().console.print(table)


# -- ledger ------------------------------------------------------------------------------------
@ledger_app.command("report")
def report(
    by: Annotated[
        str, typer.Option("--by", help="department, scenario, model, user or day.")
    ] = "department",
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Spend for a month (or --from/--to) by one dimension, with totals."""
    with _ledger_errors():
        result = _ledger(data_dir).report(by, **_range(month, start, end))
    if as_json:
        _print_json(result.to_dict())
        return
    last = result.end.fromordinal(result.end.toordinal() - 1)
    rows = [
        [
            r.label,
            r.calls,
            r.prompt_tokens,
            r.completion_tokens,
            r.cached_tokens,
            f"{r.cost_cny:.2f}",
            r.unpriced_calls,
        ]
        for r in [*result.rows, result.total]
    ]
    _table(
        f"Spend by {by}, {result.start} – {last} (CNY)",
        [by, "calls", "prompt", "completion", "cached", "cost ¥", "unpriced"],
        rows,
    )
    if result.total.unpriced_calls:
        _cli().console.print(
            f"{result.total.unpriced_calls} calls to public models have no price and cost 0: "
            "add them under [[ledger.prices]] in tokenbase.toml."
        )


@ledger_app.command("roi")
def roi(
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Cost per outcome and ROI (outcome value ÷ cost) per scenario."""
    with _ledger_errors():
        rows = _ledger(data_dir).roi(**_range(month, start, end))
    if as_json:
        _print_json(rows)
        return
    _table(
        "Unit economics per scenario (CNY)",
        ["scenario", "calls", "cost ¥", "outcomes", "value ¥", "¥ / outcome", "ROI"],
        [
            [
                r["scenario"],
                r["calls"],
                r["cost_cny"],
                r["outcomes"],
                r["outcome_value_cny"],
                r["cost_per_outcome_cny"],
                r["roi"],
            ]
            for r in rows
        ],
    )


@ledger_app.command("quality")
def quality(
    by: Annotated[str, typer.Option("--by", help="model, or prompt.")] = "model",
    month: MonthOpt = None,
    start: FromOpt = None,
    end: ToOpt = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Availability and format-error rates (before/after repair) per model, or format-error
    rates per prompt and model (--by prompt)."""
    with _ledger_errors():
        rows = _ledger(data_dir).quality(by=by, **_range(month, start, end))
    if as_json:
        _print_json(rows)
        return
    if by == "prompt":
        _table(
            "Structured output per prompt",
            ["prompt", "model", "structured", "fmt err before", "after"],
            [
                [
                    r["prompt"] or "(none)",
                    r["model"],
                    r["structured_calls"],
                    r["format_error_rate_before_repair"],
                    r["format_error_rate_after_repair"],
                ]
                for r in rows
            ],
        )
        return
    _table(
        "Model quality",
        ["model", "calls", "availability", "structured", "fmt err before", "after", "¥ / call"],
        [
            [
                r["model"],
                r["calls"],
                r["availability"],
                r["structured_calls"],
                r["format_error_rate_before_repair"],
                r["format_error_rate_after_repair"],
                r["cost_per_call_cny"],
            ]
            for r in rows
        ],
    )


@ledger_app.command("export")
def export(
    month: Annotated[str, typer.Option("--month", "-m", help="YYYY-MM.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="CSV file to write.")],
    data_dir: DataDirOpt = None,
) -> None:
    """CSV for booking AI cost into each department's COGS (UTF-8 with BOM for Excel)."""
    with _ledger_errors():
        text = _ledger(data_dir).export_csv(month)
    out.write_text(text, encoding="utf-8", newline="")
    cli_audit(
        None, data_dir, "ledger.export", f"month:{month}", {"rows": len(text.splitlines()) - 1}
    )
    _cli().console.print(f"Wrote {len(text.splitlines()) - 1} rows to {escape(str(out))}.")


@ledger_app.command("events")
def events(
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="How many, newest first.")
    ] = 20,
    trace: Annotated[str | None, typer.Option("--trace", help="Only this trace id.")] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """The latest usage events (one per model call attempt)."""
    found = _ledger(data_dir).events(limit=limit, trace_id=trace)
    if as_json:
        _print_json([e.to_dict() for e in found])
        return
    _table(
        "Usage events",
        ["id", "at", "model", "kind", "status", "tokens in/out", "cost ¥", "scenario", "user"],
        [
            [
                e.id,
                e.at.isoformat(timespec="seconds"),
                f"{e.provider}/{e.model}",
                e.kind,
                e.status + (" (est.)" if e.estimated else ""),
                f"{e.prompt_tokens}/{e.completion_tokens}",
                f"{e.cost_cny:.6f}" + ("" if e.priced else " (unpriced)"),
                e.scenario,
                e.user_id,
            ]
            for e in found
        ],
    )


@ledger_app.command("rebuild")
def rebuild(data_dir: DataDirOpt = None) -> None:
    """Recompute the daily rollups from the usage events (a repair tool)."""
    rows = _ledger(data_dir).rebuild_rollups()
    _cli().console.print(f"Rebuilt {rows} daily rollup rows.")


# -- budgets -----------------------------------------------------------------------------------
@budget_app.command("set")
def budget_set(
    hard: Annotated[str, typer.Option("--hard", help="Hard limit in CNY.")],
    department: Annotated[
        str | None, typer.Option("--department", help="Department id, name or path.")
    ] = None,
    scenario: Annotated[str | None, typer.Option("--scenario", help="Scenario name.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Username.")] = None,
    period: Annotated[str, typer.Option("--period", help="daily or monthly.")] = "monthly",
    soft_pct: Annotated[
        int, typer.Option("--soft-pct", help="Alert at this % of the hard limit (0 = none).")
    ] = 80,
    action: Annotated[
        str, typer.Option("--action", help="At the hard limit: block, or downgrade.")
    ] = "block",
    downgrade_tier: Annotated[
        str, typer.Option("--downgrade-tier", help="Tier calls may still use (downgrade).")
    ] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Create or change the budget of one department (covers its sub-departments), scenario
    or user."""
    from .cli_admin import _department_id, _user

    given = [
        (k, v) for k, v in (("department", department), ("scenario", scenario), ("user", user)) if v
    ]
    if len(given) != 1:
        raise _cli()._fail("name exactly one of --department, --scenario or --user")
    kind, ref = given[0]
    ledger = _ledger(data_dir)
    with ledger.engine.connect() as conn:
        if kind == "department":
            value = str(_department_id(conn, ref))
        elif kind == "user":
            value = str(_user(conn, ref).id)
        else:
            value = ref
    with _ledger_errors():
        budget = ledger.set_budget(
            scope_kind=kind,
            scope_value=value,
            period=period,
            hard_limit_cny=hard,
            soft_pct=soft_pct,
            action=action,
            downgrade_tier=downgrade_tier,
        )
    cli_audit(
        None,
        data_dir,
        "budget.set",
        f"budget:{budget.id}",
        {
            "scope_kind": kind,
            "scope": ref,
            "period": period,
            "hard_limit_cny": hard,
            "action": action,
        },
    )
    _cli().console.print(
        f"Budget {budget.id}: {kind} {escape(ref)}, {period}, hard ¥{budget.hard_limit_cny:.2f}, "
        f"alert at {soft_pct}%, then {action}"
        + (f" to tier {escape(downgrade_tier)}" if action == "downgrade" else "")
        + "."
    )


def _scope_labels(ledger: Ledger) -> dict[tuple[str, str], str]:
    from .identity.users import list_users
    from .ledger.reports import department_paths

    with ledger.engine.connect() as conn:
        labels = {("department", str(k)): v for k, v in department_paths(conn).items()}
        labels.update({("user", str(u.id)): u.username for u in list_users(conn)})
    return labels


@budget_app.command("ls")
def budget_ls(as_json: JsonFlag = False, data_dir: DataDirOpt = None) -> None:
    """Budgets with this period's spend and holds."""
    ledger = _ledger(data_dir)
    found = ledger.budgets()
    labels = _scope_labels(ledger)
    for b in found:
        b["scope"] = labels.get((b["scope_kind"], b["scope_value"]), b["scope_value"])
    if as_json:
        _print_json(found)
        return
    _table(
        "Budgets (this period)",
        ["id", "scope", "period", "hard ¥", "soft %", "action", "spent ¥", "reserved ¥"],
        [
            [
                b["id"],
                f"{b['scope_kind']} {b['scope']}",
                b["period"],
                f"{float(b['hard_limit_cny']):.2f}",
                b["soft_pct"],
                b["action"] + (f" → {b['downgrade_tier']}" if b["downgrade_tier"] else ""),
                f"{float(b['spent_cny']):.2f}",
                f"{float(b['reserved_cny']):.2f}",
            ]
            for b in found
        ],
    )


@budget_app.command("rm")
def budget_rm(budget_id: int, data_dir: DataDirOpt = None) -> None:
    """Delete a budget (its counters and alerts go with it)."""
    with _ledger_errors():
        _ledger(data_dir).delete_budget(budget_id)
    cli_audit(None, data_dir, "budget.delete", f"budget:{budget_id}")
    _cli().console.print(f"Budget {budget_id} deleted.")


@budget_app.command("alerts")
def budget_alerts(as_json: JsonFlag = False, data_dir: DataDirOpt = None) -> None:
    """Soft and hard limit crossings (once per budget per period)."""
    found = _ledger(data_dir).alerts()
    if as_json:
        _print_json(found)
        return
    _table(
        "Budget alerts",
        ["budget", "period", "kind", "at", "spent ¥", "limit ¥"],
        [
            [
                a["budget_id"],
                a["period_start"],
                a["kind"],
                a["at"][:19],
                a["spent_cny"],
                a["limit_cny"],
            ]
            for a in found
        ],
    )


# -- outcomes ----------------------------------------------------------------------------------
@outcome_app.command("add")
def outcome_add(
    kind: Annotated[str, typer.Option("--kind", help="e.g. 'ticket resolved', 'deal won'.")],
    count: Annotated[int, typer.Option("--count", help="How many.")] = 1,
    value: Annotated[str, typer.Option("--value", help="Total value in CNY.")] = "0",
    scenario: Annotated[str, typer.Option("--scenario", help="Scenario it came from.")] = "",
    trace: Annotated[str, typer.Option("--trace", help="Trace id of the answer/run.")] = "",
    task: Annotated[str, typer.Option("--task", help="Task it came from.")] = "",
    note: Annotated[str, typer.Option("--note", help="Free text.")] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Record a business outcome, linked to a scenario, trace or task."""
    with _ledger_errors():
        outcome = _ledger(data_dir).record_outcome(
            kind=kind,
            count=count,
            value_cny=value,
            scenario=scenario,
            trace_id=trace,
            task=task,
            note=note,
            created_by="cli",
        )
    _cli().console.print(
        f"Outcome {outcome.id}: {outcome.count} × {escape(outcome.kind)}, "
        f"¥{outcome.value_cny:.2f}"
        + (f", scenario {escape(outcome.scenario)}" if outcome.scenario else "")
    )


@outcome_app.command("ls")
def outcome_ls(
    month: MonthOpt = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1)] = 50,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Recorded outcomes, newest first."""
    with _ledger_errors():
        found = _ledger(data_dir).outcomes(month=month, limit=limit)
    if as_json:
        _print_json([o.to_dict() for o in found])
        return
    _table(
        "Outcomes",
        ["id", "day", "kind", "count", "value ¥", "scenario", "trace", "task"],
        [
            [o.id, o.day, o.kind, o.count, o.value_cny, o.scenario, o.trace_id, o.task]
            for o in found
        ],
    )


# -- prices ------------------------------------------------------------------------------------
@prices_app.command("ls")
def prices_ls(
    at: Annotated[
        str | None, typer.Option("--at", help="Only prices in force on this day (YYYY-MM-DD).")
    ] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Prices per million tokens in CNY: contract prices (tokenbase.toml) and list prices."""
    with _ledger_errors():
        day = parse_day(at) if at else None
        entries = _ledger(data_dir).price_list(day)
    rows = [
        {
            "model": e.model,
            "effective_from": e.effective_from.isoformat(),
            "input": str(e.input),
            "cached_input": str(e.cached_input),
            "output": str(e.output),
            "origin": e.origin,
            "currency": e.currency,
            "verified": e.verified,
            "source": e.source,
        }
        for e in entries
    ]
    if as_json:
        _print_json(rows)
        return
    _table(
        "Prices, CNY per million tokens" + (f" on {day}" if day else ""),
        ["model", "from", "input", "cached", "output", "origin"],
        [
            [
                r["model"],
                r["effective_from"],
                r["input"],
                r["cached_input"],
                r["output"],
                r["origin"] + ("" if r["verified"] else " (unverified)"),
            ]
            for r in rows
        ],
    )


def register(app: typer.Typer) -> None:
    """Add the ledger, budget, outcome and prices commands to the main `tokenbase` app."""
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(budget_app, name="budget")
    app.add_typer(outcome_app, name="outcome")
    app.add_typer(prices_app, name="prices")
