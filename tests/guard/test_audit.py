"""The hash-chained audit log on both backends: a clean chain verifies; an edited, deleted,
inserted or reordered entry (tampered with raw SQL) is caught at the right seq; concurrent
appenders from threads and from two processes keep one chain; the HMAC key stops a rewrite."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from tokenbase.config import load_settings
from tokenbase.db.engine import create_db_engine
from tokenbase.db.schema import audit_head, audit_log
from tokenbase.guard import audit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(database_url: str):  # type: ignore[no-untyped-def]
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def _fill(engine: Engine, n: int = 6) -> None:
    for i in range(1, n + 1):
        audit.record(
            engine,
            audit.Actor(i, f"user{i}"),
            "login",
            f"user:{i}",
            {"ip": "127.0.0.1", "n": i, "说明": "登录"},
        )


def _sql(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_clean_chain_verifies(engine: Engine) -> None:
    assert audit.verify(engine).ok and audit.verify(engine).checked == 0
    _fill(engine)
    result = audit.verify(engine)
    assert result.ok, result.problem
    assert (result.checked, result.last_seq, result.first_bad_seq) == (6, 6, None)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).all()
        head = conn.execute(select(audit_head)).one()
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert head.hash == rows[-1].hash == result.last_hash
    # The documented canonical form reproduces the stored hash.
    entry = audit.entries(engine.connect(), limit=1)[0]
    fields = {k: v for k, v in entry.to_dict().items() if k != "hash"}
    fields["at"] = entry.at
    assert hashlib.sha256(audit.canonical(**fields)).hexdigest() == entry.hash


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET target = 'user:99' WHERE seq = 3",
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3",
        """UPDATE audit_log SET detail = '{"ip": "10.0.0.1"}' WHERE seq = 3""",
        "UPDATE audit_log SET action = 'logout' WHERE seq = 3",
    ],
    ids=["target", "actor", "detail", "action"],
)
def test_edited_entry_is_caught(engine: Engine, statement: str) -> None:
    _fill(engine)
    _sql(engine, statement)
    result = audit.verify(engine)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.checked == 2
    assert "changed" in result.problem


def test_edit_with_recomputed_hash_breaks_the_next_link(engine: Engine) -> None:
    _fill(engine)
    with engine.connect() as conn:
        entry = next(e for e in audit.entries(conn) if e.seq == 3)
    fields = {k: getattr(entry, k) for k in ("seq", "at", "actor_id", "actor", "action")}
    fields.update(target="user:99", detail=entry.detail, alg="sha256", prev_hash=entry.prev_hash)
    forged = hashlib.sha256(audit.canonical(**fields)).hexdigest()
    _sql(engine, f"UPDATE audit_log SET target = 'user:99', hash = '{forged}' WHERE seq = 3")
    result = audit.verify(engine)
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "prev_hash" in result.problem


def test_deleted_entry_is_caught(engine: Engine) -> None:
    _fill(engine)
    _sql(engine, "DELETE FROM audit_log WHERE seq = 3")
    result = audit.verify(engine)
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 3, 2)
    assert "missing" in result.problem


def test_deleted_tail_is_caught_by_the_head(engine: Engine) -> None:
    _fill(engine)
    _sql(engine, "DELETE FROM audit_log WHERE seq >= 5")
    result = audit.verify(engine)
    assert not result.ok
    assert result.checked == 4
    assert "head" in result.problem


def test_inserted_entry_is_caught(engine: Engine) -> None:
    """The forger shifts entries 3.. up by one and inserts a well-formed entry 3 chained to
    entry 2: the old entry 3 (now 4) no longer follows."""
    _fill(engine)
    with engine.connect() as conn:
        two = next(e for e in audit.entries(conn) if e.seq == 2)
    fields = {
        "seq": 3,
        "at": two.at,
        "actor_id": 1,
        "actor": "admin",
        "action": "grant.set",
        "target": "kb:1",
        "detail": {"user": 9, "level": "manage"},
        "alg": "sha256",
        "prev_hash": two.hash,
    }
    digest = hashlib.sha256(audit.canonical(**fields)).hexdigest()
    _sql(
        engine,
        "UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 3",
        "UPDATE audit_log SET seq = -seq WHERE seq < 0",
    )
    with engine.begin() as conn:
        conn.execute(audit_log.insert().values(**fields, hash=digest))
    result = audit.verify(engine)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_reordered_entries_are_caught(engine: Engine) -> None:
    _fill(engine)
    _sql(
        engine,
        "UPDATE audit_log SET seq = -1 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = -1",
    )
    result = audit.verify(engine)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_rolled_back_append_leaves_no_gap(engine: Engine) -> None:
    _fill(engine, 2)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        audit.append(conn, "alice", "grant.set", "kb:1")
        raise RuntimeError("the change it recorded failed")
    _fill(engine, 1)
    result = audit.verify(engine)
    assert result.ok and result.last_seq == 3


def test_full_rewrite_without_a_key_passes_but_not_with_one(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented limit: with write access and no key, a forger who rewrites every later
    hash and the head goes unnoticed. With the HMAC key, the same rewrite fails."""

    def rewrite_from(seq: int) -> None:
        with engine.begin() as conn:
            rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).all()
            prev = audit.GENESIS
            for row in rows:
                entry = audit._entry(row)
                if entry.seq >= seq:
                    fields = {
                        k: getattr(entry, k)
                        for k in ("seq", "at", "actor_id", "actor", "action", "target", "detail")
                    }
                    fields.update(alg="sha256", prev_hash=prev)
                    if entry.seq == seq:
                        fields["target"] = "user:99"
                    digest = hashlib.sha256(audit.canonical(**fields)).hexdigest()
                    conn.execute(
                        audit_log.update()
                        .where(audit_log.c.seq == entry.seq)
                        .values(target=fields["target"], alg="sha256", prev_hash=prev, hash=digest)
                    )
                    prev = digest
                else:
                    prev = entry.hash
            conn.execute(audit_head.update().values(hash=prev))

    _fill(engine, 4)
    rewrite_from(2)
    assert audit.verify(engine).ok  # undetectable without a key: why the key exists

    monkeypatch.setenv("TB_AUDIT_KEY", "s3cret-key")
    settings = load_settings(
        tmp_path / "d", guard={"governance": {"audit_hmac_key_env": "TB_AUDIT_KEY"}}
    )
    for i in range(3):
        audit.record(engine, "alice", "login", f"user:{i}", settings=settings)
    with engine.connect() as conn:
        assert [e.alg for e in audit.entries(conn, limit=3)] == ["hmac-sha256"] * 3
    assert audit.verify(engine, settings=settings, unkeyed_until=4).ok
    # Without the key, keyed entries cannot be checked; unaccepted unkeyed entries fail.
    assert not audit.verify(engine).ok
    assert not audit.verify(engine, settings=settings).ok
    rewrite_from(6)  # the forger has no key: a plain rewrite of keyed entries
    result = audit.verify(engine, settings=settings, unkeyed_until=4)
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "not keyed" in result.problem


