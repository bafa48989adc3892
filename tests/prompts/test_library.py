"""Versions are immutable and numbered; labels move (latest by itself, production with the
role and an audit entry); resolution by label, number and reference."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from tokenbase.db.schema import prompt_versions
from tokenbase.guard import audit
from tokenbase.prompts.errors import (
    LabelNotAllowed,
    PromptConflict,
    PromptError,
    PromptNotFound,
    TemplateError,
)
from tokenbase.prompts.library import PromptLibrary

from .conftest import make_user


def test_versions_are_numbered_and_never_updated(lib: PromptLibrary):
    alice = make_user(lib, "alice")
    v1 = lib.create(
        "sales.mail",
        "Dear {{customer}}",
        variables=[{"name": "customer"}],
        params={"temperature": "0.2", "tier": "fast"},
        message="first",
        author=alice,
    )
    assert (v1.version, v1.ref, v1.author_id, v1.author_name) == (
        1,
        "sales.mail@1",
        alice.id,
        "alice",
    )
    assert v1.params == {"temperature": 0.2, "tier": "fast"} and v1.labels == ("latest",)
    v2 = lib.commit("sales.mail", "Hello {{customer}}", message="friendlier", author=alice)
    v3 = lib.commit("sales.mail", params={"max_tokens": 300}, message="shorter")
    assert [v2.version, v3.version] == [2, 3]
    assert v3.body == "Hello {{customer}}" and v3.params == {"max_tokens": 300}
    assert v3.author_name == "system" and v3.author_id is None
    # Version 1 is as it was written.
    again = lib.version("sales.mail", 1)
    assert (again.body, again.params, again.message) == (v1.body, v1.params, "first")
    assert [v.version for v in lib.versions("sales.mail")] == [3, 2, 1]
    # No update path in the library, and the database refuses one too.
    assert not any(n.startswith("update") for n in dir(PromptLibrary))
    with pytest.raises(Exception, match="immutable"):
        with lib.engine.begin() as conn:
            conn.execute(text("UPDATE prompt_versions SET message = 'edited'"))
    with lib.engine.connect() as conn:
        assert conn.execute(select(prompt_versions.c.message)).scalars().all().count("edited") == 0


def test_deleting_an_author_keeps_their_versions(lib: PromptLibrary):
    bob = make_user(lib, "bob")
    lib.create("p", "text", message="m", author=bob)
    with lib.engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE id = :i"), {"i": bob.id})
    v = lib.version("p", 1)
    assert (v.author_id, v.author_name) == (None, "bob")


def test_latest_moves_by_itself_and_production_falls_back_to_it(lib: PromptLibrary):
    lib.create("p", "one", message="m")
    assert lib.get("p").version == 1  # no production label yet: latest
    lib.commit("p", "two", message="m")
    assert lib.get("p", "latest").version == 2 and lib.get("p").version == 2
    lib.set_label("p", "staging", 1)
    assert lib.get("p", "staging").version == 1
    lib.set_label("p", "staging", 2)
    assert lib.resolve("p:staging").version == 2
    assert lib.resolve("p@1").body == "one"
    with pytest.raises(PromptNotFound, match="no label 'canary'"):
        lib.get("p", "canary")
    with pytest.raises(PromptError, match="latest"):
        lib.set_label("p", "latest", 1)
    with pytest.raises(PromptNotFound):
        lib.set_label("p", "staging", 9)
    assert {p.name: p.labels for p in lib.list()}["p"] == {"latest": 2, "staging": 2}


def test_production_needs_admin_or_owner_and_is_audited(lib: PromptLibrary):
    member = make_user(lib, "mia")
    owner = make_user(lib, "olga")  # in prompts.owners
    admin = make_user(lib, "root", role="admin")
    lib.create("p", "one", message="m", author=member)
    lib.commit("p", "two", message="m", author=member)
    for who in (None, member, "cli:someone"):
        with pytest.raises(LabelNotAllowed, match="--as USERNAME"):
            lib.set_label("p", "production", 1, actor=who)
    with pytest.raises(LabelNotAllowed):  # an admin user through a key without admin scope
        lib.set_label("p", "production", 1, actor=admin, admin=False)
    lib.set_label("p", "production", 1, actor=owner)
    lib.set_label("p", "production", 2, actor=admin)
    assert lib.get("p").version == 2
    with lib.engine.connect() as conn:
        entries = audit.entries(conn, action="prompt.label")
    assert [(e.actor, e.target, e.detail) for e in entries] == [
        ("root", "prompt:p", {"label": "production", "version": 2, "previous": 1}),
        ("olga", "prompt:p", {"label": "production", "version": 1, "previous": None}),
    ]
    assert audit.verify(lib.engine).ok
    # The refused attempts left neither a label nor an entry behind.
    assert len(entries) == 2


def test_invalid_input_is_named(lib: PromptLibrary):
    lib.create("p", "x", message="m")
    with pytest.raises(PromptConflict):
        lib.create("p", "y")
    with pytest.raises(PromptError, match="invalid prompt name"):
        lib.create("a@b", "y")
    with pytest.raises(TemplateError, match="not declared"):
        lib.create("q", "Hi {{who}}")
    with pytest.raises(TemplateError, match="never uses it"):
        lib.create("q", "Hi", variables=[{"name": "who"}])
    with pytest.raises(PromptError, match="unknown model parameter 'temp'"):
        lib.create("q", "Hi", params={"temp": 1})
    with pytest.raises(PromptError, match="temperature must be between"):
        lib.create("q", "Hi", params={"temperature": 3})
    with pytest.raises(PromptError, match="commit message"):
        lib.commit("p", "z", message=" ")
    with pytest.raises(TemplateError, match="cannot change its kind"):
        lib.commit("p", [{"role": "user", "content": "z"}], message="m")
    with pytest.raises(TemplateError, match="role must be"):
        lib.create("c", [{"role": "boss", "content": "z"}])
    with pytest.raises(PromptNotFound, match="tokenbase prompt ls"):
        lib.get("nope")


def test_chat_prompt_renders_messages(lib: PromptLibrary):
    v = lib.create(
        "c",
        [
            {"role": "system", "content": "Tone: {{tone}}"},
            {"role": "user", "content": "{{items}} / {{n}}"},
        ],
        variables=[
            {"name": "tone", "type": "enum", "choices": ["formal", "casual"], "default": "formal"},
            {"name": "items", "type": "list"},
            {"name": "n", "type": "int"},
        ],
    )
    assert v.kind == "chat"
    assert lib.render(v, items=["a", "b"], n="3") == [
        {"role": "system", "content": "Tone: formal"},
        {"role": "user", "content": "a\nb / 3"},
    ]
