"""Voice-intent commands: the `voice` group — `voice record` (an utterance becomes a stored
structured record), `voice ls`, `voice export` and `voice schemas`.

Registered into the main `tokenbase` app by `register(app)` (see the end of cli.py). Expected
failures (no intent recognised, a missing field, an unknown schema) are one-line errors.
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
from sqlalchemy import text

from .voice.errors import VoiceError
from .voice.service import VoiceIntents

voice_app = typer.Typer(
    help="Voice intents (言出法随): utterances to structured records.", no_args_is_help=True
)

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
SchemaOpt = Annotated[
    str | None,
    typer.Option("--schema", "-s", help="Record schema (`tokenbase voice schemas` lists them)."),
]


def _cli():  # type: ignore[no-untyped-def]
    from . import cli  # imported late: cli.py registers this module at its end

    return cli


@contextmanager
def _voice_errors() -> Iterator[None]:
    try:
        yield
    except VoiceError as exc:
        raise _cli()._fail(str(exc)) from exc


def _voice(data_dir: Path | None) -> VoiceIntents:
    return VoiceIntents(_cli()._platform(data_dir))


def _user(voice: VoiceIntents, username: str | None) -> dict[str, int | None]:
    """{"user_id", "department_id"} of `username` ({} for none); an unknown name fails."""
    if username is None:
        return {}
    with voice.platform.db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, department_id FROM users WHERE username = :u"), {"u": username}
        ).first()
    if row is None:
        raise _cli()._fail(f"no user named {username}; `tokenbase user list` shows them")
    return {"user_id": int(row.id), "department_id": row.department_id}


def _print_json(data: Any) -> None:
    _cli().console.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return "；".join(str(v) for v in value) or "—"
    return str(value)


@voice_app.command("record")
def record_cmd(
    utterance: Annotated[
        str, typer.Argument(help="What was said, e.g. '帮我记录刚才的客户拜访，…'.")
    ],
    schema: SchemaOpt = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Record it for this user (default: no user).")
    ] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Turn an utterance into a structured record and store it."""
    voice = _voice(data_dir)
    attribution = _user(voice, as_user)
    with _voice_errors(), _cli()._query_errors():
        outcome = voice.record(
            utterance,
            schema=schema,
            user_id=attribution.get("user_id"),
            department_id=attribution.get("department_id"),
        )
    if as_json:
        _print_json(outcome.to_dict())
        return
    console = _cli().console
    rec = outcome.record
    props = voice.schema(rec.schema).properties
    table = Table(title=f"{outcome.schema_title} ({rec.schema}) #{rec.id}", show_header=False)
    table.add_column("field")
    table.add_column("value")
    for key, prop in props.items():
        table.add_row(escape(prop.get("title", key)), escape(_value(rec.data.get(key))))
    console.print(table)
    how = "规则" if rec.extracted_by == "rules" else f"模型 {rec.model}"
    console.print(f"提取方式：{escape(how)}")
    if outcome.notice:
        console.print(f"[yellow]{escape(outcome.notice)}[/yellow]")


@voice_app.command("ls")
def ls_cmd(
    schema: SchemaOpt = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Only this user's records.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Most recent N records.")] = 50,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Stored records, newest first."""
    voice = _voice(data_dir)
    user_id = _user(voice, as_user).get("user_id")
    with _voice_errors():
        rows = voice.list(user_id=user_id, schema=schema, limit=limit)
    if as_json:
        _print_json([r.to_dict() for r in rows])
        return
    table = Table(title="Voice records")
    for column in ("id", "time", "user", "schema", "by", "record"):
        table.add_column(column)
    for r in rows:
        summary = "，".join(f"{k}={_value(v)}" for k, v in r.data.items() if v not in (None, []))
        table.add_row(
            str(r.id),
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            escape(r.username or "—"),
            r.schema,
            r.extracted_by,
            escape(summary[:120]),
        )
    _cli().console.print(table)


@voice_app.command("export")
def export_cmd(
    schema: Annotated[str, typer.Option("--schema", "-s", help="Record schema to export.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write: .csv or .jsonl.")],
    as_user: Annotated[str | None, typer.Option("--as", help="Only this user's records.")] = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Write every record of one schema to CSV (UTF-8 with BOM, Excel-ready) or JSONL."""
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "jsonl"):
        raise _cli()._fail(f"--out must end in .csv or .jsonl, not {out.name}")
    voice = _voice(data_dir)
    user_id = _user(voice, as_user).get("user_id")
    with _voice_errors():
        body = voice.export(schema, fmt, user_id=user_id)
    out.write_bytes(body)
    _cli().console.print(f"wrote {escape(str(out))}")


@voice_app.command("schemas")
def schemas_cmd(as_json: JsonFlag = False, data_dir: DataDirOpt = None) -> None:
    """Record schemas: the built-ins and those from [[voice.schemas]]."""
    with _voice_errors():
        registry = _voice(data_dir).registry
    if as_json:
        _print_json([s.to_dict() for s in registry.values()])
        return
    table = Table(title="Record schemas")
    for column in ("name", "title", "fields", "offline rules"):
        table.add_column(column)
    for s in registry.values():
        fields = "、".join(p.get("title", k) for k, p in s.properties.items())
        table.add_row(s.name, escape(s.title), escape(fields), "yes" if s.builtin else "no")
    _cli().console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(voice_app, name="voice")
