"""Governance-gateway commands: the `guard` group — `guard scan` (input fence verdict with its
reasons and scores), `guard lexicon add/ls/rm` (admin edits to the sensitive-word lexicon)
and `guard policy ls/set/reset` (admin overrides of the fence's policies), both stored in the
database so every replica shares them. Other guard commands (e.g. `guard mask`)
attach to the same group.

Registered into the main `tokenbase` app by `register(app)` (see the end of cli.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

guard_app = typer.Typer(
    help="Governance gateway: input fence (injection, sensitive words), masking.",
    no_args_is_help=True,
)
lexicon_app = typer.Typer(
    help="Sensitive-word lexicon: bundled words plus admin edits.", no_args_is_help=True
)
guard_app.add_typer(lexicon_app, name="lexicon")
policy_app = typer.Typer(
    help="Input-fence policies: tokenbase.toml plus admin overrides in the database.",
    no_args_is_help=True,
)
guard_app.add_typer(policy_app, name="policy")

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
_STYLE = {"pass": "green", "flag": "yellow", "block": "red"}


def cli_audit(*args: Any, **kwargs: Any) -> None:
    from .cli_governance import cli_audit as audit_change  # late: avoids an import cycle

    audit_change(*args, **kwargs)


def _cli():  # type: ignore[no-untyped-def]
    from . import cli  # imported late: cli.py registers this module at its end

    return cli


def _fence(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from .db import open_database
    from .guard.input import ClassifierError, InputFence, LexiconError

    settings = _cli()._settings(data_dir)
    try:
        return InputFence(open_database(settings.db_url).engine, settings.guard.input)
    except (ClassifierError, LexiconError) as exc:
        raise _cli()._fail(str(exc)) from exc


def _print_json(data: Any) -> None:
    _cli().console.print_json(json.dumps(data, ensure_ascii=False, default=str))


@guard_app.command("scan")
def scan_cmd(
    text: Annotated[str | None, typer.Argument(help="Text to scan (or use --file).")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Scan this UTF-8 file ('-' = stdin).")
    ] = None,
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="Scenario policy.")] = "",
    agent: Annotated[str, typer.Option("--agent", help="Agent policy (wins over scenario).")] = "",
    document: Annotated[
        bool, typer.Option("--document", help="Scan as a retrieved chunk, not a question.")
    ] = False,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """Show the input fence's verdict (pass / flag / block) with each reason and score."""
    if (text is None) == (file is None):
        raise _cli()._fail("give the text to scan, or --file PATH (not both)", 2)
    if file is not None:
        try:
            text = (
                typer.get_text_stream("stdin").read()
                if str(file) == "-"
                else file.read_text(encoding="utf-8")
            )
        except (OSError, UnicodeDecodeError) as exc:
            raise _cli()._fail(f"cannot read {file}: {exc}") from exc
    assert text is not None
    fence = _fence(data_dir)
    verdict = fence.scan(
        text, scenario=scenario, agent=agent, source="document" if document else "user"
    )
    if as_json:
        _print_json(verdict.to_dict())
        return
    console = _cli().console
    style = _STYLE[verdict.action]
    console.print(
        f"[bold {style}]{verdict.action.upper()}[/bold {style}]  injection score "
        f"{verdict.score:.3f} · classifier {verdict.probability:.3f}"
        + (f" · policy {escape(verdict.scenario)}" if verdict.scenario else "")
    )
    if verdict.message_zh:
        console.print(escape(verdict.message_zh))
        console.print(escape(verdict.message_en))
    if verdict.reasons:
        table = Table()
        for column in ("kind", "rule", "category", "score", "span", "text"):
            table.add_column(column)
        for f in verdict.reasons:
            start, end = f.span
            table.add_row(
                f.kind,
                escape(f.rule),
                escape(f.category),
                f"{f.score:.3f}",
                f"{start}-{end}",
                escape(text[start:end][:60]),
            )
        console.print(table)
    if verdict.sensitive_words:
        console.print("sensitive words: " + escape("、".join(verdict.sensitive_words)))


