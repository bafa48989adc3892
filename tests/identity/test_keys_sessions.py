from datetime import timedelta

import pytest

from tokenbase.identity.clock import utcnow
from tokenbase.identity.errors import AuthenticationFailed, InvalidInput
from tokenbase.identity.keys import authenticate_key, create_key, list_keys, revoke_key
from tokenbase.identity.sessions import create_session, end_session, resolve_session
from tokenbase.identity.users import create_user, update_user


def test_key_shown_once_stored_hashed_and_revocable(engine):
    with engine.begin() as conn:
        user = create_user(conn, "bot", password=None)
        key, secret = create_key(conn, user.id, "ci", ["read"])
        assert secret.startswith("tb_") and key.scopes == {"read"}
        stored = conn.exec_driver_sql("SELECT secret_hash FROM api_keys").scalar()
        assert secret not in stored and len(stored) == 64
        assert authenticate_key(conn, secret).id == key.id
        assert list_keys(conn, user.id)[0].last_used_at is not None
        with pytest.raises(AuthenticationFailed):
            authenticate_key(conn, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
        with pytest.raises(AuthenticationFailed):
            authenticate_key(conn, "tb_nonsense")
        revoke_key(conn, key.id)
        with pytest.raises(AuthenticationFailed, match="revoked"):
            authenticate_key(conn, secret)


def test_key_scopes_and_expiry(engine):
    with engine.begin() as conn:
        user = create_user(conn, "bot", password=None)
        key, _ = create_key(conn, user.id, "w", ["write"])
        assert key.scopes == {"read", "write"}
        with pytest.raises(InvalidInput):
            create_key(conn, user.id, "bad", ["superuser"])
        with pytest.raises(InvalidInput):
            create_key(conn, user.id, "past", ["read"], expires_at=utcnow() - timedelta(days=1))
        key, secret = create_key(
            conn, user.id, "soon", ["read"], expires_at=utcnow() + timedelta(seconds=1)
        )
        conn.exec_driver_sql(
            "UPDATE api_keys SET expires_at = '2000-01-01 00:00:00.000000' WHERE id = ?", (key.id,)
        )
        with pytest.raises(AuthenticationFailed, match="expired"):
            authenticate_key(conn, secret)


def test_sessions_end_on_logout_and_deactivation(engine):
    with engine.begin() as conn:
        admin = create_user(conn, "root", password="password1", role="admin")
        user = create_user(conn, "amy", password="password1")
        token = create_session(conn, user.id, timedelta(hours=1))
        assert resolve_session(conn, token) == user.id
        assert resolve_session(conn, token + "x") is None
        end_session(conn, token)
        assert resolve_session(conn, token) is None
        token = create_session(conn, user.id, timedelta(hours=1))
        update_user(conn, user.id, active=False)
        assert resolve_session(conn, token) is None
        expired = create_session(conn, admin.id, timedelta(seconds=-1))
        assert resolve_session(conn, expired) is None
