"""``openlink bench fanout``: one room, many members on real WebSockets, a few senders.

What it does, in order:

1. Starts ``openlink serve`` in a subprocess on 127.0.0.1 with a fresh data folder (or
   ``--database-url``), pinned to one core when the machine has two or more; this process,
   the load generator, is pinned to the other cores.
2. Signs up ``members`` accounts and puts them all in one room over HTTP (not measured).
3. Connects every member over its own WebSocket (``hello`` -> ``ready`` -> ``presence``)
   with :class:`openlink.bench.wsclient.WSClient`, a lean client, so that the load
   generator is not the bottleneck.
4. ``--idle``: measures the server's RSS before and after the connections and stops.
   Otherwise ``senders`` of the members send ``messages`` in all: each sender's next one
   as soon as its previous one is acknowledged (``--rate 0``) or paced at ``--rate`` per
   second overall. Every member, the sender included, must receive every message once.
5. Prints a progress bar on stderr and, as the LAST line on stdout, one JSON object.

Server CPU is the server process's user+system time over the send phase (first send to
last delivery): ``deliveries_per_server_cpu_s`` counts none of the load generator's work.
``client_cpu_s`` is there to show a client-bound run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import os
import resource
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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import psutil  # type: ignore[import-untyped]
from rich.console import Console
from rich.progress import (
    Progress,
)

from openlink.bench.common import progress_bar, stop_process
from openlink.bench.fanout_translation import (
    TRANSLATORS,
    Translation,
    TranslationBenchError,
    workers_cpu_s,
)
from openlink.bench.wsclient import WSClient

HOST = "127.0.0.1"
#: Every bench account has this password (the accounts live in a throwaway database).
BENCH_PASSWORD = "openlink-bench-password"
MESSAGE_FILLER = "the quick brown fox jumps over the lazy dog"
T = TypeVar("T")


#: Figures of the send phase; ``null`` in an ``--idle`` run.
SEND_KEYS = (
    "send_s",
    "sends_per_s",
    "deliveries_per_s",
    "server_cpu_s",
    "server_loop_cpu_s",
    "server_threads_cpu_s",
    "deliveries_per_server_cpu_s",
    "server_cpu_busy",
    "client_cpu_s",
    "client_cpu_busy",
    "other_cpu_s",
    "softirq_cpu_s",
    "client_reads",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "ack_p50_ms",
    "ack_p99_ms",
)


#: Flood limits for the bench server: on, and out of a saturating sender's reach.
BENCH_LIMITS = {
    "OPENLINK_FLOOD_MEMBER_MESSAGES": "1000000",
    "OPENLINK_FLOOD_PROBATION_MESSAGES": "1000000",
    "OPENLINK_FLOOD_ROOM_MESSAGES": "10000000",
}


#: Translation figures, read after the originals' phase; ``null`` in an ``--idle`` run.
TRANSLATION_KEYS = (
    "translation_calls",
    "translations",
    "translations_expected",
    "translations_stored",
    "translations_shed",
    "translation_failures",
    "translations_per_message",
    "engine_calls_per_message",
    "translated_deliveries",
    "translated_expected",
    "translation_duplicates",
    "translation_wrong_language",
    "translation_source_languages",
    "translated_p50_ms",
    "translated_p99_ms",
    "settle_s",
    "settle_server_cpu_s",
    "model_requests",
    "model_cpu_s",
    "worker_cpu_s",
    "translation_timed_out",
)


class BenchError(RuntimeError):
    """The benchmark could not run (server did not start, setup failed, ...)."""


@dataclass(slots=True)
class FanoutOptions:
    members: int = 1500
    senders: int = 10
    messages: int = 200
    #: Messages per second in all; 0 = each sender sends when its previous one is acked.
    rate: float = 0.0
    #: Connect, measure memory, send nothing.
    idle: bool = False
    #: Pin the server to one core (and this process to the others) when there are two+.
    pin: bool = True
    #: Database for the bench server; "" = a fresh SQLite file in a temporary folder.
    database_url: str = ""
    #: Give up when nothing was acknowledged or delivered for this long.
    timeout_s: float = 30.0
    #: HTTP requests in flight during setup.
    setup_concurrency: int = 50
    #: WebSocket handshakes in flight while connecting.
    connect_concurrency: int = 200
    #: Seconds to let the server settle before and after connecting (presence, buffers).
    settle_s: float = 2.0
    #: Screen every message against a full set of automod rules (``bench/automod.py``).
    automod: bool = False
    #: Members' reading languages, round-robin; senders write English.
    languages: tuple[str, ...] = ("en",)
    #: ``none``, ``openai`` (against a stand-in model) or ``fxtranslate`` (en<->pt).
    translator: str = "none"


# -- the server subprocess ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def _pin_process(pid: int, cpus: Sequence[int]) -> None:
    """Pin every thread of ``pid`` (threads started later inherit from their creator)."""
    proc = psutil.Process(pid)
    proc.cpu_affinity(list(cpus))
    for thread in proc.threads():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(thread.id, list(cpus))


def _raise_fd_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return soft
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


class ServerProcess:
    """``openlink serve`` in a subprocess, with its CPU time and RSS at hand."""

    def __init__(self, opts: FanoutOptions, cpus: Sequence[int] | None) -> None:
        self.opts = opts
        self.cpus = list(cpus) if cpus else None
        self.port = _free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.data_dir = Path(tempfile.mkdtemp(prefix="openlink-bench-"))
        self.log_path = self.data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ps: psutil.Process | None = None
        #: Set over everything else (the translation engine's settings).
        self.extra_env: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        cap = str(max(self.opts.members, 2))
        env = dict(os.environ)
        env.update(
            OPENLINK_DATA_DIR=str(self.data_dir / "data"),
            OPENLINK_ARGON2_TIME_COST="1",
            OPENLINK_ARGON2_MEMORY_KIB="64",
            OPENLINK_MAX_MEMBER_CAP=cap,
            OPENLINK_DEFAULT_MEMBER_CAP=cap,
            OPENLINK_LOG_LEVEL="warning",
            # Every bench member signs up from this one address.
            OPENLINK_SIGNUPS_PER_ADDRESS="0",
            PYTHONUNBUFFERED="1",
        )
        # Flood limits stay on, so that every send pays for checking them, but high
        # enough that a saturating sender is never refused (override from the environment).
        for name, value in BENCH_LIMITS.items():
            env.setdefault(name, value)
        # The discovery check creates every fixture room from one account and searches
        # from this one address.
        for name in ("ROOMS_PER_ACCOUNT", "SEARCHES_PER_ACCOUNT", "SEARCHES_PER_ADDRESS"):
            env.setdefault(f"OPENLINK_{name}", "0")
        env.pop("OPENLINK_DATABASE_URL", None)
        if self.opts.database_url:
            env["OPENLINK_DATABASE_URL"] = self.opts.database_url
        env.update(self.extra_env)
        return env

    def admin(self, *args: str) -> None:
        """``openlink admin ...`` on the server's database (an operator account...)."""
        cmd = [sys.executable, "-m", "openlink.bench.server", "admin", *args]
        done = subprocess.run(cmd, env=self.env(), capture_output=True, timeout=120)
        if done.returncode != 0:
            err = (done.stderr or done.stdout).decode(errors="replace")[-500:]
            raise BenchError(f"openlink admin {' '.join(args)} failed: {err}")

    def start(self) -> None:
        env = self.env()
        cmd = [
            sys.executable,
            "-m",
            "openlink.bench.server",
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        self.ps = psutil.Process(self.proc.pid)
        if self.cpus:
            _pin_process(self.proc.pid, self.cpus)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def wait_ready(self, timeout_s: float = 60.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise BenchError(f"the server exited with {self.proc.returncode}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/healthz")).status_code == 200:
                        if self.cpus:  # pin the threads it started meanwhile too
                            _pin_process(self.pid, self.cpus)
                        return
                await asyncio.sleep(0.1)
        raise BenchError(f"the server did not answer on {self.base_url} in {timeout_s:.0f} s")

    def cpu_s(self) -> float:
        assert self.ps is not None
        t = self.ps.cpu_times()
        return float(t.user + t.system)

    def thread_cpu_s(self) -> tuple[float, float]:
        """CPU seconds of the main thread (the event loop) and of all the others (the
        database driver's, the translation pool's)."""
        assert self.ps is not None
        main = other = 0.0
        for t in self.ps.threads():
            if t.id == self.ps.pid:
                main += t.user_time + t.system_time
            else:
                other += t.user_time + t.system_time
        return main, other

    def rss(self) -> int:
        assert self.ps is not None
        return int(self.ps.memory_info().rss)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT, 20)
        shutil.rmtree(self.data_dir, ignore_errors=True)