@lexicon_app.command("add")
def lexicon_add(
    words: Annotated[list[str], typer.Argument(help="Words or phrases to add.")],
    category: Annotated[
        str, typer.Option("--category", "-c", help="Category, e.g. 违法违规, 涉密词, 辱骂.")
    ],
    by: Annotated[str, typer.Option("--by", help="Who made the edit (kept with it).")] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Add sensitive words (shared by every replica on the same database)."""
    from .guard.input import LexiconError

    fence = _fence(data_dir)
    for word in words:
        try:
            added = fence.lexicon.add(word, category, by=by)
        except LexiconError as exc:
            raise _cli()._fail(str(exc)) from exc
        state = "added" if added else "already there"
        if added:  # a policy change: audited
            cli_audit(None, data_dir, "lexicon.add", f"lexicon:{category}", {"word": word})
        _cli().console.print(f"{escape(word)} [{escape(category)}]: {state}")


@lexicon_app.command("rm")
def lexicon_rm(
    words: Annotated[list[str], typer.Argument(help="Words to remove.")],
    category: Annotated[
        str | None, typer.Option("--category", "-c", help="Only in this category.")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who made the edit (kept with it).")] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Remove words: admin-added ones are deleted, bundled ones hidden."""
    fence = _fence(data_dir)
    missing = []
    for word in words:
        removed = fence.lexicon.remove(word, category, by=by)
        if removed:
            cli_audit(
                None, data_dir, "lexicon.remove", f"lexicon:{category or '*'}", {"word": word}
            )
            _cli().console.print(f"{escape(word)}: removed ({removed})")
        else:
            missing.append(word)
    if missing:
        raise _cli()._fail(
            f"not in the lexicon: {', '.join(missing)} (see `tokenbase guard lexicon ls`)"
        )


@lexicon_app.command("ls")
def lexicon_ls(
    category: Annotated[
        str | None, typer.Option("--category", "-c", help="Only this category.")
    ] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """List the active lexicon: word, category, and whether it is bundled or added."""
    entries = [e for e in _fence(data_dir).lexicon.entries() if category in (None, e.category)]
    if as_json:
        _print_json([{"word": e.word, "category": e.category, "source": e.source} for e in entries])
        return
    table = Table(title=f"Sensitive words ({len(entries)})")
    for column in ("word", "category", "source"):
        table.add_column(column)
    for e in sorted(entries, key=lambda e: (e.category, e.word)):
        table.add_row(escape(e.word), escape(e.category), e.source)
    _cli().console.print(table)


_ACTION = "block, flag or pass."


def _policy_rows(fence: Any, settings: Any) -> dict[str, Any]:
    from .guard.input.policy import DEFAULT_ROW

    overrides = fence.policies.current()
    names = sorted((set(settings.scenarios) | set(overrides)) - {DEFAULT_ROW})
    rows = {}
    for name in [DEFAULT_ROW, *names]:
        policy, sources = fence.explain(scenario="" if name == DEFAULT_ROW else name)
        rows[name] = {
            "injection_action": policy.injection_action,
            "document_action": policy.document_action,
            "flag_threshold": policy.flag_threshold,
            "block_threshold": policy.block_threshold,
            "sensitive_actions": dict(policy.sensitive_actions),
            "sensitive_default_action": policy.sensitive_default_action,
            "sources": sources,
            "override": overrides.get(name),
        }
    return rows


@policy_app.command("ls")
def policy_ls(as_json: JsonFlag = False, data_dir: DataDirOpt = None) -> None:
    """Show each policy in force ('*' = the defaults) and where each value comes from:
    default, config (tokenbase.toml) or override (`tokenbase guard policy set`)."""
    fence = _fence(data_dir)
    rows = _policy_rows(fence, fence.settings)
    if as_json:
        _print_json(rows)
        return
    table = Table(title="Input fence policies (* = defaults; † = override, ° = config)")
    for column in ("scenario", "injection", "document", "flag / block", "sensitive words"):
        table.add_column(column)
    mark = {"override": "†", "config": "°", "default": ""}

    def cell(row: dict[str, Any], field: str) -> str:
        return f"{row[field]}{mark[row['sources'][field]]}"

    for name, row in rows.items():
        sensitive = [
            f"{c}: {a}{mark[row['sources']['sensitive_actions'][c]]}"
            for c, a in sorted(row["sensitive_actions"].items())
        ]
        sensitive.append(f"other: {cell(row, 'sensitive_default_action')}")
        table.add_row(
            escape(name),
            cell(row, "injection_action"),
            cell(row, "document_action"),
            f"{cell(row, 'flag_threshold')} / {cell(row, 'block_threshold')}",
            escape(", ".join(sensitive)),
        )
    _cli().console.print(table)


@policy_app.command("set")
def policy_set(
    scenario: Annotated[str, typer.Argument(help="Scenario or agent name ('*' = defaults).")],
    injection_action: Annotated[str | None, typer.Option("--injection", help=_ACTION)] = None,
    document_action: Annotated[str | None, typer.Option("--document", help=_ACTION)] = None,
    flag_threshold: Annotated[
        float | None, typer.Option("--flag", help="Flag from this injection score (0-1).")
    ] = None,
    block_threshold: Annotated[
        float | None, typer.Option("--block", help="Block from this injection score (0-1).")
    ] = None,
    sensitive: Annotated[
        list[str] | None, typer.Option("--sensitive", help="CATEGORY=ACTION (repeatable).")
    ] = None,
    sensitive_default: Annotated[
        str | None, typer.Option("--sensitive-default", help="Action for other categories.")
    ] = None,
    inherit: Annotated[
        list[str] | None,
        typer.Option(
            "--inherit", help="A field to take from the configuration again (repeatable)."
        ),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who made the edit (kept with it).")] = "",
    data_dir: DataDirOpt = None,
) -> None:
    """Override a policy in the database (the options given change; the rest stay as they
    are). Every replica applies it within guard.input.lexicon_refresh_s. Audited."""
    from pydantic import ValidationError

    from .guard.input import PolicyError, PolicyOverride
    from .guard.input.overrides import canonical

    fence = _fence(data_dir)
    try:
        name = canonical(scenario)
    except PolicyError as exc:
        raise _cli()._fail(str(exc), 2) from exc
    data = dict(fence.policies.get(name) or {})
    given = {
        "injection_action": injection_action,
        "document_action": document_action,
        "flag_threshold": flag_threshold,
        "block_threshold": block_threshold,
        "sensitive_default_action": sensitive_default,
    }
    data.update({k: v for k, v in given.items() if v is not None})
    categories = dict(data.get("sensitive_actions") or {})
    for pair in sensitive or []:
        category, sep, action = pair.partition("=")
        if not sep or not category.strip():
            raise _cli()._fail(f"--sensitive takes CATEGORY=ACTION, not {pair!r}", 2)
        categories[category.strip()] = action.strip()
    data["sensitive_actions"] = categories
    for field in inherit or []:
        if field not in PolicyOverride.model_fields:
            known = ", ".join(PolicyOverride.model_fields)
            raise _cli()._fail(f"--inherit: unknown field {field!r} (one of {known})", 2)
        data.pop(field, None)
    try:
        override = PolicyOverride.model_validate(data)
        before, after = fence.policies.set(name, override, fence.settings, by=by)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise _cli()._fail(f"invalid policy for {name!r}: {problems}", 2) from exc
    except PolicyError as exc:
        raise _cli()._fail(str(exc), 2) from exc
    cli_audit(
        None,
        data_dir,
        "guard.policy.set",
        f"guard.policy:{name}",
        {"before": before, "after": after},
    )
    _cli().console.print(
        f"{escape(name)}: override {escape(json.dumps(after, ensure_ascii=False))}"
    )


@policy_app.command("reset")
def policy_reset(
    scenario: Annotated[str, typer.Argument(help="Scenario or agent name ('*' = defaults).")],
    data_dir: DataDirOpt = None,
) -> None:
    """Remove a policy override: back to tokenbase.toml. Audited."""
    from .guard.input import PolicyError
    from .guard.input.overrides import canonical

    fence = _fence(data_dir)
    try:
        name = canonical(scenario)
    except PolicyError as exc:
        raise _cli()._fail(str(exc), 2) from exc
    before = fence.policies.reset(name)
    if before is None:
        raise _cli()._fail(f"{name!r} has no override (see `tokenbase guard policy ls`)")
    cli_audit(
        None,
        data_dir,
        "guard.policy.reset",
        f"guard.policy:{name}",
        {"before": before, "after": None},
    )
    _cli().console.print(f"{escape(name)}: back to the configuration")


def register(app: typer.Typer) -> None:
    """Add the `guard` group (scan, lexicon, policy) to the main `tokenbase` app."""
    app.add_typer(guard_app, name="guard")
