"""Approvals (red line 2) on both backends: nothing runs before a person with the right role
approves; the requester cannot approve; rejection and expiry never run; two approvers racing
produce one execution; every decision is audited and the chain still verifies."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update

from tokenbase.db.engine import create_db_engine
from tokenbase.db.schema import approvals as approvals_table
from tokenbase.guard import approvals, audit
from tokenbase.identity.clock import utcnow
from tokenbase.identity.users import User, create_user

RUNS: Counter[int] = Counter()


def _send(approval: approvals.Approval, context: approvals.ExecutionContext) -> dict:
    RUNS[approval.id] += 1
    return {"sent_to": approval.payload["to"]}


def _explode(approval: approvals.Approval, context: approvals.ExecutionContext) -> None:
    raise RuntimeError("SMTP server refused")


@pytest.fixture(autouse=True)
def _executors() -> Iterator[None]:
    RUNS.clear()
    approvals.register_executor("send_external", _send)
    approvals.register_executor("test_explode", _explode)
    yield
    for kind in ("send_external", "test_explode", "publish_wechat_article"):
        approvals.unregister_executor(kind)


@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def people(engine: Engine) -> dict[str, User]:
    with engine.begin() as conn:
        return {
            name: create_user(conn, name, password=None, role=role)
            for name, role in [
                ("requester", "member"),
                ("member2", "member"),
                ("boss", "admin"),
                ("boss2", "admin"),
            ]
        }


def _request(engine: Engine, who: User, kind: str = "send_external", **kw) -> approvals.Approval:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return approvals.request_approval(
            conn,
            kind,
            {"to": "client@example.com", "subject": "Q3 报告"},
            who,
            summary="Send the Q3 report to the client",
            **kw,
        )


def test_nothing_runs_until_an_admin_approves(engine: Engine, people: dict[str, User]) -> None:
    request = _request(engine, people["requester"])
    assert request.status == "pending" and request.required_role == "admin"
    # execute before a decision does nothing
    assert approvals.execute(engine, request.id).execution == ""
    assert RUNS[request.id] == 0
    # a member may not approve an admin-level request; the requester may not approve at all
    for who, match in [(people["member2"], "administrator"), (people["requester"], "own")]:
        with pytest.raises(approvals.NotAllowed, match=match), engine.begin() as conn:
            approvals.decide(conn, request.id, who, True)
    assert RUNS[request.id] == 0
    done = approvals.decide_and_execute(engine, request.id, people["boss"], True, "checked")
    assert (done.status, done.execution, done.decided_by_name) == ("approved", "done", "boss")
    assert done.result == {"sent_to": "client@example.com"}
    assert RUNS[request.id] == 1
    # executing again (another replica, a retry) does not run it twice
    assert approvals.execute(engine, request.id).execution == "done"
    assert RUNS[request.id] == 1
    with pytest.raises(approvals.AlreadyDecided), engine.begin() as conn:
        approvals.decide(conn, request.id, people["boss2"], False, "too late")
    with engine.connect() as conn:
        actions = [e.action for e in reversed(audit.entries(conn))]
    assert actions == ["approval.request", "approval.approve", "approval.execute"]
    assert audit.verify(engine).ok


def test_admin_cannot_approve_own_request(engine: Engine, people: dict[str, User]) -> None:
    request = _request(engine, people["boss"])
    with pytest.raises(approvals.NotAllowed, match="own"), engine.begin() as conn:
        approvals.decide(conn, request.id, people["boss"], True)
    assert approvals.decide_and_execute(engine, request.id, people["boss2"], True).execution == (
        "done"
    )


def test_member_role_requests_take_any_other_person(
    engine: Engine, people: dict[str, User]
) -> None:
    request = _request(engine, people["requester"], required_role="member")
    done = approvals.decide_and_execute(engine, request.id, people["member2"], True)
    assert done.status == "approved" and RUNS[request.id] == 1


def test_rejection_needs_a_reason_and_never_runs(engine: Engine, people: dict[str, User]) -> None:
    request = _request(engine, people["requester"])
    with pytest.raises(approvals.InvalidApproval, match="reason"), engine.begin() as conn:
        approvals.decide(conn, request.id, people["boss"], False, "  ")
    rejected = approvals.decide_and_execute(
        engine, request.id, people["boss"], False, "wrong recipient"
    )
    assert (rejected.status, rejected.reason, rejected.execution) == (
        "rejected",
        "wrong recipient",
        "",
    )
    assert approvals.execute(engine, request.id).execution == ""
    assert RUNS[request.id] == 0
    with engine.connect() as conn:
        entry = audit.entries(conn, limit=1)[0]
    assert (entry.action, entry.actor, entry.detail["reason"]) == (
        "approval.reject",
        "boss",
        "wrong recipient",
    )


def test_expired_requests_cannot_be_approved(engine: Engine, people: dict[str, User]) -> None:
    request = _request(engine, people["requester"], ttl=timedelta(hours=1))
    with engine.begin() as conn:
        conn.execute(
            update(approvals_table)
            .where(approvals_table.c.id == request.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        assert approvals.get_approval(conn, request.id).status == "expired"
        assert [a.id for a in approvals.list_approvals(conn, status="expired")] == [request.id]
        assert approvals.list_approvals(conn, status="pending") == []
    with pytest.raises(approvals.ApprovalExpired), engine.begin() as conn:
        approvals.decide(conn, request.id, people["boss"], True)
    with engine.begin() as conn:
        assert approvals.expire_due(conn) == 1
        assert approvals.expire_due(conn) == 0
    assert approvals.execute(engine, request.id).execution == ""
    assert RUNS[request.id] == 0
    with engine.connect() as conn:
        assert audit.entries(conn, limit=1)[0].action == "approval.expire"


def test_racing_approvers_run_the_action_once(engine: Engine, people: dict[str, User]) -> None:
    for _ in range(3):
        request = _request(engine, people["requester"])
        start = threading.Barrier(4)
        outcomes: list[str] = []
        deciders = [people["boss"], people["boss2"]] * 2

        def approve(
            person: User,
            request_id: int = request.id,
            start: threading.Barrier = start,
            outcomes: list[str] = outcomes,
        ) -> None:
            start.wait()
            try:
                approvals.decide_and_execute(engine, request_id, person, True, "ok")
                outcomes.append("approved")
            except approvals.AlreadyDecided:
                outcomes.append("lost")

        threads = [threading.Thread(target=approve, args=(p,)) for p in deciders]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["approved", "lost", "lost", "lost"]
        assert RUNS[request.id] == 1
    with engine.connect() as conn:
        actions = Counter(e.action for e in audit.entries(conn, limit=100))
    assert actions == {"approval.request": 3, "approval.approve": 3, "approval.execute": 3}
    assert audit.verify(engine).ok


def test_a_failing_executor_is_recorded_not_retried(
    engine: Engine, people: dict[str, User]
) -> None:
    request = _request(engine, people["requester"], kind="test_explode")
    done = approvals.decide_and_execute(engine, request.id, people["boss"], True)
    assert (done.execution, done.error) == ("failed", "RuntimeError: SMTP server refused")
    assert approvals.execute(engine, request.id).execution == "failed"
    with engine.connect() as conn:
        entry = audit.entries(conn, limit=1)[0]
    assert (entry.action, entry.detail["ok"]) == ("approval.execute", False)


def test_unregistered_kind_waits_for_an_executor(engine: Engine, people: dict[str, User]) -> None:
    request = _request(engine, people["requester"], kind="publish_wechat_article")
    done = approvals.decide_and_execute(engine, request.id, people["boss"], True)
    assert (done.status, done.execution) == ("approved", "")
    calls: list[int] = []
    approvals.register_executor("publish_wechat_article", lambda a, _: calls.append(a.id))
    assert approvals.execute(engine, request.id).execution == "done"
    assert approvals.execute(engine, request.id).execution == "done"
    assert calls == [request.id]


@pytest.mark.parametrize(
    "payload",
    [
        {"smtp_password": "hunter2"},
        {"headers": {"Authorization": "x"}},
        {"to": "a@b.c", "note": "Bearer abcdefghijkl"},
        {"items": [{"api_key": "k"}]},
        {"value": "sk-abcdefghijklmnopqrstuvwx"},
    ],
)
def test_secrets_are_refused_in_payloads(
    engine: Engine, people: dict[str, User], payload: dict
) -> None:
    with pytest.raises(approvals.InvalidApproval), engine.begin() as conn:
        approvals.request_approval(conn, "send_external", payload, people["requester"])
    with engine.connect() as conn:
        assert approvals.list_approvals(conn) == []


def test_unknown_role_and_missing_request(engine: Engine, people: dict[str, User]) -> None:
    with pytest.raises(approvals.InvalidApproval, match="role"), engine.begin() as conn:
        approvals.request_approval(conn, "publish", {}, people["requester"], required_role="owner")
    with pytest.raises(approvals.ApprovalNotFound), engine.begin() as conn:
        approvals.decide(conn, 999, people["boss"], True)
