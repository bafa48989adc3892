"""Chat model commands: `tokenbase models list` and `tokenbase models ping [TIER]`.

Registered into the main `tokenbase` app by `register(app)` (see the end of cli.py). Pings go
through the gateway like any other call, so they are metered (scenario "models.ping").
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from .ledger.attribution import attributed
from .ledger.errors import BudgetExceeded
from .llm.errors import ModelError
from .llm.gateway import NO_MODEL_HELP

models_app = typer.Typer(help="Chat models: providers, tiers, health.", no_args_is_help=True)

DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir", "-d", help="Data directory [env: TOKENBASE_DATA_DIR].", show_default=False
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _cli():  # type: ignore[no-untyped-def]
    from . import cli  # imported late: cli.py registers this module at its end

    return cli


@models_app.command("list")
def list_models(as_json: JsonFlag = False, data_dir: DataDirOpt = None) -> None:
    """Configured providers, tiers and each model's circuit breaker state."""
    platform = _cli()._platform(data_dir)
    settings = platform.settings.llm
    gateway = platform.gateway
    providers = [
        {
            "name": p.name,
            "kind": p.kind,
            "deployment": p.deployment,
            "base_url": p.base_url,
            "models": p.models,
            "json_mode": p.json_mode,
            "api_key_env": p.api_key_env,
            "key_set": bool(p.api_key_env and os.environ.get(p.api_key_env)),
        }
        for p in settings.providers
    ]
    tiers = {
        tier: [{"model": key, "breaker": gateway.breakers[key].state} for key in keys]
        for tier, keys in gateway.tiers.items()
    }
    if as_json:
        typer.echo(json.dumps({"providers": providers, "tiers": tiers}, ensure_ascii=False))
        return
    console = _cli().console
    if not providers:
        console.print(escape(NO_MODEL_HELP))
        return
    table = Table("provider", "deployment", "base URL", "models", "JSON mode", "key")
    for p in providers:
        key = (
            "-"
            if not p["api_key_env"]
            else f"{p['api_key_env']} ({'set' if p['key_set'] else 'MISSING'})"
        )
        table.add_row(
            escape(p["name"]),
            p["deployment"],
            escape(p["base_url"]),
            escape(", ".join(p["models"])),
            p["json_mode"],
            escape(key),
        )
    console.print(table)
    tier_table = Table("tier", "order", "model", "breaker")
    for tier, entries in tiers.items():
        default = " (default)" if tier == settings.default_tier else ""
        for i, entry in enumerate(entries, 1):
            tier_table.add_row(
                f"{tier}{default}" if i == 1 else "",
                str(i),
                escape(entry["model"]),
                entry["breaker"],
            )
    console.print(tier_table)


@models_app.command("ping")
def ping(
    tier: Annotated[
        str | None, typer.Argument(help="Only this tier's models (default: all).")
    ] = None,
    as_json: JsonFlag = False,
    data_dir: DataDirOpt = None,
) -> None:
    """One tiny call per model: latency and tokens, or why it failed. Metered like any call."""
    platform = _cli()._platform(data_dir)
    gateway = platform.gateway
    if not gateway.has_chat:
        raise _cli()._fail(NO_MODEL_HELP)
    if tier is not None and tier not in gateway.tiers:
        raise _cli()._fail(f"no tier {tier!r}; configured tiers: {', '.join(gateway.tiers)}")
    keys = gateway.tiers[tier] if tier else list(dict.fromkeys(sum(gateway.tiers.values(), [])))
    rows: list[dict[str, Any]] = []
    with attributed(scenario="models.ping"):
        for key in keys:
            row: dict[str, Any] = {"model": key}
            try:
                result = gateway.chat(
                    [{"role": "user", "content": "ping"}], model=key, max_tokens=8, temperature=0
                )
                last = result.attempts[-1]
                row.update(
                    ok=True,
                    latency_ms=round(last.latency_ms, 1),
                    prompt_tokens=result.usage.prompt_tokens,
                    completion_tokens=result.usage.completion_tokens,
                    estimated=result.usage.estimated,
                )
            except (ModelError, BudgetExceeded) as exc:
                row.update(ok=False, error=str(exc))
            rows.append(row)
    platform.close()
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
    else:
        table = Table("model", "status", "latency ms", "tokens in/out")
        for row in rows:
            if row["ok"]:
                tokens = f"{row['prompt_tokens']}/{row['completion_tokens']}"
                tokens += " (estimated)" if row["estimated"] else ""
                table.add_row(escape(row["model"]), "[green]ok", str(row["latency_ms"]), tokens)
            else:
                table.add_row(escape(row["model"]), f"[red]{escape(row['error'])}", "", "")
        _cli().console.print(table)
    if not all(row["ok"] for row in rows):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `models` commands to the main `tokenbase` app."""
    app.add_typer(models_app, name="models")
