"""Token ledger over HTTP: reports, COGS export, usage events, budgets, outcomes, prices.

Reports (but one), the export and budgets are for administrators. The spend report is also
open to members, narrowed in the query to their own department and the departments below it
(their own calls when they belong to none), so anyone can see what their work cost. Anyone with
the read scope may list their own usage events (admins: everyone's) and the price book;
outcomes are readable with the read scope and recorded with the write scope. Money is a decimal
string in CNY.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from ...guard import audit
from ...identity.departments import get_department, list_departments
from ...identity.errors import NotFound
from ...identity.users import get_user
from ...ledger.errors import LedgerInputError, LedgerNotFound
from ...ledger.reports import department_paths
from ..deps import AdminCaller, Caller, ReadCaller, State, WriteCaller
from ..errors import ApiError, forbidden, not_found
from ..state import AppState

router = APIRouter(tags=["ledger"])

MonthQuery = Query(None, description="YYYY-MM (default: this month).", pattern=r"^\d{4}-\d{2}$")
FromQuery = Query(None, alias="from", description="First day, YYYY-MM-DD (with `to`).")
ToQuery = Query(None, alias="to", description="Last day, inclusive, YYYY-MM-DD.")


@contextmanager
def _ledger_errors() -> Iterator[None]:
    try:
        yield
    except LedgerInputError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc
    except LedgerNotFound as exc:
        raise not_found("budget") from exc


def _range(month: str | None, start: str | None, end: str | None) -> dict[str, Any]:
    return {"month": month, "start": start, "end": end} if (start or end) else {"month": month}


# -- reports -----------------------------------------------------------------------------------
def _subtree(conn: Connection, root: int) -> set[int]:
    """`root` and every department below it."""
    children: dict[int | None, list[int]] = {}
    for dept in list_departments(conn):
        children.setdefault(dept.parent_id, []).append(dept.id)
    found, todo = set(), [root]
    while todo:
        node = todo.pop()
        if node not in found:
            found.add(node)
            todo.extend(children.get(node, ()))
    return found


def _member_scope(caller: Caller, state: AppState) -> tuple[dict[str, Any], dict[str, Any]]:
    """(filter for Ledger.report, what the response says about it) for a non-admin."""
    dept_id = caller.user.department_id
    if dept_id is None:
        return {"user_id": caller.id}, {"kind": "own", "department_id": None, "department": ""}
    with state.platform.db.engine.connect() as conn:
        ids = _subtree(conn, dept_id)
        path = department_paths(conn).get(dept_id, "")
    scope = {"kind": "department", "department_id": dept_id, "department": path}
    return {"department_ids": ids}, scope


@router.get("/ledger/report", operation_id="ledger_report")
def report(
    caller: ReadCaller,
    state: State,
    by: Literal["department", "scenario", "model", "user", "day"] = "department",
    month: str | None = MonthQuery,
    start: str | None = FromQuery,
    end: str | None = ToQuery,
) -> dict[str, Any]:
    """Spend by one dimension for a month or a date range: rows (most expensive first; by day in
    date order) and the total; `unpriced_calls` counts public-model calls with no price.
    Administrators see everything; anyone else their department and those below it (their own
    calls without a department), and not by user. `scope` says which; `today` is the ledger's
    local date (for "the last 30 days" in the ledger's time zone)."""
    if caller.is_admin:
        narrow: dict[str, Any] = {}
        scope: dict[str, Any] = {"kind": "all", "department_id": None, "department": ""}
    else:
        if by == "user":
            raise forbidden(
                "only administrators may report spend by user (仅管理员可按用户查看花费)",
                code="admin_required",
            )
        narrow, scope = _member_scope(caller, state)
    with _ledger_errors():
        spent = state.platform.ledger.report(by, **narrow, **_range(month, start, end))
    return {**spent.to_dict(), "scope": scope, "today": state.platform.ledger.today().isoformat()}


@router.get("/ledger/roi", operation_id="ledger_roi")
def roi(
    caller: AdminCaller,
    state: State,
    month: str | None = MonthQuery,
    start: str | None = FromQuery,
    end: str | None = ToQuery,
) -> list[dict[str, Any]]:
    """Per scenario: cost, outcomes, cost per outcome and ROI (outcome value / cost)."""
    with _ledger_errors():
        return state.platform.ledger.roi(**_range(month, start, end))


@router.get("/ledger/quality", operation_id="ledger_quality")
def quality(
    caller: AdminCaller,
    state: State,
    month: str | None = MonthQuery,
    start: str | None = FromQuery,
    end: str | None = ToQuery,
    by: Literal["model", "prompt"] = Query("model", description="model, or prompt."),
) -> list[dict[str, Any]]:
    """Per model: availability (ok / (ok + error)), format-error rate before and after repair,
    mean latency, cost per call. `by=prompt`: format-error rates per prompt and model."""
    with _ledger_errors():
        return state.platform.ledger.quality(by=by, **_range(month, start, end))


@router.get(
    "/ledger/export.csv",
    operation_id="ledger_export_csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_csv(
    caller: AdminCaller,
    state: State,
    month: str = Query(description="YYYY-MM.", pattern=r"^\d{4}-\d{2}$"),
) -> Response:
    """The month's cost per department x scenario x model for COGS booking (UTF-8 with BOM)."""
    with _ledger_errors():
        text = state.platform.ledger.export_csv(month)
    audit.record(
        state.platform.db.engine,
        caller,
        "ledger.export",
        f"month:{month}",
        {"rows": text.count("\n") - 1},
        settings=state.settings,
    )
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tokenbase-cost-{month}.csv"'},
    )


