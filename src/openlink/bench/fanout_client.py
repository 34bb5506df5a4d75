"""The members' side of ``openlink bench fanout``, as one process runs it.

A :class:`Run` holds some of the members (all of them, or one slice per process with
``--client-procs``): their sockets, what they received, and the senders among them. It
answers the parent with plain reports (counters and encoded histograms) that add up
exactly across processes.

Times are ``time.perf_counter()``: on Linux that is the system-wide monotonic clock, so a
send in one process and its delivery in another are timed on one clock.
"""

from __future__ import annotations

import asyncio
import time
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from openlink.bench.common import HOST, BenchError
from openlink.bench.setup import message_body
from openlink.bench.stats import Latencies
from openlink.bench.wsclient import WSClient


@dataclass(slots=True, frozen=True)
class Plan:
    """What one process's members do: the room, the schedule, and who they are."""

    port: int
    room_id: str
    messages: int
    #: Messages per second in all; 0 = each sender sends when its previous one is acked.
    rate: float
    #: Senders in all (over every process); sender ``s`` sends every message ``k`` with
    #: ``k % senders == s``.
    senders: int
    #: (global index, token) of this process's members; global index < ``senders`` sends.
    members: tuple[tuple[int, str], ...]
    languages: tuple[str, ...]
    connect_concurrency: int


class Counts(NamedTuple):
    """What the parent polls while a phase runs (summed over processes)."""

    acks: int
    unique: int
    translated: int
    connected: int
    reads: int


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
        "attached",
        "idx",
        "lang",
        "live",
        "ready",
        "revs",
        "seen",
        "since",
        "token",
        "translated",
    )

    def __init__(self, run: Run, idx: int, token: str, since: dict[str, int]) -> None:
        super().__init__(HOST, run.plan.port)
        self._run = run
        self._seqs = run.recv_seqs.append
        self._times = run.recv_times.append
        self.idx = idx
        self.lang = run.plan.languages[idx % len(run.plan.languages)]
        self.token = token
        self.since = since
        self.seen: set[int] = set()  # seqs of text messages received: one per delivery
        self.translated: set[int] = set()  # seqs of message.translated received
        #: Each room's last rev as ``ready`` gave it (a resume point for the side rooms).
        self.revs: dict[str, int] = {}
        #: Rooms whose first ``presence`` came: the socket is live once all did.
        self.attached: set[str] = set()
        self.ready = False
        self.live: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_open(self) -> None:
        hello = {"op": "hello", "token": self.token, "since": self.since}
        self.send_text(orjson.dumps(hello))

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
        # System messages (joins) and the side rooms' history are not part of the run.
        if message["kind"] == "text" and message["room"] == self._run.plan.room_id:
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

    def resume_point(self) -> dict[str, int]:
        """``since`` for a reconnect: the side rooms where ``ready`` left them, the run's
        room at the highest message received (no message is edited in a run: seq = rev)."""
        since = dict(self.revs)
        room = self._run.plan.room_id
        since[room] = max(self.seen, default=since.get(room, 0))
        return since


