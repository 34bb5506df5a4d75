"""Presence shared through Redis, with TTLs: a dead node's sockets stop counting.

Per room, two sorted sets hold this instance's entries, each scored by its expiry time:
``presence:{room}:users`` holds ``<user>|<node>`` and ``presence:{room}:langs`` holds
``<language>|<node>``. Each node writes its own entries: at once (debounced) when its
counts change, and every ``ttl/3`` to keep them alive. Readers count the other nodes'
unexpired entries and their own node's sockets from memory, which is current at once: a
reader who just connected is counted (and translated for) before the write lands.
A node that dies is forgotten after ``ttl`` seconds, without anyone cleaning up.
With a ``prefix``, the keys are ``{prefix}presence:…``.

Reads are cached for ``cache_s``: a send asks for the room's reading languages, and a
second-old answer is good enough to choose what to translate into. After a Redis call
failed, reads and writes skip Redis for ``retry_after_s`` (this node's own counts stand
in), as the rate limiter and the broker do: a Redis that hangs costs one timeout per
period, not one per room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from openlink.presence.memory import LocalCounts
from openlink.redis_client import Outage, connect

log = logging.getLogger("openlink.presence")


class RedisPresence:
    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        ttl_s: float = 30.0,
        cache_s: float = 1.0,
        node: str | None = None,
        prefix: str = "",
        connect_timeout_s: float = 1.0,
        socket_timeout_s: float = 0.5,
        retry_after_s: float = 2.0,
    ) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self.socket_timeout_s = socket_timeout_s
        self.ttl_s = ttl_s
        self.cache_s = cache_s
        self.node = node or secrets.token_hex(6)
        self.prefix = prefix
        self.local = LocalCounts()
        self._client: Any = None
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}
        #: What this node last wrote per room, to remove what it no longer has.
        self._written: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        self._listener: Callable[[str], None] | None = None
        self._outage = Outage(retry_after_s)
        #: Redis calls that failed, and reads answered from local counts meanwhile.
        self.errors = 0

    def set_listener(self, listener: Callable[[str], None] | None) -> None:
        self._listener = listener

    async def start(self) -> None:
        self._client = connect(
            self.url,
            connect_timeout_s=self.connect_timeout_s,
            socket_timeout_s=self.socket_timeout_s,
        )
        await self._client.ping()
        self._task = asyncio.get_running_loop().create_task(self._writer())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            with contextlib.suppress(Exception):  # leave nothing to wait out the TTL for
                for room_id in list(self._written):
                    await self._write(room_id, frozenset(), frozenset())
            await self._client.aclose()
            self._client = None

    def joined(self, room_id: str, user_id: int, language: str | None) -> None:
        self.local.joined(room_id, user_id, language)
        self._mark(room_id)

    def left(self, room_id: str, user_id: int, language: str | None) -> None:
        self.local.left(room_id, user_id, language)
        self._mark(room_id)

    def _mark(self, room_id: str) -> None:
        self._dirty.add(room_id)
        self._wake.set()

    async def online(self, room_id: str) -> int:
        others = await self._others(room_id, "users")
        return len(others | {str(u) for u in self.local.users(room_id)})

    async def reading_languages(self, room_id: str) -> frozenset[str]:
        return await self._others(room_id, "langs") | self.local.languages(room_id)

    async def _others(self, room_id: str, kind: str) -> frozenset[str]:
        """The other nodes' entries: this node's own are in ``local``, never stale."""
        mine = f"|{self.node}"
        entries = await self._read(room_id, kind)
        return frozenset(e.split("|", 1)[0] for e in entries if not e.endswith(mine))

    def invalidate(self, room_id: str) -> None:
        self._cache.pop((room_id, "users"), None)
        self._cache.pop((room_id, "langs"), None)

    # -- Redis ---------------------------------------------------------------------

    async def _read(self, room_id: str, kind: str) -> frozenset[str]:
        key = (room_id, kind)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self.cache_s:
            return cached[1]
        if self._outage.active:
            self.errors += 1
            value = self._local(room_id, kind)
        else:
            try:
                raw = await self._client.zrangebyscore(
                    f"{self.prefix}presence:{room_id}:{kind}", time.time(), "+inf"
                )
                value = frozenset(r.decode() for r in raw)
            except Exception as exc:  # Redis down: this node's own view is the best left
                self.errors += 1
                self._outage.failed()
                log.warning("presence read failed: %s", exc)
                value = self._local(room_id, kind)
        self._cache[key] = (now, value)
        return value

    def _local(self, room_id: str, kind: str) -> frozenset[str]:
        local = self.local.users(room_id) if kind == "users" else self.local.languages(room_id)
        return frozenset(f"{x}|{self.node}" for x in local)

    async def _writer(self) -> None:
        refresh = self.ttl_s / 3
        next_refresh = time.monotonic() + refresh
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, next_refresh - time.monotonic())):
                    await self._wake.wait()
            await asyncio.sleep(0.05)  # let a burst of joins become one write
            self._wake.clear()
            if time.monotonic() >= next_refresh:
                rooms = set(self.local.rooms) | set(self._written)
                next_refresh = time.monotonic() + refresh
            else:
                rooms = set(self._dirty)
            self._dirty.clear()
            for room_id in rooms:
                if self._outage.active:
                    self._dirty.add(room_id)  # try again at the next refresh
                    continue
                users = frozenset(str(u) for u in self.local.users(room_id))
                try:
                    await self._write(room_id, users, self.local.languages(room_id))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self.errors += 1
                    self._outage.failed()
                    log.warning("presence write failed: %s", exc)
                    self._dirty.add(room_id)  # try again at the next refresh

    async def _write(self, room_id: str, users: frozenset[str], langs: frozenset[str]) -> None:
        expiry = time.time() + self.ttl_s
        old_users, old_langs = self._written.get(room_id, (frozenset(), frozenset()))
        pipe = self._client.pipeline(transaction=False)
        for kind, now_set, old_set in (("users", users, old_users), ("langs", langs, old_langs)):
            key = f"{self.prefix}presence:{room_id}:{kind}"
            gone = [f"{x}|{self.node}" for x in old_set - now_set]
            if gone:
                pipe.zrem(key, *gone)
            if now_set:
                pipe.zadd(key, {f"{x}|{self.node}": expiry for x in now_set})
                pipe.expire(key, int(self.ttl_s * 2))
            pipe.zremrangebyscore(key, "-inf", time.time())
        await pipe.execute()
        if users or langs:
            self._written[room_id] = (users, langs)
        else:
            self._written.pop(room_id, None)
        for kind in ("users", "langs"):
            self._cache.pop((room_id, kind), None)
        if self._listener is not None:
            self._listener(room_id)
