"""A scripted OpenAI-compatible `/v1/audio/transcriptions` server (multipart uploads): the
shared ScriptedServer json-decodes POST bodies, so audio gets its own small server."""

from __future__ import annotations

import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class TranscriptionServer:
    """Answers each upload with `reply` (status, JSON body); records (fields, files, headers)."""

    def __init__(self, reply: tuple[int, Any] = (200, {"text": ""})) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                head = f"content-type: {self.headers.get('content-type')}\r\n\r\n".encode()
                message = BytesParser(policy=HTTP).parsebytes(head + body)
                fields, files = {}, {}
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if part.get_filename():
                        files[name] = (
                            part.get_filename(),
                            part.get_content_type(),
                            part.get_payload(decode=True),
                        )
                    else:
                        fields[name] = part.get_payload(decode=True).decode()
                server.requests.append(
                    {
                        "path": self.path,
                        "fields": fields,
                        "files": files,
                        "headers": dict(self.headers),
                    }
                )
                status, payload = server.reply
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> TranscriptionServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
