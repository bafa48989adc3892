"""Server and administration commands: `serve`, `admin`, `user`, `dept`, `grant`, `key`.

Registered into the main `tokenbase` app by `register(app)` (see the end of cli.py). Each
command opens the platform from `--data-dir`, calls the identity services and prints a table
or JSON; an `IdentityError` becomes a one-line error naming what to do.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree
from sqlalchemy import Connection, select

from .cli_governance import cli_audit
from .db.schema import CLASSIFICATIONS, knowledge_bases, parse_classification
from .identity.clock import utcnow
from .identity.departments import create_department, department_tree, list_departments
from .identity.errors import IdentityError
from .identity.grants import list_grants, parse_level, remove_grant, set_grant
from .identity.keys import create_key, list_keys, revoke_key
from .identity.passwords import generate_password
from .identity.users import (
    User,
    create_user,
    get_user_by_name,
    list_users,
    set_password,
    update_user,
)

admin_app = typer.Typer(help="Administrators.", no_args_is_help=True)
user_app = typer.Typer(help="Users: create, list, change.", no_args_is_help=True)
dept_app = typer.Typer(help="Departments (a tree).", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)


def _cli():  # type: ignore[no-untyped-def]
    from . import cli  # imported late: cli.py registers this module at its end

    return cli


@contextmanager
def _identity_errors() -> Iterator[None]:
    try:
        yield
    except IdentityError as exc:
        raise _cli()._fail(str(exc)) from exc


def _engine(data_dir):  # type: ignore[no-untyped-def]
    return _cli()._platform(data_dir).db.engine


def _read_password(from_stdin: bool, prompt: str = "Password") -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise _cli()._fail("no password on standard input")
        return password
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _clearance(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_classification(value)
    except ValueError as exc:
        raise _cli()._fail(str(exc)) from exc


def _department_id(conn: Connection, ref: str | None) -> int | None:
    """A department by id, by name (when unique) or by path ('总部/研发部')."""
    if ref is None:
        return None
    if ref.isdigit():
        return int(ref)
    depts = list_departments(conn)
    by_id = {d.id: d for d in depts}

    def path(d) -> str:  # type: ignore[no-untyped-def]
        parts = [d.name]
        while d.parent_id is not None and d.parent_id in by_id:
            d = by_id[d.parent_id]
            parts.append(d.name)
        return "/".join(reversed(parts))

    matches = [d.id for d in depts if path(d) == ref.strip("/") or d.name == ref]
    if len(matches) != 1:
        problem = "no department" if not matches else "several departments"
        raise _cli()._fail(f"{problem} named {ref!r}; `tokenbase dept list` shows ids and paths")
    return matches[0]


def _user(conn: Connection, username: str) -> User:
    user = get_user_by_name(conn, username)
    if user is None:
        raise _cli()._fail(f"no user named {username}; `tokenbase user list` shows them")
    return user


DataDirOpt = Annotated[
    str | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]
ClearanceOpt = Annotated[
    str | None, typer.Option("--clearance", help="0–3 or 公开/内部/机密/绝密 (admins only).")
]
DeptOpt = Annotated[
    str | None, typer.Option("--department", help="Department id, name or path (总部/研发部).")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


# -- serve -------------------------------------------------------------------------------------
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Default: server.host.")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Default: server.port.")] = None,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run queued ingest jobs in this process.")
    ] = True,
    web: Annotated[
        bool, typer.Option("--web/--no-web", help="Serve the browser UI at /ui.")
    ] = True,
    data_dir: DataDirOpt = None,
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs) and the browser UI (/ui). Creates a first
    admin if there is none."""
    import uvicorn

    from .api import create_app
    from .identity.bootstrap import ensure_first_admin
    from .kb.platform import Platform

    cli = _cli()
    settings = cli._settings(data_dir)
    platform = Platform(settings, debug=cli._State.debug)
    created = ensure_first_admin(platform.db.engine)
    if created is not None:
        user, password = created
        cli.console.print(
            f"[bold yellow]First start: created administrator '{user.username}' with the "
            f"one-time password[/bold yellow] [bold]{escape(password)}[/bold]\n"
            "It is shown only now; sign in and change it (POST /auth/password). "
            "首次启动：已创建管理员，请登录后立即修改密码。"
        )
    host = host or settings.server.host
    port = port or settings.server.port
    ui = f", web UI: http://{host}:{port}/ui" if web else ""
    cli.console.print(f"TokenBase API on http://{host}:{port}  (docs: /docs{ui})")
    try:
        uvicorn.run(
            create_app(platform, worker=worker, web=web),
            host=host,
            port=port,
            proxy_headers=True,
            forwarded_allow_ips=settings.server.forwarded_allow_ips,
            log_level="info",
        )
    finally:
        platform.close()


