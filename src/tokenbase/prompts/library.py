"""`PromptLibrary`: create prompts, commit immutable versions, move labels, resolve and render.

    lib = PromptLibrary(engine, settings)
    v = lib.get("kb.answer.zh")                     # the production version (else latest)
    messages = lib.render(v, sources=blocks, question=q)
    gateway.chat(messages, prompt_name=lib.ref(v), **v.model_params())  # "kb.answer.zh@1"

A version is (number, body, variables, model parameters, commit message, author, created_at)
and is never updated: there is no update path here, and a database trigger refuses UPDATE on
`prompt_versions`. `commit` writes the next number and moves the `latest` label to it.
Labels point at one version each; `latest` is maintained by the library and cannot be set by
hand; labels in `prompts.protected_labels` (default `production`) may only be moved by an
administrator or a user named in `prompts.owners`, and every manual move is audited
(`prompt.label`, target `prompt:<name>`).

`get(name)` asks for `production` and falls back to `latest` when no version carries the
production label yet (a prompt nobody has promoted still works); any other missing label is
an error. References: `name` (production, else latest), `name@3` (a version), `name:staging`
(a label).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from ..config import Settings
from ..db.schema import prompt_labels, prompt_versions, prompts, users
from ..guard import audit
from ..identity.clock import as_utc, utcnow
from .errors import LabelNotAllowed, PromptConflict, PromptError, PromptNotFound, TemplateError
from .render import Template, Variable

PROMPT_NAME = re.compile(r"^[\w][\w.-]{0,119}$")  # no '@' or ':' (they separate refs)
LABEL = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")
LATEST = "latest"
PRODUCTION = "production"
KINDS = ("text", "chat")
ROLES = ("system", "user", "assistant")
MAX_BODY_CHARS = 100_000
# Model parameters a version may carry, with their type and range.
PARAMS: dict[str, tuple[type, float | None, float | None]] = {
    "temperature": (float, 0, 2),
    "top_p": (float, 0, 1),
    "presence_penalty": (float, -2, 2),
    "frequency_penalty": (float, -2, 2),
    "max_tokens": (int, 1, 1_000_000),
    "seed": (int, None, None),
    "tier": (str, None, None),
    "model": (str, None, None),
}


@dataclass(frozen=True)
class PromptVersion:
    """One immutable version. `ref` ("name@3") is what usage events record."""

    id: int
    prompt_id: int
    name: str
    kind: str  # text | chat
    version: int
    body: str | list[dict[str, str]]
    variables: tuple[Variable, ...]
    params: dict[str, Any]
    message: str
    author_id: int | None
    author_name: str
    created_at: datetime
    labels: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def template(self) -> Template:
        return Template(self.body, list(self.variables))

    def model_params(self) -> dict[str, Any]:
        """Parameters for the gateway call (tier, temperature, max_tokens, ...)."""
        return dict(self.params)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ref": self.ref,
            "kind": self.kind,
            "version": self.version,
            "body": self.body,
            "variables": [v.to_dict() for v in self.variables],
            "params": self.params,
            "message": self.message,
            "author_id": self.author_id,
            "author": self.author_name,
            "created_at": self.created_at.isoformat(),
            "labels": list(self.labels),
        }


@dataclass
class Prompt:
    id: int
    name: str
    kind: str
    description: str
    created_by: int | None
    created_by_name: str
    created_at: datetime
    latest: int = 0
    labels: dict[str, int] = field(default_factory=dict)  # label -> version number

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "description": self.description,
            "created_by": self.created_by,
            "created_by_name": self.created_by_name,
            "created_at": self.created_at.isoformat(),
            "latest": self.latest,
            "labels": dict(sorted(self.labels.items())),
        }


# -- validation --------------------------------------------------------------------------------
def check_name(name: str) -> str:
    if not PROMPT_NAME.match(name or ""):
        raise PromptError(
            f"invalid prompt name {name!r}: letters, digits, '.', '_' and '-' (no '@' or ':'), "
            "at most 120 characters"
        )
    return name


def check_label(label: str) -> str:
    if not LABEL.match(label or ""):
        raise PromptError(
            f"invalid label {label!r}: lower-case letters, digits, '.', '_' and '-', "
            "starting with a letter"
        )
    return label


def check_body(kind: str, body: Any) -> str | list[dict[str, str]]:
    """A text body is a non-empty string; a chat body a list of {role, content} messages."""
    if kind == "text":
        if not isinstance(body, str) or not body.strip():
            raise TemplateError("a text prompt needs non-empty text")
        if len(body) > MAX_BODY_CHARS:
            raise TemplateError(f"the prompt is longer than {MAX_BODY_CHARS} characters")
        return body
    if not isinstance(body, list) or not body:
        raise TemplateError(
            'a chat prompt is a list of messages: [{"role": "system", "content": "..."}, ...]'
        )
    messages = []
    for n, message in enumerate(body, 1):
        if not isinstance(message, dict) or set(message) - {"role", "content"}:
            raise TemplateError(f"message {n}: use exactly the keys role and content")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise TemplateError(f"message {n}: role must be one of {', '.join(ROLES)}")
        if not isinstance(content, str) or not content.strip():
            raise TemplateError(f"message {n}: content must be non-empty text")
        messages.append({"role": role, "content": content})
    if sum(len(m["content"]) for m in messages) > MAX_BODY_CHARS:
        raise TemplateError(f"the prompt is longer than {MAX_BODY_CHARS} characters")
    return messages


def check_params(params: dict[str, Any] | None) -> dict[str, Any]:
    """Model parameters, typed and range-checked ("0.2" from the CLI becomes 0.2).
    Raises PromptError naming the parameter."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if key not in PARAMS:
            raise PromptError(f"unknown model parameter {key!r}: use {', '.join(PARAMS)}")
        kind, low, high = PARAMS[key]
        try:
            if isinstance(value, bool):
                raise TypeError
            typed = kind(value)
            if kind is int and isinstance(value, float) and not value.is_integer():
                raise TypeError
        except (TypeError, ValueError) as exc:
            raise PromptError(f"model parameter {key} must be a {kind.__name__}") from exc
        if (low is not None and typed < low) or (high is not None and typed > high):
            raise PromptError(f"model parameter {key} must be between {low} and {high}")
        out[key] = typed
    return dict(sorted(out.items()))


