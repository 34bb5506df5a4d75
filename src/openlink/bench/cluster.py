"""``openlink bench cluster``: one room spread over several nodes on PostgreSQL and Redis.

What it does, in order:

1. Creates a fresh PostgreSQL database (or uses ``--database-url``), starts a
   ``redis-server`` of its own on a free loopback port, applies the migrations once, then
   starts ``--nodes`` ``openlink serve`` processes on their own ports, with the Redis broker,
   shared presence and shared rate limits on that Redis, and waits for ``/readyz`` on each.
   Nothing is pinned to a core: the nodes, PostgreSQL, Redis and the load generator share
   the machine's cores as the scheduler sees fit.
2. Setup over HTTP, spread over the nodes, not measured: accounts, one room, joins.
3. Member ``i`` connects to node ``i % nodes`` with the lean client, saying ``since`` = the
   room's last rev after setup. The first ``--senders`` members send, so senders sit on
   different nodes; each sends its next message when its last one is acknowledged.
4. ``--kill-one``: once a third of the messages are acknowledged, the last node gets
   SIGKILL. Its members reconnect to the other nodes round-robin (spread by member; a
   refused connection moves on to the next), resume with ``since`` = the highest rev they
   hold, and resend every unacknowledged message with its ``client_id``.
5. The run ends when every member is live again, every message is acknowledged and every
   member holds every message (or nothing moved for ``timeout_s``). The stored history is
   then read over HTTP and compared: each message must be stored exactly once.

The client dedups nothing: a (member, seq) seen twice counts in ``duplicates``, a rev at
or below the member's highest so far counts in ``out_of_order`` (unless a duplicate).
Shared pieces come from :mod:`openlink.bench.common`, ``setup`` and ``stats``;
the server processes, database and Redis handling here are also used by
``tests/cluster``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil  # type: ignore[import-untyped]
from rich.console import Console
from rich.progress import Progress

from openlink.bench.common import (
    HOST,
    BenchError,
    Ticker,
    cpu_s,
    database_label,
    free_port,
    host_busy_s,
    new_loop,
    progress_bar,
    raise_fd_limit,
    terminated,
)
from openlink.bench.setup import BENCH_LIMITS, BENCH_SERVER_ENV, Setup, message_body
from openlink.bench.stats import percentile_ms
from openlink.bench.wsclient import WSClient

#: The PostgreSQL server used when neither ``--database-url`` nor
#: ``OPENLINK_TEST_DATABASE_URL`` says otherwise (databases are created on it).
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@dataclass(slots=True)
class ClusterOptions:
    nodes: int = 3
    members: int = 1500
    senders: int = 10
    messages: int = 300
    #: SIGKILL the last node once a third of the messages are acknowledged.
    kill_one: bool = False
    #: An existing (migrated or empty) database; "" = a fresh one on ``postgres_server``.
    database_url: str = ""
    postgres_server: str = DEFAULT_POSTGRES
    #: Give up when nothing was acknowledged or delivered for this long.
    timeout_s: float = 30.0
    setup_concurrency: int = 50
    connect_concurrency: int = 200
    settle_s: float = 2.0


# -- PostgreSQL, Redis and the nodes (also used by tests/cluster) ----------------------


class Database:
    """A PostgreSQL database of our own, created on a server and dropped at the end."""

    def __init__(self, server_url: str, name: str) -> None:
        from sqlalchemy.engine import make_url

        self.server = make_url(server_url)
        self.name = name
        self.url = self.server.set(database=name).render_as_string(hide_password=False)

    @classmethod
    def create(cls, server_url: str, prefix: str = "openlink_cluster") -> Database:
        """Create ``<prefix>_<pid>_<random>``; raises ``OSError`` if the server is down."""
        db = cls(server_url, f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}")
        asyncio.run(db._execute(f'CREATE DATABASE "{db.name}"'))
        return db

    def drop(self) -> None:
        asyncio.run(self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    async def _execute(self, sql: str) -> None:
        import asyncpg

        s = self.server
        conn = await asyncpg.connect(
            host=s.host or "127.0.0.1",
            port=s.port or 5432,
            user=s.username or "postgres",
            password=s.password,
            database=s.database or "postgres",
            timeout=5,
        )
        try:
            await conn.execute(sql)
        finally:
            await conn.close()


class RedisProcess:
    """A ``redis-server`` of our own on a free loopback port, nothing saved to disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise BenchError("redis-server is not installed (apt-get install redis-server)")
        args = ["--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            [exe, *args, "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection((HOST, self.port), 0.2) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise BenchError(f"redis-server did not start on port {self.port}")

    def cpu_s(self) -> float:
        assert self.proc is not None
        return cpu_s(psutil.Process(self.proc.pid))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


class PostgresBackends:
    """CPU of the PostgreSQL backends serving one database (found by their process title;
    a backend that exits keeps the CPU last seen). Zero when they cannot be seen."""

    def __init__(self, database: str) -> None:
        self.marker = f" {database} "
        self.seen: dict[int, float] = {}

    def cpu_s(self) -> float:
        for proc in psutil.process_iter(["cmdline"]):
            with contextlib.suppress(psutil.Error):
                title = " ".join(proc.info["cmdline"] or ())
                if title.startswith("postgres:") and self.marker in title:
                    self.seen[proc.pid] = cpu_s(proc)
        return sum(self.seen.values())


def node_env(
    base: Mapping[str, str],
    *,
    database_url: str,
    redis_url: str,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment of every node: PostgreSQL, the Redis broker, presence and limits."""
    env = dict(base)
    env.update(
        BENCH_SERVER_ENV,
        OPENLINK_DATABASE_URL=database_url,
        OPENLINK_BROKER="redis",
        OPENLINK_REDIS_URL=redis_url,
        OPENLINK_LIMITS_URL=redis_url,
        OPENLINK_EMBEDDER="none",
    )
    env.update(extra or {})
    return env


def migrate(env: Mapping[str, str]) -> None:
    """``openlink migrate`` once, before any node starts (nodes then find it up to date)."""
    cmd = [sys.executable, "-m", "openlink.bench.server", "migrate"]
    done = subprocess.run(cmd, env=dict(env), capture_output=True, timeout=120)
    if done.returncode != 0:
        err = (done.stderr or done.stdout).decode(errors="replace")[-800:]
        raise BenchError(f"openlink migrate failed: {err}")


class NodeProcess:
    """One ``openlink serve`` node in a subprocess; it keeps its port across restarts."""

    def __init__(self, index: int, env: Mapping[str, str], folder: Path) -> None:
        self.index = index
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = folder / f"node{index}.log"
        self.env = dict(env)
        self.env.update(
            OPENLINK_HOST=HOST,
            OPENLINK_PORT=str(self.port),
            OPENLINK_DATA_DIR=str(folder / f"node{index}"),
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.ps: psutil.Process | None = None

    def start(self) -> None:
        cmd = [sys.executable, "-m", "openlink.bench.server", "serve"]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        self.ps = psutil.Process(self.proc.pid)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cpu_s(self) -> float:
        assert self.ps is not None
        return cpu_s(self.ps)

    def kill(self) -> None:
        """SIGKILL, as in a crash: no draining, no goodbye to its sockets."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM (drain, close sockets with 1012), then SIGKILL if it lingers."""
        if not self.alive:
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_ready(nodes: Sequence[NodeProcess], timeout_s: float = 60.0) -> None:
    """Until ``/readyz`` answers 200 on every node (database and broker reachable)."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2.0) as http:
        for node in nodes:
            while True:
                if not node.alive:
                    raise BenchError(f"node {node.index} exited:\n{node.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(f"{node.base_url}/readyz").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise BenchError(f"node {node.index} not ready in {timeout_s:.0f} s")
                time.sleep(0.1)


def stop_all(nodes: Sequence[NodeProcess], timeout_s: float = 15.0) -> None:
    """SIGTERM every node at once, then wait for each (SIGKILL past ``timeout_s``)."""
    for node in nodes:
        if node.alive:
            assert node.proc is not None
            node.proc.send_signal(signal.SIGTERM)
    for node in nodes:
        node.stop(timeout_s)


# -- the members ----------------------------------------------------------------------


class Link(WSClient):
    """One connection of a :class:`ClusterMember`; a reconnect opens a new one."""

    __slots__ = ("member", "ready")

    def __init__(self, member: ClusterMember, port: int) -> None:
        super().__init__(HOST, port)
        self.member = member
        self.ready = False

    def on_open(self) -> None:
        m = self.member
        hello = {"op": "hello", "token": m.token, "since": {m.run.room_id: m.since}}
        self.send_text(orjson.dumps(hello))

    def data_received(self, data: bytes) -> None:
        self.member.run.reads += 1  # one per chunk read: about one per server write
        super().data_received(data)

    def on_text(self, payload: bytes, now: float) -> None:
        self.member.on_text(self, payload, now)


class ClusterMember:
    """A member that survives its node: resumes from the highest rev it holds and resends
    its unacknowledged messages. The hot path is one ``orjson.loads`` and a few appends."""

    __slots__ = (
        "at",
        "connections",
        "idx",
        "link",
        "live",
        "outbox",
        "run",
        "seen",
        "seqs",
        "since",
        "times",
        "token",
    )

    def __init__(self, run: ClusterRun, idx: int, token: str, since: int) -> None:
        self.run = run
        self.idx = idx
        self.token = token
        self.at = idx  # index into run.ports, round-robin
        self.since = since  # the highest rev held: the resume point
        self.link: Link | None = None
        self.live = asyncio.Event()
        self.connections = 0
        self.seen: set[int] = set()
        self.seqs: array[int] = array("q")
        self.times: array[float] = array("d")
        #: client_id -> the send op, until acknowledged (resent after a reconnect).
        self.outbox: dict[str, bytes] = {}

    def on_text(self, link: Link, payload: bytes, now: float) -> None:
        event = orjson.loads(payload)
        if event["type"] != "message":
            self.run.on_event(self, link, event, now)
            return
        message = event["message"]
        rev = message["rev"]
        if message["kind"] == "text":
            seq = message["seq"]
            if seq in self.seen:
                self.run.duplicates += 1
            else:
                self.seen.add(seq)
                self.seqs.append(seq)
                self.times.append(now)
                if rev <= self.since:
                    self.run.out_of_order += 1
        if rev > self.since:
            self.since = rev

    def send(self, client_id: str, payload: bytes) -> None:
        self.outbox[client_id] = payload
        if self.link is not None and self.link.ready:
            self.link.send_text(payload)

    async def keep_connected(self, gate: asyncio.Semaphore) -> None:
        """Connect, and after every drop connect to the next node, until the run stops."""
        loop = asyncio.get_running_loop()
        run = self.run
        failures = 0
        while not run.stopping:
            port = run.ports[self.at % len(run.ports)]
            link: Link | None = None
            async with gate:  # the gate spans the handshake and the catch-up
                try:
                    _, link = await loop.create_connection(partial(Link, self, port), HOST, port)
                    await asyncio.wait_for(link.opened, 30)
                    self.link = link
                    self.connections += 1
                    waits: list[asyncio.Future[Any]] = [
                        loop.create_task(self.live.wait()),
                        link.done,
                    ]
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                    waits[0].cancel()
                except (OSError, TimeoutError):
                    if link is not None and link.transport is not None:
                        link.transport.abort()
                    failures += 1
                    self.at += 1
                    await asyncio.sleep(min(0.05 * failures, 1.0))
                    continue
            failures = 0
            await link.done
            self.link = None
            self.live.clear()
            if run.stopping:
                return
            run.closes[str(link.close_code or "dropped")] += 1
            if link.close_code in (4001, 4002):
                return
            run.dropped += 1
            # Round-robin over the other nodes, spread by member: the members of a dead
            # node do not all land on the same one. A refused connection moves on again.
            n = len(run.ports)
            self.at += 1 + (self.idx // n) % max(1, n - 1)


class ClusterRun:
    """What was sent and acknowledged, what arrived, and the senders' queues."""

    def __init__(self, opts: ClusterOptions, ports: list[int]) -> None:
        self.opts = opts
        self.ports = ports
        self.room_id = ""
        self.members: list[ClusterMember] = []
        self.queues: dict[ClusterMember, list[int]] = {}
        self.sent: dict[str, float] = {}  # client_id -> first send (perf_counter)
        self.acked: dict[str, int] = {}  # client_id -> seq
        self.sent_by_seq: dict[int, float] = {}
        self.ack_latencies: list[float] = []
        self.duplicate_acks = 0
        self.duplicates = 0
        self.out_of_order = 0
        self.send_errors = 0
        self.error_codes: Counter[str] = Counter()
        self.closes: Counter[str] = Counter()
        self.resent = 0
        self.reconnects = 0
        self.dropped = 0
        self.reads = 0
        self.first_send = 0.0
        self.last_ack = 0.0
        self.stopping = False
        self.kill_at: int | None = None  # acks after which to kill a node
        self.on_kill: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def unique(self) -> int:
        return sum(len(m.seen) for m in self.members)

    def on_event(self, m: ClusterMember, link: Link, event: dict[str, Any], now: float) -> None:
        kind = event["type"]
        if kind == "ack":
            self._acked(m, event, now)
        elif kind == "presence":
            if link.ready and event["room"] == self.room_id:
                m.live.set()
        elif kind == "ready":
            link.ready = True
            if m.connections > 1:
                self.reconnects += 1
                self.resent += len(m.outbox)
            for payload in m.outbox.values():
                link.send_text(payload)
        elif kind == "error":
            self.error_codes[str(event.get("code"))] += 1
            ref = event.get("ref")
            if isinstance(ref, str) and m.outbox.pop(ref, None) is not None:
                self.send_errors += 1
                self._next(m)

    def _acked(self, m: ClusterMember, event: dict[str, Any], now: float) -> None:
        ref = event["ref"]
        if m.outbox.pop(ref, None) is None:
            return  # an ack for a resend that had already been acknowledged
        seq = int(event["seq"])
        self.acked[ref] = seq
        self.duplicate_acks += bool(event.get("duplicate"))
        self.sent_by_seq[seq] = self.sent[ref]
        self.ack_latencies.append(now - self.sent[ref])
        self.last_ack = now
        if self.kill_at is not None and len(self.acked) >= self.kill_at:
            self.kill_at = None
            self.on_kill.set_result(None)
        self._next(m)

    def _next(self, m: ClusterMember) -> None:
        queue = self.queues.get(m)
        if queue:
            self.send(m, queue.pop())

    def send(self, m: ClusterMember, k: int) -> None:
        client_id = f"c{k}"
        op = {"op": "send", "room": self.room_id, "client_id": client_id, "body": message_body(k)}
        now = time.perf_counter()
        if not self.sent:
            self.first_send = now
        self.sent[client_id] = now
        m.send(client_id, orjson.dumps(op))

    def start_sending(self, senders: Sequence[ClusterMember]) -> None:
        n = len(senders)
        for s, m in enumerate(senders):
            self.queues[m] = list(range(s, self.opts.messages, n))[::-1]
        for m in senders:
            self._next(m)

    def settled(self) -> bool:
        return (
            len(self.acked) + self.send_errors >= self.opts.messages
            and all(m.live.is_set() for m in self.members)
            and self.unique >= len(self.members) * len(self.acked)
        )


# -- phases -----------------------------------------------------------------------------


async def _setup(
    opts: ClusterOptions, nodes: Sequence[NodeProcess], progress: Progress
) -> tuple[str, int, list[str]]:
    """Accounts signed up round-robin over the nodes; the first creates the room, the others
    join through its link, also round-robin. Returns (room id, its last rev, tokens)."""
    tag = secrets.token_hex(3)
    limits = httpx.Limits(max_connections=opts.setup_concurrency)
    clients = [httpx.AsyncClient(base_url=n.base_url, limits=limits, timeout=120) for n in nodes]
    try:
        setup = Setup(clients, opts.setup_concurrency, progress)
        tokens = await setup.sign_up(f"cl{tag}", opts.members)
        room = await setup.create_room(tokens[0], f"Cluster bench {tag}", max(opts.members, 2))
        await setup.join(room, [(i, tokens[i]) for i in range(1, opts.members)])
        r = await clients[0].get(
            f"/api/rooms/{room['id']}", headers={"Authorization": f"Bearer {tokens[0]}"}
        )
        return str(room["id"]), int(r.json()["last_seq"]), tokens
    finally:
        for c in clients:
            await c.aclose()


async def _stored(node: NodeProcess, run: ClusterRun, token: str, after: int) -> Counter[str]:
    """How many times each text body is stored in the room after rev ``after``."""
    bodies: Counter[str] = Counter()
    async with httpx.AsyncClient(base_url=node.base_url, timeout=60) as http:
        while True:
            r = await http.get(
                f"/api/rooms/{run.room_id}/messages",
                params={"after": after, "limit": 200},
                headers={"Authorization": f"Bearer {token}"},
            )
            page = r.json()
            for m in page["messages"]:
                if m["kind"] == "text":
                    bodies[m.get("body") or ""] += 1
            if not page["has_more"]:
                return bodies
            after = page["messages"][-1]["seq"]


async def _wait_settled(run: ClusterRun, timeout_s: float) -> bool:
    """Until :meth:`ClusterRun.settled`, or nothing moved for ``timeout_s`` (returns True)."""
    last, last_change = (-1, -1, -1), time.monotonic()
    while not run.settled():
        now = time.monotonic()
        seen = (len(run.acked), run.unique, sum(m.live.is_set() for m in run.members))
        if seen != last:
            last, last_change = seen, now
        elif now - last_change > timeout_s:
            return True
        await asyncio.sleep(0.02)
    return False


class Meters:
    """CPU seconds over the send phase: every node (a killed one up to its death), Redis,
    the database's backends, this load generator, and the whole machine."""

    def __init__(self, nodes: Sequence[NodeProcess], redis: RedisProcess, pg: PostgresBackends):
        self.nodes, self.redis, self.pg = nodes, redis, pg
        self.me = psutil.Process()
        self.nodes0 = {n.index: n.cpu_s() for n in nodes}
        self.nodes1: dict[int, float] = {}
        self.load = os.getloadavg()[0]
        self.t0 = self._sample()
        self.t1 = self.t0
        self.wall0 = time.perf_counter()
        self.wall1 = self.wall0

    def _sample(self) -> tuple[float, float, float, float]:
        return self.redis.cpu_s(), self.pg.cpu_s(), cpu_s(self.me), host_busy_s()

    def before_kill(self, node: NodeProcess) -> None:
        self.nodes1[node.index] = node.cpu_s()
        self.pg.cpu_s()  # its backends are about to go: remember what they used

    def stop(self) -> None:
        self.wall1 = time.perf_counter()
        self.nodes1.update({n.index: n.cpu_s() for n in self.nodes if n.alive})
        self.t1 = self._sample()

    def figures(self, deliveries: int) -> dict[str, Any]:
        nodes = sum(self.nodes1[i] - self.nodes0[i] for i in self.nodes1)
        redis, pg, client, host = (b - a for a, b in zip(self.t0, self.t1, strict=True))
        wall = self.wall1 - self.wall0
        return {
            "send_s": round(wall, 3),
            "nodes_cpu_s": round(nodes, 3),
            "deliveries_per_nodes_cpu_s": round(deliveries / nodes) if nodes else None,
            "redis_cpu_s": round(redis, 3),
            "postgres_cpu_s": round(pg, 3),
            "client_cpu_s": round(client, 3),
            "other_cpu_s": round(max(0.0, host - nodes - redis - pg - client), 3),
            "host_cpu_busy": round(host / wall, 3) if wall else None,
            "load_avg_1m": round(self.load, 2),
        }


async def _connect_all(
    opts: ClusterOptions, run: ClusterRun, progress: Progress, ticker: Ticker
) -> list[asyncio.Task[None]]:
    """Every member connected and live in the room; returns their connection tasks."""
    connecting = progress.add_task("connect", total=opts.members)
    ticker.updates.append(
        lambda: progress.update(connecting, completed=sum(m.live.is_set() for m in run.members))
    )
    gate = asyncio.Semaphore(opts.connect_concurrency)
    tasks = [asyncio.create_task(m.keep_connected(gate)) for m in run.members]
    deadline = time.monotonic() + 120
    while not all(m.live.is_set() for m in run.members):
        if time.monotonic() > deadline:
            raise BenchError("members did not all connect within 120 s")
        await asyncio.sleep(0.05)
    return tasks


async def _bench(
    opts: ClusterOptions,
    nodes: list[NodeProcess],
    redis: RedisProcess,
    pg: PostgresBackends,
    progress: Progress,
    ticker: Ticker,
) -> dict[str, Any]:
    room_id, base, tokens = await _setup(opts, nodes, progress)
    run = ClusterRun(opts, [n.port for n in nodes])
    run.room_id = room_id
    run.members = [ClusterMember(run, i, tokens[i], base) for i in range(opts.members)]
    t0 = time.perf_counter()
    tasks = await _connect_all(opts, run, progress, ticker)
    connect_s = time.perf_counter() - t0
    await asyncio.sleep(opts.settle_s)  # presence broadcasts, write buffers
    run.dropped = run.reads = 0

    senders = run.members[: max(1, min(opts.senders, opts.members))]
    delivering = progress.add_task("deliveries", total=opts.members * opts.messages)
    ticker.updates.append(lambda: progress.update(delivering, completed=run.unique))
    victim = nodes[-1] if opts.kill_one and len(nodes) > 1 else None
    run.kill_at = max(1, opts.messages // 3) if victim is not None else None
    meters = Meters(nodes, redis, pg)
    run.start_sending(senders)
    killed_after: float | None = None
    if victim is not None:
        await asyncio.wait([run.on_kill], timeout=opts.timeout_s * 4)
        meters.before_kill(victim)
        victim.kill()
        killed_after = round(time.perf_counter() - meters.wall0, 3)
    timed_out = await _wait_settled(run, opts.timeout_s)
    meters.stop()
    reads = run.reads

    stored = await _stored(next(n for n in nodes if n.alive), run, tokens[0], base)
    run.stopping = True
    for m in run.members:
        if m.link is not None:
            m.link.close()
    await asyncio.wait(tasks, timeout=10)

    result = _result(opts, run, len(nodes), len(senders), stored)
    deliveries = result["deliveries"]
    result.update(
        killed_node=victim.index if victim is not None else None,
        killed_after_s=killed_after,
        reconnects=run.reconnects,
        drops=run.dropped,
        connect_s=round(connect_s, 3),
        **meters.figures(deliveries),
        client_reads=reads,
        deliveries_per_read=round(deliveries / reads, 3) if reads else None,
        database=None,  # filled in by run_cluster, which knows the URL
        broker="redis",
        presence="redis",
        limits="redis",
        pinned=False,
        cpus=os.cpu_count(),
        timed_out=timed_out,
    )
    if run.error_codes:
        result["error_codes"] = dict(run.error_codes)
    if run.closes:
        result["closes"] = dict(run.closes)
    return result


def _result(
    opts: ClusterOptions, run: ClusterRun, nodes: int, senders: int, stored: Counter[str]
) -> dict[str, Any]:
    """What arrived, checked against what was acknowledged and what is stored."""
    lat = sorted(
        t - run.sent_by_seq[seq]
        for m in run.members
        for seq, t in zip(m.seqs, m.times, strict=True)
        if seq in run.sent_by_seq
    )
    acked_seqs = set(run.acked.values())
    deliveries = sum(len(m.seen & acked_seqs) for m in run.members)
    expected = opts.members * opts.messages
    last_delivery = max((max(m.times) for m in run.members if m.times), default=run.first_send)
    delivery_s = last_delivery - run.first_send
    acks = sorted(run.ack_latencies)
    bodies = {message_body(k) for k in range(opts.messages)}
    return {
        "nodes": nodes,
        "members": opts.members,
        "senders": senders,
        "messages": opts.messages,
        "deliveries": deliveries,
        "expected": expected,
        "deliveries_per_s": round(deliveries / delivery_s) if delivery_s > 0 else None,
        "p50_ms": percentile_ms(lat, 50),
        "p90_ms": percentile_ms(lat, 90),
        "p99_ms": percentile_ms(lat, 99),
        "max_ms": percentile_ms(lat, 100),
        "ack_p50_ms": percentile_ms(acks, 50),
        "ack_p99_ms": percentile_ms(acks, 99),
        "lost": expected - deliveries,
        "duplicates": run.duplicates,
        "out_of_order": run.out_of_order,
        "send_errors": run.send_errors,
        "acked": len(run.acked),
        "duplicate_acks": run.duplicate_acks,
        "stored": sum(stored[b] for b in bodies),
        "stored_twice": sum(1 for b in bodies if stored[b] > 1),
        "not_stored": sum(1 for b in bodies if stored[b] == 0),
        "resent": run.resent,
    }


# -- entry point ------------------------------------------------------------------------


def _check(opts: ClusterOptions) -> None:
    if opts.nodes < 1 or opts.members < 1 or opts.senders < 1 or opts.messages < 1:
        raise BenchError("--nodes, --members, --senders and --messages must be at least 1")
    if opts.kill_one and opts.nodes < 2:
        raise BenchError("--kill-one needs at least 2 nodes")


def run_cluster(opts: ClusterOptions) -> dict[str, Any]:
    """Run the benchmark; progress on stderr, one JSON line last on stdout."""
    from sqlalchemy.engine import make_url

    console = Console(stderr=True)
    try:
        _check(opts)
    except BenchError as exc:
        console.print(f"[red]bench cluster: {exc}[/red]")
        raise SystemExit(2) from None
    raise_fd_limit(opts.members + 1024)
    folder = Path(tempfile.mkdtemp(prefix="openlink-cluster-"))
    redis = RedisProcess(folder)
    database: Database | None = None
    nodes: list[NodeProcess] = []
    pg = PostgresBackends("")  # named once the database is known
    progress = progress_bar(console)
    ticker = Ticker(progress)

    async def main() -> dict[str, Any]:
        ticker.start()
        try:
            return await _bench(opts, nodes, redis, pg, progress, ticker)
        finally:
            await ticker.stop()

    result: dict[str, Any] | None = None
    previous_term = signal.signal(signal.SIGTERM, terminated)
    url = opts.database_url
    try:
        if not url:
            database = Database.create(opts.postgres_server, "openlink_bench")
            url = database.url
        redis.start()
        cap = str(max(opts.members, 2))
        extra = {
            "OPENLINK_LOG_LEVEL": "warning",
            "OPENLINK_MAX_MEMBER_CAP": cap,
            "OPENLINK_DEFAULT_MEMBER_CAP": cap,
        }
        env = node_env(os.environ, database_url=url, redis_url=redis.url, extra=extra)
        for name, value in BENCH_LIMITS.items():  # on, out of a saturating sender's reach
            env.setdefault(name, value)
        migrate(env)
        pg.marker = f" {make_url(url).database} "
        nodes.extend(NodeProcess(i, env, folder) for i in range(opts.nodes))
        for node in nodes:
            node.start()
        wait_ready(nodes)
        with progress, asyncio.Runner(loop_factory=new_loop) as runner:
            result = runner.run(main())
    except (BenchError, httpx.HTTPError, OSError) as exc:
        console.print(f"[red]bench cluster failed: {exc!r}[/red]", highlight=False)
        for node in nodes:
            console.print(f"node {node.index} log:\n{node.log_tail()}", markup=False)
        raise SystemExit(1) from None
    finally:
        stop_all(nodes)
        redis.stop()
        if database is not None:
            database.drop()
        shutil.rmtree(folder, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous_term)
    assert result is not None
    result["database"] = database_label(url) + ("" if opts.database_url else " (fresh)")
    _summary(console, result)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()
    return result


def _summary(console: Console, r: dict[str, Any]) -> None:
    killed = "" if r["killed_node"] is None else f"node {r['killed_node']} killed; "
    console.print(
        f"{r['messages']} messages x {r['members']} members on {r['nodes']} nodes: "
        f"{killed}{r['deliveries_per_s']} deliveries/s, p50 {r['p50_ms']} ms, "
        f"p99 {r['p99_ms']} ms; lost {r['lost']}, duplicates {r['duplicates']}, "
        f"out of order {r['out_of_order']}, resent {r['resent']}, "
        f"reconnects {r['reconnects']}",
        highlight=False,
    )
