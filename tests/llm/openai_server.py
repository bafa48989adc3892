"""A small OpenAI-compatible HTTP server on 127.0.0.1 for tests, scripted per test.

It speaks the real wire format for the endpoints TokenBase calls (`/v1/embeddings`,
`/v1/rerank`, `/v1/chat/completions` as JSON or SSE), records every request, and answers with
whatever the test scripted:

    server.routes["/v1/embeddings"] = lambda body: (200, {...})      # any path, JSON reply
    server.script("m1", Reply("hi"), Status(429, retry_after="1"), Stream(["a", "b"]))
    server.default["m1"] = Reply("ok")                                # once the queue is empty

Chat scripts are queued per model (the request's "model"); a model with nothing scripted
answers 500. Replies: `Reply` (a chat completion), `Stream` (SSE, optional usage chunk,
optional disconnect), `Status` (an error status), `Raw` (any body), `Hang` (sleep, then maybe
answer). HTTP/1.1 with keep-alive; streams use chunked encoding like real servers.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[dict[str, Any]], tuple[int, Any]]


def usage(prompt: int = 10, completion: int = 5, cached: int | None = None, **extra: Any) -> dict:
    body: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        **extra,
    }
    if cached is not None:
        body["prompt_tokens_details"] = {"cached_tokens": cached}
    return body


@dataclass
class Reply:
    """A chat completion with `text` (or tool calls); `usage=None` sends no usage."""

    text: str | None = "ok"
    usage: dict | None = field(default_factory=usage)
    finish_reason: str = "stop"
    tool_calls: list[dict] | None = None
    delay_s: float = 0.0

    def send(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        time.sleep(self.delay_s)
        message: dict[str, Any] = {"role": "assistant", "content": self.text}
        if self.tool_calls:
            message["tool_calls"] = self.tool_calls
        payload: dict[str, Any] = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": body.get("model"),
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
        }
        if self.usage is not None:
            payload["usage"] = self.usage
        _send_json(h, 200, payload)


@dataclass
class Status:
    """An error status with an OpenAI-style error body."""

    status: int
    message: str = "scripted failure"
    retry_after: str | None = None

    def send(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        headers = {"retry-after": self.retry_after} if self.retry_after is not None else {}
        _send_json(h, self.status, {"error": {"message": self.message}}, headers)


@dataclass
class Raw:
    """Any body, e.g. a malformed completion."""

    body: str
    status: int = 200
    content_type: str = "application/json"

    def send(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        data = self.body.encode()
        h.send_response(self.status)
        h.send_header("content-type", self.content_type)
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


@dataclass
class Hang:
    """Sleep longer than the client's timeout, then answer `then` (if the client still listens)."""

    seconds: float
    then: Any = None

    def send(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        time.sleep(self.seconds)
        (self.then or Reply("too late")).send(h, body)


@dataclass
class Stream:
    """An SSE stream of `chunks` (text deltas). `usage` is sent in a last chunk with empty
    choices when the request asked for it (stream_options.include_usage) — or always with
    `usage_always`. `disconnect_after=n` closes the socket after n text chunks; `garbage`
    sends a malformed data line after the chunks; delays make first-token and idle waits."""

    chunks: list[str]
    usage: dict | None = field(default_factory=usage)
    usage_always: bool = False
    disconnect_after: int | None = None
    garbage: bool = False
    first_delay_s: float = 0.0
    between_delay_s: float = 0.0
    finish_reason: str = "stop"
    done: bool = True
    tool_calls: list[dict] | None = None

    def send(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("transfer-encoding", "chunked")
        h.end_headers()
        base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "model": body["model"]}
        time.sleep(self.first_delay_s)
        _chunk(h, _event({**base, "choices": [{"index": 0, "delta": {"role": "assistant"}}]}))
        for i, text in enumerate(self.chunks):
            if self.disconnect_after is not None and i >= self.disconnect_after:
                h.wfile.flush()
                h.close_connection = True
                h.connection.shutdown(2)  # abrupt: no final chunk, no [DONE]
                return
            if i:
                time.sleep(self.between_delay_s)
            delta = {"index": 0, "delta": {"content": text}, "finish_reason": None}
            _chunk(h, _event({**base, "choices": [delta]}))
        if self.garbage:
            _chunk(h, b'data: {"choices": [{"delta": {"content": "x"\n\n')
        last: dict[str, Any] = {"index": 0, "delta": {}, "finish_reason": self.finish_reason}
        if self.tool_calls:
            last["delta"] = {"tool_calls": self.tool_calls}
        _chunk(h, _event({**base, "choices": [last]}))
        wants_usage = (body.get("stream_options") or {}).get("include_usage")
        if self.usage is not None and (wants_usage or self.usage_always):
            _chunk(h, _event({**base, "choices": [], "usage": self.usage}))
        if self.done:
            _chunk(h, b"data: [DONE]\n\n")
        _chunk(h, b"")  # end of the chunked body


def _event(payload: dict) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


def _chunk(h: BaseHTTPRequestHandler, data: bytes) -> None:
    h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    h.wfile.flush()


def _send_json(h: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict | None = None):
    data = json.dumps(payload, ensure_ascii=False).encode()
    h.send_response(status)
    h.send_header("content-type", "application/json")
    h.send_header("content-length", str(len(data)))
    for key, value in (headers or {}).items():
        h.send_header(key, value)
    h.end_headers()
    h.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and left is expected here, not a test failure


class ScriptedServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.scripts: dict[str, deque[Any]] = {}
        self.default: dict[str, Any] = {}
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else headers + body wait on a delayed ACK (40 ms)

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with server._lock:
                    server.requests.append((self.path, body, dict(self.headers)))
                if self.path == "/v1/chat/completions" and self.path not in server.routes:
                    server._next(body.get("model", "")).send(self, body)
                    return
                handler = server.routes.get(self.path)
                if handler is None:
                    status, payload = 404, {"error": {"message": f"no route {self.path}"}}
                else:
                    status, payload = handler(body)
                _send_json(self, status, payload)

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def script(self, model: str, *replies: Any) -> None:
        """Queue replies for `model`, answered in order, one per request."""
        with self._lock:
            self.scripts.setdefault(model, deque()).extend(replies)

    def _next(self, model: str) -> Any:
        with self._lock:
            queue = self.scripts.get(model)
            if queue:
                return queue.popleft()
        return self.default.get(model) or Status(500, f"nothing scripted for model {model}")

    def chat_requests(self, model: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the chat requests received (for one model, if given)."""
        with self._lock:
            return [
                body
                for path, body, _ in self.requests
                if path == "/v1/chat/completions" and (model is None or body.get("model") == model)
            ]

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
