"""Servers that hang, for the clients that must not hang with them.

``SilentServer`` accepts TCP connections on loopback and never answers a byte: a Redis
whose process is stopped, or a network that black-holes replies. ``Proxy`` forwards to a
real server until told to ``hang``; from then on it swallows everything, both ways, on the
connections it already has and on new ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading


class SilentServer:
    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> SilentServer:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                conn, _ = self._listener.accept()
                self._held.append(conn)  # held open, never read, never answered

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        for conn in self._held:
            conn.close()


class Proxy:
    """A loopback TCP proxy to ``target_port`` (start and stop it in the test's loop)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.hanging = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> Proxy:
        self._server = await asyncio.start_server(self._on_client, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def hang(self) -> None:
        self.hanging = True

    async def _on_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        if self.hanging:
            await self._pump(reader, None)
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.append(up_writer)
        up = asyncio.get_running_loop().create_task(self._pump(reader, up_writer))
        self._tasks.add(up)
        await self._pump(up_reader, writer)

    async def _pump(self, reader: asyncio.StreamReader, to: asyncio.StreamWriter | None) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if to is not None and not self.hanging:
                    to.write(data)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