@router.get("/ledger/events", operation_id="ledger_events")
def events(
    caller: ReadCaller,
    state: State,
    limit: int = Query(50, ge=1, le=1000),
    before_id: int | None = Query(None, description="Page: ids below this one."),
    trace_id: str | None = None,
) -> list[dict[str, Any]]:
    """Usage events, newest first: everyone's for admins, your own otherwise."""
    user_id = None if caller.is_admin else caller.id
    found = state.platform.ledger.events(
        limit=limit, before_id=before_id, user_id=user_id, trace_id=trace_id
    )
    return [e.to_dict() for e in found]


# -- budgets -----------------------------------------------------------------------------------
class BudgetCreate(BaseModel):
    scope_kind: Literal["department", "scenario", "user"]
    scope: str = Field(
        min_length=1, max_length=200, description="Department id, scenario name or user id."
    )
    period: Literal["daily", "monthly"] = "monthly"
    hard_limit_cny: Decimal = Field(gt=0, max_digits=18, decimal_places=6)
    soft_pct: int = Field(80, ge=0, le=100, description="Alert at this % of the hard limit.")
    action: Literal["block", "downgrade"] = "block"
    downgrade_tier: str = Field("", description="Tier still allowed past the limit (downgrade).")


class BudgetPublic(BaseModel):
    id: int
    scope_kind: str
    scope_value: str
    period: str
    hard_limit_cny: Decimal
    soft_pct: int
    action: str
    downgrade_tier: str
    active: bool
    created_at: str
    spent_cny: Decimal = Decimal(0)
    reserved_cny: Decimal = Decimal(0)


@router.get("/budgets", operation_id="list_budgets")
def list_budgets(caller: AdminCaller, state: State) -> list[BudgetPublic]:
    """Budgets with the spend and holds of their current period."""
    return [BudgetPublic(**b) for b in state.platform.ledger.budgets()]