def test_configured_key_missing_from_environment_fails_loudly(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TB_AUDIT_KEY_MISSING", raising=False)
    settings = load_settings(
        tmp_path / "d", guard={"governance": {"audit_hmac_key_env": "TB_AUDIT_KEY_MISSING"}}
    )
    with pytest.raises(audit.AuditError, match="TB_AUDIT_KEY_MISSING"):
        audit.record(engine, "alice", "login", settings=settings)


def test_concurrent_threads_keep_one_chain(engine: Engine) -> None:
    threads, per_thread = 8, 12
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                audit.record(engine, f"t{n}", "login", f"user:{n}", {"i": i})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    result = audit.verify(engine)
    assert result.ok, result.problem
    assert result.checked == threads * per_thread


_WORKER = """
import sys
from tokenbase.db.engine import create_db_engine
from tokenbase.guard import audit
engine = create_db_engine(sys.argv[1])
for i in range(int(sys.argv[2])):
    audit.record(engine, "proc" + sys.argv[3], "login", "user:1", {"i": i})
"""


def test_two_processes_keep_one_chain(engine: Engine, database_url: str) -> None:
    per_process = 25
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, database_url, str(per_process), str(n)], cwd=ROOT
        )
        for n in range(2)
    ]
    audit.record(engine, "parent", "login", "user:0")
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    result = audit.verify(engine)
    assert result.ok, result.problem
    assert result.checked == 2 * per_process + 1
    with engine.connect() as conn:
        actors = {e.actor for e in audit.entries(conn, limit=100)}
    assert actors == {"proc0", "proc1", "parent"}
