"""``openlink bench fanout``: one room, many members on real WebSockets, a few senders.

What it does, in order:

1. Starts ``openlink serve`` in a subprocess on 127.0.0.1 with a fresh data folder (or
   ``--database-url``), pinned to one core when the machine has two or more; this process,
   the load generator, is pinned to the other cores.
2. Signs up ``members`` accounts and puts them all in one room over HTTP (not measured);
   with ``--rooms-per-member R`` every member is also in R - 1 smaller rooms that have
   some history the members have not read.
3. Connects every member over its own WebSocket (``hello`` -> ``ready`` -> ``presence``
   for each room) with :class:`openlink.bench.wsclient.WSClient`, a lean client, so that
   the load generator is not the bottleneck; with ``--client-procs N`` the members are
   spread over N processes (:mod:`openlink.bench.fanout_procs`).
4. ``--idle``: measures the server's RSS before and after the connections and stops.
   Otherwise ``senders`` of the members send ``messages`` in all: each sender's next one
   as soon as its previous one is acknowledged (``--rate 0``) or paced at ``--rate`` per
   second overall. Every member, the sender included, must receive every message once.
5. Every member disconnects and resumes (``since`` = what it holds in each room): the
   server CPU that costs is ``resume_server_cpu_s``.
6. Prints a progress bar on stderr and, as the LAST line on stdout, one JSON object.

Server CPU is the server process's user+system time over the send phase (first send to
last delivery): ``deliveries_per_server_cpu_s`` counts none of the load generator's work.
``client_cpu_s`` is there to show a client-bound run.
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import orjson
from rich.console import Console
from rich.progress import Progress

from openlink.bench.common import (
    HOST,
    BenchError,
    Ticker,
    database_label,
    host_busy_s,
    mb,
    new_loop,
    pin_process,
    plan_cpus,
    progress_bar,
    raise_fd_limit,
    softirq_s,
    stop_process,
    terminated,
)
from openlink.bench.fanout_client import Plan
from openlink.bench.fanout_procs import Clients, LocalClients, ProcClients
from openlink.bench.fanout_translation import (
    TRANSLATORS,
    Translation,
    TranslationBenchError,
    workers_cpu_s,
)
from openlink.bench.server_process import ServerProcess
from openlink.bench.setup import BENCH_LIMITS, BENCH_PASSWORD, Setup, message_body, post
from openlink.bench.stats import Latencies

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
    "resume_s",
    "resume_server_cpu_s",
    "resume_server_cpu_ms_per_member",
)

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

#: Side rooms (``--rooms-per-member``): about this many members each, with this many
#: messages of history.
SIDE_ROOM_SIZE = 50
SIDE_ROOM_HISTORY = 20


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
    #: Rooms each member is in: the run's room and ``rooms_per_member - 1`` side rooms.
    rooms_per_member: int = 1
    #: Processes that run the members (1: this one).
    client_procs: int = 1
    #: Work run beside the send phase (``bench/media.py``'s uploads), or None.
    background: Background | None = None
    #: More environment for the server process.
    server_env: dict[str, str] = field(default_factory=dict)
    #: Return the result without printing it (a caller that runs the bench twice).
    quiet: bool = False


class Background(Protocol):
    """Load run in this process while the members send: started before the first send
    (``ready`` is awaited), cancelled once every delivery arrived."""

    async def run(self, base_url: str, room_id: str, token: str, ready: asyncio.Event) -> None: ...

    def report(self) -> dict[str, Any]: ...


# -- profiling ----------------------------------------------------------------------------


def _start_profiler(server: ServerProcess, phase: str) -> subprocess.Popen[bytes] | None:
    """With ``OPENLINK_BENCH_PROFILE=out.txt``, sample the server with py-spy over one
    phase, ``OPENLINK_BENCH_PROFILE_PHASE`` = ``send`` (default) or ``connect``, and write
    collapsed stacks (for flamegraph.pl or speedscope). ``pip install py-spy`` first."""
    import shutil
    from pathlib import Path

    out = os.environ.get("OPENLINK_BENCH_PROFILE")
    if not out or os.environ.get("OPENLINK_BENCH_PROFILE_PHASE", "send") != phase:
        return None
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise BenchError("OPENLINK_BENCH_PROFILE is set but py-spy is not installed")
    cmd = [exe, "record", "-p", str(server.pid), "-o", out, "-f", "raw", "-r", "400"]
    cmd.append("--nonblocking")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _cprofile(server: ServerProcess, start: bool, phase: str) -> None:
    """With ``OPENLINK_BENCH_CPROFILE=out.prof``, the server's event loop thread is under
    cProfile over one phase, ``OPENLINK_BENCH_PROFILE_PHASE`` = ``send`` (default),
    ``connect`` or ``resume`` (see ``openlink.bench.server``)."""
    if not os.environ.get("OPENLINK_BENCH_CPROFILE"):
        return
    if os.environ.get("OPENLINK_BENCH_PROFILE_PHASE", "send") == phase:
        os.kill(server.pid, signal.SIGUSR1 if start else signal.SIGUSR2)


class _Profiled:
    """Both profilers around one phase: py-spy (sampling) and cProfile, as asked."""

    def __init__(self, server: ServerProcess, phase: str) -> None:
        self.server, self.phase = server, phase
        self.spy: subprocess.Popen[bytes] | None = None

    async def __aenter__(self) -> None:
        self.spy = _start_profiler(self.server, self.phase)
        if self.spy is not None:
            await asyncio.sleep(1.0)  # let it attach
        _cprofile(self.server, True, self.phase)

    async def __aexit__(self, *_exc: object) -> None:
        _cprofile(self.server, False, self.phase)
        stop_process(self.spy, signal.SIGINT, 30)


# -- phases -----------------------------------------------------------------------------


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
) -> tuple[str, list[str], int]:
    """Sign up ``members`` accounts; the first creates the room, the others join by link;
    then the side rooms. Returns the room, the tokens and how many side rooms."""
    tag = secrets.token_hex(3)
    limits = httpx.Limits(
        max_connections=opts.setup_concurrency, max_keepalive_connections=opts.setup_concurrency
    )
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=120) as http:
        setup = Setup([http], opts.setup_concurrency, progress)
        tokens = await setup.sign_up(f"fo{tag}", opts.members, opts.languages)
        room = await setup.create_room(tokens[0], f"Fan-out bench {tag}", max(opts.members, 2))
        await setup.join(room, [(i, tokens[i]) for i in range(1, opts.members)])
        side = 0
        if opts.rooms_per_member > 1:
            side = await setup.side_rooms(
                tokens, opts.rooms_per_member - 1, SIDE_ROOM_SIZE, SIDE_ROOM_HISTORY
            )
    return str(room["id"]), tokens, side


def _clients(opts: FanoutOptions, plan: Plan, cpus: list[int] | None) -> Clients:
    if opts.client_procs > 1:
        return ProcClients(plan, opts.client_procs, cpus)
    return LocalClients(plan)


async def _timed_connect(
    clients: Clients, server: ServerProcess, phase: str
) -> tuple[float, float, float]:
    """Connect every member; (wall seconds, server CPU seconds, client CPU seconds)."""
    async with _Profiled(server, phase):
        cpu0 = (server.cpu_s(), clients.cpu_s())
        t0 = time.perf_counter()
        await clients.connect()
        wall = time.perf_counter() - t0
        return wall, server.cpu_s() - cpu0[0], clients.cpu_s() - cpu0[1]


async def _bench(
    opts: FanoutOptions,
    server: ServerProcess,
    tr: Translation,
    progress: Progress,
    ticker: Ticker,
    client_cpus: list[int] | None,
) -> dict[str, Any]:
    await server.wait_ready()
    room_id, tokens, side_rooms = await _setup(opts, server, progress)
    await tr.setup(server, post, BENCH_PASSWORD)
    automod_counts = await _install_automod(opts, server, room_id, tokens[0])
    plan = Plan(
        port=server.port,
        room_id=room_id,
        messages=opts.messages,
        rate=opts.rate,
        senders=max(1, min(opts.senders, opts.members)),
        members=tuple(enumerate(tokens)),
        languages=opts.languages,
        connect_concurrency=opts.connect_concurrency,
    )
    clients = _clients(opts, plan, client_cpus)
    try:
        parts = _Parts(opts, server, tr, progress, ticker, clients, room_id, tokens[0])
        return await _measure(parts, automod_counts, side_rooms)
    finally:
        clients.stop()


@dataclass(slots=True)
class _Parts:
    """What the measured phases work with."""

    opts: FanoutOptions
    server: ServerProcess
    tr: Translation
    progress: Progress
    ticker: Ticker
    clients: Clients
    room_id: str = ""
    #: The room's host: who uploads, for the background load.
    host_token: str = ""


async def _measure(
    parts: _Parts, automod_counts: dict[str, int], side_rooms: int
) -> dict[str, Any]:
    opts, server, tr, clients = parts.opts, parts.server, parts.tr, parts.clients
    progress, ticker = parts.progress, parts.ticker
    # Warm up code paths and caches with two sockets, so that the RSS baseline is a warm
    # server and not the first connection's one-off imports and compiled queries.
    await clients.connect(warm=min(2, opts.members))
    await asyncio.sleep(opts.settle_s)
    rss_before = server.rss()

    connecting = progress.add_task("connect", total=opts.members)
    ticker.updates.append(lambda: progress.update(connecting, completed=clients.counts().connected))
    connect_s, connect_server_cpu, connect_client_cpu = await _timed_connect(
        clients, server, "connect"
    )
    await asyncio.sleep(opts.settle_s)  # presence broadcasts, write buffers
    rss_connected = server.rss()

    result: dict[str, Any] = {
        "members": opts.members,
        "senders": 0 if opts.idle else min(opts.senders, opts.members),
        "messages": 0 if opts.idle else opts.messages,
        "rate": opts.rate,
        "idle": opts.idle,
        "rooms_per_member": opts.rooms_per_member,
        "side_rooms": side_rooms,
        "client_procs": opts.client_procs,
        "database": database_label(opts.database_url),
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
        "connect_server_cpu_s": round(connect_server_cpu, 3),
        "connect_server_cpu_ms_per_member": round(connect_server_cpu * 1000 / opts.members, 3),
        "connect_client_cpu_s": round(connect_client_cpu, 3),
        "server_rss_before_mb": mb(rss_before),
        "server_rss_mb": mb(rss_connected),
        "kb_per_connection": round((rss_connected - rss_before) / 1024 / opts.members, 2),
        "translator": opts.translator,
        "languages": list(opts.languages),
        "translation_targets": tr.targets,
        "translation_model": tr.describe(),
        **dict.fromkeys(SEND_KEYS),
        "deliveries": 0,
        "expected": 0,
        "lost": 0,
        "duplicates": 0,
        "send_errors": 0,
        "timed_out": False,
        **dict.fromkeys(TRANSLATION_KEYS),
    }
    if opts.idle:
        await clients.close()
        return result
    await _send_phase(parts, result)
    await clients.close()
    await asyncio.sleep(opts.settle_s)  # the server lets go of the sockets
    resume_s, resume_cpu, _ = await _timed_connect(clients, server, "resume")
    result.update(
        resume_s=round(resume_s, 3),
        resume_server_cpu_s=round(resume_cpu, 3),
        resume_server_cpu_ms_per_member=round(resume_cpu * 1000 / opts.members, 3),
    )
    await clients.close()
    return result


async def _send_phase(parts: _Parts, result: dict[str, Any]) -> None:
    opts, server, tr, clients = parts.opts, parts.server, parts.tr, parts.clients
    progress, ticker = parts.progress, parts.ticker
    expected = opts.members * opts.messages
    delivering = progress.add_task("deliveries", total=expected)
    ticker.updates.append(lambda: progress.update(delivering, completed=clients.counts().unique))
    readers = sum(
        opts.languages[i % len(opts.languages)] in tr.targets for i in range(opts.members)
    )
    tr_expected = readers * opts.messages
    if tr_expected:
        translating = progress.add_task("translated", total=tr_expected)
        ticker.updates.append(
            lambda: progress.update(translating, completed=clients.counts().translated)
        )
    background: asyncio.Task[None] | None = None
    if opts.background is not None:
        ready = asyncio.Event()
        background = asyncio.create_task(
            opts.background.run(server.base_url, parts.room_id, parts.host_token, ready)
        )
        async with asyncio.timeout(120):
            await ready.wait()
    async with _Profiled(server, "send"):
        gc.collect()
        gc.freeze()
        gc.disable()
        try:
            host0, softirq0, reads0 = host_busy_s(), softirq_s(), clients.counts().reads
            side0 = tr.model_cpu_s() + workers_cpu_s(server.pid)
            threads0 = server.thread_cpu_s()
            cpu_server0, cpu_client0 = server.cpu_s(), clients.cpu_s()
            wall0 = time.perf_counter()
            # Paced senders in several processes share one schedule, from a moment all of
            # them are told of in time.
            await clients.start_sending(time.perf_counter() + 0.05 * (opts.client_procs > 1))
            timed_out = await _wait_for_deliveries(clients, opts, expected)
            wall1 = time.perf_counter()
            cpu_server1, threads1 = server.cpu_s(), server.thread_cpu_s()
            cpu_client1 = clients.cpu_s()
            side1 = tr.model_cpu_s() + workers_cpu_s(server.pid)
            host1, softirq1, reads1 = host_busy_s(), softirq_s(), clients.counts().reads
        finally:
            gc.enable()
            gc.unfreeze()
            if background is not None:
                background.cancel()
                await asyncio.gather(background, return_exceptions=True)
    rss_end = server.rss()
    translated = await _settle_translations(opts, server, tr, clients, tr_expected, cpu_server1)
    ticker.tick()
    ticker.updates.clear()  # the members reconnect next: their counts start again
    sends = await clients.sends_reports()
    sent_by_seq = {seq: t for r in sends for seq, t in r["sent_by_seq"].items()}
    receipts = await clients.receipts_reports(sent_by_seq)
    sent = _merge_sends(opts, sends)
    received = _merge_receipts(receipts, expected)
    first, last = sent.pop("_first_send"), received.pop("_last_delivery")
    delivery_s = last - first if received["deliveries"] else 0.0
    server_cpu_s = cpu_server1 - cpu_server0
    client_cpu_s = cpu_client1 - cpu_client0
    wall_s = wall1 - wall0
    result.update(
        server_rss_mb=mb(rss_end),
        server_cpu_s=round(server_cpu_s, 3),
        server_loop_cpu_s=round(threads1[0] - threads0[0], 3),
        server_threads_cpu_s=round(threads1[1] - threads0[1], 3),
        server_cpu_busy=round(server_cpu_s / wall_s, 3) if wall_s else None,
        client_cpu_s=round(client_cpu_s, 3),
        client_cpu_busy=round(client_cpu_s / wall_s, 3) if wall_s else None,
        other_cpu_s=round(
            max(0.0, host1 - host0 - server_cpu_s - client_cpu_s - (side1 - side0)), 3
        ),
        softirq_cpu_s=round(softirq1 - softirq0, 3),
        client_reads=reads1 - reads0,
        expected=expected,
        timed_out=timed_out,
        deliveries_per_s=round(received["deliveries"] / delivery_s) if delivery_s > 0 else None,
        deliveries_per_server_cpu_s=(
            round(received["deliveries"] / server_cpu_s) if server_cpu_s else None
        ),
        **sent,
        **received,
        **translated,
    )


def _merge_sends(opts: FanoutOptions, reports: list[dict[str, Any]]) -> dict[str, Any]:
    sending = [r for r in reports if r["sends"]]
    first = min((r["first_send"] for r in sending), default=0.0)
    acks = Latencies()
    for r in reports:
        acks.add(Latencies.decode(r["acks"]))
    all_acked = acks.count + sum(r["send_errors"] for r in reports) >= opts.messages
    end = max((r["last_ack"] if all_acked else r["last_send"] for r in sending), default=first)
    send_s = end - first
    return {
        "send_s": round(send_s, 3),
        "sends_per_s": round(opts.messages / send_s, 1) if send_s > 0 else None,
        "ack_p50_ms": acks.percentile_ms(50),
        "ack_p99_ms": acks.percentile_ms(99),
        "send_errors": sum(r["send_errors"] for r in reports),
        "_first_send": first,
    }


def _merge_receipts(reports: list[dict[str, Any]], expected: int) -> dict[str, Any]:
    lat, tr_lat = Latencies(), Latencies()
    sources: Counter[str] = Counter()
    for r in reports:
        lat.add(Latencies.decode(r["latencies"]))
        tr_lat.add(Latencies.decode(r["translated_latencies"]))
        sources.update(r["tr_sources"])
    deliveries = lat.count
    out: dict[str, Any] = {
        "deliveries": deliveries,
        "translated_deliveries": sum(r["translated_unique"] for r in reports),
        "translation_duplicates": sum(r["tr_duplicates"] for r in reports),
        "translation_wrong_language": sum(r["tr_wrong_language"] for r in reports),
        "translation_source_languages": dict(sources),
        "translated_p50_ms": tr_lat.percentile_ms(50),
        "translated_p99_ms": tr_lat.percentile_ms(99),
        "p50_ms": lat.percentile_ms(50),
        "p90_ms": lat.percentile_ms(90),
        "p99_ms": lat.percentile_ms(99),
        "max_ms": lat.percentile_ms(100),
        "lost": expected - deliveries,
        "duplicates": sum(r["duplicates"] for r in reports),
        "_last_delivery": max(r["last_delivery"] for r in reports),
    }
    # Text messages this run did not send (none expected).
    foreign = sum(r["unique"] for r in reports) - deliveries
    if foreign:
        out["foreign_deliveries"] = foreign
    codes: Counter[str] = Counter()
    closes: Counter[str] = Counter()
    for r in reports:
        codes.update(r["error_codes"])
        closes.update(r["closes"])
    if codes:
        out["error_codes"] = dict(codes)
    if closes:
        out["server_closes"] = dict(closes)
    return out


async def _settle_translations(
    opts: FanoutOptions,
    server: ServerProcess,
    tr: Translation,
    clients: Clients,
    expected_deliveries: int,
    cpu_server_end: float,
) -> dict[str, Any]:
    """After the originals' phase: wait for the translations, read the server's counters.
    ``settle_*`` covers the time from the end of that phase until they settled."""
    t0 = time.perf_counter()
    stats, timed_out = await tr.settle(
        server.base_url,
        opts.messages,
        lambda: clients.counts().translated,
        expected_deliveries,
        opts.timeout_s,
    )
    settle_s = time.perf_counter() - t0
    settle_cpu = server.cpu_s() - cpu_server_end
    messages = opts.messages
    calls, translations = int(stats.get("calls", 0)), int(stats.get("translations", 0))
    return {
        "translation_calls": calls,
        "translations": translations,
        "translations_expected": tr.expected_calls(messages),
        "translations_stored": int(stats.get("stored", 0)),
        "translations_shed": int(stats.get("shed", 0)),
        "translation_failures": int(stats.get("failures", 0)),
        "translations_per_message": round(translations / messages, 3) if messages else None,
        "engine_calls_per_message": round(calls / messages, 3) if messages else None,
        "translated_expected": expected_deliveries,
        "settle_s": round(settle_s, 3),
        "settle_server_cpu_s": round(settle_cpu, 3),
        "model_requests": await tr.model.requests() if tr.model is not None else None,
        "model_cpu_s": round(tr.model_cpu_s(), 3) if tr.model is not None else None,
        "worker_cpu_s": round(workers_cpu_s(server.pid), 3),
        "translation_timed_out": timed_out,
    }


async def _wait_for_deliveries(clients: Clients, opts: FanoutOptions, expected: int) -> bool:
    """Wait until every member has every message, or nothing moved for ``timeout_s``.

    Polls every 20 ms (the receive path keeps no shared counter, to stay lean). Returns
    True when it gave up.
    """
    last_seen = (-1, -1)
    last_change = time.monotonic()
    while True:
        counts = clients.counts()
        seen = (counts.acks, counts.unique)
        if counts.unique >= expected and counts.acks >= opts.messages:
            return False
        now = time.monotonic()
        if seen != last_seen:
            last_seen, last_change = seen, now
        elif now - last_change > opts.timeout_s:
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
    if opts.rooms_per_member < 1 or opts.client_procs < 1:
        raise BenchError("--rooms-per-member and --client-procs must be at least 1")


def run_fanout(opts: FanoutOptions) -> dict[str, Any]:
    """Run the benchmark; prints progress on stderr and one JSON line last on stdout."""
    console = Console(stderr=True)
    try:
        _check(opts)
    except BenchError as exc:
        console.print(f"[red]bench fanout: {exc}[/red]")
        raise SystemExit(2) from None
    fd_limit = raise_fd_limit(opts.members + 1024)
    if fd_limit < opts.members + 64:
        console.print(
            f"[yellow]warning: the open-file limit is {fd_limit}; "
            f"{opts.members} sockets may not fit[/yellow]"
        )
    server_cpus, client_cpus = plan_cpus(opts.pin)
    # Given back at the end: a caller that runs the bench again (``bench media`` runs it
    # twice) would otherwise plan from the load generator's core alone, and its next
    # server would share that core with the load generator.
    own_cpus = sorted(os.sched_getaffinity(0)) if client_cpus else None
    server = ServerProcess(opts.members, opts.database_url, server_cpus)
    server.extra_env.update(opts.server_env)
    tr = Translation(opts.translator, opts.languages, HOST)
    progress = progress_bar(console)
    ticker = Ticker(progress)

    async def main() -> dict[str, Any]:
        ticker.start()
        try:
            return await _bench(opts, server, tr, progress, ticker, client_cpus)
        finally:
            await ticker.stop()

    result: dict[str, Any] | None = None
    previous_term = signal.signal(signal.SIGTERM, terminated)
    try:
        server.extra_env.update(tr.start(client_cpus))
        server.start()
        if client_cpus:
            pin_process(os.getpid(), client_cpus)
        with progress, asyncio.Runner(loop_factory=new_loop) as runner:
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
        if own_cpus:
            pin_process(os.getpid(), own_cpus)
    assert result is not None
    result["server_cpu_count_pinned"] = len(server_cpus) if server_cpus else None
    result["client_cpus"] = len(client_cpus) if client_cpus else os.cpu_count()
    if opts.background is not None:
        result["background"] = opts.background.report()
    if opts.quiet:
        return result
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