# -- the members ------------------------------------------------------------------------


class Member(WSClient):
    """One member's socket.

    :meth:`on_text` is the hot path: per ``message`` frame one ``orjson.loads``, a set
    lookup and two array appends (seq, arrival time), and no shared counter. Latencies are
    matched to sends at the end, by the seq each ``ack`` reported: events do not carry the
    sender's ``client_id``.
    """

    __slots__ = (
        "_run",
        "_seqs",
        "_times",
        "idx",
        "lang",
        "live",
        "ready",
        "seen",
        "token",
        "translated",
    )

    def __init__(self, run: Run, idx: int, token: str) -> None:
        super().__init__(HOST, run.port)
        self._run = run
        self._seqs = run.recv_seqs.append
        self._times = run.recv_times.append
        self.idx = idx
        self.lang = run.opts.languages[idx % len(run.opts.languages)]
        self.token = token
        self.seen: set[int] = set()  # seqs of text messages received: one per delivery
        self.translated: set[int] = set()  # seqs of message.translated received
        self.ready = False
        self.live: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_open(self) -> None:
        self.send_text(orjson.dumps({"op": "hello", "token": self.token, "since": {}}))

    def data_received(self, data: bytes) -> None:
        self._run.reads += 1  # one per chunk read: about one per server write, or fewer
        super().data_received(data)

    def on_text(self, payload: bytes, now: float) -> None:
        event = orjson.loads(payload)
        kind = event["type"]
        if kind != "message":
            if kind == "message.translated":
                self._run.on_translated(self, event, now)
            else:
                self._run.on_event(self, event, now)
            return
        message = event["message"]
        if message["kind"] == "text":  # system messages (joins) are not part of the run
            seq = message["seq"]
            seen = self.seen
            if seq in seen:
                self._run.duplicates += 1
            else:
                seen.add(seq)
                self._seqs(seq)
                self._times(now)

    def on_close(self, code: int | None, reason: str) -> None:
        self._run.on_close(self, code, reason)


