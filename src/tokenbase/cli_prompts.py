"""Prompt-library commands: `prompt create | commit | ls | show | label | report | render`.

Registered into the main `tokenbase` app by `register(app)` (see the end of cli.py). Changes
are authored by `--as USERNAME`, or by the operator as `cli:<login>`; moving `production`
needs `--as` an administrator or a user in `prompts.owners` (audited as `prompt.label`).
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

from .guard import audit
from .guard.audit import AuditError
from .ledger.errors import LedgerInputError
from .prompts import reports
from .prompts.errors import PromptError
from .prompts.library import PromptLibrary, PromptVersion
from .prompts.render import parse_var_spec

prompt_app = typer.Typer(
    help="The prompt library: versions, labels, rendering, usage reports.", no_args_is_help=True
)

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="Act as this user (the author; needed to move production)."),
]
FileOpt = Annotated[
    Path | None, typer.Option("--file", "-f", help="Read the prompt from this file (UTF-8).")
]
TextOpt = Annotated[str | None, typer.Option("--text", "-t", help="The prompt text itself.")]
ChatOpt = Annotated[
    bool,
    typer.Option(
        "--chat",
        help='The body is chat messages as JSON: [{"role": "system", "content": "..."}, ...].',
    ),
]
VarOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--var",
        help="A variable as name:type[:default] (types: str int float bool list "
        "enum(a|b)); repeat for each.",
    ),
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        help="A model parameter as key=value (temperature, top_p, max_tokens, tier, model, "
        "...); repeat for each.",
    ),
]
MessageOpt = Annotated[str, typer.Option("--message", "-m", help="Commit message.")]


def _cli():  # type: ignore[no-untyped-def]
    from . import cli  # imported late: cli.py registers this module at its end

    return cli


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except (PromptError, LedgerInputError, AuditError) as exc:
        raise _cli()._fail(str(exc)) from exc


def _library(data_dir: Path | None) -> PromptLibrary:
    platform = _cli()._platform(data_dir)
    return PromptLibrary(platform.db.engine, platform.settings)


def _actor(lib: PromptLibrary, username: str | None) -> Any:
    if username is None:
        return audit.cli_actor()
    from .cli_admin import _user

    with lib.engine.connect() as conn:
        return _user(conn, username)


def _body(file: Path | None, text: str | None, chat: bool, required: bool) -> Any:
    if file is not None and text is not None:
        raise _cli()._fail("give the prompt with --file or --text, not both")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise _cli()._fail(f"cannot read {file}: {exc.strerror}") from exc
    if text is None:
        if required:
            raise _cli()._fail("give the prompt: --file PATH or --text TEXT")
        return None
    if not chat:
        return text
    try:
        messages = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _cli()._fail(
            f'--chat needs a JSON list of messages ([{{"role": ..., "content": ...}}]): {exc}'
        ) from exc
    return messages


def _params(items: list[str] | None) -> dict[str, Any] | None:
    if not items:
        return None
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise _cli()._fail(f"--param {item!r}: use key=value, e.g. --param temperature=0.2")
        out[key.strip()] = value.strip()
    return out


def _variables(items: list[str] | None) -> list[Any] | None:
    if items is None:
        return None
    with _errors():
        return [parse_var_spec(s) for s in items]


def _print_version(v: PromptVersion, as_json: bool) -> None:
    console = _cli().console
    if as_json:
        console.print_json(json.dumps(v.to_dict(), ensure_ascii=False))
        return
    labels = f" [{', '.join(v.labels)}]" if v.labels else ""
    console.print(f"[bold]{escape(v.ref)}[/bold]{escape(labels)} ({v.kind})")
    console.print(
        f"by {escape(v.author_name)} at {v.created_at.isoformat(timespec='seconds')}: "
        f"{escape(v.message)}"
    )
    if v.variables:
        specs = ", ".join(
            f"{x.name}:{x.type}" + ("" if x.required else f"={x.default}") for x in v.variables
        )
        console.print(f"variables: {escape(specs)}")
    if v.params:
        console.print("params: " + escape(json.dumps(v.params, ensure_ascii=False)))
    console.print()
    if isinstance(v.body, str):
        console.print(escape(v.body), soft_wrap=True)
    else:
        for m in v.body:
            console.print(f"[bold]{m['role']}:[/bold] {escape(m['content'])}", soft_wrap=True)


@prompt_app.command("create")
def create(
    name: str,
    message: MessageOpt = "",
    file: FileOpt = None,
    text: TextOpt = None,
    chat: ChatOpt = False,
    var: VarOpt = None,
    param: ParamOpt = None,
    description: Annotated[str, typer.Option("--description", help="What it is for.")] = "",
    as_user: AsOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Create a prompt; its version 1 gets the `latest` label."""
    lib = _library(data_dir)
    body = _body(file, text, chat, required=True)
    with _errors():
        v = lib.create(
            name,
            body,
            variables=_variables(var) or [],
            params=_params(param),
            message=message,
            description=description,
            author=_actor(lib, as_user),
        )
    _cli().console.print(f"Created {escape(v.ref)} (labelled latest).")


