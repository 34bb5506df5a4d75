"""The hub: this node's sockets, grouped by room, fed by the broker.

Per room a :class:`Feed` delivers durable events (``message``) strictly in rev order and
exactly once per socket. It trusts the broker for speed only: an out-of-order event waits
a moment for the ones before it, and a gap that does not close is filled from the
database. Ephemeral events (typing, presence) are relayed as they come.

A socket that attaches to a room first catches up from the database while live events
are held for it; it goes live at the first event past what the database gave it. This is
the "subscribe, fetch, then apply what queued" order, so nothing falls in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson

from openlink.actions.context import Context
from openlink.actions.notify import room_channel, user_channel
from openlink.domain.events import message_event
from openlink.domain.messages import Message
from openlink.metrics import lag_histogram
from openlink.queries import accounts
from openlink.queries import messages as stream
from openlink.realtime.conn import CLOSE_AUTH, CLOSE_RESUME, Conn
from openlink.realtime.frames import Frame
from openlink.realtime.pacing import GcPacer

log = logging.getLogger("openlink.hub")

#: How long an out-of-order event waits for the ones before it before the database fills in.
GAP_GRACE_S = 0.05
#: Account events that go to the account's sockets as they are, with no effect on them.
_RELAYED_USER_EVENTS = frozenset({"report", "join_request", "join_request_decided"})
#: Live events held for one socket while it catches up, before it is told to resume.
MAX_HELD = 10_000


def replay_event(m: Message) -> dict[str, Any]:
    change = "new" if m.seq == m.rev else "deleted" if m.deleted else "updated"
    return message_event(m, change)


def _ends_session(event: dict[str, Any], token_hash: str) -> bool:
    """``signed_out`` names the one token it revoked; ``sessions_revoked`` the one it kept."""
    if event["type"] == "signed_out":
        return hmac.compare_digest(str(event.get("token")), token_hash)
    return not hmac.compare_digest(str(event.get("keep")), token_hash)


class _Joining:
    __slots__ = ("held", "pos")

    def __init__(self) -> None:
        self.held: list[tuple[int, Frame]] = []
        self.pos: int | None = None  # set once the database catch-up is done


class Feed:
    __slots__ = (
        "_batch",
        "_fill_task",
        "_hub",
        "_linger",
        "_target",
        "_translated",
        "joining",
        "last_rev",
        "live",
        "online_sent",
        "pending",
        "presence_changed",
        "room_id",
    )

    def __init__(self, hub: Hub, room_id: str) -> None:
        self._hub = hub
        self.room_id = room_id
        self.live: dict[Conn, None] = {}
        self.joining: dict[Conn, _Joining] = {}
        self.last_rev: int | None = None  # None until the baseline is read
        self.pending: dict[int, bytes] = {}
        self._fill_task: asyncio.Task[None] | None = None
        #: A rev the database is known to have reached (periodic catch-up, broker gaps).
        self._target = 0
        self._batch: list[Frame] = []
        #: Translations waiting to go out, by language: they leave with the next batch
        #: of originals, or after a short linger, so they rarely cost a write of their own.
        self._translated: dict[str, list[Frame]] = {}
        self._linger: asyncio.TimerHandle | None = None
        #: The room's presence may have changed (here, once presence has it; or on another
        #: node; or a socket just went live): recount at the next tick.
        self.presence_changed = False
        self.online_sent: int | None = None

    @property
    def empty(self) -> bool:
        return not self.live and not self.joining

    # -- durable events -------------------------------------------------------------

    def set_baseline(self, rev: int) -> None:
        self.last_rev = rev
        for stale in [r for r in self.pending if r <= rev]:
            del self.pending[stale]
        self._drain_pending()

    def on_durable(self, rev: int, data: bytes) -> None:
        last = self.last_rev
        if last is not None and rev <= last:
            return  # already delivered, or covered by a database fill
        if last is not None and rev == last + 1 and not self.pending:
            self._deliver(rev, Frame(data))
            return
        self.pending[rev] = data
        self._drain_pending()

    def _drain_pending(self) -> None:
        if self.last_rev is None:
            return
        while (nxt := self.last_rev + 1) in self.pending:
            self._deliver(nxt, Frame(self.pending.pop(nxt)))
        if self.pending and self._fill_task is None:
            self._fill_task = asyncio.get_running_loop().create_task(self._fill())

    def request_catch_up(self, rev: int) -> None:
        """The database has reached ``rev``: deliver whatever of it the broker did not."""
        if self.last_rev is None or rev <= self.last_rev:
            return
        self._target = max(self._target, rev)
        if self._fill_task is None:
            self._fill_task = asyncio.get_running_loop().create_task(self._fill())

    async def _fill(self) -> None:
        """Wait briefly for late events, then read what is still missing from the database."""
        try:
            await asyncio.sleep(GAP_GRACE_S)
            while self.last_rev is not None and (self.pending or self._target > self.last_rev):
                upto = min(self.pending) - 1 if self.pending else self._target
                if upto > self.last_rev:
                    rows = await stream.changes_since(
                        self._hub.ctx, self.room_id, self.last_rev, upto=upto, limit=100_000
                    )
                    fresh = [m for m in rows if m.rev > self.last_rev]
                    if fresh:
                        self._hub.db_fills += 1
                    for m in fresh:
                        self._deliver(m.rev, Frame.of(replay_event(m)))
                    # Revs are taken in commit order, so everything up to ``upto`` had
                    # committed; what the read did not return was superseded by later revs.
                    self.last_rev = max(self.last_rev, upto)
                for stale in [r for r in self.pending if r <= self.last_rev]:
                    del self.pending[stale]
                while (nxt := self.last_rev + 1) in self.pending:
                    self._deliver(nxt, Frame(self.pending.pop(nxt)))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("gap fill failed for room %s", self.room_id)
        finally:
            self._fill_task = None

    def _deliver(self, rev: int, frame: Frame) -> None:
        self.last_rev = rev
        self._queue_live(frame)
        if self.joining:
            self._deliver_joining(rev, frame)

    def _queue_live(self, frame: Frame) -> None:
        """Frames for live sockets wait for the end of this loop iteration, so that what
        arrives together leaves together: one write per socket, not one per event."""
        if not self.live:
            return
        self._batch.append(frame)
        if len(self._batch) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        batch, self._batch = self._batch, []
        self._hub.deliveries += len(batch) * len(self.live)
        if self._translated:
            self._flush_with_translations(batch)
            return
        if not batch:
            return
        if len(batch) == 1:
            for conn in self.live:
                conn.send(batch[0])
            return
        wire = b"".join(f.wire for f in batch)
        for conn in self.live:
            conn.send_batch(batch, wire)

    def on_translation(self, language: str, frame: Frame) -> None:
        """A translation for the readers of ``language``: queued to leave with the next
        batch, each reader getting originals and its own language's translations in one
        write."""
        if not self.live:
            return
        self._translated.setdefault(language, []).append(frame)
        if self._linger is None:
            linger = self._hub.ctx.settings.translate_linger_s
            self._linger = asyncio.get_running_loop().call_later(linger, self.flush)

    def _flush_with_translations(self, batch: list[Frame]) -> None:
        translated, self._translated = self._translated, {}
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        common = b"".join(f.wire for f in batch)
        per_language = {
            lang: (batch + frames, common + b"".join(f.wire for f in frames))
            for lang, frames in translated.items()
        }
        plain = (batch, common)
        for conn in self.live:
            frames, wire = per_language.get(conn.language or "", plain)
            if frames:
                conn.send_batch(frames, wire)

    def _deliver_joining(self, rev: int, frame: Frame) -> None:
        for conn, j in list(self.joining.items()):
            if j.pos is None:
                j.held.append((rev, frame))
                if len(j.held) > MAX_HELD:
                    conn.kill(CLOSE_RESUME, "too far behind: reconnect and resume")
            elif rev > j.pos:
                conn.send(frame)
                self._promote(conn)
            elif rev == j.pos:
                self._promote(conn)

    def _promote(self, conn: Conn) -> None:
        self.flush()  # what is queued for the live set predates this socket joining it
        self.joining.pop(conn, None)
        if not conn.closed:
            self.live[conn] = None

    def finish_catch_up(self, conn: Conn, pos: int) -> None:
        """The socket has everything up to ``pos`` from the database: release what was held."""
        j = self.joining.get(conn)
        if j is None:
            return
        j.pos = pos
        for rev, frame in j.held:
            if rev > pos:
                conn.send(frame)
                pos = rev
        j.held.clear()
        j.pos = pos
        # Live only once the feed itself has reached what the database gave this socket;
        # until then, events up to ``pos`` that are still in flight would repeat.
        if self.last_rev is not None and self.last_rev >= pos:
            self._promote(conn)

    # -- ephemeral events -----------------------------------------------------------

    def broadcast(self, frame: Frame) -> None:
        """An ephemeral event (typing, presence): to live sockets with the next batch, and
        at once to sockets still catching up (it has no place in the ordered stream, and
        a socket that goes live later would otherwise never hear of it)."""
        self._queue_live(frame)
        for conn in self.joining:
            conn.send(frame)

    def add(self, conn: Conn) -> None:
        self.joining[conn] = _Joining()
        self._hub.ctx.presence.joined(self.room_id, conn.user_id, conn.language)

    def remove(self, conn: Conn) -> None:
        was_live = conn in self.live
        self.live.pop(conn, None)
        if was_live or self.joining.pop(conn, None) is not None:
            self._hub.ctx.presence.left(self.room_id, conn.user_id, conn.language)

    def stop(self) -> None:
        if self._fill_task is not None:
            self._fill_task.cancel()
        if self._linger is not None:
            self._linger.cancel()


class Hub:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.feeds: dict[str, Feed] = {}
        self.users: dict[int, set[Conn]] = {}
        self._feed_locks: dict[str, asyncio.Lock] = {}
        self._presence_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: Set when the process starts to stop: readiness fails, new work goes elsewhere.
        self.draining = False
        #: Counters for metrics (openlink/metrics.py reads them when scraped).
        self.events_in: Counter[str] = Counter()
        self.deliveries = 0
        self.db_fills = 0
        self.lag = lag_histogram()
        #: This process's name in shared presence (and its own presence events).
        self.node = getattr(ctx.presence, "node", "local")
        self._gc = GcPacer(ctx.settings.gc_freeze_interval_s, ctx.settings.gc_full_interval_s)

    async def start(self) -> None:
        self.ctx.presence.set_listener(self._on_presence_written)
        await self.ctx.broker.start(self.on_broker, self.on_gap)
        loop = asyncio.get_running_loop()
        self._presence_task = loop.create_task(self._presence_loop())
        settings = self.ctx.settings
        if self.ctx.broker.name != "memory":
            if settings.catchup_interval_s > 0:
                self._spawn(self._every(settings.catchup_interval_s, self.catch_up_rooms))
            # Never off: a lost sign-out or suspension must reach every node regardless.
            self._spawn(self._every(settings.account_recheck_interval_s, self.recheck_accounts))
        self._gc.start()

    async def stop(self) -> None:
        if self._presence_task is not None:
            self._presence_task.cancel()
        self._gc.stop()
        for task in list(self._tasks):
            task.cancel()
        for feed in self.feeds.values():
            feed.stop()
        await self.ctx.broker.stop()

    @property
    def connections(self) -> int:
        return sum(len(c) for c in self.users.values())

    # -- broker -------------------------------------------------------------------

    def on_broker(self, channel: str, data: bytes) -> None:
        kind, _, key = channel.partition(":")
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            log.warning("dropping undecodable event on %s", channel)
            return
        if kind == "room":
            event_type = event.get("type")
            self.events_in[str(event_type)] += 1
            feed = self.feeds.get(key)
            if feed is None:
                return
            if event_type == "message":
                if event.get("change") == "new":
                    self._observe_lag(event["message"].get("created_at"))
                feed.on_durable(int(event["message"]["rev"]), data)
            elif event_type == "message.translated":
                feed.on_translation(str(event["lang"]), Frame(data))
            elif event_type == "presence.changed":
                if event.get("node") != self.node:
                    self.ctx.presence.invalidate(key)
                    feed.presence_changed = True
            else:
                feed.broadcast(Frame(data))
        elif kind == "user":
            self._on_user_event(int(key), event, data)

    def _observe_lag(self, created_at: str | None) -> None:
        if created_at:
            with contextlib.suppress(ValueError):
                sent = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
                self.lag.observe(max(0.0, time.time() - sent.timestamp()))

    def _on_presence_written(self, room_id: str) -> None:
        """This node's presence change to ``room_id`` is visible everywhere now: recount
        here, and (shared presence) tell the other nodes to recount."""
        feed = self.feeds.get(room_id)
        if feed is not None:
            feed.presence_changed = True
        if self.ctx.presence.name != "memory":
            event = {"type": "presence.changed", "room": room_id, "node": self.node}
            self._spawn(self.ctx.broker.publish(room_channel(room_id), orjson.dumps(event)))

    def on_gap(self) -> None:
        """The broker may have lost events: check every live room against the database."""
        log.warning("broker gap: catching %d live rooms up from the database", len(self.feeds))
        self._spawn(self.catch_up_all())

    async def catch_up_all(self) -> None:
        await self.catch_up_rooms()
        await self.recheck_accounts()

    async def catch_up_rooms(self) -> None:
        """Each live room's ``last_seq`` in the database against what its feed delivered
        (one query per 500 rooms); a feed that is behind reads what it missed."""
        ids = list(self.feeds)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for room_id, rev in (await stream.last_seqs(self.ctx, chunk)).items():
                feed = self.feeds.get(room_id)
                if feed is not None:
                    feed.request_catch_up(rev)

    async def recheck_accounts(self) -> None:
        """Account events (left, signed out, suspended, sessions revoked) may be lost like
        any other: each connected account's ``access_rev`` in the database says whether
        something happened since its sockets last matched it (one query per 500)."""
        ids = list(self.users)
        for start in range(0, len(ids), 500):
            revs = await accounts.access_revs(self.ctx, ids[start : start + 500])
            for user_id, rev in revs.items():
                conns = [c for c in self.users.get(user_id, ()) if c.ready and c.access_rev < rev]
                if conns:
                    await self._recheck(user_id, rev, conns)

    async def _recheck(self, user_id: int, rev: int, conns: list[Conn]) -> None:
        carried = {conn: dict(conn.rooms) for conn in conns}
        access = await accounts.account_access(self.ctx, user_id, [c.token_hash for c in conns])
        for conn in conns:
            if access is None or access.suspended:
                conn.kill(CLOSE_AUTH, "account_suspended")
            elif conn.token_hash not in access.live_tokens:
                conn.kill(CLOSE_AUTH, "signed out")
            elif not conn.closed:
                for room_id, member_id in carried[conn].items():
                    # A stay that ended, unless a "joined" replaced it while we read.
                    ended = access.rooms.get(room_id) != member_id
                    if ended and conn.rooms.get(room_id) == member_id:
                        self.detach(conn, room_id)
                        conn.send(Frame.of({"type": "left", "room": room_id}))
                conn.access_rev = max(conn.access_rev, rev)

    async def _every(self, interval: float, job: Callable[[], Awaitable[None]]) -> None:
        """Broker events can be lost without the broker noticing (a node's subscription
        buffer overflowing, a partition): every ``interval`` the database has the last
        word."""
        while True:
            await asyncio.sleep(interval)
            try:
                await job()
            except Exception:
                log.exception("periodic %s failed", job.__name__)

    def _on_user_event(self, user_id: int, event: dict[str, Any], data: bytes) -> None:
        for conn in list(self.users.get(user_id, ())):
            if conn.ready:
                self._apply_user_event(conn, event, data)
            else:
                conn.held_user_events.append((event, data))

    def _apply_user_event(self, conn: Conn, event: dict[str, Any], data: bytes) -> None:
        kind = event.get("type")
        if kind == "joined":
            room_id: str = event["room"]["id"]
            conn.rooms[room_id] = event["member"]["id"]
            conn.sizes[room_id] = int(event["room"]["member_count"])
            conn.send(Frame(data))
            self._spawn(self.attach(conn, room_id, int(event["since"])))
        elif kind == "left":
            if event["room"] in conn.rooms:  # not already dropped by a recheck
                self.detach(conn, event["room"])
                conn.send(Frame(data))
        elif kind in ("signed_out", "sessions_revoked") and _ends_session(event, conn.token_hash):
            conn.kill(CLOSE_AUTH, "signed out")
        elif kind == "suspended":
            conn.kill(CLOSE_AUTH, "account_suspended")
        elif kind in _RELAYED_USER_EVENTS:
            conn.send(Frame(data))

    def mark_ready(self, conn: Conn) -> None:
        """``ready`` went out on ``conn``: apply the account events that waited for it."""
        conn.ready = True
        held, conn.held_user_events = conn.held_user_events, []
        for event, data in held:
            self._apply_user_event(conn, event, data)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- sockets ------------------------------------------------------------------

    async def connect(self, conn: Conn, expires_at: datetime | None = None) -> None:
        if expires_at is not None:
            # The app's clock, not the loop's: the token expires when the server says so.
            delay = max(0.0, (expires_at - self.ctx.now()).total_seconds())
            conn.expiry = asyncio.get_running_loop().call_later(
                delay, conn.kill, CLOSE_AUTH, "token_expired"
            )
        conns = self.users.setdefault(conn.user_id, set())
        conns.add(conn)
        if len(conns) == 1:
            await self.ctx.broker.subscribe(user_channel(conn.user_id))

    async def disconnect(self, conn: Conn) -> None:
        conn.closed = True
        if conn.expiry is not None:
            conn.expiry.cancel()
        for room_id in list(conn.rooms):
            self.detach(conn, room_id)
        conns = self.users.get(conn.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.users[conn.user_id]
                await self.ctx.broker.unsubscribe(user_channel(conn.user_id))

    async def _feed(self, room_id: str) -> Feed:
        feed = self.feeds.get(room_id)
        if feed is not None:
            return feed
        lock = self._feed_locks.setdefault(room_id, asyncio.Lock())
        async with lock:
            feed = self.feeds.get(room_id)
            if feed is None:
                feed = Feed(self, room_id)
                self.feeds[room_id] = feed
                await self.ctx.broker.subscribe(room_channel(room_id))
                # Subscribed first, then read: anything committed later arrives live.
                feed.set_baseline(await stream.last_seq(self.ctx, room_id))
        self._feed_locks.pop(room_id, None)
        return feed

    async def attach(self, conn: Conn, room_id: str, since: int) -> None:
        """Carry ``room_id`` on ``conn``, starting with every change after rev ``since``."""
        feed = await self._feed(room_id)
        # The account may have left while this socket was connecting ("left" applied).
        if conn.closed or room_id not in conn.rooms or conn in feed.live or conn in feed.joining:
            return
        feed.add(conn)
        page = self.ctx.settings.resume_page_size
        pos = max(0, since)
        try:
            while not conn.closed:
                rows = await stream.changes_since(self.ctx, room_id, pos, limit=page)
                for m in rows:
                    conn.send(Frame.of(replay_event(m)))
                if conn.language and rows:
                    for event in await stream.translations_for(
                        self.ctx, room_id, conn.language, rows
                    ):
                        conn.send(Frame.of(event))
                if rows:
                    pos = rows[-1].rev
                if len(rows) < page:
                    break
                await conn.drain()
        except Exception:
            feed.remove(conn)
            raise
        if conn.closed or room_id not in conn.rooms:
            feed.remove(conn)
            return
        feed.finish_catch_up(conn, pos)
        online = await self.ctx.presence.online(room_id)
        conn.send(Frame.of({"type": "presence", "room": room_id, "online": online}))
        # That read may predate this socket's own presence write: the next tick broadcasts
        # whatever the count is then, even if unchanged, so this socket ends up current.
        feed.online_sent = None
        feed.presence_changed = True

    def detach(self, conn: Conn, room_id: str) -> None:
        conn.rooms.pop(room_id, None)
        feed = self.feeds.get(room_id)
        if feed is None:
            return
        feed.remove(conn)
        if feed.empty:
            feed.stop()
            del self.feeds[room_id]
            self._spawn(self._unsubscribe_if_idle(room_id))

    async def _unsubscribe_if_idle(self, room_id: str) -> None:
        if room_id not in self.feeds:
            await self.ctx.broker.unsubscribe(room_channel(room_id))

    async def _presence_loop(self) -> None:
        """Online counts, at most once per interval per room, when they change. With
        shared presence, a node whose sockets changed tells the others; and every TTL
        each node recounts all its rooms (a dead node's sockets expire silently)."""
        interval = self.ctx.settings.presence_interval_s
        shared = self.ctx.presence.name != "memory"
        recount_every = max(1, round(self.ctx.settings.presence_ttl_s / interval))
        tick = 0
        while True:
            await asyncio.sleep(interval)
            tick += 1
            recount = shared and tick % recount_every == 0
            for room_id, feed in list(self.feeds.items()):
                try:
                    await self._presence_tick(room_id, feed, recount)
                except Exception:
                    log.exception("presence update failed for room %s", room_id)

    async def _presence_tick(self, room_id: str, feed: Feed, recount: bool) -> None:
        if not (feed.presence_changed or recount):
            return
        feed.presence_changed = False
        online = await self.ctx.presence.online(room_id)
        if online != feed.online_sent:
            feed.online_sent = online
            feed.broadcast(Frame.of({"type": "presence", "room": room_id, "online": online}))