# -- admin -------------------------------------------------------------------------------------
@admin_app.command("create")
def admin_create(
    username: Annotated[
        str, typer.Option("--username", "-u", help="The admin's username.")
    ] = "admin",
    password_stdin: PasswordStdin = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Create an administrator (clearance 绝密). Prompts for the password unless
    --password-stdin."""
    password = _read_password(password_stdin)
    with _identity_errors(), _engine(data_dir).begin() as conn:
        admin = create_user(conn, username, password=password, role="admin", clearance=3)
        cli_audit(conn, data_dir, "user.create", f"user:{admin.id}", {"role": "admin"})
    _cli().console.print(f"Administrator {escape(username)} created.")


# -- users -------------------------------------------------------------------------------------
@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[str, typer.Option("--role", help="member or admin.")] = "member",
    clearance: ClearanceOpt = None,
    department: DeptOpt = None,
    display_name: Annotated[str, typer.Option("--display-name")] = "",
    password_stdin: PasswordStdin = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Create a user. Without --password-stdin a one-time password is generated and printed
    once; the user must change it at first sign-in."""
    password = _read_password(True) if password_stdin else generate_password()
    with _identity_errors(), _engine(data_dir).begin() as conn:
        user = create_user(
            conn,
            username,
            password=password,
            display_name=display_name,
            role=role,
            clearance=_clearance(clearance) if clearance is not None else 1,
            department_id=_department_id(conn, department),
            must_change_password=not password_stdin,
        )
        cli_audit(
            conn,
            data_dir,
            "user.create",
            f"user:{user.id}",
            {"role": role, "clearance": user.clearance},
        )
    console = _cli().console
    console.print(f"User {escape(user.username)} created (id {user.id}).")
    if not password_stdin:
        console.print(f"One-time password (shown once): [bold]{escape(password)}[/bold]")


@user_app.command("list")
def user_list(as_json: JsonFlag = False, data_dir: DataDirOpt = None) -> None:
    """List users with role, clearance and department."""
    with _engine(data_dir).connect() as conn:
        users = list_users(conn)
        names = {d.id: d.name for d in list_departments(conn)}
    console = _cli().console
    if as_json:
        console.print_json(json.dumps([u.to_dict() for u in users], ensure_ascii=False))
        return
    table = Table(title="Users 用户")
    for column in ("id", "username", "role", "clearance", "department", "active"):
        table.add_column(column)
    for u in users:
        table.add_row(
            str(u.id),
            u.username,
            u.role,
            CLASSIFICATIONS[u.clearance],
            names.get(u.department_id, "") if u.department_id else "",
            "yes" if u.active else "no",
        )
    console.print(table)


@user_app.command("set")
def user_set(
    username: str,
    role: Annotated[str | None, typer.Option("--role", help="member or admin.")] = None,
    clearance: ClearanceOpt = None,
    department: DeptOpt = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive")] = None,
    password_stdin: PasswordStdin = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Change a user's role, clearance, department, active flag or password."""
    with _identity_errors(), _engine(data_dir).begin() as conn:
        user = _user(conn, username)
        update_user(
            conn,
            user.id,
            role=role,
            clearance=_clearance(clearance),
            department_id=_department_id(conn, department),
            active=active,
        )
        if password_stdin:
            set_password(conn, user.id, _read_password(True))
        cli_audit(
            conn,
            data_dir,
            "user.update",
            f"user:{user.id}",
            {
                "role": role,
                "clearance": clearance,
                "department": department,
                "active": active,
                "password_reset": password_stdin,
            },
        )
    _cli().console.print(f"User {escape(username)} updated.")


# -- departments -------------------------------------------------------------------------------
@dept_app.command("create")
def dept_create(
    name: str,
    parent: Annotated[str | None, typer.Option("--parent", help="Parent id, name or path.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create a department, optionally under a parent."""
    with _identity_errors(), _engine(data_dir).begin() as conn:
        dept = create_department(conn, name, _department_id(conn, parent))
    _cli().console.print(f"Department {escape(dept.name)} created (id {dept.id}).")


@dept_app.command("list")
def dept_list(as_json: JsonFlag = False, data_dir: DataDirOpt = None) -> None:
    """Show the department tree with ids."""
    with _engine(data_dir).connect() as conn:
        roots = department_tree(conn)
    console = _cli().console
    if as_json:
        console.print_json(json.dumps([r.to_dict(tree=True) for r in roots], ensure_ascii=False))
        return
    tree = Tree("Departments 部门")

    def add(node, dept) -> None:  # type: ignore[no-untyped-def]
        branch = node.add(f"{escape(dept.name)} [dim](id {dept.id})[/dim]")
        for child in dept.children:
            add(branch, child)

    for root in roots:
        add(tree, root)
    console.print(tree)


# -- grants ------------------------------------------------------------------------------------
def grant(
    kb: Annotated[str, typer.Argument(help="Knowledge base name.")],
    user: Annotated[str | None, typer.Option("--user", help="Grant to this username.")] = None,
    department: DeptOpt = None,
    level: Annotated[str, typer.Option("--level", help="read, write or manage.")] = "read",
    revoke: Annotated[bool, typer.Option("--revoke", help="Remove the grant instead.")] = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Grant a user or a department read, write or manage on a knowledge base.

    Sub-departments inherit department grants. Without --user/--department, list the grants.
    """
    with _identity_errors(), _engine(data_dir).begin() as conn:
        kb_id = conn.execute(
            select(knowledge_bases.c.id).where(knowledge_bases.c.name == kb)
        ).scalar()
        if kb_id is None:
            raise _cli()._fail(f"no knowledge base named {kb}; `tokenbase kb list` shows them")
        console = _cli().console
        if user is None and department is None:
            for g in list_grants(conn, kb_id):
                console.print(
                    f"{g.id}\t{g.principal_kind}\t{escape(g.principal_name)}\t{g.to_dict()['level']}"
                )
            return
        if user is not None and department is not None:
            raise _cli()._fail("give --user or --department, not both")
        kind, principal = (
            ("user", _user(conn, user).id)
            if user
            else (
                "department",
                _department_id(conn, department),
            )
        )
        if revoke:
            match = [
                g
                for g in list_grants(conn, kb_id)
                if g.principal_kind == kind and g.principal_id == principal
            ]
            if not match:
                raise _cli()._fail("there is no such grant; run `tokenbase grant KB` to list them")
            remove_grant(conn, kb_id, match[0].id)
            cli_audit(conn, data_dir, "grant.remove", f"kb:{kb_id}", {"grant_id": match[0].id})
            console.print("Grant removed.")
            return
        parse_level(level)
        set_grant(conn, kb_id, kind, int(principal), level)
        cli_audit(
            conn,
            data_dir,
            "grant.set",
            f"kb:{kb_id}",
            {"principal_kind": kind, "principal_id": principal, "level": level},
        )
    console.print(f"Granted {level} on {escape(kb)}.")


# -- keys --------------------------------------------------------------------------------------
@key_app.command("create")
def key_create(
    user: Annotated[str, typer.Option("--user", help="The key acts as this user.")],
    name: Annotated[str, typer.Option("--name", help="What the key is for.")],
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="read, write, admin (repeat).")
    ] = None,
    expires_days: Annotated[
        float | None, typer.Option("--expires-days", help="Expire after N days.")
    ] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create an API key; the key is printed once and never shown again."""
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    with _identity_errors(), _engine(data_dir).begin() as conn:
        owner = _user(conn, user)
        scopes = scope or ["read"]
        if "admin" in scopes and not owner.is_admin:
            raise _cli()._fail(f"{user} is not an admin; an admin-scoped key would be useless")
        key, secret = create_key(conn, owner.id, name, scopes, expires_at=expires)
        cli_audit(
            conn,
            data_dir,
            "key.create",
            f"key:{key.id}",
            {"name": name, "user_id": owner.id, "scopes": sorted(key.scopes)},
        )
    console = _cli().console
    console.print(f"API key {key.id} ({', '.join(sorted(key.scopes))}) for {escape(user)}:")
    console.print(secret, markup=False, highlight=False, soft_wrap=True)
    console.print("Store it now: it is not shown again. 请立即保存，之后不会再显示。")


@key_app.command("list")
def key_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's keys.")] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """List API keys (prefixes only, never secrets)."""
    with _engine(data_dir).connect() as conn:
        keys = list_keys(conn, _user(conn, user).id if user else None)
        names = {u.id: u.username for u in list_users(conn)}
    console = _cli().console
    if as_json:
        console.print_json(json.dumps([k.to_dict() for k in keys], ensure_ascii=False))
        return
    table = Table(title="API keys")
    for column in ("id", "user", "name", "prefix", "scopes", "expires", "revoked", "last used"):
        table.add_column(column)
    for k in keys:
        d = k.to_dict()
        table.add_row(
            str(k.id),
            names.get(k.user_id, "?"),
            k.name,
            f"tb_{k.prefix}_…",
            ",".join(d["scopes"]),
            (d["expires_at"] or "")[:16],
            (d["revoked_at"] or "")[:16],
            (d["last_used_at"] or "")[:16],
        )
    console.print(table)


@key_app.command("revoke")
def key_revoke(key_id: int, data_dir: DataDirOpt = None) -> None:
    """Revoke an API key; it stops working at once."""
    with _identity_errors(), _engine(data_dir).begin() as conn:
        revoke_key(conn, key_id)
        cli_audit(conn, data_dir, "key.revoke", f"key:{key_id}")
    _cli().console.print(f"API key {key_id} revoked.")


def register(app: typer.Typer) -> None:
    """Add the server and administration commands to the main `tokenbase` app."""
    app.command("serve")(serve)
    app.command("grant")(grant)
    app.add_typer(admin_app, name="admin")
    app.add_typer(user_app, name="user")
    app.add_typer(dept_app, name="dept")
    app.add_typer(key_app, name="key")