@prompt_app.command("commit")
def commit(
    name: str,
    message: MessageOpt,
    file: FileOpt = None,
    text: TextOpt = None,
    chat: ChatOpt = False,
    var: VarOpt = None,
    param: ParamOpt = None,
    as_user: AsOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Commit a new immutable version (the next number; `latest` moves to it). What you do
    not give is kept from the latest version; --param values are merged into its params,
    --var replaces the variable list."""
    lib = _library(data_dir)
    body = _body(file, text, chat, required=False)
    params = _params(param)
    with _errors():
        if params is not None:
            params = {**lib.get(name, "latest").params, **params}
        v = lib.commit(
            name,
            body,
            variables=_variables(var),
            params=params,
            message=message,
            author=_actor(lib, as_user),
        )
    _cli().console.print(f"Committed {escape(v.ref)} (labelled latest).")


@prompt_app.command("ls")
def ls(as_json: JsonFlag = False, data_dir: DataDirOpt = None) -> None:
    """List prompts with their latest version and labels."""
    with _errors():
        found = _library(data_dir).list()
    console = _cli().console
    if as_json:
        console.print_json(json.dumps([p.to_dict() for p in found], ensure_ascii=False))
        return
    table = Table(title="Prompts")
    for column in ("name", "kind", "latest", "labels", "created by"):
        table.add_column(column)
    for p in found:
        labels = ", ".join(f"{k}→{v}" for k, v in sorted(p.labels.items()))
        table.add_row(escape(p.name), p.kind, str(p.latest), labels, escape(p.created_by_name))
    console.print(table)


@prompt_app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="NAME (production, else latest), NAME@3, NAME:LABEL")],
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Show one version: body, variables, model parameters, author and labels."""
    with _errors():
        v = _library(data_dir).resolve(ref)
    _print_version(v, as_json)


@prompt_app.command("label")
def label(
    name: str,
    version: int,
    label_name: Annotated[str, typer.Argument(metavar="LABEL", help="production, staging, …")],
    as_user: AsOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Point LABEL at VERSION. Moving production needs --as an administrator or a prompt
    owner (prompts.owners). Audited."""
    lib = _library(data_dir)
    with _errors():
        v = lib.set_label(name, label_name, version, actor=_actor(lib, as_user))
    _cli().console.print(f"{escape(name)}:{escape(label_name)} → {escape(v.ref)}.")


@prompt_app.command("render")
def render(
    ref: Annotated[str, typer.Argument(help="NAME, NAME@3 or NAME:LABEL")],
    var: Annotated[
        list[str] | None, typer.Option("--var", help="A value as name=value; repeat.")
    ] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Render a version with variables (the text, or the chat messages)."""
    values: dict[str, str] = {}
    for item in var or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise _cli()._fail(f"--var {item!r}: use name=value")
        values[key.strip()] = value
    lib = _library(data_dir)
    with _errors():
        v = lib.resolve(ref)
        out = lib.render(v, **values)
    console = _cli().console
    if as_json or not isinstance(out, str):
        console.print_json(json.dumps({"ref": v.ref, "rendered": out}, ensure_ascii=False))
    else:
        console.print(escape(out), soft_wrap=True)


@prompt_app.command("report")
def report(
    month: Annotated[
        str | None, typer.Option("--month", help="YYYY-MM (default: this month).")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="version or contributor.")] = "version",
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Usage per version (calls, users, cost, format errors, acceptance) or per contributor
    (effective prompts)."""
    lib = _library(data_dir)
    lib.ensure_builtins()
    with _errors(), lib.engine.connect() as conn:
        data = reports.report(conn, lib.settings, by=by, month=month)  # type: ignore[arg-type]
    console = _cli().console
    if as_json:
        console.print_json(json.dumps(data, ensure_ascii=False))
        return
    if by == "version":
        columns = ["ref", "calls", "users", "cost_cny", "format_error_rate", "acceptance"]
        columns += ["effective"]
    else:
        columns = ["contributor", "prompts", "versions", "calls", "cost_cny"]
        columns += ["effective_prompts"]
    table = Table(title=f"Prompts by {by}, {data['month']}")
    for column in columns:
        table.add_column(column)
    for row in data["rows"]:
        table.add_row(*(escape("–" if row[c] is None else str(row[c])) for c in columns))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `prompt` command group to the main `tokenbase` app."""
    app.add_typer(prompt_app, name="prompt")
