"""The prompt library over HTTP.

- `GET /prompts`, `GET /prompts/{name}`: read scope.
- `POST /prompts`, `POST /prompts/{name}/versions`: write scope; the caller is the author.
- `PUT /prompts/{name}/labels/{label}`: write scope; a protected label (`production`) needs an
  administrator with the admin scope, or a user in `prompts.owners`. Audited (`prompt.label`).
- `GET /prompts/reports`: administrators (like the ledger's reports).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from ...guard.audit import AuditError
from ...ledger.errors import LedgerInputError
from ...prompts import reports
from ...prompts.errors import PromptError
from ...prompts.library import PromptLibrary, PromptVersion
from ..deps import AdminCaller, ReadCaller, State, WriteCaller
from ..errors import ApiError

router = APIRouter(tags=["prompts"])


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except PromptError as exc:
        raise ApiError(exc.status, exc.code, str(exc)) from exc
    except LedgerInputError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from exc
    except AuditError as exc:
        raise ApiError(503, "audit_unavailable", str(exc)) from exc


def _library(state: Any) -> PromptLibrary:
    return PromptLibrary(state.platform.db.engine, state.settings)


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class VariableSpec(BaseModel):
    name: str = Field(description="Letters, digits and _.")
    type: Literal["str", "int", "float", "bool", "list", "enum"] = "str"
    default: Any = Field(None, description="Makes the variable optional.")
    choices: list[str] = Field(default_factory=list, description="For enum variables.")
    description: str = ""

    def spec(self) -> dict[str, Any]:
        data = self.model_dump(exclude_none=True)
        if not data.get("choices"):
            data.pop("choices", None)
        return data


class VersionCreate(BaseModel):
    body: str | list[Message] | None = Field(
        None,
        description="Text with {{var}} placeholders, or chat messages (None: keep the "
        "previous version's).",
    )
    variables: list[VariableSpec] | None = Field(None, description="None: keep the previous.")
    params: dict[str, Any] | None = Field(
        None, description="temperature, top_p, max_tokens, tier, model, ... (None: keep)."
    )
    message: str = Field(min_length=1, max_length=2000, description="Commit message.")


class PromptCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    body: str | list[Message]
    variables: list[VariableSpec] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    message: str = Field("", max_length=2000)
    description: str = Field("", max_length=2000)


class LabelMove(BaseModel):
    version: int = Field(ge=1)


class VersionPublic(BaseModel):
    name: str
    ref: str
    kind: str
    version: int
    body: str | list[dict[str, str]]
    variables: list[dict[str, Any]]
    params: dict[str, Any]
    message: str
    author_id: int | None
    author: str
    created_at: str
    labels: list[str]


class PromptPublic(BaseModel):
    name: str
    kind: str
    description: str
    created_by: int | None
    created_by_name: str
    created_at: str
    latest: int
    labels: dict[str, int]


class PromptDetail(PromptPublic):
    versions: list[VersionPublic]


def _body(value: str | list[Message] | None) -> Any:
    if isinstance(value, list):
        return [m.model_dump() for m in value]
    return value


def _version(v: PromptVersion) -> VersionPublic:
    return VersionPublic(**v.to_dict())


@router.get("/prompts", operation_id="list_prompts")
def list_prompts(caller: ReadCaller, state: State) -> list[PromptPublic]:
    """Every prompt, by name, with its latest version number and its labels."""
    with _errors():
        return [PromptPublic(**p.to_dict()) for p in _library(state).list()]


@router.post("/prompts", status_code=status.HTTP_201_CREATED, operation_id="create_prompt")
def create_prompt(body: PromptCreate, caller: WriteCaller, state: State) -> VersionPublic:
    """A new prompt with version 1 (labelled `latest`), authored by the caller."""
    with _errors():
        version = _library(state).create(
            body.name,
            _body(body.body),
            variables=[v.spec() for v in body.variables],
            params=body.params,
            message=body.message,
            description=body.description,
            author=caller,
        )
    return _version(version)


@router.get("/prompts/reports", operation_id="prompt_reports")
def prompt_reports(
    caller: AdminCaller,
    state: State,
    by: Literal["version", "contributor"] = "version",
    month: str | None = Query(
        None, description="YYYY-MM (default: this month).", pattern=r"^\d{4}-\d{2}$"
    ),
) -> dict[str, Any]:
    """Per version: calls, users, departments, tokens, cost, format-error rate, acceptance;
    per contributor: prompts, versions and effective prompts."""
    _library(state).ensure_builtins()
    with _errors(), state.platform.db.engine.connect() as conn:
        return reports.report(conn, state.settings, by=by, month=month)


@router.get("/prompts/{name}", operation_id="get_prompt")
def get_prompt(name: str, caller: ReadCaller, state: State) -> PromptDetail:
    """A prompt and all its versions, newest first."""
    lib = _library(state)
    with _errors():
        head = lib.prompt(name)
        versions = lib.versions(name)
    return PromptDetail(**head.to_dict(), versions=[_version(v) for v in versions])


@router.post(
    "/prompts/{name}/versions",
    status_code=status.HTTP_201_CREATED,
    operation_id="commit_prompt_version",
)
def commit_version(
    name: str, body: VersionCreate, caller: WriteCaller, state: State
) -> VersionPublic:
    """A new immutable version (the next number); `latest` moves to it."""
    with _errors():
        version = _library(state).commit(
            name,
            _body(body.body),
            variables=None if body.variables is None else [v.spec() for v in body.variables],
            params=body.params,
            message=body.message,
            author=caller,
        )
    return _version(version)


@router.put("/prompts/{name}/labels/{label}", operation_id="set_prompt_label")
def set_label(
    name: str, label: str, body: LabelMove, caller: WriteCaller, state: State
) -> VersionPublic:
    """Point a label at a version. `production` (any `prompts.protected_labels`) needs an
    administrator (with the admin scope) or a prompt owner: 403 otherwise. Audited."""
    with _errors():
        version = _library(state).set_label(
            name, label, body.version, actor=caller, admin=caller.is_admin
        )
    return _version(version)
