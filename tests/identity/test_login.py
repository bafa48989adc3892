from datetime import timedelta

import pytest

from tokenbase.identity.errors import AuthenticationFailed, Conflict, LoginLocked
from tokenbase.identity.login import LoginPolicy, login
from tokenbase.identity.users import create_user, update_user

POLICY = LoginPolicy(3, 10, timedelta(minutes=15), timedelta(minutes=5))


def test_unknown_user_and_wrong_password_look_the_same(engine):
    with engine.begin() as conn:
        create_user(conn, "amy", password="password1")
    with pytest.raises(AuthenticationFailed) as unknown:
        login(engine, "nobody", "password1", "1.2.3.4", POLICY)
    with pytest.raises(AuthenticationFailed) as wrong:
        login(engine, "amy", "password2", "1.2.3.5", POLICY)
    assert str(unknown.value) == str(wrong.value) and unknown.value.code == wrong.value.code
    assert login(engine, "amy", "password1", "1.2.3.4", POLICY).username == "amy"


def test_lock_after_failures_per_user_even_with_right_password(engine):
    with engine.begin() as conn:
        create_user(conn, "amy", password="password1")
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            login(engine, "amy", "nope-nope", "1.1.1.1", POLICY)
    with pytest.raises(LoginLocked) as locked:
        login(engine, "AMY", "nope-nope", "1.1.1.2", POLICY)
    assert 250 < locked.value.retry_after <= 300
    with pytest.raises(LoginLocked):
        login(engine, "amy", "password1", "9.9.9.9", POLICY)
    engine_conn = engine.connect()
    engine_conn.exec_driver_sql("UPDATE login_failures SET locked_until = NULL")
    engine_conn.commit()
    engine_conn.close()
    assert login(engine, "amy", "password1", "9.9.9.9", POLICY).username == "amy"


def test_lock_per_address(engine):
    policy = LoginPolicy(100, 3, timedelta(minutes=15), timedelta(minutes=5))
    for name in ("a1", "a2"):
        with pytest.raises(AuthenticationFailed):
            login(engine, name, "password1", "6.6.6.6", policy)
    with pytest.raises(LoginLocked):
        login(engine, "a3", "password1", "6.6.6.6", policy)


def test_last_admin_cannot_be_demoted(engine):
    with engine.begin() as conn:
        admin = create_user(conn, "root", password="password1", role="admin")
        with pytest.raises(Conflict):
            update_user(conn, admin.id, role="member")