class Run:
    """Shared state of one run: what was sent when, what arrived, and the senders."""

    def __init__(self, opts: FanoutOptions, port: int) -> None:
        self.opts = opts
        self.port = port
        self.room_id = ""
        self.sent: dict[str, float] = {}  # client_id -> perf_counter() at send
        self.sent_by_seq: dict[int, float] = {}  # seq from the ack -> the same time
        self.recv_seqs: array[int] = array("q")  # per delivery: the seq ...
        self.recv_times: array[float] = array("d")  # ... and when it arrived
        self.ack_latencies: array[float] = array("d")
        #: message.translated, apart from the originals: per delivery the seq and arrival.
        self.tr_seqs: array[int] = array("q")
        self.tr_times: array[float] = array("d")
        self.tr_duplicates = 0
        self.tr_wrong_language = 0
        self.tr_sources: Counter[str] = Counter()
        self.expected = 0
        self.duplicates = 0
        self.reads = 0
        self.acks = 0
        self.send_errors = 0
        self.error_codes: Counter[str] = Counter()
        self.other_errors = 0
        self.closes: Counter[str] = Counter()
        self.stopping = False
        self.sends = 0
        self.first_send = 0.0
        self.last_send = 0.0
        self.last_ack = 0.0
        self.members: list[Member] = []
        self.senders: list[Member] = []
        self.queues: dict[Member, list[int]] = {}
        self.saturated = opts.rate <= 0
        self.acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- receiving ----------------------------------------------------------------------

    @property
    def unique(self) -> int:
        """Deliveries so far, each (member, seq) counted once."""
        return sum(len(m.seen) for m in self.members)

    @property
    def translated_unique(self) -> int:
        """Translations delivered so far, each (member, seq) counted once."""
        return sum(len(m.translated) for m in self.members)

    def on_translated(self, member: Member, event: dict[str, Any], now: float) -> None:
        """A ``message.translated``: at most one per (member, message), in its language."""
        if event["lang"] != member.lang:
            self.tr_wrong_language += 1
        self.tr_sources[event["source_lang"]] += 1
        seq = event["seq"]
        if seq in member.translated:
            self.tr_duplicates += 1
            return
        member.translated.add(seq)
        self.tr_seqs.append(seq)
        self.tr_times.append(now)

    def on_event(self, member: Member, event: dict[str, Any], now: float) -> None:
        kind = event.get("type")
        if kind == "ack":
            ref = event.get("ref")
            sent_at = self.sent.get(ref) if isinstance(ref, str) else None
            if sent_at is not None:
                self.ack_latencies.append(now - sent_at)
                self.sent_by_seq[int(event["seq"])] = sent_at
            self._settled(member, now)
        elif kind == "presence":
            if member.ready and not member.live.done():
                member.live.set_result(None)
        elif kind == "ready":
            member.ready = True
        elif kind == "error":
            code = str(event.get("code"))
            self.error_codes[code] += 1
            if event.get("ref") in self.sent:
                self.send_errors += 1
                self._settled(member, now)
            else:
                self.other_errors += 1
                if not member.live.done():
                    member.live.set_exception(BenchError(f"server error: {event}"))

    def on_close(self, member: Member, code: int | None, reason: str) -> None:
        if self.stopping:
            return
        self.closes[str(code) if code is not None else "dropped"] += 1
        if not member.live.done():
            member.live.set_exception(BenchError(f"closed by the server: {code} {reason}"))

    # -- sending ------------------------------------------------------------------------

    def send(self, member: Member, k: int) -> None:
        client_id = f"b{k}"
        body = message_body(k)
        payload = orjson.dumps(
            {"op": "send", "room": self.room_id, "client_id": client_id, "body": body}
        )
        now = time.perf_counter()
        self.sent[client_id] = now
        if not self.sends:
            self.first_send = now
        self.last_send = now
        self.sends += 1
        member.send_text(payload)

    def _settled(self, member: Member, now: float) -> None:
        """An ack or an error for one of ``member``'s sends: saturated mode sends the next."""
        self.acks += 1
        self.last_ack = now
        if self.saturated:
            queue = self.queues.get(member)
            if queue:
                self.send(member, queue.pop())
        if self.acks >= self.opts.messages and not self.acked.done():
            self.acked.set_result(None)

    def start_sending(self) -> asyncio.Task[None] | None:
        opts = self.opts
        self.expected = opts.members * opts.messages
        if opts.messages == 0:
            self.acked.set_result(None)
            return None
        n = len(self.senders)
        for s, member in enumerate(self.senders):
            # popped from the end: reversed so that each sender sends in increasing k
            self.queues[member] = list(range(s, opts.messages, n))[::-1]
        if self.saturated:
            for member in self.senders:
                queue = self.queues[member]
                if queue:
                    self.send(member, queue.pop())
            return None
        return asyncio.get_running_loop().create_task(self._paced())

    async def _paced(self) -> None:
        interval = 1.0 / self.opts.rate
        start = time.perf_counter()
        n = len(self.senders)
        for k in range(self.opts.messages):
            delay = start + k * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.send(self.senders[k % n], k)


