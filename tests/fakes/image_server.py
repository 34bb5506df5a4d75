"""A fake picture host: a real HTTP server on 127.0.0.1, in a thread.

    with fake_image_server() as fake:
        fake.serve("/moon.png", png_bytes)                      # 200, image/png
        fake.serve("/page", b"<html>", content_type="text/html")
        fake.redirect("/hop", "http://169.254.169.254/")        # 302
        ... fake.url + "/moon.png" ...
        assert fake.requests == [("/moon.png", "127.0.0.1:PORT")]

``length=False`` sends the body with no Content-Length (the client reads to the close).
``endless`` sends a head and then filler until the client hangs up (``sent`` counts the
bytes written, ``ended`` is set then), ``stall`` sends a head and then nothing until the
server stops: a huge body and a slow one. Unknown paths are 404. ``requests`` lists each
request's path and Host header, and ``headers`` each request's headers (names in lower
case).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class _Route:
    status: int
    headers: dict[str, str]
    body: bytes
    length: bool = True
    #: After ``body``: writes the rest of the answer itself.
    more: Callable[[Any], None] | None = None


#: An endless answer stops here even if nobody hangs up, so no test can fill the disk.
_ENDLESS_CAP = 256 << 20


@dataclass
class FakeImageServer:
    url: str
    routes: dict[str, _Route] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)

    def endless(self, path: str, head: bytes, *, content_type: str = "text/html") -> str:
        def more(wfile: Any) -> None:
            filler = b"<p>" + b"x" * 16_000 + b"</p>\n"
            total = len(head)
            try:
                while total < _ENDLESS_CAP and not self.stopping.is_set():
                    wfile.write(filler)
                    total += len(filler)
            except OSError:
                pass  # the client hung up: what it was meant to do
            self.sent[path] = total
            self.ended.set()

        self.routes[path] = _Route(200, {"Content-Type": content_type}, head, False, more)
        return self.url + path

    def stall(self, path: str, head: bytes, *, content_type: str = "text/html") -> str:
        def more(wfile: Any) -> None:
            wfile.flush()
            self.stopping.wait()

        self.routes[path] = _Route(200, {"Content-Type": content_type}, head, False, more)
        return self.url + path

    def serve(
        self, path: str, body: bytes, *, content_type: str = "image/png", length: bool = True
    ) -> str:
        self.routes[path] = _Route(200, {"Content-Type": content_type}, body, length)
        return self.url + path

    def route(self, path: str, body: bytes, headers: dict[str, str], *, length: bool = True) -> str:
        """Any 200 answer: ``headers`` as given (a Content-Encoding, say)."""
        self.routes[path] = _Route(200, headers, body, length)
        return self.url + path

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        self.routes[path] = _Route(status, {"Location": location}, b"")
        return self.url + path


@contextlib.contextmanager
def fake_image_server() -> Iterator[FakeImageServer]:
    fake: FakeImageServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fake.requests.append((self.path, self.headers.get("Host", "")))
            fake.headers.append({k.lower(): v for k, v in self.headers.items()})
            route = fake.routes.get(self.path) or _Route(404, {}, b"not found")
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.length:
                self.send_header("Content-Length", str(len(route.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                self.wfile.write(route.body)
            except OSError:
                return
            if route.more is not None:
                route.more(self.wfile)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake = FakeImageServer(url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