class Run:
    """Shared state of one process's members: what was sent when, what arrived."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
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
        self.senders: dict[Member, list[int]] = {}  # a sender's messages still to send
        self.to_send = 0
        self.saturated = plan.rate <= 0
        self._pacer: asyncio.Task[None] | None = None
        self.acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    # -- counts the parent polls --------------------------------------------------------

    @property
    def unique(self) -> int:
        """Deliveries so far, each (member, seq) counted once."""
        return sum(len(m.seen) for m in self.members)

    @property
    def translated_unique(self) -> int:
        """Translations delivered so far, each (member, seq) counted once."""
        return sum(len(m.translated) for m in self.members)

    def counts(self) -> Counts:
        return Counts(self.acks, self.unique, self.translated_unique, len(self.members), self.reads)

    # -- connecting ---------------------------------------------------------------------

    async def connect(self, warm: int = 0) -> None:
        """Connect this process's members (``warm``: only that many, closed again at once,
        to warm the server up); each with the resume point it holds, if any."""
        from openlink.bench.setup import bounded

        if warm:
            socks = [await self._connect(i, t, {}) for i, t in self.plan.members[:warm]]
            self.stopping = True
            await close_all(socks)
            self.stopping = False
            return
        since = {m.idx: m.resume_point() for m in self.members}
        self.members = []

        async def one(member: tuple[int, str]) -> None:
            idx, token = member
            self.members.append(await self._connect(idx, token, since.get(idx, {})))

        await bounded(self.plan.connect_concurrency, self.plan.members, one)
        self.members.sort(key=lambda m: m.idx)

    async def _connect(self, idx: int, token: str, since: dict[str, int]) -> Member:
        loop = asyncio.get_running_loop()
        for attempt in range(3):
            member: Member | None = None
            try:
                _, member = await loop.create_connection(
                    lambda: Member(self, idx, token, since), HOST, self.plan.port
                )
                await asyncio.wait_for(member.opened, 30)
                await asyncio.wait_for(member.live, 60)
                return member
            except (OSError, TimeoutError) as exc:
                if member is not None and member.transport is not None:
                    member.transport.abort()
                if attempt == 2:
                    raise BenchError(f"member {idx} could not connect: {exc!r}") from exc
                await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._pacer is not None:
            self._pacer.cancel()
        self.stopping = True
        await close_all(self.members)
        self.stopping = False

    # -- receiving ----------------------------------------------------------------------

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
            member.attached.add(event["room"])
            attached = member.ready and len(member.attached) >= len(member.revs)
            if attached and not member.live.done():
                member.live.set_result(None)
        elif kind == "ready":
            member.revs = {r["id"]: r["last_seq"] for r in event["rooms"]}
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
        payload = orjson.dumps(
            {
                "op": "send",
                "room": self.plan.room_id,
                "client_id": client_id,
                "body": message_body(k),
            }
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
            queue = self.senders.get(member)
            if queue:
                self.send(member, queue.pop())
        if self.acks >= self.to_send and not self.acked.done():
            self.acked.set_result(None)

    def start_sending(self, start_at: float) -> None:
        """Send this process's senders' messages: saturated at once, or paced from
        ``start_at`` (a perf_counter time every process shares)."""
        plan = self.plan
        for member in self.members:
            if member.idx < plan.senders:
                # popped from the end: reversed so that each sender sends in increasing k
                self.senders[member] = list(range(member.idx, plan.messages, plan.senders))[::-1]
        self.to_send = sum(len(q) for q in self.senders.values())
        if not self.to_send:
            self.acked.set_result(None)
            return
        if self.saturated:
            for member, queue in self.senders.items():
                if queue:
                    self.send(member, queue.pop())
            return
        self._pacer = asyncio.get_running_loop().create_task(self._paced(start_at))

    async def _paced(self, start_at: float) -> None:
        interval = 1.0 / self.plan.rate
        due = sorted((k, m) for m, queue in self.senders.items() for k in queue)
        for k, member in due:
            delay = start_at + k * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.send(member, k)

    # -- reports (plain data: they cross process boundaries) ------------------------------

    def sends_report(self) -> dict[str, Any]:
        acks = Latencies()
        acks.record(self.ack_latencies)
        return {
            "sent_by_seq": dict(self.sent_by_seq),
            "acks": acks.encode(),
            "sends": self.sends,
            "first_send": self.first_send,
            "last_send": self.last_send,
            "last_ack": self.last_ack,
            "send_errors": self.send_errors,
        }

    def receipts_report(self, sent_by_seq: dict[int, float]) -> dict[str, Any]:
        """Delivery latencies against every process's sends, and the counters."""
        lat, tr_lat = Latencies(), Latencies()
        seqs, times = self.recv_seqs, self.recv_times
        lat.record(t - sent_by_seq[s] for s, t in zip(seqs, times, strict=True) if s in sent_by_seq)
        tr_lat.record(
            t - sent_by_seq[s]
            for s, t in zip(self.tr_seqs, self.tr_times, strict=True)
            if s in sent_by_seq
        )
        return {
            "latencies": lat.encode(),
            "translated_latencies": tr_lat.encode(),
            "unique": self.unique,
            "last_delivery": max(times) if times else 0.0,
            "duplicates": self.duplicates,
            "reads": self.reads,
            "error_codes": dict(self.error_codes),
            "closes": dict(self.closes),
            "translated_unique": self.translated_unique,
            "tr_duplicates": self.tr_duplicates,
            "tr_wrong_language": self.tr_wrong_language,
            "tr_sources": dict(self.tr_sources),
        }


async def close_all(members: Sequence[Member]) -> None:
    for m in members:
        m.close()
    if members:
        await asyncio.wait([m.done for m in members], timeout=10)
