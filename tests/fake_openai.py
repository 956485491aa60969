"""A small, deliberately misbehaving OpenAI-compatible chat server for the fault tests.

Runs ``http.server`` in a daemon thread on 127.0.0.1. Each request to ``/v1/chat/completions`` takes the next
behaviour from ``script`` (the last one repeats):

- ``"ok"``       a normal reply (SSE stream when the request asks for one), text = ``reply``;
- ``"429"``      HTTP 429 with ``retry-after-ms: 50``;
- ``"500"``      HTTP 500;
- ``"500echo"``  HTTP 500 whose body echoes the request's Authorization header (a leaky server);
- ``"401echo"``  HTTP 401 whose body echoes the Authorization header;
- ``"sleep"``    sleeps ``sleep_seconds`` before answering (to trip the client's timeout);
- ``"garbage"``  starts a valid SSE stream, then sends a line that is not JSON;
- ``"hangup"``   starts a valid SSE stream, then closes the connection without ``[DONE]``.

Every request is recorded in ``requests`` (path, headers, JSON body) so tests can count retries and read the
prompt the pipeline sent.

    with FakeOpenAI(script=["429", "ok"], reply="... [1]") as fake:
        settings = ...(OPENAI_BASE_URL=fake.base_url)
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeOpenAI"]


class FakeOpenAI:
    def __init__(self, script: list[str] | None = None, reply: str = "I do not know.", sleep_seconds: float = 5.0):
        self.script = list(script or ["ok"])
        self.reply = reply
        self.sleep_seconds = sleep_seconds
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # clients that time out and hang up are expected
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ----------------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "FakeOpenAI":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def _next(self) -> str:
        with self._lock:
            n = len(self.chat_requests)
            return self.script[min(n - 1, len(self.script) - 1)]

    # -- the handler --------------------------------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send_json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
                else:
                    self._send_json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with fake._lock:
                    fake.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                                          "time": time.monotonic()})
                if not self.path.endswith("/chat/completions"):
                    self._send_json(404, {"error": {"message": "not found"}})
                    return
                behaviour = fake._next()
                auth = self.headers.get("authorization", "")
                if behaviour == "429":
                    self._send_json(429, {"error": {"message": "Rate limit reached", "type": "rate_limit"}},
                                    {"retry-after-ms": "50"})
                elif behaviour == "500":
                    self._send_json(500, {"error": {"message": "internal failure", "type": "server_error"}})
                elif behaviour == "500echo":
                    self._send_json(500, {"error": {"message": f"upstream rejected header {auth}"}})
                elif behaviour == "401echo":
                    self._send_json(401, {"error": {"message": f"Incorrect API key provided: {auth}",
                                                    "type": "invalid_request_error", "code": "invalid_api_key"}})
                elif behaviour == "sleep":
                    fake._stop.wait(fake.sleep_seconds)
                    self._reply(body)
                else:
                    self._reply(body, behaviour)

            def _reply(self, body: dict[str, Any], behaviour: str = "ok") -> None:
                text = fake.reply
                if not body.get("stream"):
                    self._send_json(200, {
                        "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": "fake",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                     "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    })
                    return
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.send_header("connection", "close")
                self.end_headers()
                words = text.split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                if behaviour in ("garbage", "hangup"):
                    pieces = pieces[: max(1, len(pieces) // 2)]
                for piece in pieces:
                    self._event({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                                 "model": "fake", "choices": [{"index": 0, "delta": {"content": piece},
                                                               "finish_reason": None}]})
                if behaviour == "garbage":
                    self.wfile.write(b"data: {this is not json at all\n\n")
                    self.wfile.flush()
                    return
                if behaviour == "hangup":
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._event({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": "fake",
                             "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _event(self, obj: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
                self.wfile.flush()

        return Handler
