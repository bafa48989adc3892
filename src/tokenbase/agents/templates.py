"""Agent templates (智能体超市): an agent as one portable file, exported here and imported there.

The file is JSON (UTF-8), version 1::

    {
      "format": "tokenbase.agent-template",
      "version": 1,
      "key": "hr-policy",                      # optional: a short id for listings
      "agent": {                               # the spec; no ids, no `allowed` (both local)
        "name": "hr-policy", "display_name": "人事制度助手", "description": "...",
        "avatar": "🧑‍💼", "tier": "", "tools": ["kb_search"], "scenario": "",
        "kbs": ["hr-policy"],                  # knowledge bases by name
        "prompt_ref": "hr-policy.answer"       # '' = the built-in answer prompt
      },
      "prompt": {                              # null when prompt_ref is ''
        "name": "hr-policy.answer", "kind": "chat", "description": "...",
        "versions": [{"version": 1, "body": [...], "variables": [...], "params": {...},
                      "message": "..."}],
        "labels": {"production": 1}            # label -> version (never `latest`)
      },
      "knowledge": [                           # optional sample knowledge
        {"name": "hr-policy", "description": "...",
         "documents": [{"filename": "差旅制度.md", "text": "# ..."},
                       {"filename": "报价单.xlsx", "content": "<base64>",
                        "classification": 1, "usage": "internal"}]}
      ]
    }

An agent prompt is rendered like the built-in `kb.answer.zh`: it takes `sources` (the numbered
source blocks) and `question` (and `history` if it declares it), so a chat prompt ending in a
user message "资料：{{sources}} 问题：{{question}}" is the usual shape.

    data = export_agent(platform, "hr", include_knowledge=True)
    result = import_template(other, data, name="hr2", created_by=admin_id)
    result.agent, result.warnings
    import_template(platform, load_builtin_template("sales-proposal"))

Importing never overwrites history: a prompt that exists with the same text is reused; one
with different text gets the template's versions committed on top (its labels are left where
they are, and the agent is pinned to the imported version). Sample documents go through the
normal ingestor into knowledge bases the import creates; existing knowledge bases are left
alone. Tools this installation does not know are dropped with a warning.

Errors (all AgentError, see errors.py)::

    InvalidTemplate       not a template, unsupported version, a missing or wrong field,
    │                     a knowledge base that exists neither here nor in the file
    └── TemplateTooLarge  the sample knowledge is over MAX_KNOWLEDGE_BYTES
    AgentExists / InvalidAgent / AgentNotFound   from the registry
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select

from .. import __version__
from ..db.schema import agents, documents, knowledge_bases
from ..guard import audit
from ..identity.clock import utcnow
from ..identity.users import get_user
from ..ingest import jobs as jobstore
from ..ingest.blobs import get_blob, put_blob
from ..ingest.catalog import get_or_create_kb
from ..ingest.pipeline import ProgressSink
from ..ingest.registry import supported_extensions
from ..kb.platform import Platform
from ..prompts.errors import LabelNotAllowed, PromptError, PromptNotFound
from ..prompts.library import (
    LABEL,
    LATEST,
    PromptVersion,
    check_body,
    check_params,
    parse_ref,
    variables_of,
)
from ..prompts.render import Template
from .errors import AgentError, AgentExists, InvalidAgent
from .registry import NAME, RESERVED, Agent, AgentSpec, create_agent, get_agent

FORMAT = "tokenbase.agent-template"
VERSION = 1
MAX_KNOWLEDGE_BYTES = 20 * 1024 * 1024  # the sample documents' bytes, before base64
AGENT_FIELDS = ("display_name", "description", "avatar", "tier", "scenario", "prompt", "prompt_ref")
TEXT_EXTENSIONS = (".md", ".markdown", ".txt", ".text")


class InvalidTemplate(AgentError):
    code = "invalid_agent_template"


class TemplateTooLarge(InvalidTemplate):
    code = "agent_template_too_large"


@dataclass
class ImportResult:
    """What an import did. `prompt_action`: created | reused | new_versions | none."""

    agent: Agent
    prompt_action: str = "none"
    knowledge_bases: list[str] = field(default_factory=list)  # created by this import
    documents: int = 0  # sample documents ingested
    failed: list[str] = field(default_factory=list)  # "filename: why"
    dropped_tools: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["agent"] = self.agent.to_dict()
        return data


@dataclass
class TemplateInfo:
    """One shipped template, as `tokenbase agent templates` and GET /agent-templates list it."""

    key: str
    display_name: str
    avatar: str
    description: str
    tools: list[str]
    knowledge_bases: list[str]
    documents: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- export ------------------------------------------------------------------------------------
def export_agent(platform: Platform, name: str, *, include_knowledge: bool = False) -> dict:
    """The agent `name` as a template dict (json.dumps it to write the file). With
    `include_knowledge`, the documents of its knowledge bases too: the original files where
    the `blobs` table has them, else their extracted text as markdown. Raises AgentNotFound,
    InvalidTemplate (knowledge asked for an agent without named knowledge bases) and
    TemplateTooLarge (over MAX_KNOWLEDGE_BYTES)."""
    with platform.db.engine.connect() as conn:
        agent = get_agent(conn, name)
    spec = {"name": agent.name, "tools": list(agent.tools), "kbs": list(agent.kbs)}
    spec.update({key: getattr(agent, key) for key in AGENT_FIELDS})
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "key": agent.name,
        "exported_at": utcnow().isoformat(),
        "exported_by": f"tokenbase {__version__}",
        "agent": spec,
        "prompt": _export_prompt(platform, agent.prompt_ref) if agent.prompt_ref else None,
    }
    if include_knowledge:
        data["knowledge"] = _export_knowledge(platform, agent)
    return data


def _export_prompt(platform: Platform, ref: str) -> dict[str, Any]:
    library = platform.prompts
    prompt_name = parse_ref(ref)[0]
    try:
        header = library.prompt(prompt_name)
    except PromptError as exc:
        raise InvalidTemplate(
            f"the agent's prompt_ref {ref!r} names no prompt in the library; set an existing "
            "one (PATCH /agents/NAME) before exporting"
        ) from exc
    return {
        "name": header.name,
        "kind": header.kind,
        "description": header.description,
        "versions": [
            {
                "version": v.version,
                "body": v.body,
                "variables": [var.to_dict() for var in v.variables],
                "params": dict(v.params),
                "message": v.message,
            }
            for v in reversed(library.versions(prompt_name))
        ],
        "labels": {k: v for k, v in sorted(header.labels.items()) if k != LATEST},
    }


def _filename(row: Any) -> str:
    if row.source_kind == "file":
        return PurePosixPath(row.source.replace("\\", "/")).name
    if row.source.startswith("upload:"):
        return PurePosixPath(row.source[len("upload:") :]).name
    return ""


def _export_knowledge(platform: Platform, agent: Agent) -> list[dict[str, Any]]:
    if not agent.kbs:
        raise InvalidTemplate(
            f"agent {agent.name} searches every knowledge base its user may read (no `kbs`), so "
            "there is no sample knowledge to export; export it without knowledge"
        )
    known = supported_extensions()
    total, out = 0, []
    with platform.db.engine.connect() as conn:
        for kb_name in agent.kbs:
            kb = conn.execute(select(knowledge_bases).where(knowledge_bases.c.name == kb_name))
            kb_row = kb.first()
            if kb_row is None:
                continue
            rows = conn.execute(
                select(documents)
                .where(documents.c.kb_id == kb_row.id, documents.c.status != "failed")
                .order_by(documents.c.title, documents.c.id)
            ).all()
            docs, seen = [], set()
            for row in rows:
                name = _filename(row)
                data = get_blob(conn, row.content_hash) if name else None
                if data is not None and PurePosixPath(name.lower()).suffix in known:
                    doc: dict[str, Any] = {"filename": name}
                    doc["content"] = base64.b64encode(data).decode("ascii")
                    total += len(data)
                else:  # a URL, SQL rows, or an original no longer stored: its text
                    name = f"{row.title or row.id}.md".replace("/", "_")
                    doc = {"filename": name, "text": row.text}
                    total += len(row.text.encode("utf-8"))
                if name in seen:
                    name = f"{row.id}-{name}"
                    doc["filename"] = name
                seen.add(name)
                doc.update(classification=row.classification, usage=row.usage)
                docs.append(doc)
                if total > MAX_KNOWLEDGE_BYTES:
                    raise TemplateTooLarge(
                        f"the knowledge of agent {agent.name} is over "
                        f"{MAX_KNOWLEDGE_BYTES // (1024 * 1024)} MB, more than a template may "
                        "carry; export it without knowledge and copy the documents separately"
                    )
            out.append({"name": kb_name, "description": kb_row.description, "documents": docs})
    return out


# -- validation --------------------------------------------------------------------------------
def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidTemplate(f"{where} must be a list of names (strings)")
    return value


def check_template(data: Any) -> dict[str, Any]:
    """Check a template's shape; returns it. Raises InvalidTemplate saying what is wrong
    (with its place in the file) and what to do."""
    if not isinstance(data, dict):
        raise InvalidTemplate(
            f"an agent template is a JSON object, not a {type(data).__name__}; "
            "`tokenbase agent export NAME` writes one"
        )
    if data.get("format") != FORMAT:
        raise InvalidTemplate(
            f"not an agent template: `format` must be {FORMAT!r} (found "
            f"{data.get('format')!r}); `tokenbase agent export NAME` writes one"
        )
    version = data.get("version")
    if version != VERSION:
        raise InvalidTemplate(
            f"agent template version {version!r} is not supported: this TokenBase reads version "
            f"{VERSION}; export the agent again from a matching TokenBase, or upgrade this one"
        )
    agent = data.get("agent")
    if not isinstance(agent, dict) or not isinstance(agent.get("name"), str):
        raise InvalidTemplate("the template has no `agent` object with a `name`; add one")
    for key in AGENT_FIELDS:
        if not isinstance(agent.get(key, ""), str):
            raise InvalidTemplate(f"agent.{key} must be text")
    _strings(agent.get("tools", []), "agent.tools")
    _strings(agent.get("kbs", []), "agent.kbs")
    prompt = data.get("prompt")
    if prompt is not None:  # none, with a prompt_ref: the library here must have it
        _check_prompt(prompt, agent.get("prompt_ref", ""))
    knowledge = data.get("knowledge") or []
    if not isinstance(knowledge, list):
        raise InvalidTemplate("`knowledge` must be a list of knowledge bases")
    total = sum(_check_kb(kb, f"knowledge[{i}]") for i, kb in enumerate(knowledge))
    if total > MAX_KNOWLEDGE_BYTES:
        raise TemplateTooLarge(
            f"the template's sample knowledge is over {MAX_KNOWLEDGE_BYTES // (1024 * 1024)} MB; "
            "import it without its knowledge (--no-knowledge, or knowledge=false)"
        )
    return data


def _check_prompt(prompt: Any, ref: str) -> None:
    if not isinstance(prompt, dict) or not isinstance(prompt.get("name"), str):
        raise InvalidTemplate("prompt must be an object with a `name` (or null for no prompt)")
    if not ref or parse_ref(ref)[0] != prompt["name"]:
        raise InvalidTemplate(
            f"agent.prompt_ref {ref!r} does not name the template's prompt {prompt['name']!r}; "
            f"set it to {prompt['name']!r} (or '{prompt['name']}:<label>')"
        )
    if prompt.get("kind") not in ("text", "chat"):
        raise InvalidTemplate("prompt.kind must be 'text' or 'chat'")
    versions = prompt.get("versions")
    if not isinstance(versions, list) or not versions:
        raise InvalidTemplate("prompt.versions must be a non-empty list of versions")
    numbers = []
    for i, v in enumerate(versions):
        if not isinstance(v, dict) or "body" not in v or not isinstance(v.get("version"), int):
            raise InvalidTemplate(f"prompt.versions[{i}] needs a `version` number and a `body`")
        try:  # what the library would refuse, found before anything is written
            body = check_body(prompt["kind"], v["body"])
            Template(body, list(variables_of(v.get("variables")))).check()
            check_params(v.get("params"))
        except (TypeError, ValueError, AttributeError) as exc:  # PromptError is a ValueError
            raise InvalidTemplate(f"prompt.versions[{i}]: {exc}") from exc
        numbers.append(v["version"])
    if numbers != sorted(set(numbers)):
        raise InvalidTemplate("prompt.versions must be in order, each version number once")
    labels = prompt.get("labels") or {}
    if not isinstance(labels, dict) or any(n not in numbers for n in labels.values()):
        raise InvalidTemplate("prompt.labels must map labels to version numbers in the file")
    for label in labels:
        if label == LATEST or not LABEL.match(label):
            raise InvalidTemplate(
                f"prompt.labels: {label!r} cannot be set (lower-case letters, digits, '.', '_' "
                "and '-'; `latest` moves by itself)"
            )


def _check_kb(kb: Any, where: str) -> int:
    """Check one knowledge base entry; returns its documents' size in bytes."""
    if not isinstance(kb, dict) or not isinstance(kb.get("name"), str) or not kb["name"]:
        raise InvalidTemplate(f"{where} must be an object with a `name`")
    docs = kb.get("documents", [])
    if not isinstance(docs, list):
        raise InvalidTemplate(f"{where}.documents must be a list")
    known, size = supported_extensions(), 0
    for j, doc in enumerate(docs):
        spot = f"{where}.documents[{j}]"
        if not isinstance(doc, dict) or not isinstance(doc.get("filename"), str):
            raise InvalidTemplate(f"{spot} needs a `filename`")
        if PurePosixPath(doc["filename"].lower()).suffix not in known:
            raise InvalidTemplate(
                f"{spot}: {doc['filename']!r} is not a supported file type; use one of "
                f"{', '.join(sorted(known))}"
            )
        if not isinstance(doc.get("text"), str) and not isinstance(doc.get("content"), str):
            raise InvalidTemplate(f"{spot} needs `text` (markdown) or `content` (base64)")
        size += len(_document_bytes(doc, spot))
    return size


