"""GET /agent-tiers (routes/agents_admin.py) on every backend: the configured tiers with
their models and the default, for administrators only."""

from __future__ import annotations

from tokenbase.identity.keys import create_key
from tokenbase.identity.users import create_user

from .test_errors import assert_error

LLM = {
    "providers": [
        {"name": "cloud", "base_url": "http://127.0.0.1:9/v1", "models": ["big", "small"]},
        {"name": "local", "base_url": "http://127.0.0.1:9/v1", "models": ["qwen"]},
    ],
    "tiers": {"standard": ["cloud/big", "local/qwen"], "fast": ["cloud/small"]},
    "default_tier": "standard",
}


def _member_key(platform) -> str:  # type: ignore[no-untyped-def]
    with platform.db.engine.begin() as conn:
        user = create_user(conn, "mia", password="a-long-password-1")
        return create_key(conn, user.id, "t", ["read", "write"])[1]


def test_tiers_in_order_with_the_default(make_app):  # type: ignore[no-untyped-def]
    _app, platform, admin, client = make_app(llm=LLM)
    member = _member_key(platform)
    with client() as http:
        reply = http.get("/agent-tiers", headers={"Authorization": f"Bearer {admin}"})
        assert reply.status_code == 200, reply.text
        assert reply.json() == [
            {"name": "standard", "models": ["cloud/big", "local/qwen"], "default": True},
            {"name": "fast", "models": ["cloud/small"], "default": False},
        ]
        refused = http.get("/agent-tiers", headers={"Authorization": f"Bearer {member}"})
        assert_error(refused, 403)


def test_without_declared_tiers_every_model_is_the_default_tier(make_app):  # type: ignore[no-untyped-def]
    app, _platform, admin, client = make_app(llm={"providers": LLM["providers"]})
    with client() as http:
        reply = http.get("/agent-tiers", headers={"Authorization": f"Bearer {admin}"})
    assert reply.json() == [
        {"name": "standard", "models": ["cloud/big", "cloud/small", "local/qwen"], "default": True}
    ]


def test_no_chat_model_no_tiers(make_app):  # type: ignore[no-untyped-def]
    app, _platform, admin, client = make_app()
    with client() as http:
        reply = http.get("/agent-tiers", headers={"Authorization": f"Bearer {admin}"})
    assert reply.json() == []
