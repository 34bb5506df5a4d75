"""Setting up a load generator's world over HTTP: accounts, rooms, joins, some history.

Not measured: a benchmark builds its members and rooms through the public API first,
then measures what the sockets cost. Every call here is safe to repeat, so a request
that met a closing keep-alive connection is simply sent again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx
from rich.progress import Progress

from openlink.bench.common import BenchError

#: Every bench account has this password (the accounts live in a throwaway database).
BENCH_PASSWORD = "openlink-bench-password"
MESSAGE_FILLER = "the quick brown fox jumps over the lazy dog"
#: Flood limits for a bench server: on, and out of a saturating sender's reach.
BENCH_LIMITS = {
    "OPENLINK_FLOOD_MEMBER_MESSAGES": "1000000",
    "OPENLINK_FLOOD_PROBATION_MESSAGES": "1000000",
    "OPENLINK_FLOOD_ROOM_MESSAGES": "10000000",
}
#: Every bench server's: cheap password hashing, and sign-ups all from one address.
BENCH_SERVER_ENV = {
    "OPENLINK_ARGON2_TIME_COST": "1",
    "OPENLINK_ARGON2_MEMORY_KIB": "64",
    "OPENLINK_SIGNUPS_PER_ADDRESS": "0",
    "PYTHONUNBUFFERED": "1",
}
T = TypeVar("T")


def message_body(k: int) -> str:
    return f"fan-out message {k}: {MESSAGE_FILLER}"


async def bounded(limit: int, items: Sequence[T], work: Callable[[T], Awaitable[Any]]) -> list[Any]:
    """Run ``work`` over ``items`` with at most ``limit`` in flight; results in order."""
    sem = asyncio.Semaphore(limit)

    async def one(item: T) -> Any:
        async with sem:
            return await work(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


async def post(http: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    """POST, retried on transport errors: a pooled keep-alive connection the server has
    just closed fails the request that picked it up. Every setup call is safe to repeat
    (a join is idempotent; a repeated sign-up answers 409 and the caller signs in)."""
    for attempt in range(4):
        try:
            return await http.post(url, **kwargs)
        except httpx.TransportError:
            if attempt == 3:
                raise
            await asyncio.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Setup:
    """Setup calls spread round-robin over ``clients`` (one per node), ``concurrency`` at
    a time, each phase shown on ``progress``."""

    def __init__(
        self, clients: Sequence[httpx.AsyncClient], concurrency: int, progress: Progress
    ) -> None:
        self.clients = list(clients)
        self.concurrency = concurrency
        self.progress = progress

    def _http(self, i: int) -> httpx.AsyncClient:
        return self.clients[i % len(self.clients)]

    async def sign_up(self, prefix: str, n: int, languages: Sequence[str] = ()) -> list[str]:
        """``n`` accounts ``<prefix>_<i>``; their tokens, in order."""
        task = self.progress.add_task("sign up", total=n)

        async def one(i: int) -> str:
            account: dict[str, Any] = {
                "username": f"{prefix}_{i}",
                "password": BENCH_PASSWORD,
                "display_name": f"Bench member {i}",
            }
            if languages:
                account["language"] = languages[i % len(languages)]
            r = await post(self._http(i), "/api/accounts", json=account)
            if r.status_code == 409:  # a retried sign-up that had gone through: sign in
                r = await post(self._http(i), "/api/sessions", json=account)
            if r.status_code not in (200, 201):
                raise BenchError(f"sign-up {i} failed: {r.status_code} {r.text[:300]}")
            self.progress.advance(task)
            return str(r.json()["token"])

        return await bounded(self.concurrency, range(n), one)

    async def create_room(self, token: str, name: str, cap: int) -> dict[str, Any]:
        r = await post(
            self.clients[0],
            "/api/rooms",
            headers=_auth(token),
            json={"name": name, "member_cap": cap},
        )
        if r.status_code != 201:
            raise BenchError(f"creating a room failed: {r.status_code} {r.text[:300]}")
        room: dict[str, Any] = r.json()["room"]
        return room

    async def join(self, room: dict[str, Any], joiners: Sequence[tuple[int, str]]) -> None:
        """Each ``(index, token)`` joins ``room`` through its link, with an open profile."""
        task = self.progress.add_task("join", total=len(joiners))

        async def one(joiner: tuple[int, str]) -> None:
            await self._join_one(room, *joiner)
            self.progress.advance(task)

        await bounded(self.concurrency, joiners, one)

    async def _join_one(self, room: dict[str, Any], i: int, token: str) -> None:
        code = str(room["link"]).rsplit("/", 1)[-1]
        r = await post(
            self._http(i),
            f"/api/links/{code}/join",
            headers=_auth(token),
            json={"profile": {"kind": "open", "nickname": f"member {i}"}},
        )
        if r.status_code != 200:
            raise BenchError(f"join {i} failed: {r.status_code} {r.text[:300]}")

    async def side_rooms(
        self, tokens: Sequence[str], per_member: int, size: int, history: int
    ) -> int:
        """Put every member in ``per_member`` more rooms of about ``size`` members, each
        with ``history`` messages from a few of its members that the others have not
        read. The groups are shuffled differently for each round (seeded, so two runs
        build the same rooms). Returns how many rooms that made."""
        n = len(tokens)
        groups: list[list[int]] = []
        for k in range(per_member):
            order = list(range(n))
            random.Random(k).shuffle(order)
            groups += [order[i : i + size] for i in range(0, n, size)]
        rooms: list[dict[str, Any]] = []
        for g, group in enumerate(groups):
            cap = max(2, min(size, n))
            rooms.append(await self.create_room(tokens[group[0]], f"Side room {g}", cap))
        task = self.progress.add_task("side joins", total=sum(len(g) - 1 for g in groups))

        async def fill(g: int) -> None:
            room, group = rooms[g], groups[g]
            for i in group[1:]:
                await self._join_one(room, i, tokens[i])
                self.progress.advance(task)
            writers = group[: min(4, len(group))]
            for k in range(history):
                i = writers[k % len(writers)]
                r = await post(
                    self._http(i),
                    f"/api/rooms/{room['id']}/messages",
                    headers=_auth(tokens[i]),
                    json={"client_id": f"side{k}", "body": message_body(k)},
                )
                if r.status_code not in (200, 201):
                    raise BenchError(f"side message failed: {r.status_code} {r.text[:300]}")

        await bounded(self.concurrency, range(len(groups)), fill)
        return len(groups)
