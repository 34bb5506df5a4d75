"""``openlink bench discovery``: does a search in one language find the right room in another?

The fixture (``bench/data/discovery_quality.json``) holds open-chat rooms described in
Korean, Japanese, English, Spanish and Chinese, and searches each written in a language
other than its room's, with the one room a careful person would pick. Near neighbours
(hiking, trail running, camping; sourdough and Korean cooking; cats and dogs ...) keep it
from being trivial.

What it does, in order:

1. Starts ``openlink serve`` in a subprocess on a fresh SQLite file in a temporary folder
   (:class:`openlink.bench.fanout.ServerProcess`).
2. Signs up a host and creates every room over the public API (``POST /api/rooms`` with
   name, description, tags and language).
3. Waits until the search index has them: every room found by its own exact name
   (bounded).
4. Runs every search through ``GET /api/search?q=...&limit=10`` and ranks the right room.
5. Prints the misses (query, target, rank, top hit), top-1 accuracy, MRR over the top 10
   (0 when absent), recall@5 and a breakdown per language pair, then as the LAST line on
   stdout one JSON object.

``tests/quality/test_discovery_quality.py`` runs the same fixture through the same
functions (:func:`evaluate`) against the test server, so both report the same numbers.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import httpx
import orjson
from rich.console import Console

FIXTURE_FILE = "discovery_quality.json"
LANGUAGES = ("ko", "ja", "en", "es", "zh")
TAG_CATEGORIES = frozenset({"hobby", "place", "person", "content"})
#: Results asked of the search route; MRR counts ranks up to here.
LIMIT = 10
#: Password of the fixture's accounts (they live in a throwaway database).
PASSWORD = "openlink-discovery-password"
#: The search route's longest query (``domain/search.py``).
MAX_QUERY_CHARS = 200
#: How long the search index may take to have every fixture room.
INDEX_TIMEOUT_S = 60.0
#: The quality bar (``tests/quality`` asserts it).
TARGET_TOP1 = 0.90
TARGET_MRR = 0.93


class DiscoveryError(RuntimeError):
    """The check could not run (fixture invalid, server refused, index never caught up)."""


# -- the fixture ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FixtureRoom:
    id: str
    language: str
    name: str
    description: str
    tags: tuple[tuple[str, str], ...]  # (name, category)

    def create_body(self) -> dict[str, Any]:
        """The ``POST /api/rooms`` body."""
        return {
            "name": self.name,
            "description": self.description,
            "tags": [{"name": n, "category": c} for n, c in self.tags],
            "language": self.language,
        }


@dataclass(frozen=True, slots=True)
class FixtureQuery:
    q: str
    language: str
    target: str  # a FixtureRoom id


@dataclass(frozen=True, slots=True)
class Fixture:
    rooms: tuple[FixtureRoom, ...]
    queries: tuple[FixtureQuery, ...]

    def room(self, room_id: str) -> FixtureRoom:
        return self._by_id()[room_id]

    def _by_id(self) -> dict[str, FixtureRoom]:
        return {r.id: r for r in self.rooms}


def parse_fixture(data: dict[str, Any]) -> Fixture:
    """The fixture from its JSON form, checked: ids unique, every room 1-4 tags of a known
    category, every query's target a room in another language than the query's."""
    rooms: list[FixtureRoom] = []
    seen: set[str] = set()
    for raw in data["rooms"]:
        room = FixtureRoom(
            id=str(raw["id"]),
            language=str(raw["language"]),
            name=str(raw["name"]),
            description=str(raw["description"]),
            tags=tuple((str(t["name"]), str(t["category"])) for t in raw["tags"]),
        )
        if room.id in seen:
            raise DiscoveryError(f"fixture: room id {room.id!r} twice")
        if room.language not in LANGUAGES:
            raise DiscoveryError(f"fixture: room {room.id!r} in {room.language!r}")
        if not 1 <= len(room.tags) <= 4 or any(c not in TAG_CATEGORIES for _, c in room.tags):
            raise DiscoveryError(f"fixture: room {room.id!r} needs 1-4 tags of known categories")
        seen.add(room.id)
        rooms.append(room)
    languages = {r.id: r.language for r in rooms}
    queries: list[FixtureQuery] = []
    for raw in data["queries"]:
        query = FixtureQuery(
            q=str(raw["q"]), language=str(raw["language"]), target=str(raw["target"])
        )
        if query.target not in languages:
            raise DiscoveryError(f"fixture: query {query.q!r} targets unknown {query.target!r}")
        if query.language not in LANGUAGES or query.language == languages[query.target]:
            raise DiscoveryError(f"fixture: query {query.q!r} is in its room's language")
        queries.append(query)
    return Fixture(tuple(rooms), tuple(queries))


@cache
def load_fixture() -> Fixture:
    """The shipped fixture (``openlink/bench/data/discovery_quality.json``)."""
    text = resources.files("openlink.bench").joinpath("data", FIXTURE_FILE).read_text("utf-8")
    return parse_fixture(json.loads(text))


# -- scoring ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryResult:
    query: FixtureQuery
    target_language: str
    #: Fixture ids of the hits, best first (``?`` for a room not in the fixture).
    hits: tuple[str, ...]

    @property
    def rank(self) -> int | None:
        """1-based rank of the right room among the first :data:`LIMIT` hits, or None."""
        try:
            return self.hits.index(self.query.target, 0, LIMIT) + 1
        except ValueError:
            return None

    @property
    def pair(self) -> str:
        return f"{self.query.language}->{self.target_language}"


@dataclass(frozen=True, slots=True)
class Metrics:
    queries: int
    top1: float
    mrr: float
    recall_at_5: float


def metrics(results: Sequence[QueryResult]) -> Metrics:
    """Top-1 accuracy, mean reciprocal rank (0 beyond :data:`LIMIT`) and recall@5."""
    n = len(results)
    if n == 0:
        return Metrics(0, 0.0, 0.0, 0.0)
    ranks = [r.rank for r in results]
    return Metrics(
        queries=n,
        top1=sum(1 for k in ranks if k == 1) / n,
        mrr=sum(1.0 / k for k in ranks if k is not None) / n,
        recall_at_5=sum(1 for k in ranks if k is not None and k <= 5) / n,
    )


@dataclass(slots=True)
class Report:
    rooms: int
    results: list[QueryResult]
    embedder: str
    total: Metrics = field(init=False)
    by_pair: dict[str, Metrics] = field(init=False)

    def __post_init__(self) -> None:
        self.total = metrics(self.results)
        groups: dict[str, list[QueryResult]] = defaultdict(list)
        for r in self.results:
            groups[r.pair].append(r)
        self.by_pair = {pair: metrics(groups[pair]) for pair in sorted(groups)}

    @property
    def misses(self) -> list[QueryResult]:
        return [r for r in self.results if r.rank != 1]

    def summary(self) -> dict[str, Any]:
        """The JSON line: rooms, queries, top1, mrr, recall_at_5, embedder."""
        return {
            "rooms": self.rooms,
            "queries": self.total.queries,
            "top1": round(self.total.top1, 4),
            "mrr": round(self.total.mrr, 4),
            "recall_at_5": round(self.total.recall_at_5, 4),
            "embedder": self.embedder,
        }

    def lines(self) -> list[str]:
        """The human-readable report: misses, totals, per language pair."""
        out: list[str] = []
        misses = self.misses
        out.append(f"misses ({len(misses)} of {self.total.queries}):")
        for r in misses:
            rank = str(r.rank) if r.rank is not None else "-"
            top = r.hits[0] if r.hits else "(nothing)"
            out.append(f"  [{r.pair}] {r.query.q!r} -> {r.query.target}: rank {rank}, top {top}")
        t = self.total
        out.append(
            f"{self.rooms} rooms, {t.queries} queries, embedder {self.embedder}: "
            f"top-1 {t.top1:.3f} (target {TARGET_TOP1:.2f}), MRR@{LIMIT} {t.mrr:.3f}, "
            f"recall@5 {t.recall_at_5:.3f}"
        )
        out.append("per language pair (query->room):   n  top-1    MRR  recall@5")
        for pair, m in self.by_pair.items():
            out.append(
                f"  {pair:<30} {m.queries:>3}  {m.top1:5.2f}  {m.mrr:5.2f}  {m.recall_at_5:8.2f}"
            )
        return out


# -- talking to the server --------------------------------------------------------------


def _expect(r: httpx.Response, status: int, what: str) -> dict[str, Any]:
    if r.status_code != status:
        raise DiscoveryError(f"{what}: {r.status_code} {r.text[:300]}")
    body: dict[str, Any] = r.json()
    return body


async def sign_up_host(http: httpx.AsyncClient, username: str = "discovery_host") -> str:
    """A fresh account that hosts the fixture's rooms; returns its bearer token."""
    r = await http.post(
        "/api/accounts",
        json={
            "username": username,
            "password": PASSWORD,
            "display_name": "Discovery host",
            "language": "en",
        },
    )
    token: str = _expect(r, 201, "sign-up")["token"]
    return token


