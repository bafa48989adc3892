"""The guard over HTTP, for tuning and for integrators' own checks: the input fence's verdict
on a text, PII masking, the sensitive-word lexicon (list, add, remove: audited, the same edits
as `tokenbase guard lexicon`) and the fence's policies in force (configuration, with
administrators' overrides stored in the database: audited, the same edits as
`tokenbase guard policy`). Administrators only: policies, lexicons and masks are theirs to tune."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from ...guard import audit
from ...guard.input.overrides import PolicyOverride
from ..deps import AdminCaller, State
from ..errors import ApiError

router = APIRouter(prefix="/guard", tags=["guard"])


class PolicyOverrideBody(PolicyOverride):
    """A policy override: the fields to set; null or absent = inherit from tokenbase.toml."""


class ScanRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20000)
    scenario: str = Field("", max_length=120, description="Policy to apply ('' = default).")
    source: Literal["user", "document"] = "user"


class MaskRequest(BaseModel):
    text: str = Field(min_length=1, max_length=20000)
    types: list[str] | None = Field(None, description="PII types; default guard.pii.types.")


@router.post("/scan", operation_id="guard_scan")
def scan(body: ScanRequest, caller: AdminCaller, state: State) -> dict[str, Any]:
    """pass / flag / block, every reason (rule, category, score), the classifier probability
    and the message a user would see."""
    verdict = state.platform.fence.scan(body.text, scenario=body.scenario, source=body.source)
    return verdict.to_dict()


@router.post("/mask", operation_id="guard_mask")
def mask(body: MaskRequest, caller: AdminCaller, state: State) -> dict[str, Any]:
    """The text as a public model would receive it, and the spans found (types and offsets;
    the values themselves are not echoed)."""
    from ...guard.pii import PiiMasker

    masker = state.platform.masker or PiiMasker(
        None, state.settings.guard.pii, state.settings.data_dir
    )
    # A throwaway scope: these placeholders are not kept for any conversation.
    result = masker.mask(body.text, f"api-mask-{uuid.uuid4().hex}", set(body.types or []) or None)
    return result.to_dict(with_values=False)


# -- the sensitive-word lexicon ----------------------------------------------------------------
class LexiconEntryPublic(BaseModel):
    word: str
    category: str
    source: Literal["bundled", "database"] = Field(
        description="'bundled' (shipped default) or 'database' (added by an administrator)."
    )


class LexiconAdd(BaseModel):
    words: list[str] = Field(min_length=1, max_length=200, description="Words or phrases.")
    category: str = Field(min_length=1, max_length=60, description="e.g. 违法违规, 涉密词, 辱骂.")


class LexiconAdded(BaseModel):
    added: list[str] = Field(description="Words that became active.")
    unchanged: list[str] = Field(description="Words that were already active.")


@contextmanager
def _lexicon_errors() -> Iterator[None]:
    from ...guard.input import LexiconError

    try:
        yield
    except LexiconError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc


@router.get("/lexicon", operation_id="list_lexicon")
def list_lexicon(
    caller: AdminCaller, state: State, category: str | None = None
) -> list[LexiconEntryPublic]:
    """The active sensitive words (bundled minus hidden, plus added), by category and word."""
    with _lexicon_errors():
        entries = state.platform.fence.lexicon.entries()
    return [
        LexiconEntryPublic(word=e.word, category=e.category, source=e.source)  # type: ignore[arg-type]
        for e in sorted(entries, key=lambda e: (e.category, e.word))
        if category in (None, e.category)
    ]


@router.post("/lexicon", status_code=status.HTTP_201_CREATED, operation_id="add_lexicon_words")
def add_lexicon_words(body: LexiconAdd, caller: AdminCaller, state: State) -> LexiconAdded:
    """Add words to a category (or show a hidden bundled one again); every replica on the
    database picks them up within `guard.input.lexicon_refresh_s`. Each addition is audited
    as `lexicon.add` — the same edit as `tokenbase guard lexicon add`."""
    lexicon = state.platform.fence.lexicon
    added, unchanged = [], []
    for word in body.words:
        with _lexicon_errors():
            fresh = lexicon.add(word, body.category, by=caller.user.username)
        (added if fresh else unchanged).append(word.strip())
        if fresh:
            audit.record(
                state.platform.db.engine,
                caller,
                "lexicon.add",
                f"lexicon:{body.category.strip()}",
                {"word": word.strip()},
                settings=state.settings,
            )
    return LexiconAdded(added=added, unchanged=unchanged)


@router.delete(
    "/lexicon", status_code=status.HTTP_204_NO_CONTENT, operation_id="remove_lexicon_word"
)
def remove_lexicon_word(
    caller: AdminCaller,
    state: State,
    word: str = Query(min_length=1, max_length=200),
    category: str | None = Query(None, description="Only in this category (default: all)."),
) -> None:
    """Remove a word: an added one is deleted, a bundled one hidden. Audited as
    `lexicon.remove`; 404 when the word is not active."""
    with _lexicon_errors():
        removed = state.platform.fence.lexicon.remove(word, category, by=caller.user.username)
    if not removed:
        raise ApiError(404, "not_found", f"{word!r} is not in the lexicon (词库中没有该词)")
    audit.record(
        state.platform.db.engine,
        caller,
        "lexicon.remove",
        f"lexicon:{category or '*'}",
        {"word": word.strip()},
        settings=state.settings,
    )


# -- policies: configuration plus administrators' overrides ----------------------------------
def _policy(policy: Any, sources: dict[str, Any] | None = None) -> dict[str, Any]:
    data = {
        "injection_action": policy.injection_action,
        "document_action": policy.document_action,
        "flag_threshold": policy.flag_threshold,
        "block_threshold": policy.block_threshold,
        "sensitive_actions": dict(policy.sensitive_actions),
        "sensitive_default_action": policy.sensitive_default_action,
    }
    if sources is not None:
        data["sources"] = sources
    return data


def _explained(state: Any, name: str) -> dict[str, Any]:
    from ...guard.input.policy import DEFAULT_ROW

    fence = state.platform.fence
    policy, sources = fence.explain(scenario="" if name == DEFAULT_ROW else name)
    data = _policy(policy, sources)
    data["override"] = fence.policies.current().get(name)
    data["updated"] = fence.policies.meta(name)
    data["configured"] = name in state.settings.guard.input.scenarios
    return data


def _policies(state: Any) -> dict[str, Any]:
    from ...guard.input.policy import DEFAULT_ROW

    fence = state.platform.fence
    settings = state.settings.guard.input
    names = (set(settings.scenarios) | set(fence.policies.current())) - {DEFAULT_ROW}
    return {
        "enabled": settings.enabled,
        "classifier": settings.classifier,
        "default": _explained(state, DEFAULT_ROW),
        "scenarios": {name: _explained(state, name) for name in sorted(names)},
        "edit": "PUT /guard/policies/{scenario} ('*' = the defaults) overrides "
        "tokenbase.toml's [guard.input] and [guard.input.scenarios.<name>] live; "
        "DELETE goes back to the configuration",
    }


@contextmanager
def _policy_errors() -> Iterator[None]:
    from ...guard.input import PolicyError

    try:
        yield
    except PolicyError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc


@router.get("/policies", operation_id="list_guard_policies")
def list_policies(caller: AdminCaller, state: State) -> dict[str, Any]:
    """The input fence's policies in force: the default and each scenario or agent, resolved
    (defaults < `[guard.input]` < `[guard.input.scenarios.<name>]` < administrators'
    overrides), with `sources` saying where each value comes from (default, config,
    override), the stored `override` and who `updated` it."""
    state.platform.fence.policies.refresh()
    return _policies(state)


@router.put("/policies/{scenario}", operation_id="set_guard_policy")
def set_policy(
    scenario: str, body: PolicyOverrideBody, caller: AdminCaller, state: State
) -> dict[str, Any]:
    """Override a scenario's or agent's policy ('*' or 'default' = the defaults every
    scenario inherits); null fields inherit from the configuration. The fence applies it on
    the next request (other replicas within `guard.input.lexicon_refresh_s`). Audited as
    `guard.policy.set` with the override before and after; 422 when the flag threshold would
    exceed the block threshold."""
    from ...guard.input.overrides import canonical

    store = state.platform.fence.policies
    with _policy_errors():
        name = canonical(scenario)
        before, after = store.set(name, body, state.settings.guard.input, by=caller.user.username)
    audit.record(
        state.platform.db.engine,
        caller,
        "guard.policy.set",
        f"guard.policy:{name}",
        {"before": before, "after": after},
        settings=state.settings,
    )
    return _explained(state, name)


@router.delete(
    "/policies/{scenario}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="reset_guard_policy",
)
def reset_policy(scenario: str, caller: AdminCaller, state: State) -> None:
    """Remove a scenario's override: back to tokenbase.toml. Audited as `guard.policy.reset`;
    404 when there is no override."""
    from ...guard.input.overrides import canonical

    with _policy_errors():
        name = canonical(scenario)
        before = state.platform.fence.policies.reset(name)
    if before is None:
        raise ApiError(
            404, "not_found", f"{scenario!r} has no policy override (该场景没有在线修改的策略)"
        )
    audit.record(
        state.platform.db.engine,
        caller,
        "guard.policy.reset",
        f"guard.policy:{name}",
        {"before": before, "after": None},
        settings=state.settings,
    )