def variables_of(specs: Any) -> tuple[Variable, ...]:
    """Variables from Variable objects or dicts. Raises TemplateError."""
    return tuple(v if isinstance(v, Variable) else Variable.from_dict(dict(v)) for v in specs or ())


def parse_ref(ref: str) -> tuple[str, int | None, str | None]:
    """'name' / 'name@3' / 'name:staging' -> (name, version, label)."""
    if "@" in ref:
        name, _, number = ref.rpartition("@")
        if not number.isdigit():
            raise PromptError(f"invalid version in {ref!r}: use name@<number>")
        return name, int(number), None
    if ":" in ref:
        name, _, label = ref.rpartition(":")
        return name, None, check_label(label)
    return ref, None, None


# -- the library -------------------------------------------------------------------------------
class PromptLibrary:
    """The prompt library on one database. Cheap to construct; holds no cache, so a label
    moved on another replica is seen by the next `get`."""

    def __init__(self, engine: Engine, settings: Settings | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self._seeded = False

    # -- resolution (what callers of a model use) ------------------------------------------
    def get(self, name: str, label: str = PRODUCTION) -> PromptVersion:
        """The version `label` points at. For `production`, falls back to `latest` when no
        version is labelled production yet. Raises PromptNotFound."""
        self._ensure_builtins()
        with self.engine.connect() as conn:
            prompt_id = self._prompt_id(conn, name)
            version_id = _label_target(conn, prompt_id, label)
            if version_id is None and label == PRODUCTION:
                version_id = _label_target(conn, prompt_id, LATEST)
            if version_id is None:
                raise PromptNotFound(
                    f"prompt {name} has no label {label!r}: "
                    f"`tokenbase prompt label {name} <version> {label}` sets it"
                )
            return self._load(conn, version_id)

    def version(self, name: str, number: int) -> PromptVersion:
        """One version by number. Raises PromptNotFound."""
        self._ensure_builtins()
        with self.engine.connect() as conn:
            prompt_id = self._prompt_id(conn, name)
            version_id = conn.execute(
                select(prompt_versions.c.id).where(
                    prompt_versions.c.prompt_id == prompt_id, prompt_versions.c.version == number
                )
            ).scalar()
            if version_id is None:
                raise PromptNotFound(f"prompt {name} has no version {number}")
            return self._load(conn, int(version_id))

    def resolve(self, ref: str) -> PromptVersion:
        """A version from 'name', 'name@3' or 'name:label'."""
        name, number, label = parse_ref(ref)
        if number is not None:
            return self.version(name, number)
        return self.get(name, label or PRODUCTION)

    def render(self, version: PromptVersion, **variables: Any) -> str | list[dict[str, str]]:
        """The version's text (text prompt) or chat messages (chat prompt) with `variables`
        filled in. Raises MissingVariable, VariableTypeError or TemplateError naming the
        variable."""
        return version.template().render(variables)

    @staticmethod
    def ref(version: PromptVersion) -> str:
        """'name@version': pass it as the gateway's `prompt_name`, so the usage event records
        which version a model call used (the per-version reports read it back)."""
        return version.ref

    # -- listing ---------------------------------------------------------------------------
    def list(self) -> list[Prompt]:
        """Every prompt with its latest version number and labels, by name."""
        self._ensure_builtins()
        with self.engine.connect() as conn:
            rows = conn.execute(select(prompts).order_by(prompts.c.name))
            found = {int(r.id): _prompt(r) for r in rows}
            for r in conn.execute(
                select(prompt_versions.c.prompt_id, func.max(prompt_versions.c.version)).group_by(
                    prompt_versions.c.prompt_id
                )
            ):
                found[int(r[0])].latest = int(r[1])
            for r in conn.execute(
                select(
                    prompt_labels.c.prompt_id, prompt_labels.c.label, prompt_versions.c.version
                ).join(prompt_versions, prompt_versions.c.id == prompt_labels.c.version_id)
            ):
                found[int(r.prompt_id)].labels[r.label] = int(r.version)
        return list(found.values())

    def prompt(self, name: str) -> Prompt:
        """One prompt's header. Raises PromptNotFound."""
        for item in self.list():
            if item.name == name:
                return item
        raise PromptNotFound(f"no prompt named {name}; `tokenbase prompt ls` lists them")

    def versions(self, name: str) -> list[PromptVersion]:
        """Every version of a prompt, newest first. Raises PromptNotFound."""
        self._ensure_builtins()
        with self.engine.connect() as conn:
            prompt_id = self._prompt_id(conn, name)
            ids = conn.execute(
                select(prompt_versions.c.id)
                .where(prompt_versions.c.prompt_id == prompt_id)
                .order_by(prompt_versions.c.version.desc())
            ).scalars()
            return [self._load(conn, int(i)) for i in ids]

    # -- writing ---------------------------------------------------------------------------
    def create(
        self,
        name: str,
        body: str | list[dict[str, str]],
        *,
        variables: Any = (),
        params: dict[str, Any] | None = None,
        message: str = "",
        description: str = "",
        author: Any = None,
    ) -> PromptVersion:
        """A new prompt with version 1 (labelled `latest`). `body` is text or a list of chat
        messages; `variables` Variable objects or dicts; `author` a User, API Caller, Actor,
        name or None (the system). Raises PromptConflict (name taken), TemplateError,
        PromptError."""
        check_name(name)
        self._ensure_builtins()
        kind = "text" if isinstance(body, str) else "chat"
        who = audit.actor_of(author)
        with self.engine.begin() as conn:
            if conn.execute(select(prompts.c.id).where(prompts.c.name == name)).first():
                raise PromptConflict(
                    f"prompt {name} exists: `tokenbase prompt commit {name}` adds a version"
                )
            try:
                prompt_id = conn.execute(
                    prompts.insert().values(
                        name=name,
                        kind=kind,
                        description=description or "",
                        created_by=who.id,
                        created_by_name=who.name,
                        created_at=utcnow(),
                    )
                ).inserted_primary_key[0]
            except IntegrityError as exc:
                raise PromptConflict(f"prompt {name} exists") from exc
            version_id = _insert_version(
                conn, int(prompt_id), kind, body, variables, params, message, who
            )
            return self._load(conn, version_id)

    def commit(
        self,
        name: str,
        body: str | list[dict[str, str]] | None = None,
        *,
        variables: Any = None,
        params: dict[str, Any] | None = None,
        message: str,
        author: Any = None,
    ) -> PromptVersion:
        """A new immutable version numbered one past the highest; `latest` moves to it.
        Fields left None are carried over from the latest version (so `params` alone can
        change). Raises PromptNotFound, TemplateError, PromptError (empty message)."""
        if not (message or "").strip():
            raise PromptError("a new version needs a commit message (-m MESSAGE)")
        self._ensure_builtins()
        who = audit.actor_of(author)
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    prompt_id = self._prompt_id(conn, name, lock=True)
                    kind = conn.execute(
                        select(prompts.c.kind).where(prompts.c.id == prompt_id)
                    ).scalar_one()
                    previous = self._load(conn, _label_target(conn, prompt_id, LATEST) or 0)
                    if body is not None and ("text" if isinstance(body, str) else "chat") != kind:
                        raise TemplateError(
                            f"prompt {name} is a {kind} prompt: a version cannot change its kind"
                        )
                    version_id = _insert_version(
                        conn,
                        prompt_id,
                        kind,
                        previous.body if body is None else body,
                        previous.variables if variables is None else variables,
                        previous.params if params is None else params,
                        message,
                        who,
                    )
                    return self._load(conn, version_id)
            except IntegrityError:  # another writer took the number: take the next one
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def set_label(
        self,
        name: str,
        label: str,
        version: int,
        *,
        actor: Any = None,
        admin: bool | None = None,
    ) -> PromptVersion:
        """Point `label` at version `version` and audit the move (`prompt.label`). A
        protected label (`prompts.protected_labels`) needs an administrator (`admin`, or the
        actor's role when None) or a user in `prompts.owners`. `latest` cannot be set by hand.
        Raises LabelNotAllowed, PromptNotFound, PromptError."""
        check_label(label)
        if label == LATEST:
            raise PromptError("`latest` moves by itself to each new version; it cannot be set")
        self._ensure_builtins()
        who = audit.actor_of(actor)
        with self.engine.begin() as conn:
            if label in self._protected():
                self._check_owner(conn, who, label, admin)
            prompt_id = self._prompt_id(conn, name, lock=True)
            target = conn.execute(
                select(prompt_versions.c.id).where(
                    prompt_versions.c.prompt_id == prompt_id,
                    prompt_versions.c.version == version,
                )
            ).scalar()
            if target is None:
                raise PromptNotFound(f"prompt {name} has no version {version}")
            before = _label_target(conn, prompt_id, label)
            previous = None
            if before is not None:
                previous = conn.execute(
                    select(prompt_versions.c.version).where(prompt_versions.c.id == before)
                ).scalar()
            _move_label(conn, prompt_id, label, int(target), who)
            audit.append(
                conn,
                actor if actor is not None else who,
                "prompt.label",
                f"prompt:{name}",
                {"label": label, "version": version, "previous": previous},
                settings=self.settings,
            )
            return self._load(conn, int(target))

    # -- internals -------------------------------------------------------------------------
    def _protected(self) -> list[str]:
        return list(self.settings.prompts.protected_labels) if self.settings else [PRODUCTION]

    def _check_owner(
        self, conn: Connection, who: audit.Actor, label: str, admin: bool | None
    ) -> None:
        owners = set(self.settings.prompts.owners) if self.settings else set()
        role, username = None, who.name
        if who.id is not None:
            row = conn.execute(
                select(users.c.role, users.c.username, users.c.active).where(users.c.id == who.id)
            ).first()
            if row is not None and row.active:
                role, username = row.role, row.username
        allowed = who.id is not None and role is not None
        is_admin = admin if admin is not None else role == "admin"
        allowed = allowed and (is_admin or username in owners)
        if not allowed:
            raise LabelNotAllowed(
                f"moving the {label} label needs an administrator or a prompt owner "
                "(prompts.owners); at the CLI pass --as USERNAME"
            )

    def _prompt_id(self, conn: Connection, name: str, *, lock: bool = False) -> int:
        query = select(prompts.c.id).where(prompts.c.name == name)
        if lock:
            query = query.with_for_update()
        prompt_id = conn.execute(query).scalar()
        if prompt_id is None:
            raise PromptNotFound(f"no prompt named {name}; `tokenbase prompt ls` lists them")
        return int(prompt_id)

    def _load(self, conn: Connection, version_id: int) -> PromptVersion:
        row = conn.execute(
            select(prompt_versions, prompts.c.name, prompts.c.kind)
            .join(prompts, prompts.c.id == prompt_versions.c.prompt_id)
            .where(prompt_versions.c.id == version_id)
        ).first()
        if row is None:
            raise PromptNotFound(f"no prompt version with id {version_id}")
        labels = conn.execute(
            select(prompt_labels.c.label)
            .where(prompt_labels.c.version_id == version_id)
            .order_by(prompt_labels.c.label)
        ).scalars()
        return PromptVersion(
            id=int(row.id),
            prompt_id=int(row.prompt_id),
            name=row.name,
            kind=row.kind,
            version=int(row.version),
            body=row.body,
            variables=variables_of(row.variables),
            params=dict(row.params or {}),
            message=row.message,
            author_id=row.author_id,
            author_name=row.author_name,
            created_at=as_utc(row.created_at),  # type: ignore[arg-type]
            labels=tuple(labels),
        )

    def ensure_builtins(self) -> None:
        """Seed the built-in prompts that are missing (once per library object)."""
        self._ensure_builtins()

    def _ensure_builtins(self) -> None:
        if self._seeded:
            return
        from .builtin import seed  # late: builtin uses this module

        seed(self.engine)
        self._seeded = True


def _prompt(row: Any) -> Prompt:
    return Prompt(
        int(row.id),
        row.name,
        row.kind,
        row.description,
        row.created_by,
        row.created_by_name,
        as_utc(row.created_at),  # type: ignore[arg-type]
    )


def _label_target(conn: Connection, prompt_id: int, label: str) -> int | None:
    value = conn.execute(
        select(prompt_labels.c.version_id).where(
            prompt_labels.c.prompt_id == prompt_id, prompt_labels.c.label == label
        )
    ).scalar()
    return None if value is None else int(value)


def _move_label(
    conn: Connection, prompt_id: int, label: str, version_id: int, who: audit.Actor
) -> None:
    values = {
        "version_id": version_id,
        "updated_by": who.id,
        "updated_by_name": who.name,
        "updated_at": utcnow(),
    }
    changed = conn.execute(
        prompt_labels.update()
        .where(prompt_labels.c.prompt_id == prompt_id, prompt_labels.c.label == label)
        .values(**values)
    ).rowcount
    if not changed:
        conn.execute(prompt_labels.insert().values(prompt_id=prompt_id, label=label, **values))


def _insert_version(
    conn: Connection,
    prompt_id: int,
    kind: str,
    body: Any,
    variables: Any,
    params: dict[str, Any] | None,
    message: str,
    who: audit.Actor,
) -> int:
    """Validate and insert the next version of a prompt; move `latest` to it."""
    body = check_body(kind, body)
    specs = variables_of(variables)
    Template(body, list(specs)).check()
    number = conn.execute(
        select(func.coalesce(func.max(prompt_versions.c.version), 0)).where(
            prompt_versions.c.prompt_id == prompt_id
        )
    ).scalar_one()
    version_id = conn.execute(
        prompt_versions.insert().values(
            prompt_id=prompt_id,
            version=int(number) + 1,
            body=body,
            variables=[v.to_dict() for v in specs],
            params=check_params(params),
            message=(message or "").strip(),
            author_id=who.id,
            author_name=who.name[:200],
            created_at=utcnow(),
        )
    ).inserted_primary_key[0]
    _move_label(conn, prompt_id, LATEST, int(version_id), who)
    return int(version_id)