@router.post("/budgets", status_code=status.HTTP_201_CREATED, operation_id="set_budget")
def set_budget(body: BudgetCreate, caller: AdminCaller, state: State) -> BudgetPublic:
    """Create the budget of a scope and period, or replace its limits."""
    ledger = state.platform.ledger
    if body.scope_kind in ("department", "user"):
        if not body.scope.isdigit():
            raise ApiError(422, "invalid_input", f"scope: a {body.scope_kind} id (an integer)")
        with ledger.engine.connect() as conn:
            try:
                if body.scope_kind == "department":
                    get_department(conn, int(body.scope))
                else:
                    get_user(conn, int(body.scope))
            except NotFound as exc:
                raise ApiError(422, "invalid_input", f"scope: {exc}") from exc
    with _ledger_errors():
        budget = ledger.set_budget(
            scope_kind=body.scope_kind,
            scope_value=body.scope,
            period=body.period,
            hard_limit_cny=body.hard_limit_cny,
            soft_pct=body.soft_pct,
            action=body.action,
            downgrade_tier=body.downgrade_tier,
        )
    audit.record(
        ledger.engine,
        caller,
        "budget.set",
        f"budget:{budget.id}",
        body.model_dump(mode="json"),
        settings=state.settings,
    )
    current = next(b for b in ledger.budgets() if b["id"] == budget.id)
    return BudgetPublic(**current)


@router.delete(
    "/budgets/{budget_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_budget"
)
def delete_budget(budget_id: int, caller: AdminCaller, state: State) -> None:
    with _ledger_errors():
        state.platform.ledger.delete_budget(budget_id)
    audit.record(
        state.platform.db.engine,
        caller,
        "budget.delete",
        f"budget:{budget_id}",
        settings=state.settings,
    )


@router.get("/budgets/alerts", operation_id="list_budget_alerts")
def list_alerts(caller: AdminCaller, state: State) -> list[dict[str, Any]]:
    """Soft and hard limit crossings, once per budget per period."""
    return state.platform.ledger.alerts()


# -- outcomes ----------------------------------------------------------------------------------
class OutcomeCreate(BaseModel):
    kind: str = Field(min_length=1, max_length=120, description="e.g. 'ticket resolved'.")
    count: int = Field(1, ge=1)
    value_cny: Decimal = Field(Decimal(0), ge=0, max_digits=18, decimal_places=6)
    scenario: str = Field("", max_length=120)
    trace_id: str = Field("", max_length=64)
    task: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)


class OutcomePublic(BaseModel):
    id: int
    at: str
    day: date
    kind: str
    count: int
    value_cny: Decimal
    scenario: str
    trace_id: str
    task: str
    department_id: int | None
    user_id: int | None
    note: str
    created_by: str


@router.post("/outcomes", status_code=status.HTTP_201_CREATED, operation_id="record_outcome")
def record_outcome(body: OutcomeCreate, caller: WriteCaller, state: State) -> OutcomePublic:
    """Record a business outcome linked to a scenario, trace or task (one is required)."""
    with _ledger_errors():
        outcome = state.platform.ledger.record_outcome(
            created_by=caller.user.username, **body.model_dump()
        )
    return OutcomePublic(**outcome.to_dict())


@router.get("/outcomes", operation_id="list_outcomes")
def list_outcomes(
    caller: ReadCaller,
    state: State,
    month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM."),
    limit: int = Query(100, ge=1, le=1000),
) -> list[OutcomePublic]:
    with _ledger_errors():
        found = state.platform.ledger.outcomes(month=month, limit=limit)
    return [OutcomePublic(**o.to_dict()) for o in found]


# -- prices ------------------------------------------------------------------------------------
class PricePublic(BaseModel):
    model: str
    effective_from: date
    input: Decimal = Field(description="CNY per million input tokens.")
    cached_input: Decimal
    output: Decimal
    origin: str = Field(description="'config' (contract price) or 'seed' (list price).")
    currency: str = Field(description="Currency the price was quoted in (converted to CNY).")
    verified: bool
    source: str


@router.get("/prices", operation_id="list_prices")
def list_prices(caller: ReadCaller, state: State, at: date | None = None) -> list[PricePublic]:
    """The price book; with `at`, only the entries in force on that day."""
    return [
        PricePublic(
            model=e.model,
            effective_from=e.effective_from,
            input=e.input,
            cached_input=e.cached_input,
            output=e.output,
            origin=e.origin,
            currency=e.currency,
            verified=e.verified,
            source=e.source,
        )
        for e in state.platform.ledger.price_list(at)
    ]
