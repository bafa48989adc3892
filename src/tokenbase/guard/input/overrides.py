"""Administrators' policy overrides, stored in the `guard_policies` table and laid over
tokenbase.toml (built-in defaults < `[guard.input]` < `[guard.input.scenarios.<name>]` < the
database row for that scenario; the row named "*" overrides the defaults themselves).

    store = PolicyStore(engine, refresh_s=5)
    store.set("hr", PolicyOverride(injection_action="block", block_threshold=0.3), settings)
    store.current()   # {"hr": {"injection_action": "block", "block_threshold": 0.3}}

Like the lexicon, each store caches the rows and re-reads the table at most every `refresh_s`
seconds (at once after an edit through it), so an edit reaches every replica on the database.

Errors: `PolicyError` (an override that would leave flag_threshold above block_threshold, or a
bad scenario name), a subclass of ValueError.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from ...config import InputGuardSettings
from ...db.schema import guard_policies
from .findings import Action
from .policy import DEFAULT_ROW as DEFAULT
from .policy import resolve


class PolicyError(ValueError):
    """An override that cannot be stored (the message says which value and why)."""


class PolicyOverride(BaseModel):
    """The overridable fields of a policy; None (or absent) = inherit from the configuration."""

    model_config = ConfigDict(extra="forbid")

    injection_action: Action | None = Field(
        None, description="What a likely injection in a question does: block, flag or pass."
    )
    document_action: Action | None = Field(
        None, description="What a likely injection in a retrieved chunk does."
    )
    flag_threshold: float | None = Field(
        None, ge=0, le=1, description="Injection score (0-1) from which a text is flagged."
    )
    block_threshold: float | None = Field(
        None, ge=0, le=1, description="Injection score (0-1) from which the action applies."
    )
    sensitive_actions: dict[str, Action] = Field(
        default_factory=dict,
        description="Per lexicon category, what a sensitive word does (merged over the rest).",
    )
    sensitive_default_action: Action | None = Field(
        None, description="Action for a lexicon category with no action of its own."
    )

    def stored(self) -> dict[str, Any]:
        """Only the fields set (what the `policy` column keeps)."""
        data = {k: v for k, v in self.model_dump().items() if v is not None}
        if not data.get("sensitive_actions"):
            data.pop("sensitive_actions", None)
        return data


def canonical(scenario: str) -> str:
    """The stored name: "default" and "*" both mean the defaults. Raises PolicyError."""
    name = scenario.strip()
    if name.lower() == "default":
        return DEFAULT
    if not name or len(name) > 120:
        raise PolicyError("the scenario name must have 1 to 120 characters (场景名称长度 1-120)")
    return name


class PolicyStore:
    """The `guard_policies` rows, cached per process (thread-safe)."""

    def __init__(self, engine: Engine | None, *, refresh_s: float = 5.0) -> None:
        self.engine = engine
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._rows: dict[str, dict[str, Any]] = {}
        self._meta: dict[str, dict[str, Any]] = {}

    def refresh(self) -> None:
        """Re-read the table now (a database without the table reads as no overrides)."""
        rows: dict[str, dict[str, Any]] = {}
        meta: dict[str, dict[str, Any]] = {}
        if self.engine is not None:
            try:
                with self.engine.connect() as conn:
                    for r in conn.execute(select(guard_policies)).all():
                        rows[r.scenario] = dict(r.policy or {})
                        meta[r.scenario] = {
                            "updated_by": r.updated_by,
                            "updated_at": r.updated_at.isoformat() if r.updated_at else None,
                        }
            except SQLAlchemyError:
                rows, meta = self._rows, self._meta  # keep what we had
        with self._lock:
            self._rows, self._meta = rows, meta
            self._loaded_at = time.monotonic()

    def current(self) -> dict[str, dict[str, Any]]:
        """Scenario name -> the fields its override sets (at most `refresh_s` seconds old)."""
        if time.monotonic() - self._loaded_at >= self.refresh_s:
            self.refresh()
        return self._rows

    def meta(self, scenario: str) -> dict[str, Any] | None:
        """Who last edited `scenario`'s override and when (None: no override)."""
        self.current()
        return self._meta.get(scenario)

    def get(self, scenario: str) -> dict[str, Any] | None:
        self.refresh()
        return self._rows.get(canonical(scenario))

    def set(
        self, scenario: str, override: PolicyOverride, settings: InputGuardSettings, *, by: str = ""
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """Store `scenario`'s override (replacing any earlier one); returns (before, after).

        Raises PolicyError when the resolved policy would flag above its block threshold.
        An override with no field set removes the row (everything inherits)."""
        name = canonical(scenario)
        after = override.stored()
        rows = dict(self.current())
        rows[name] = after
        # Every policy that inherits from this one must stay ordered (the defaults: all).
        names = [name] if name != DEFAULT else ["", *settings.scenarios, *rows]
        for other in names:
            if other == DEFAULT:
                continue
            p = resolve(settings, scenario=other, overrides=rows)
            if p.flag_threshold > p.block_threshold:
                where = "the defaults" if not other else repr(other)
                raise PolicyError(
                    f"flag_threshold ({p.flag_threshold}) must not exceed block_threshold "
                    f"({p.block_threshold}) for {where} (标记阈值不能高于拦截阈值)"
                )
        before = self.get(name)
        if not after:
            self.reset(name)
            return before, after
        values = {"policy": after, "updated_by": by[:120], "updated_at": datetime.now(UTC)}
        assert self.engine is not None, "policy overrides need a database"
        with self.engine.begin() as conn:
            if before is None:
                conn.execute(insert(guard_policies).values(scenario=name, **values))
            else:
                conn.execute(
                    update(guard_policies).where(guard_policies.c.scenario == name).values(**values)
                )
        self.refresh()
        return before, after

    def reset(self, scenario: str) -> dict[str, Any] | None:
        """Remove `scenario`'s override (back to the configuration); returns what it was."""
        name = canonical(scenario)
        before = self.get(name)
        if before is not None and self.engine is not None:
            with self.engine.begin() as conn:
                conn.execute(delete(guard_policies).where(guard_policies.c.scenario == name))
        self.refresh()
        return before