async def create_rooms(http: httpx.AsyncClient, fixture: Fixture, token: str) -> dict[str, str]:
    """Every fixture room over ``POST /api/rooms``; fixture id -> server room id."""
    headers = {"Authorization": f"Bearer {token}"}
    ids: dict[str, str] = {}
    for room in fixture.rooms:
        r = await http.post("/api/rooms", json=room.create_body(), headers=headers)
        ids[room.id] = str(_expect(r, 201, f"creating {room.id}")["room"]["id"])
    return ids


def _hits(payload: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = payload["results"]
    return results


def hit_ids(payload: dict[str, Any]) -> list[str]:
    """Room ids of a ``GET /api/search`` answer, best first (the order it gives)."""
    return [str(h["id"]) for h in _hits(payload)]


async def search(
    http: httpx.AsyncClient, q: str, limit: int = LIMIT, retries: int = 20
) -> dict[str, Any]:
    """One ``GET /api/search``; waits out a 429 (search throttling) a few times."""
    for _ in range(retries):
        r = await http.get("/api/search", params={"q": q, "limit": limit})
        if r.status_code == 429:
            await asyncio.sleep(min(float(r.headers.get("Retry-After") or 1), 5.0))
            continue
        return _expect(r, 200, f"search {q!r}")
    raise DiscoveryError(f"search {q!r}: still throttled after {retries} tries")


async def wait_indexed(
    http: httpx.AsyncClient,
    fixture: Fixture,
    ids: dict[str, str],
    timeout_s: float = INDEX_TIMEOUT_S,
) -> str:
    """Until search has every room (vectors are made after commit); returns the semantic
    side's status (``on``, ``not_configured``).

    A room is in when its exact name finds it and, with semantic search on, finds it on
    the semantic side too. A name under the similarity floor (a nickname-like name, such as
    铲屎官俱乐部 for a cat owners' room) never does: a room whose name still finds it by
    keyword only on a second look is checked with its own description as the query instead.
    Each query is embedded once (the server caches query vectors), so polling is cheap.
    """
    pending = {r.id: r for r in fixture.rooms}
    keyword_only: set[str] = set()
    deadline = time.monotonic() + timeout_s
    semantic = "?"
    while True:
        for room in list(pending.values()):
            room_id = ids[room.id]
            payload = await search(http, room.name)
            semantic = str(payload.get("semantic"))
            match = next((h.get("match") for h in _hits(payload) if h["id"] == room_id), None)
            if match is None or semantic == "loading":
                continue
            if semantic != "on" or match == "both":
                del pending[room.id]
            elif room.id not in keyword_only:
                keyword_only.add(room.id)  # perhaps not embedded yet: look again first
            else:
                probe = await search(http, room.description[:MAX_QUERY_CHARS])
                if any(
                    h["id"] == room_id and h.get("match") in ("semantic", "both")
                    for h in _hits(probe)
                ):
                    del pending[room.id]
        if not pending:
            return semantic
        if time.monotonic() > deadline:
            names = ", ".join(r.name for r in list(pending.values())[:5])
            raise DiscoveryError(
                f"{len(pending)} rooms not in the search index after {timeout_s:.0f} s "
                f"(semantic search {semantic}): {names}"
            )
        await asyncio.sleep(0.3)


def embedder_label(name: str | None = None) -> str:
    """The model id of the embedder ``OPENLINK_EMBEDDER`` (or ``name``) names, as the server
    in this environment makes it (the server subprocess and the test server both read it)."""
    from openlink import embed

    name = name or os.environ.get("OPENLINK_EMBEDDER", "use")
    try:
        return embed.create(name).model_id
    except (ValueError, RuntimeError):
        return name


async def run_queries(
    http: httpx.AsyncClient, fixture: Fixture, ids: dict[str, str], embedder: str
) -> Report:
    """Every fixture query through the search route, scored. ``embedder`` is what the
    report names; ``none`` when the server says semantic search is not configured."""
    fixture_id = {server_id: fid for fid, server_id in ids.items()}
    results: list[QueryResult] = []
    statuses: set[str] = set()
    for query in fixture.queries:
        payload = await search(http, query.q)
        statuses.add(str(payload.get("semantic")))
        hits = tuple(fixture_id.get(h, "?") for h in hit_ids(payload))
        results.append(QueryResult(query, fixture.room(query.target).language, hits))
    if statuses - {"on", "not_configured"}:
        raise DiscoveryError(f"semantic search was {sorted(statuses)} during the queries")
    if statuses == {"not_configured"}:
        embedder = "none"
    return Report(rooms=len(ids), results=results, embedder=embedder)


async def evaluate(
    http: httpx.AsyncClient,
    fixture: Fixture | None = None,
    *,
    embedder: str | None = None,
    index_timeout_s: float = INDEX_TIMEOUT_S,
) -> Report:
    """The whole check against the server behind ``http`` (an empty database)."""
    fixture = fixture or load_fixture()
    token = await sign_up_host(http)
    ids = await create_rooms(http, fixture, token)
    await wait_indexed(http, fixture, ids, index_timeout_s)
    return await run_queries(http, fixture, ids, embedder or embedder_label())


# -- the command ------------------------------------------------------------------------


async def _bench(console: Console, json_only: bool) -> Report:
    from openlink.bench.common import BenchError
    from openlink.bench.server_process import ServerProcess

    server = ServerProcess(2, "", None)
    try:
        server.start()
        await server.wait_ready()
        async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
            if not json_only:
                console.print(f"server on {server.base_url}; creating rooms and searching")
            return await evaluate(http)
    except (DiscoveryError, BenchError, httpx.HTTPError, OSError) as exc:
        console.print(f"[red]bench discovery failed: {exc!r}[/red]", highlight=False)
        tail = server.log_tail()
        if tail:
            console.print(f"server log (last lines):\n{tail}", markup=False, highlight=False)
        raise SystemExit(1) from None
    finally:
        server.stop()


def _write(lines: Iterable[str]) -> None:
    for line in lines:
        sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_discovery(json_only: bool = False) -> dict[str, Any]:
    """Run the check; prints the report and, as the last line on stdout, one JSON object."""
    console = Console(stderr=True)
    started = time.perf_counter()
    report = asyncio.run(_bench(console, json_only))
    if not json_only:
        _write(report.lines())
        console.print(f"took {time.perf_counter() - started:.1f} s")
    summary = report.summary()
    _write([orjson.dumps(summary).decode()])
    return summary