# -- helpers ----------------------------------------------------------------------------


async def _bounded(
    limit: int, items: Sequence[T], work: Callable[[T], Awaitable[Any]]
) -> list[Any]:
    """Run ``work`` over ``items`` with at most ``limit`` in flight; results in order."""
    sem = asyncio.Semaphore(limit)

    async def one(item: T) -> Any:
        async with sem:
            return await work(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


def _percentile_ms(sorted_values: Sequence[float], p: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return round(sorted_values[rank - 1] * 1000.0, 3)


def _database_label(url: str) -> str:
    if not url:
        return "sqlite"
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split(":", 1)[0]


def _cpu_s(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return float(t.user + t.system)


def _softirq_s() -> float:
    """CPU seconds the whole machine spent in softirq (loopback TCP's receive side)."""
    return float(getattr(psutil.cpu_times(), "softirq", 0.0))


def _host_busy_s() -> float:
    """CPU seconds the whole machine spent busy (all cores, interrupts included)."""
    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system  # guest time is already inside user
    for extra in ("irq", "softirq", "steal"):
        busy += getattr(t, extra, 0.0)
    return float(busy)


def _mb(n: int) -> float:
    return round(n / (1 << 20), 1)


class Ticker:
    """Refreshes the progress display a few times a second (no refresh thread)."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.updates: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            self.tick()
            await asyncio.sleep(0.2)

    def tick(self) -> None:
        for update in self.updates:
            update()
        self.progress.refresh()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.tick()


async def _post(http: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
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


def _start_profiler(server: ServerProcess, phase: str) -> subprocess.Popen[bytes] | None:
    """With ``OPENLINK_BENCH_PROFILE=out.txt``, sample the server with py-spy over one
    phase, ``OPENLINK_BENCH_PROFILE_PHASE`` = ``send`` (default) or ``connect``, and write
    collapsed stacks (for flamegraph.pl or speedscope). ``pip install py-spy`` first."""
    out = os.environ.get("OPENLINK_BENCH_PROFILE")
    if not out or os.environ.get("OPENLINK_BENCH_PROFILE_PHASE", "send") != phase:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise BenchError("OPENLINK_BENCH_PROFILE is set but py-spy is not installed")
    cmd = [exe, "record", "-p", str(server.pid), "-o", out, "-f", "raw", "-r", "400"]
    cmd.append("--nonblocking")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _cprofile(server: ServerProcess, start: bool) -> None:
    """With ``OPENLINK_BENCH_CPROFILE=out.prof``, the server's event loop thread is under
    cProfile over the send phase (see ``openlink.bench.server``)."""
    if os.environ.get("OPENLINK_BENCH_CPROFILE"):
        os.kill(server.pid, signal.SIGUSR1 if start else signal.SIGUSR2)


def _stop_profiler(proc: subprocess.Popen[bytes] | None) -> None:
    stop_process(proc, signal.SIGINT, 30)


# -- phases -----------------------------------------------------------------------------


def message_body(k: int) -> str:
    return f"fan-out message {k}: {MESSAGE_FILLER}"


async def _install_automod(
    opts: FanoutOptions, server: ServerProcess, room_id: str, host: str
) -> dict[str, int]:
    """The rules of ``--automod``, installed by the host; their counts for the result."""
    from openlink.bench import automod

    if not opts.automod:
        return {"automod_rules": 0, "automod_keywords": 0, "automod_regexes": 0}
    samples = [message_body(k) for k in (0, 7, 1234567, opts.messages - 1)]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120) as http:
        return await automod.install(http, room_id, host, samples)


async def _setup(
    opts: FanoutOptions, server: ServerProcess, progress: Progress
) -> tuple[str, list[str]]:
    """Sign up ``members`` accounts; the first creates the room, the others join by link."""
    tag = secrets.token_hex(3)
    limits = httpx.Limits(
        max_connections=opts.setup_concurrency, max_keepalive_connections=opts.setup_concurrency
    )
    signups = progress.add_task("sign up", total=opts.members)
    joins = progress.add_task("join", total=max(opts.members - 1, 0))
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=120) as http:

        async def sign_up(i: int) -> str:
            username = f"fo{tag}_{i}"
            r = await _post(
                http,
                "/api/accounts",
                json={
                    "username": username,
                    "password": BENCH_PASSWORD,
                    "display_name": f"Bench member {i}",
                    "language": opts.languages[i % len(opts.languages)],
                },
            )
            if r.status_code == 409:  # a retried sign-up that had gone through: sign in
                r = await _post(
                    http, "/api/sessions", json={"username": username, "password": BENCH_PASSWORD}
                )
            if r.status_code not in (200, 201):
                raise BenchError(f"sign-up {i} failed: {r.status_code} {r.text[:300]}")
            progress.advance(signups)
            token: str = r.json()["token"]
            return token

        tokens: list[str] = await _bounded(opts.setup_concurrency, range(opts.members), sign_up)
        r = await _post(
            http,
            "/api/rooms",
            headers={"Authorization": f"Bearer {tokens[0]}"},
            json={"name": f"Fan-out bench {tag}", "member_cap": max(opts.members, 2)},
        )
        if r.status_code != 201:
            raise BenchError(f"creating the room failed: {r.status_code} {r.text[:300]}")
        room = r.json()["room"]
        code = str(room["link"]).rsplit("/", 1)[-1]

        async def join(i: int) -> None:
            r = await _post(
                http,
                f"/api/links/{code}/join",
                headers={"Authorization": f"Bearer {tokens[i]}"},
                json={"profile": {"kind": "open", "nickname": f"member {i}"}},
            )
            if r.status_code != 200:
                raise BenchError(f"join {i} failed: {r.status_code} {r.text[:300]}")
            progress.advance(joins)

        await _bounded(opts.setup_concurrency, range(1, opts.members), join)
    return str(room["id"]), tokens


async def _connect(run: Run, idx: int, token: str, retries: int = 3) -> Member:
    loop = asyncio.get_running_loop()
    for attempt in range(retries):
        member: Member | None = None
        try:
            _, member = await loop.create_connection(
                lambda: Member(run, idx, token), HOST, run.port
            )
            await asyncio.wait_for(member.opened, 30)
            await asyncio.wait_for(member.live, 60)
            return member
        except (OSError, TimeoutError) as exc:
            if member is not None and member.transport is not None:
                member.transport.abort()
            if attempt == retries - 1:
                raise BenchError(f"member {idx} could not connect: {exc!r}") from exc
            await asyncio.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


async def _close_all(members: Sequence[Member]) -> None:
    for m in members:
        m.close()
    if members:
        await asyncio.wait([m.done for m in members], timeout=10)


async def _bench(
    opts: FanoutOptions,
    server: ServerProcess,
    tr: Translation,
    progress: Progress,
    ticker: Ticker,
) -> dict[str, Any]:
    run = Run(opts, server.port)
    await server.wait_ready()
    run.room_id, tokens = await _setup(opts, server, progress)
    await tr.setup(server, _post, BENCH_PASSWORD)
    automod_counts = await _install_automod(opts, server, run.room_id, tokens[0])

    # Warm up code paths and caches with two sockets, so that the RSS baseline is a warm
    # server and not the first connection's one-off imports and compiled queries.
    warm = [await _connect(run, i, tokens[i]) for i in range(min(2, opts.members))]
    run.stopping = True
    await _close_all(warm)
    run.stopping = False
    await asyncio.sleep(opts.settle_s)
    rss_before = server.rss()

    connecting = progress.add_task("connect", total=opts.members)
    ticker.updates.append(
        lambda: progress.update(connecting, completed=sum(m.live.done() for m in run.members))
    )
    me = psutil.Process()
    connect_profiler = _start_profiler(server, "connect")
    if connect_profiler is not None:
        await asyncio.sleep(1.0)  # let it attach
    cpu0 = (server.cpu_s(), _cpu_s(me))
    t0 = time.perf_counter()

    async def connect(i: int) -> Member:
        member = await _connect(run, i, tokens[i])
        run.members.append(member)
        return member

    members: list[Member] = await _bounded(opts.connect_concurrency, range(opts.members), connect)
    connect_s = time.perf_counter() - t0
    connect_cpu = (server.cpu_s() - cpu0[0], _cpu_s(me) - cpu0[1])
    _stop_profiler(connect_profiler)
    run.members = members
    run.senders = members[: max(1, min(opts.senders, opts.members))]
    await asyncio.sleep(opts.settle_s)  # presence broadcasts, write buffers
    rss_connected = server.rss()
    kb_per_connection = (rss_connected - rss_before) / 1024 / opts.members

    result: dict[str, Any] = {
        "members": opts.members,
        "senders": 0 if opts.idle else len(run.senders),
        "messages": 0 if opts.idle else opts.messages,
        "rate": opts.rate,
        "idle": opts.idle,
        "database": _database_label(opts.database_url),
        "broker": os.environ.get("OPENLINK_BROKER", "memory"),
        "automod": opts.automod,
        "flood_limits": {
            k.removeprefix("OPENLINK_FLOOD_").lower(): int(os.environ.get(k, v))
            for k, v in BENCH_LIMITS.items()
        },
        **automod_counts,
        "sqlite_synchronous": None
        if opts.database_url
        else os.environ.get("OPENLINK_SQLITE_SYNCHRONOUS", "full").lower(),
        "connect_s": round(connect_s, 3),
        "server_rss_before_mb": _mb(rss_before),
        "server_rss_mb": _mb(rss_connected),
        "kb_per_connection": round(kb_per_connection, 2),
        "translator": opts.translator,
        "languages": list(opts.languages),
        "translation_targets": tr.targets,
        "translation_model": tr.describe(),
    }
    result.update(
        connect_server_cpu_s=round(connect_cpu[0], 3),
        connect_client_cpu_s=round(connect_cpu[1], 3),
        **dict.fromkeys(SEND_KEYS),
        deliveries=0,
        expected=0,
        lost=0,
        duplicates=0,
        send_errors=0,
        timed_out=False,
        **dict.fromkeys(TRANSLATION_KEYS),
    )
    if opts.idle:
        run.stopping = True
        await _close_all(members)
        return _finish(result, run)

    delivering = progress.add_task("deliveries", total=opts.members * opts.messages)
    ticker.updates.append(lambda: progress.update(delivering, completed=run.unique))
    readers = sum(m.lang in tr.targets for m in members)
    tr_expected = readers * opts.messages
    if tr_expected:
        translating = progress.add_task("translated", total=tr_expected)
        ticker.updates.append(lambda: progress.update(translating, completed=run.translated_unique))
    profiler = _start_profiler(server, "send")
    if profiler is not None:
        await asyncio.sleep(1.0)  # let it attach
    _cprofile(server, start=True)
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        host0 = _host_busy_s()
        softirq0, reads0 = _softirq_s(), run.reads
        side0 = tr.model_cpu_s() + workers_cpu_s(server.pid)
        threads0 = server.thread_cpu_s()
        cpu_server0 = server.cpu_s()
        cpu_client0 = _cpu_s(me)
        wall0 = time.perf_counter()
        pacer = run.start_sending()
        timed_out = await _wait_for_deliveries(run, opts.timeout_s)
        wall1 = time.perf_counter()
        cpu_server1 = server.cpu_s()
        threads1 = server.thread_cpu_s()
        cpu_client1 = _cpu_s(me)
        side1 = tr.model_cpu_s() + workers_cpu_s(server.pid)
        host1 = _host_busy_s()
        softirq1, reads1 = _softirq_s(), run.reads
    finally:
        gc.enable()
        gc.unfreeze()
    if pacer is not None and not pacer.done():
        pacer.cancel()
    _stop_profiler(profiler)
    _cprofile(server, start=False)
    rss_end = server.rss()
    translated = await _settle_translations(opts, server, tr, run, tr_expected, cpu_server1)
    run.stopping = True
    await _close_all(members)

    server_cpu_s = cpu_server1 - cpu_server0
    client_cpu_s = cpu_client1 - cpu_client0
    wall_s = wall1 - wall0
    send_end = run.last_ack if run.acked.done() else run.last_send
    send_s = send_end - run.first_send
    lat, deliveries = _latencies(run)
    foreign = run.unique - deliveries  # text messages this run did not send (none expected)
    delivery_s = max(run.recv_times) - run.first_send if deliveries else 0.0
    acks = sorted(run.ack_latencies)
    result.update(
        server_rss_mb=_mb(rss_end),
        send_s=round(send_s, 3),
        sends_per_s=round(opts.messages / send_s, 1) if send_s > 0 else None,
        deliveries=deliveries,
        expected=run.expected,
        deliveries_per_s=round(deliveries / delivery_s) if delivery_s > 0 else None,
        server_cpu_s=round(server_cpu_s, 3),
        server_loop_cpu_s=round(threads1[0] - threads0[0], 3),
        server_threads_cpu_s=round(threads1[1] - threads0[1], 3),
        deliveries_per_server_cpu_s=round(deliveries / server_cpu_s) if server_cpu_s else None,
        server_cpu_busy=round(server_cpu_s / wall_s, 3) if wall_s else None,
        client_cpu_s=round(client_cpu_s, 3),
        client_cpu_busy=round(client_cpu_s / wall_s, 3) if wall_s else None,
        other_cpu_s=round(
            max(0.0, host1 - host0 - server_cpu_s - client_cpu_s - (side1 - side0)), 3
        ),
        softirq_cpu_s=round(softirq1 - softirq0, 3),
        client_reads=reads1 - reads0,
        p50_ms=_percentile_ms(lat, 50),
        p90_ms=_percentile_ms(lat, 90),
        p99_ms=_percentile_ms(lat, 99),
        max_ms=_percentile_ms(lat, 100),
        ack_p50_ms=_percentile_ms(acks, 50),
        ack_p99_ms=_percentile_ms(acks, 99),
        lost=run.expected - deliveries,
        duplicates=run.duplicates,
        send_errors=run.send_errors,
        timed_out=timed_out,
        **translated,
    )
    return _finish(result, run, foreign)


async def _settle_translations(
    opts: FanoutOptions,
    server: ServerProcess,
    tr: Translation,
    run: Run,
    expected_deliveries: int,
    cpu_server_end: float,
) -> dict[str, Any]:
    """After the originals' phase: wait for the translations, read the server's counters.
    ``settle_*`` covers the time from the end of that phase until they settled."""
    t0 = time.perf_counter()
    stats, timed_out = await tr.settle(server.base_url, run, expected_deliveries, opts.timeout_s)
    settle_s = time.perf_counter() - t0
    settle_cpu = server.cpu_s() - cpu_server_end
    messages = opts.messages
    calls, translations = int(stats.get("calls", 0)), int(stats.get("translations", 0))
    sent_by_seq = run.sent_by_seq
    lat = sorted(
        t - sent_by_seq[seq]
        for seq, t in zip(run.tr_seqs, run.tr_times, strict=True)
        if seq in sent_by_seq
    )
    return {
        "translation_calls": calls,
        "translations": translations,
        "translations_expected": tr.expected_calls(messages),
        "translations_stored": int(stats.get("stored", 0)),
        "translations_shed": int(stats.get("shed", 0)),
        "translation_failures": int(stats.get("failures", 0)),
        "translations_per_message": round(translations / messages, 3) if messages else None,
        "engine_calls_per_message": round(calls / messages, 3) if messages else None,
        "translated_deliveries": run.translated_unique,
        "translated_expected": expected_deliveries,
        "translation_duplicates": run.tr_duplicates,
        "translation_wrong_language": run.tr_wrong_language,
        "translation_source_languages": dict(run.tr_sources),
        "translated_p50_ms": _percentile_ms(lat, 50),
        "translated_p99_ms": _percentile_ms(lat, 99),
        "settle_s": round(settle_s, 3),
        "settle_server_cpu_s": round(settle_cpu, 3),
        "model_requests": await tr.model.requests() if tr.model is not None else None,
        "model_cpu_s": round(tr.model_cpu_s(), 3) if tr.model is not None else None,
        "worker_cpu_s": round(workers_cpu_s(server.pid), 3),
        "translation_timed_out": timed_out,
    }


def _latencies(run: Run) -> tuple[list[float], int]:
    """Sorted delivery latencies (s) of this run's messages, and how many deliveries."""
    sent_by_seq = run.sent_by_seq
    lat = [
        t - sent_by_seq[seq]
        for seq, t in zip(run.recv_seqs, run.recv_times, strict=True)
        if seq in sent_by_seq
    ]
    lat.sort()
    return lat, len(lat)


def _finish(result: dict[str, Any], run: Run, foreign: int = 0) -> dict[str, Any]:
    if foreign:
        result["foreign_deliveries"] = foreign
    if run.error_codes:
        result["error_codes"] = dict(run.error_codes)
    if run.closes:
        result["server_closes"] = dict(run.closes)
    return result


async def _wait_for_deliveries(run: Run, timeout_s: float) -> bool:
    """Wait until every member has every message, or nothing moved for ``timeout_s``.

    Polls every 20 ms (the receive path keeps no shared counter, to stay lean). Returns
    True when it gave up.
    """
    last_seen = (-1, -1)
    last_change = time.monotonic()
    while True:
        seen = (run.acks, run.unique)
        if seen[1] >= run.expected and run.acked.done():
            return False
        now = time.monotonic()
        if seen != last_seen:
            last_seen, last_change = seen, now
        elif now - last_change > timeout_s:
            return True
        await asyncio.sleep(0.02)


# -- entry point ------------------------------------------------------------------------


def _check(opts: FanoutOptions) -> None:
    if opts.members < 1:
        raise BenchError("--members must be at least 1")
    if opts.senders < 1 and not opts.idle:
        raise BenchError("--senders must be at least 1")
    if opts.messages < 0 or opts.rate < 0:
        raise BenchError("--messages and --rate must not be negative")
    if opts.translator not in TRANSLATORS:
        raise BenchError(f"--translator must be one of {', '.join(TRANSLATORS)}")
    if not opts.languages:
        raise BenchError("--languages must name at least one language")


def _plan_cpus(pin: bool) -> tuple[list[int] | None, list[int] | None]:
    """(server cores, load generator cores), or Nones when not pinning."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return available[:1], available[1:]


def _terminated(signum: int, _frame: Any) -> None:
    """SIGTERM: unwind like Ctrl-C, so that the server subprocess is stopped too."""
    raise SystemExit(128 + signum)


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run_fanout(opts: FanoutOptions) -> dict[str, Any]:
    """Run the benchmark; prints progress on stderr and one JSON line last on stdout."""
    console = Console(stderr=True)
    try:
        _check(opts)
    except BenchError as exc:
        console.print(f"[red]bench fanout: {exc}[/red]")
        raise SystemExit(2) from None
    fd_limit = _raise_fd_limit(opts.members + 1024)
    if fd_limit < opts.members + 64:
        console.print(
            f"[yellow]warning: the open-file limit is {fd_limit}; "
            f"{opts.members} sockets may not fit[/yellow]"
        )
    server_cpus, client_cpus = _plan_cpus(opts.pin)
    server = ServerProcess(opts, server_cpus)
    tr = Translation(opts.translator, opts.languages, HOST)
    progress = progress_bar(console)
    ticker = Ticker(progress)

    async def main() -> dict[str, Any]:
        ticker.start()
        try:
            return await _bench(opts, server, tr, progress, ticker)
        finally:
            await ticker.stop()

    result: dict[str, Any] | None = None
    previous_term = signal.signal(signal.SIGTERM, _terminated)
    try:
        server.extra_env.update(tr.start(client_cpus))
        server.start()
        if client_cpus:
            _pin_process(os.getpid(), client_cpus)
        with progress, asyncio.Runner(loop_factory=_new_loop) as runner:
            result = runner.run(main())
    except (BenchError, TranslationBenchError, httpx.HTTPError, OSError) as exc:
        console.print(f"[red]bench fanout failed: {exc!r}[/red]", highlight=False)
        tail = server.log_tail()
        if tail:
            console.print(f"server log (last lines):\n{tail}", markup=False, highlight=False)
        raise SystemExit(1) from None
    finally:
        server.stop()
        tr.stop()
        signal.signal(signal.SIGTERM, previous_term)
    assert result is not None
    result["server_cpu_count_pinned"] = len(server_cpus) if server_cpus else None
    result["client_cpus"] = len(client_cpus) if client_cpus else os.cpu_count()
    _summary(console, result)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
    sys.stdout.flush()
    return result


def _summary(console: Console, r: dict[str, Any]) -> None:
    if r["idle"]:
        console.print(
            f"{r['members']} idle connections in {r['connect_s']} s: "
            f"{r['kb_per_connection']} KB of server RSS each "
            f"({r['server_rss_before_mb']} -> {r['server_rss_mb']} MB)"
        )
        return
    console.print(
        f"{r['messages']} messages x {r['members']} members: "
        f"{r['sends_per_s']} sends/s, {r['deliveries_per_s']} deliveries/s, "
        f"{r['deliveries_per_server_cpu_s']} deliveries per server CPU-second; "
        f"p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms; "
        f"lost {r['lost']}, duplicates {r['duplicates']}; "
        f"server CPU {r['server_cpu_s']} s, load generator CPU {r['client_cpu_s']} s"
    )
    if r["translator"] == "none":
        return
    console.print(
        f"translation ({r['translator']}: {r['translation_model']}): "
        f"{r['translations_per_message']} translations and {r['engine_calls_per_message']} "
        f"engine calls per message into {len(r['translation_targets'])} languages; "
        f"stored {r['translations_stored']}, shed {r['translations_shed']}, "
        f"failed {r['translation_failures']}; {r['translated_deliveries']} of "
        f"{r['translated_expected']} translated deliveries, duplicates "
        f"{r['translation_duplicates']}, wrong language {r['translation_wrong_language']}; "
        f"send to translation p50 {r['translated_p50_ms']} ms, p99 {r['translated_p99_ms']} ms",
        highlight=False,
    )
