"""The guard over HTTP, for tuning and for integrators' own checks: the input fence's verdict
on a text, and PII masking (administrators only: policies and masks are theirs to tune)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ..deps import AdminCaller, State

router = APIRouter(prefix="/guard", tags=["guard"])


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
