"""A stand-in OpenAI-compatible model for ``openlink bench fanout --translator openai``.

It is NOT a model: ``POST /v1/chat/completions`` answers ``"[<target>] <text>"`` at once,
reading ``<target>`` from the ``(source: xx, target: yy)`` that the openai engine's system
prompt carries. A run against it measures OpenLink's translation pipeline (dispatch,
one call per language, storage, per-language delivery), never translation quality or a
model's speed. ``GET /stats`` answers ``{"requests": n}``: chat completions served.

It runs in a subprocess of its own (``python -m openlink.bench.fake_llm --port N``), so
that its work is not charged to the load generator's process or interpreter, and it is
cheap: raw HTTP/1.1 with keep-alive on asyncio, one ``orjson`` parse per request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
from typing import Any

import orjson

from openlink.bench.common import new_loop

_CODES = re.compile(rb"\(source: ([\w-]+), target: ([\w-]+)\)")
MAX_BODY = 1 << 20


def reply(body: dict[str, Any]) -> bytes:
    """The completion for one request: ``[<target>] <the user's text>``."""
    messages = body.get("messages") or []
    system = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    text = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    m = _CODES.search(system.encode())
    target = m.group(2).decode() if m else "??"
    return orjson.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "created": 0,
            "model": str(body.get("model", "bench-stand-in")),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": f"[{target}] {text}"},
                    "finish_reason": "stop",
                }
            ],
        }
    )


class FakeModel:
    def __init__(self) -> None:
        self.requests = 0

    def answer(self, method: bytes, path: bytes, body: bytes) -> tuple[int, bytes]:
        if method == b"GET" and path == b"/stats":
            return 200, orjson.dumps({"requests": self.requests})
        if method != b"POST" or path != b"/v1/chat/completions":
            return 404, orjson.dumps({"error": {"message": f"no route {path.decode()}"}})
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            return 400, orjson.dumps({"error": {"message": "the body is not JSON"}})
        if not isinstance(parsed, dict):
            return 400, orjson.dumps({"error": {"message": "the body is not an object"}})
        self.requests += 1
        return 200, reply(parsed)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head[:-4].split(b"\r\n")
                method, path, _version = request_line.split(b" ", 2)
                length, close = 0, False
                for line in lines:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"connection":
                        close = value.strip().lower() == b"close"
                if length > MAX_BODY:
                    return
                body = await reader.readexactly(length) if length else b""
                status, data = self.answer(method, path, body)
                writer.write(
                    b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s"
                    % (status, b"OK" if status == 200 else b"Error", len(data), data)
                )
                if close:
                    return
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            return
        except ValueError:  # a malformed request line or header
            return
        except asyncio.CancelledError:  # shutting down with the connection open: no noise
            return
        finally:
            writer.close()


async def serve(host: str, port: int) -> None:
    model = FakeModel()
    server = await asyncio.start_server(model.handle, host, port, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="A stand-in OpenAI-compatible model.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=new_loop) as r:
        r.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
