"""`tokenbase guard mask`: show what PII masking does to a text (for scripts and for tuning).

Registered by `register(app)` (see the end of cli.py): the command joins an existing `guard`
group (the input fence's `guard scan`) or creates the group. Masking here uses an in-memory
mapping: nothing is written to the database, and the output shows the restore map unless
`--json --no-values` asks for a report without the values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]


def _cli():  # type: ignore[no-untyped-def]
    from . import cli  # imported late: cli.py registers this module at its end

    return cli


def mask_cmd(
    text: Annotated[str | None, typer.Argument(help="Text to mask (or use --file).")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the text from this UTF-8 file.")
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--types",
            "-t",
            help="PII types to mask, comma-separated or repeated (default: guard.pii.types).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    values: Annotated[
        bool,
        typer.Option("--values/--no-values", help="Include original values (the restore map)."),
    ] = True,
    data_dir: DataDirOpt = None,
) -> None:
    """Mask PII in TEXT with placeholders like 〔手机号1〕 and show the spans and restore map."""
    from .guard.pii import PiiMasker, UnknownPiiType

    cli = _cli()
    if (text is None) == (file is None):
        raise cli._fail("give the text to mask, or --file PATH (not both)")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise cli._fail(f"cannot read {file} as UTF-8 text: {exc}") from exc
    assert text is not None
    settings = cli._settings(data_dir)
    wanted = {t.strip() for item in types or [] for t in item.split(",") if t.strip()} or None
    try:
        result = PiiMasker(None, settings.guard.pii, settings.data_dir).mask(text, "cli", wanted)
    except UnknownPiiType as exc:
        raise cli._fail(f"{exc} (see --types)") from exc
    if as_json:
        cli.console.print_json(json.dumps(result.to_dict(with_values=values), ensure_ascii=False))
        return
    cli.console.print(escape(result.text), highlight=False)
    if not result.spans:
        cli.console.print("[dim]no PII found[/dim]")
        return
    table = Table("start", "end", "type", "placeholder", "confidence", *(["value"] * values))
    for s in result.spans:
        row = [str(s.span.start), str(s.span.end), s.span.type, s.placeholder]
        row.append(f"{s.span.confidence:.2f}")
        table.add_row(*map(escape, row), *([escape(s.span.value)] * values))
    cli.console.print(table)


def register(app: typer.Typer) -> None:
    """Add `guard mask` to the app's `guard` group, creating the group if it is missing."""
    for group in app.registered_groups:
        if group.name == "guard" and group.typer_instance is not None:
            group.typer_instance.command("mask")(mask_cmd)
            return
    guard_app = typer.Typer(
        help="Governance gateway: input fence and masking.", no_args_is_help=True
    )
    guard_app.command("mask")(mask_cmd)
    app.add_typer(guard_app, name="guard")
