"""The price book: what one model call costs in CNY, at the price in force on its own day.

Prices are per million tokens. Entries come from the bundled list prices (`data/prices.toml`,
dated) and from `[[ledger.prices]]` contract prices in tokenbase.toml. For a call on day D
(in `ledger.timezone`) the price is, in order:

1. the contract entry with the greatest `effective_from <= D`, matched as "provider/model"
   first, then as the bare model name;
2. otherwise the bundled entry with the greatest `effective_from <= D` (bare name or alias).

A later price change therefore never rewrites the cost of earlier events. A model with no
price costs 0: `priced` stays True for a private deployment (it runs in-house), and is False
for a public one so reports can count calls the ledger could not cost.
"""

from __future__ import annotations

import bisect
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

from ..config import LedgerSettings

MILLION = Decimal(1_000_000)
MICRO = Decimal("0.000001")  # costs are kept to 1e-6 CNY (Numeric(18, 6))


@dataclass(frozen=True)
class PriceEntry:
    """Prices in CNY per million tokens, in force from `effective_from` on."""

    model: str  # "provider/model" or a bare model name
    effective_from: date
    input: Decimal
    output: Decimal
    cached_input: Decimal
    origin: str  # "config" | "seed"
    currency: str = "CNY"  # the currency the price was quoted in (converted already)
    source: str = ""
    verified: bool = True

    @property
    def ref(self) -> str:
        """Stored on each event: which entry priced it."""
        return f"{self.origin}:{self.model}@{self.effective_from.isoformat()}"

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> Decimal:
        """CNY for these tokens; `cached_tokens` is the part of `prompt_tokens` served from the
        provider's cache and is charged at the cached price. Rounded half-up to 1e-6."""
        cached = min(max(cached_tokens, 0), max(prompt_tokens, 0))
        fresh = max(prompt_tokens, 0) - cached
        total = (
            fresh * self.input
            + cached * self.cached_input
            + max(completion_tokens, 0) * self.output
        )
        return (total / MILLION).quantize(MICRO, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Priced:
    """The outcome of costing one call."""

    cost_cny: Decimal
    priced: bool
    ref: str  # PriceEntry.ref, "private" (in-house model, no price) or "" (unpriced)


class PriceBook:
    """Dated price entries by model name; lookups are in memory (bisect on dates)."""

    def __init__(self, config: Iterable[PriceEntry], seeds: Iterable[PriceEntry] = ()) -> None:
        self._config = _index(config)
        self._seeds = _index(seeds)

    @classmethod
    def from_settings(cls, settings: LedgerSettings) -> PriceBook:
        rate = settings.usd_cny_rate
        config = []
        for p in settings.prices:
            factor = rate if p.currency == "USD" else Decimal(1)
            cached = p.cached_input if p.cached_input is not None else p.input
            config.append(
                PriceEntry(
                    model=p.model,
                    effective_from=p.effective_from,
                    input=p.input * factor,
                    output=p.output * factor,
                    cached_input=cached * factor,
                    origin="config",
                    currency=p.currency,
                )
            )
        return cls(config, load_seed_prices() if settings.seed_prices else ())

    def lookup(self, provider: str, model: str, day: date) -> PriceEntry | None:
        """The entry in force on `day` for this provider's model, or None."""
        for key in (f"{provider}/{model}", model):
            entry = _at(self._config.get(key), day)
            if entry is not None:
                return entry
        return _at(self._seeds.get(model), day)

    def price(
        self,
        *,
        provider: str,
        model: str,
        deployment: str,
        day: date,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
    ) -> Priced:
        entry = self.lookup(provider, model, day)
        if entry is None:
            return Priced(Decimal("0.000000"), deployment == "private", _unpriced(deployment))
        return Priced(entry.cost(prompt_tokens, completion_tokens, cached_tokens), True, entry.ref)

    def entries(self, day: date | None = None) -> list[PriceEntry]:
        """Every entry (contract prices first), or only those in force on `day`."""
        out: list[PriceEntry] = []
        for index in (self._config, self._seeds):
            for model in sorted(index):
                if day is None:
                    out.extend(index[model][1])
                else:
                    entry = _at(index[model], day)
                    if entry is not None and entry.model == model:
                        out.append(entry)
        seen: set[tuple[str, date, str]] = set()
        unique = []
        for e in out:  # aliases index the same entry under several names
            if (e.model, e.effective_from, e.origin) not in seen:
                seen.add((e.model, e.effective_from, e.origin))
                unique.append(e)
        return unique


def _unpriced(deployment: str) -> str:
    return "private" if deployment == "private" else ""


_Index = dict[str, tuple[list[date], list[PriceEntry]]]


def _index(entries: Iterable[PriceEntry]) -> _Index:
    by_name: dict[str, list[PriceEntry]] = {}
    for entry in entries:
        names = [entry.model, *getattr(entry, "_aliases", ())]
        for name in names:
            by_name.setdefault(name, []).append(entry)
    index: _Index = {}
    for name, rows in by_name.items():
        rows.sort(key=lambda e: e.effective_from)
        index[name] = ([e.effective_from for e in rows], rows)
    return index


def _at(slot: tuple[list[date], list[PriceEntry]] | None, day: date) -> PriceEntry | None:
    if slot is None:
        return None
    dates, rows = slot
    i = bisect.bisect_right(dates, day)
    return rows[i - 1] if i else None


@dataclass(frozen=True)
class _SeedEntry(PriceEntry):
    _aliases: tuple[str, ...] = ()


def load_seed_prices() -> list[PriceEntry]:
    """The bundled list prices (data/prices.toml)."""
    text = resources.files("tokenbase.ledger").joinpath("data/prices.toml").read_text("utf-8")
    rows = tomllib.loads(text)["price"]
    seeds: list[PriceEntry] = []
    for row in rows:
        input_price = Decimal(row["input"])
        seeds.append(
            _SeedEntry(
                model=row["model"],
                effective_from=row["effective_from"],
                input=input_price,
                output=Decimal(row["output"]),
                cached_input=Decimal(row.get("cached_input", row["input"])),
                origin="seed",
                source=row.get("source", ""),
                verified=bool(row.get("verified", False)),
                _aliases=tuple(row.get("aliases", ())),
            )
        )
    return seeds
