"""HTTP tools: one operation of an OpenAPI 3 document, declared in `[[agents.http_tools]]`.

The tool's argument schema is built from the operation: its path and query parameters (by
name) and, when it takes a JSON body, a `body` argument with the request-body schema (local
`$ref`s resolved). Header values come from environment variables named in `headers_env` and
never reach the model, the trace or the ledger. `impact = "auto"` makes anything but GET/HEAD
high-impact: it waits for a person in the approval queue before it runs.

Red line 1 holds here too: a `deployment = "public"` tool is refused once the turn has read
classified (机密/绝密) text, so a model cannot carry it out through a tool call.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from ...config import HttpToolSettings
from ...guard.redline import RedLinePolicy, data_level, refusal_message
from .contract import ToolContext, ToolFailed, ToolOutput, ToolSpec

METHODS = ("get", "put", "post", "delete", "patch", "head")
MAX_RESPONSE = 200_000  # bytes read from a response


class HttpToolError(ValueError):
    """An `[[agents.http_tools]]` entry that cannot be used; the message says which and why."""


def _load_document(path: Path, where: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HttpToolError(f"{where}: cannot read the OpenAPI file {path}: {exc}") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            document = yaml.safe_load(text)
        else:
            document = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - yaml and json raise different errors
        raise HttpToolError(f"{where}: {path} is not valid JSON/YAML: {exc}") from None
    if not isinstance(document, dict) or "paths" not in document:
        raise HttpToolError(f"{where}: {path} has no `paths`: is it an OpenAPI 3 document?")
    return document


def _resolve(node: Any, document: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """`node` with local `$ref`s (#/components/...) replaced by what they point at."""
    if isinstance(node, list):
        return [_resolve(item, document, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if not ref.startswith("#/") or ref in seen:
            return {}  # remote or recursive: accept anything there
        target: Any = document
        for part in ref[2:].split("/"):
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        return _resolve(target, document, (*seen, ref))
    return {key: _resolve(value, document, seen) for key, value in node.items()}


def _find_operation(
    document: dict[str, Any], operation_id: str, where: str
) -> tuple[str, str, dict[str, Any], list[dict[str, Any]]]:
    found = []
    for path, item in (document.get("paths") or {}).items():
        shared = item.get("parameters") or []
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            found.append(operation.get("operationId", ""))
            if operation.get("operationId") == operation_id:
                return path, method, operation, shared
    known = ", ".join(sorted(f for f in found if f)) or "none"
    raise HttpToolError(f"{where}: no operationId {operation_id!r} (the file has: {known})")


class HttpTool:
    def __init__(self, settings: HttpToolSettings, index: int = 0) -> None:
        where = f"agents.http_tools[{index}] ({settings.name})"
        document = _load_document(settings.openapi, where)
        path, method, operation, shared = _find_operation(document, settings.operation, where)
        self.settings = settings
        self.name = settings.name
        self.path, self.method = path, method.upper()
        base = settings.base_url or ((document.get("servers") or [{}])[0].get("url") or "")
        if not base.startswith(("http://", "https://")):
            raise HttpToolError(f"{where}: set base_url (the OpenAPI servers entry is {base!r})")
        self.base_url = base.rstrip("/")
        missing = [h for h, env in settings.headers_env.items() if not os.environ.get(env)]
        self._missing_headers = missing
        self.parameters: dict[str, str] = {}  # argument name -> "path" | "query" | "header"
        properties: dict[str, Any] = {}
        required: list[str] = []
        for raw in [*shared, *(operation.get("parameters") or [])]:
            parameter = _resolve(raw, document)
            name, where_in = parameter.get("name"), parameter.get("in")
            if not name or where_in not in ("path", "query", "header"):
                continue
            self.parameters[name] = where_in
            schema = dict(parameter.get("schema") or {"type": "string"})
            if parameter.get("description"):
                schema["description"] = parameter["description"]
            properties[name] = schema
            if parameter.get("required") or where_in == "path":
                required.append(name)
        body = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
        self.has_body = body is not None
        if body is not None:
            properties["body"] = _resolve(body.get("schema") or {"type": "object"}, document)
            if (operation.get("requestBody") or {}).get("required"):
                required.append("body")
        impact = settings.impact
        if impact == "auto":
            impact = "low" if self.method in ("GET", "HEAD") else "high"
        description = (
            settings.description
            or operation.get("summary")
            or operation.get("description")
            or f"{self.method} {path}"
        )
        self.summary = f"{description} ({self.method} {path})"
        self._spec = ToolSpec(
            self.name,
            description,
            {"type": "object", "properties": properties, "required": sorted(set(required))},
            impact,  # type: ignore[arg-type]
        )

    def spec(self, context: ToolContext | None = None) -> ToolSpec:
        return self._spec

    def run(self, context: ToolContext, arguments: dict[str, Any]) -> ToolOutput:
        self.check_red_line(context.platform.gateway.redline, data_level())
        return self.invoke(arguments)

    def check_red_line(self, policy: RedLinePolicy, level: int) -> None:
        """Refuse a public service once the turn has read text at or above the red line."""
        if self.settings.deployment == "public" and policy.applies(level):
            raise ToolFailed(refusal_message(level).replace("公有云大模型", "公网服务"))

    def invoke(self, arguments: dict[str, Any]) -> ToolOutput:
        """Make the HTTP call. Raises ToolFailed for a refused, failed or non-2xx call."""
        if self._missing_headers:
            raise ToolFailed(
                f"tool {self.name} is not configured: env var(s) for header(s) "
                f"{', '.join(self._missing_headers)} are not set"
            )
        path = self.path
        query: dict[str, Any] = {}
        headers = {h: os.environ[env] for h, env in self.settings.headers_env.items()}
        for name, where_in in self.parameters.items():
            if name not in arguments:
                continue
            value = arguments[name]
            if where_in == "path":
                path = path.replace("{" + name + "}", quote(str(value), safe=""))
            elif where_in == "query":
                query[name] = value
            elif name.lower() not in {h.lower() for h in headers}:
                headers[name] = str(value)
        started = time.perf_counter()
        try:
            response = httpx.request(
                self.method,
                self.base_url + path,
                params=query or None,
                json=arguments.get("body") if self.has_body else None,
                headers=headers,
                timeout=self.settings.timeout_s,
            )
        except httpx.HTTPError as exc:
            raise ToolFailed(f"{self.method} {self.path} failed: {type(exc).__name__}") from None
        elapsed = (time.perf_counter() - started) * 1000
        text = response.content[:MAX_RESPONSE].decode(response.encoding or "utf-8", "replace")
        try:
            text = json.dumps(json.loads(text), ensure_ascii=False, indent=1)
        except ValueError:
            pass
        if response.status_code >= 400:
            status = response.status_code
            raise ToolFailed(f"{self.method} {self.path} → HTTP {status}: {text[:500]}")
        return ToolOutput(
            f"HTTP {response.status_code}\n{text}",
            data=text,
            detail={"status": response.status_code, "ms": round(elapsed, 1)},
        )
