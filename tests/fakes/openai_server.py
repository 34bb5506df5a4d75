"""A fake OpenAI-compatible endpoint: a real HTTP server on 127.0.0.1, in a thread.

    with fake_openai_server() as fake:
        settings = make_settings(..., translator="openai", openai_url=fake.url,
                                 openai_model="fake-model")
        ...
        assert fake.requests[0].body["model"] == "fake-model"

It answers ``POST /v1/chat/completions`` with whatever ``respond(body)`` returns: a string
is the reply's ``choices[0].message.content``; ``(status, text)`` is sent as it is; and
:data:`HANG` never answers (until the server stops), for timeouts. The default responder
knows a few English <-> Portuguese phrases and otherwise answers ``"[<target>] <text>"``,
reading the target from the ``(source: xx, target: yy)`` the engine's prompt carries.
``fake.respond`` can be swapped at any time.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Hang:
    def __repr__(self) -> str:
        return "HANG"


HANG = _Hang()
Reply = str | tuple[int, str] | _Hang
Responder = Callable[[dict[str, Any]], Reply]

PHRASES: dict[tuple[str, str], dict[str, str]] = {
    ("en", "pt"): {
        "Good morning": "Bom dia",
        "Thank you": "Obrigado",
        "See you tomorrow": "Até amanhã",
        "Where is the meeting?": "Onde é a reunião?",
    },
}
for (_s, _t), _table in list(PHRASES.items()):
    PHRASES[(_t, _s)] = {v: k for k, v in _table.items()}

_CODES = re.compile(r"\(source: ([\w-]+), target: ([\w-]+)\)")
#: How long a hanging request waits at most if the server is never stopped.
_HANG_MAX_S = 60.0


def system_text(body: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in body.get("messages", []) if m.get("role") == "system")


def user_text(body: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in body.get("messages", []) if m.get("role") == "user")


def pair_of(body: dict[str, Any]) -> tuple[str, str]:
    """The (source, target) codes the system prompt names."""
    m = _CODES.search(system_text(body))
    if m is None:
        raise ValueError("the system prompt names no (source: .., target: ..)")
    return m.group(1), m.group(2)


def default_respond(body: dict[str, Any]) -> Reply:
    source, target = pair_of(body)
    text = user_text(body)
    return PHRASES.get((source, target), {}).get(text, f"[{target}] {text}")


def completion(content: str, model: str = "fake") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


@dataclass(frozen=True, slots=True)
class Recorded:
    method: str
    path: str
    #: Header names lower-cased.
    headers: dict[str, str]
    #: The parsed JSON body (``None`` when it was not JSON).
    body: Any


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so no handler thread outlives its request
    # waiting on a kept-alive socket, and stop() never waits on a client.
    protocol_version = "HTTP/1.0"
    server: _HTTPServer

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake.record(Recorded("POST", self.path, headers, body))
        if self.path != "/v1/chat/completions":
            self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))
            return
        if not isinstance(body, dict):
            self._send(400, json.dumps({"error": {"message": "the body is not a JSON object"}}))
            return
        try:
            reply = fake.respond(body)
        except Exception as exc:
            self._send(500, json.dumps({"error": {"message": f"responder failed: {exc!r}"}}))
            return
        if isinstance(reply, _Hang):
            fake.released.wait(_HANG_MAX_S)
        elif isinstance(reply, str):
            self._send(200, json.dumps(completion(reply, str(body.get("model", "fake")))))
        else:
            self._send(*reply)

    def _send(self, status: int, text: str) -> None:
        data = text.encode()
        try:
            json.loads(text)
            content_type = "application/json"
        except ValueError:
            content_type = "text/plain; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _HTTPServer(ThreadingHTTPServer):
    # Handler threads are joined on close, so none is left running after a test.
    daemon_threads = False
    block_on_close = True

    def __init__(self, fake: FakeOpenAIServer) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) is expected; anything else is shown.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    def __init__(self, respond: Responder | None = None) -> None:
        self.respond: Responder = respond or default_respond
        self.requests: list[Recorded] = []
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._http: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, as ``OPENLINK_OPENAI_URL`` takes it: ``http://127.0.0.1:<port>/v1``."""
        if self._http is None:
            raise RuntimeError("the fake OpenAI server is not running")
        return f"http://127.0.0.1:{self._http.server_address[1]}/v1"

    def record(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.body for r in self.requests]

    def start(self) -> None:
        self._http = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai"
        )
        self._thread.start()

    def stop(self) -> None:
        """Release hanging requests, stop serving, and join every thread."""
        self.released.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._thread is not None:
            self._thread.join()
        self._http = self._thread = None


@contextlib.contextmanager
def fake_openai_server(respond: Responder | None = None) -> Iterator[FakeOpenAIServer]:
    """A running :class:`FakeOpenAIServer`, stopped (threads joined) on exit."""
    fake = FakeOpenAIServer(respond)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@contextlib.contextmanager
def openai_translator(monkeypatch: Any) -> Iterator[FakeOpenAIServer]:
    """A fake endpoint, and the environment that makes the test server translate through
    it (en, ko, ja). Enter it before the ``server`` fixture starts."""
    with fake_openai_server() as fake:
        monkeypatch.setenv("OPENLINK_TRANSLATOR", "openai")
        monkeypatch.setenv("OPENLINK_OPENAI_URL", fake.url)
        monkeypatch.setenv("OPENLINK_OPENAI_MODEL", "local-model")
        monkeypatch.setenv("OPENLINK_OPENAI_LANGUAGES", '["en", "ko", "ja"]')
        yield fake
