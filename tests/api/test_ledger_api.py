"""Ledger endpoints on every backend: reports, export, events (own vs all), budgets,
outcomes, prices; admin-only where it should be, one error shape throughout."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from tokenbase.identity.departments import create_department
from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user
from tokenbase.ledger import Attribution, CallRecord

from .test_errors import assert_error

MONTH = datetime.now(UTC).strftime("%Y-%m")
PRICES = {"ledger": {"prices": [{"model": "acme/m", "input": "10", "output": "20"}]}}


def _record(platform, user_id: int, dept_id: int, scenario: str, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        platform.ledger.record(
            CallRecord(
                kind="chat",
                provider="acme",
                model="m",
                deployment="public",
                started_at=datetime.now(UTC),
                request_id=f"{user_id}-{i}",
                prompt_tokens=1000,
                completion_tokens=500,  # 0.02 CNY
            ),
            Attribution(user_id=user_id, department_id=dept_id, scenario=scenario),
        )


@pytest.fixture
def api(make_app):  # type: ignore[no-untyped-def]
    app, platform, key, client = make_app(**PRICES)
    with platform.db.engine.begin() as conn:
        dept = create_department(conn, "销售部", None)
        mia = create_user(conn, "mia", password="mia-password", department_id=dept.id)
        read_key = create_key(conn, mia.id, "r", ["read"])[1]
        write_key = create_key(conn, mia.id, "w", ["write"])[1]
    _record(platform, mia.id, dept.id, "proposal", 3)
    _record(platform, 1, dept.id, "proposal", 2)  # the admin's own calls
    admin = client(headers={"Authorization": f"Bearer {key}"})
    reader = client(headers={"Authorization": f"Bearer {read_key}"})
    writer = client(headers={"Authorization": f"Bearer {write_key}"})
    yield admin, reader, writer, dept.id, mia.id
    for c in (admin, reader, writer):
        c.close()


def test_reports_and_export(api):  # type: ignore[no-untyped-def]
    admin, reader, writer, dept_id, _ = api
    report = admin.get("/ledger/report", params={"by": "department", "month": MONTH}).json()
    assert report["rows"][0]["label"] == "销售部" and report["total"]["cost_cny"] == "0.100000"
    by_user = admin.get("/ledger/report", params={"by": "user", "month": MONTH}).json()
    assert {r["label"]: r["calls"] for r in by_user["rows"]} == {"mia": 3, "root": 2}
    assert (
        writer.post(
            "/outcomes",
            json={"kind": "proposal sent", "count": 2, "value_cny": "30", "scenario": "proposal"},
        ).status_code
        == 201
    )
    [roi] = admin.get("/ledger/roi", params={"month": MONTH}).json()
    assert (roi["cost_per_outcome_cny"], roi["roi"]) == ("0.050000", "300.0000")
    [quality] = admin.get("/ledger/quality", params={"month": MONTH}).json()
    assert quality["availability"] == "1.0000" and quality["structured_calls"] == 0
    export = admin.get("/ledger/export.csv", params={"month": MONTH})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows == [
        {
            "month": MONTH,
            "department": "销售部",
            "cost_centre": "销售部",
            "scenario": "proposal",
            "model": "acme/m",
            "calls": "5",
            "tokens": "7500",
            "cost_cny": "0.10",
        }
    ]
    assert_error(admin.get("/ledger/report", params={"by": "colour"}), 422, "validation_error")
    assert_error(admin.get("/ledger/report", params={"month": "2026-13"}), 422, "invalid_input")


def test_members_see_only_their_own_events_and_no_reports(api):  # type: ignore[no-untyped-def]
    admin, reader, writer, _, mia_id = api
    mine = reader.get("/ledger/events").json()
    assert len(mine) == 3 and {e["user_id"] for e in mine} == {mia_id}
    assert len(admin.get("/ledger/events").json()) == 5
    for path in ("/ledger/roi", "/ledger/quality", "/budgets"):
        assert_error(reader.get(path), 403, "admin_required")
    assert_error(reader.get("/ledger/report", params={"by": "user"}), 403, "admin_required")
    assert_error(reader.get("/ledger/export.csv", params={"month": MONTH}), 403)
    assert_error(reader.post("/budgets", json={}), 403)
    # Outcomes: read scope may list, only the write scope may record.
    assert reader.get("/outcomes").status_code == 200
    assert_error(reader.post("/outcomes", json={"kind": "x", "scenario": "s"}), 403)
    assert reader.get("/prices", params={"at": "2025-03-01"}).status_code == 200


def test_budget_crud_and_input_errors(api):  # type: ignore[no-untyped-def]
    admin, reader, writer, dept_id, mia_id = api
    created = admin.post(
        "/budgets",
        json={"scope_kind": "department", "scope": str(dept_id), "hard_limit_cny": "0.15"},
    )
    assert created.status_code == 201, created.text
    budget = created.json()
    assert budget["hard_limit_cny"] == "0.150000" and budget["spent_cny"] == "0.000000"
    assert_error(
        admin.post(
            "/budgets", json={"scope_kind": "department", "scope": "999", "hard_limit_cny": 1}
        ),
        422,
        "invalid_input",
    )
    assert_error(
        admin.post(
            "/budgets",
            json={
                "scope_kind": "scenario",
                "scope": "s",
                "hard_limit_cny": 1,
                "action": "downgrade",
            },
        ),
        422,
        "invalid_input",
    )
    [listed] = admin.get("/budgets").json()
    assert listed["id"] == budget["id"]
    assert admin.delete(f"/budgets/{budget['id']}").status_code == 204
    assert_error(admin.delete(f"/budgets/{budget['id']}"), 404)
    outcome = writer.post("/outcomes", json={"kind": "deal won"})
    err = assert_error(outcome, 422, "invalid_input")
    assert "scenario" in err["message"]


def test_members_see_the_spend_of_their_department_and_below(make_app):  # type: ignore[no-untyped-def]
    _app, platform, key, client = make_app(**PRICES)
    with platform.db.engine.begin() as conn:
        sales = create_department(conn, "销售部", None)
        east = create_department(conn, "华东", sales.id)
        other = create_department(conn, "财务部", None)
        mia = create_user(conn, "mia", password="mia-password", department_id=sales.id)
        lou = create_user(conn, "lou", password="lou-password")  # in no department
        mia_key = create_key(conn, mia.id, "r", ["read"])[1]
        lou_key = create_key(conn, lou.id, "r", ["read"])[1]
    _record(platform, mia.id, sales.id, "proposal", 3)
    _record(platform, 1, east.id, "proposal", 1)  # below mia's department: hers to see
    _record(platform, 1, other.id, "audit", 4)  # another department: not hers
    _record(platform, lou.id, 0, "chat", 2)
    with client(headers={"Authorization": f"Bearer {key}"}) as admin:
        everything = admin.get("/ledger/report", params={"by": "department"}).json()
    assert everything["scope"]["kind"] == "all" and everything["total"]["calls"] == 10
    assert everything["today"] == platform.ledger.today().isoformat()
    with client(headers={"Authorization": f"Bearer {mia_key}"}) as reader:
        mine = reader.get("/ledger/report", params={"by": "department", "month": MONTH}).json()
        by_scenario = reader.get("/ledger/report", params={"by": "scenario"}).json()
    assert mine["scope"] == {
        "kind": "department",
        "department_id": sales.id,
        "department": "销售部",
    }
    assert {r["label"]: r["calls"] for r in mine["rows"]} == {"销售部": 3, "销售部/华东": 1}
    assert mine["total"]["cost_cny"] == "0.080000"
    assert [r["key"] for r in by_scenario["rows"]] == ["proposal"]
    with client(headers={"Authorization": f"Bearer {lou_key}"}) as loner:
        own = loner.get("/ledger/report", params={"by": "day"}).json()
    assert own["scope"]["kind"] == "own" and own["total"]["calls"] == 2