def _document_bytes(doc: dict[str, Any], where: str) -> bytes:
    if isinstance(doc.get("text"), str):
        return str(doc["text"]).encode("utf-8")
    try:
        return base64.b64decode(doc["content"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidTemplate(f"{where}.content is not valid base64") from exc


# -- import ------------------------------------------------------------------------------------
def import_template(
    platform: Platform,
    data: Any,
    *,
    name: str | None = None,
    created_by: int | None = None,
    knowledge: bool = True,
    progress: ProgressSink | None = None,
) -> ImportResult:
    """Create the template's agent here (as `name`, default the template's), with its prompt
    and, when `knowledge`, its sample knowledge. `created_by` (a user id) is recorded as the
    agent's creator and the prompt's author; setting a protected label (production) needs it
    to be an administrator, otherwise the agent is pinned to the version and a warning says
    so. Raises InvalidTemplate, AgentExists, InvalidAgent."""
    check_template(data)
    spec_data = data["agent"]
    name = name or spec_data["name"]
    if not NAME.match(name) or name in RESERVED:
        raise InvalidAgent(
            f"agent name {name!r} must be a lowercase ascii slug (a-z, 0-9, '.', '_', '-') "
            "other than 'auto'; import under another name with --name NAME"
        )
    with platform.db.engine.connect() as conn:
        if conn.execute(select(agents.c.id).where(agents.c.name == name)).first():
            raise AgentExists(
                f"an agent named {name!r} already exists; import under another name "
                '(--name NAME, or "name" in the API request)'
            )
        existing_kbs = set(conn.execute(select(knowledge_bases.c.name)).scalars())
        actor = audit.Actor(created_by, get_user(conn, created_by).username) if created_by else None
    sample = {kb["name"]: kb for kb in data.get("knowledge") or []} if knowledge else {}
    if missing := [k for k in spec_data.get("kbs", []) if k not in existing_kbs | set(sample)]:
        hint = "import it with its sample knowledge, or " if data.get("knowledge") else ""
        raise InvalidTemplate(
            f"the agent searches knowledge base(s) {', '.join(missing)}, which do not exist here "
            f"and are not in the template; {hint}create them first "
            f"(`tokenbase ingest FILES --kb {missing[0]}`)"
        )
    result = ImportResult(Agent(name))
    spec = AgentSpec(name, kbs=list(spec_data.get("kbs", [])))
    for key in AGENT_FIELDS:
        setattr(spec, key, spec_data.get(key, ""))
    spec.tools = _known_tools(platform, spec_data.get("tools", []), result)
    if data.get("prompt"):
        spec.prompt_ref = _import_prompt(platform, data["prompt"], spec.prompt_ref, actor, result)
    elif spec.prompt_ref:
        try:
            platform.prompts.resolve(spec.prompt_ref)
        except PromptError as exc:
            raise InvalidTemplate(
                f"agent.prompt_ref {spec.prompt_ref!r} is not in this prompt library and the "
                "template carries no `prompt`; export the agent again (it includes its prompt)"
            ) from exc
    for kb_name, kb in sample.items():
        if kb_name in existing_kbs:
            result.warnings.append(
                f"knowledge base {kb_name} exists here: its sample documents were not added"
            )
            continue
        _ingest_sample(platform, kb, result, progress)
    with platform.db.engine.begin() as conn:
        result.agent = create_agent(conn, spec, created_by)
    return result


def _known_tools(platform: Platform, names: list[str], result: ImportResult) -> list[str]:
    try:
        from .tools import known_tools
    except ImportError:  # an installation without agent tools: keep the names as they are
        return list(names)
    try:
        known = set(known_tools(platform.settings))
    except ValueError as exc:  # a broken [[agents.http_tools]] entry
        result.warnings.append(f"tools were not checked: {exc}")
        return list(names)
    result.dropped_tools = [n for n in names if n not in known]
    if result.dropped_tools:
        result.warnings.append(
            f"tool(s) {', '.join(result.dropped_tools)} are not known here and were dropped; "
            "declare HTTP tools in [[agents.http_tools]] and add them with PATCH /agents/NAME"
        )
    return [n for n in names if n in known]


def _same(version: PromptVersion, item: dict[str, Any]) -> bool:
    variables = [v.to_dict() for v in version.variables]
    return (version.body, variables, dict(version.params)) == (
        item["body"],
        item.get("variables") or [],
        item.get("params") or {},
    )


def _target(prompt: dict[str, Any], ref: str) -> int:
    """The template's version number the agent's reference points at."""
    _, number, label = parse_ref(ref)
    labels = prompt.get("labels") or {}
    latest = int(prompt["versions"][-1]["version"])
    if number is not None:
        if all(v["version"] != number for v in prompt["versions"]):
            raise InvalidTemplate(f"agent.prompt_ref {ref!r}: the prompt has no version {number}")
        return number
    if label is None:  # production, else latest (as PromptLibrary.get)
        return int(labels.get("production", latest))
    if label == LATEST:
        return latest
    if label not in labels:
        raise InvalidTemplate(f"agent.prompt_ref {ref!r}: the prompt has no label {label!r}")
    return int(labels[label])


def _import_prompt(
    platform: Platform,
    prompt: dict[str, Any],
    ref: str,
    actor: audit.Actor | None,
    result: ImportResult,
) -> str:
    """Bring the template's prompt into the library; returns the agent's prompt_ref here."""
    library, prompt_name = platform.prompts, prompt["name"]
    target = _target(prompt, ref)
    wanted = next(v for v in prompt["versions"] if v["version"] == target)
    try:
        try:
            header = library.prompt(prompt_name)
        except PromptNotFound:
            numbers = _create_prompt(library, prompt, actor, result)
            result.prompt_action = "created"
            resolved = _resolve(library, ref)
            if resolved is not None and resolved.version == numbers[target]:
                return ref
            return f"{prompt_name}@{numbers[target]}"
        if header.kind != prompt["kind"]:
            raise InvalidTemplate(
                f"prompt {prompt_name} exists here as a {header.kind} prompt and the "
                f"template's is a {prompt['kind']} prompt; rename one of them"
            )
        current = _resolve(library, ref)
        if current is not None and _same(current, wanted):
            result.prompt_action = "reused"
            return ref
        latest = library.get(prompt_name, LATEST)
        if _same(latest, wanted):
            result.prompt_action = "reused"
            return f"{prompt_name}@{latest.version}"
        numbers = _commit_all(library, prompt_name, prompt["versions"], actor)
    except PromptError as exc:
        raise InvalidTemplate(f"prompt {prompt_name}: {exc}") from exc
    result.prompt_action = "new_versions"
    result.warnings.append(
        f"prompt {prompt_name} exists here with different text: the template's versions were "
        f"added as versions {min(numbers.values())}–{max(numbers.values())} and its labels "
        f"were left as they are; the agent uses {prompt_name}@{numbers[target]}"
    )
    return f"{prompt_name}@{numbers[target]}"


def _create_prompt(
    library: Any, prompt: dict[str, Any], actor: audit.Actor | None, result: ImportResult
) -> dict[int, int]:
    """A new prompt with the template's versions and labels; template number -> number here
    (the same numbers). A protected label the actor may not set becomes a warning."""
    prompt_name = prompt["name"]
    first, *rest = prompt["versions"]
    created = library.create(
        prompt_name,
        first["body"],
        variables=first.get("variables") or [],
        params=first.get("params") or {},
        message=first.get("message") or "imported",
        description=prompt.get("description") or "",
        author=actor,
    )
    numbers = {first["version"]: created.version}
    numbers.update(_commit_all(library, prompt_name, rest, actor, note=False))
    for label, number in sorted((prompt.get("labels") or {}).items()):
        try:
            library.set_label(prompt_name, label, numbers[number], actor=actor, admin=True)
        except LabelNotAllowed:
            result.warnings.append(
                f"label {label} of prompt {prompt_name} was not set (it needs an administrator): "
                f"`tokenbase prompt label {prompt_name} {numbers[number]} {label} --as ADMIN`"
            )
    return numbers


def _resolve(library: Any, ref: str) -> PromptVersion | None:
    try:
        return library.resolve(ref)
    except PromptError:
        return None


def _commit_all(
    library: Any,
    prompt_name: str,
    versions: list[dict[str, Any]],
    actor: audit.Actor | None,
    *,
    note: bool = True,
) -> dict[int, int]:
    """Commit each version on top, in order; template number -> number here. With `note`,
    each message says which template version it came from."""
    numbers = {}
    for item in versions:
        message = item.get("message") or "imported"
        if note:
            message = f"{message} (imported: template version {item['version']})"
        committed = library.commit(
            prompt_name,
            item["body"],
            variables=item.get("variables") or [],
            params=item.get("params") or {},
            message=message,
            author=actor,
        )
        numbers[item["version"]] = committed.version
    return numbers


def _ingest_sample(
    platform: Platform, kb: dict[str, Any], result: ImportResult, progress: ProgressSink | None
) -> None:
    """Create the knowledge base and ingest its sample documents through the ingestor (as an
    upload: the bytes go to `blobs`, the job reads them from there)."""
    docs = kb.get("documents", [])
    payloads = [_document_bytes(d, d["filename"]) for d in docs]  # checked: check_template
    job_ids, names = [], {}
    with platform.db.engine.begin() as conn:
        kb_id = get_or_create_kb(conn, kb["name"], kb.get("description") or "")
        for doc, payload in zip(docs, payloads, strict=True):
            filename = PurePosixPath(doc["filename"]).name
            options = {
                "kind": "upload",
                "location": f"upload:{filename}",
                "name": filename,
                "classification": doc.get("classification"),
                "licence": doc.get("licence") or "",
                "usage": doc.get("usage") or "internal",
                "title": None,
                "blob": put_blob(conn, payload),
            }
            job_id = jobstore.create_job(conn, kb_id, options["location"], "upload", options)
            job_ids.append(job_id)
            names[job_id] = filename
    result.knowledge_bases.append(kb["name"])
    if not job_ids:
        return
    summary = platform.ingestor().run(job_ids, progress)
    result.documents += len(summary.done) + len(summary.skipped)
    for job_id in summary.failed:
        row = jobstore.list_jobs(platform.db.engine, ids=[job_id], limit=1)
        reason = row[0].message if row else "failed"
        result.failed.append(f"{names[job_id]}: {reason}")
    if result.failed:
        result.warnings.append(f"{len(result.failed)} sample document(s) failed to ingest")


# -- shipped templates -------------------------------------------------------------------------
def templates_dir() -> Path:
    return Path(str(files("tokenbase.agents") / "data" / "templates"))


def load_template_dir(folder: Path) -> dict[str, Any]:
    """A template kept as a folder (as the shipped ones are): `template.json` with everything
    but the documents, and `knowledge/<kb>/<file>` for each knowledge base's documents."""
    data = json.loads((folder / "template.json").read_text(encoding="utf-8"))
    for kb in data.get("knowledge") or []:
        found = folder / "knowledge" / str(kb.get("name"))
        if "documents" not in kb and found.is_dir():
            kb["documents"] = [
                {"filename": f.name, "text": f.read_text(encoding="utf-8")}
                if f.suffix.lower() in TEXT_EXTENSIONS
                else {"filename": f.name, "content": base64.b64encode(f.read_bytes()).decode()}
                for f in sorted(found.iterdir())
                if f.is_file()
            ]
    return data


def load_builtin_template(key: str) -> dict[str, Any]:
    """A shipped template by key (see `list_builtin_templates`). Raises InvalidTemplate."""
    folder = templates_dir() / key
    if not key or "/" in key or "\\" in key or not (folder / "template.json").is_file():
        keys = ", ".join(t.key for t in list_builtin_templates())
        raise InvalidTemplate(f"no shipped agent template {key!r}; choose one of: {keys}")
    return load_template_dir(folder)


def list_builtin_templates() -> list[TemplateInfo]:
    """The shipped templates, by key."""
    out = []
    for folder in sorted(p for p in templates_dir().iterdir() if (p / "template.json").is_file()):
        data = load_template_dir(folder)
        agent, kbs = data["agent"], data.get("knowledge") or []
        out.append(
            TemplateInfo(
                folder.name,
                agent.get("display_name", ""),
                agent.get("avatar", ""),
                agent.get("description", ""),
                list(agent.get("tools", [])),
                [kb["name"] for kb in kbs],
                sum(len(kb.get("documents", [])) for kb in kbs),
            )
        )
    return out
