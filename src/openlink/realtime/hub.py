"""The hub: this node's sockets, grouped by room in feeds (``realtime/feed.py``), fed by
the broker.

The hub routes what the broker delivers (room events to the room's feed, account events
to the account's sockets), opens a room's feed when a first local socket carries it and
closes it after the last, and runs two loops under the supervisor: presence counts, and
(with a broker that can lose events) the catch-up against the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

import orjson

from openlink.actions.context import Context
from openlink.actions.instance import MEDIA_URLS, instance_key
from openlink.actions.notify import publish_ephemeral, room_channel, user_channel
from openlink.domain.media import MEDIA_PATH, sign_views, url_expiry
from openlink.metrics import lag_histogram
from openlink.queries import accounts
from openlink.queries import messages as stream
from openlink.realtime.conn import CLOSE_AUTH, CLOSE_RESUME, Conn
from openlink.realtime.feed import Feed, replay_event
from openlink.realtime.frames import Frame
from openlink.realtime.pacing import GcPacer
from openlink.services.supervisor import Supervisor

log = logging.getLogger("openlink.hub")

#: Account events that go to the account's sockets as they are, with no effect on them.
_RELAYED_USER_EVENTS = frozenset(
    {
        "report",
        "clip.reported",
        "join_request",
        "join_request_decided",
        "media.progress",
        "media.ready",
        "media.failed",
    }
)
_MEDIA_PATH = MEDIA_PATH.encode()
PRESENCE_LOOP = "hub.presence"
CATCH_UP_LOOP = "hub.catch-up"
ACCOUNT_RECHECK_LOOP = "hub.account-recheck"
GC_LOOP = "hub.gc"


def _ends_session(event: dict[str, Any], token_hash: str) -> bool:
    """``signed_out`` names the one token it revoked; ``sessions_revoked`` the one it kept."""
    if event["type"] == "signed_out":
        return hmac.compare_digest(str(event.get("token")), token_hash)
    return not hmac.compare_digest(str(event.get("keep")), token_hash)


class Hub:
    name = "hub"

    def __init__(self, ctx: Context, supervisor: Supervisor) -> None:
        self.ctx = ctx
        self.supervisor = supervisor
        self.feeds: dict[str, Feed] = {}
        self.users: dict[int, set[Conn]] = {}
        self._feed_locks: dict[str, asyncio.Lock] = {}
        #: Set when the process starts to stop: readiness fails, new work goes elsewhere.
        self.draining = False
        #: Counters for metrics (openlink/metrics.py reads them when scraped).
        self.events_in: Counter[str] = Counter()
        self.deliveries = 0
        self.db_fills = 0
        #: Rooms whose feed could not be opened (subscribe or baseline read failed).
        self.feed_failures = 0
        self.lag = lag_histogram()
        #: Rounds of the presence loop since start (tests wait on it after moving the clock).
        self.presence_ticks = 0
        #: This process's name in shared presence (and its own presence events).
        self.node = getattr(ctx.presence, "node", "local")
        self._gc = GcPacer(ctx.settings.gc_freeze_interval_s, ctx.settings.gc_full_interval_s)
        #: Signs media URLs in events as they leave (read at start; the event path is sync).
        self._media_key = b""

    async def start(self) -> None:
        self._media_key = await instance_key(self.ctx, MEDIA_URLS)
        self.ctx.presence.set_listener(self._on_presence_written)
        await self.ctx.broker.start(self.on_broker, self.on_gap)
        self.supervisor.run(PRESENCE_LOOP, self._presence_loop)
        settings = self.ctx.settings
        if self.ctx.broker.name != "memory":
            if settings.catchup_interval_s > 0:
                every = settings.catchup_interval_s
                self.supervisor.run(CATCH_UP_LOOP, lambda: self._every(every, self.catch_up_rooms))
            # Never off: a lost sign-out or suspension must reach every node regardless.
            recheck = settings.account_recheck_interval_s
            self.supervisor.run(
                ACCOUNT_RECHECK_LOOP, lambda: self._every(recheck, self.recheck_accounts)
            )
        self.supervisor.run(GC_LOOP, self._gc.run)

    async def stop(self) -> None:
        """Stop the loops, the hub's own tasks (catch-ups, gap fills) and the feeds'
        timers. The broker stays up until the supervisor has drained the tasks that may
        still publish (``app.py`` stops it after)."""
        for name in (PRESENCE_LOOP, CATCH_UP_LOOP, GC_LOOP):
            await self.supervisor.cancel(name)
        await self.supervisor.cancel_tasks("hub.")
        self._gc.stop()
        for feed in self.feeds.values():
            feed.stop()

    @property
    def connections(self) -> int:
        return sum(len(c) for c in self.users.values())

    # -- broker -------------------------------------------------------------------

    def sign(self, event: dict[str, Any]) -> dict[str, Any]:
        """``event`` with its media URLs signed for this hour: the same for every reader,
        so done once per event on this node, not per socket."""
        expiry = url_expiry(self.ctx.now().timestamp())
        signed: dict[str, Any] = sign_views(event, self._media_key, expiry)
        return signed

    def on_broker(self, channel: str, data: bytes) -> None:
        kind, _, key = channel.partition(":")
        try:
            event = orjson.loads(data)
        except orjson.JSONDecodeError:
            log.warning("dropping undecodable event on %s", channel)
            return
        if _MEDIA_PATH in data:
            event = self.sign(event)
            data = orjson.dumps(event)
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
                self.lag.observe(max(0.0, self.ctx.now().timestamp() - sent.timestamp()))

    def _on_presence_written(self, room_id: str) -> None:
        """This node's presence change to ``room_id`` is visible everywhere now: recount
        here, and (shared presence) tell the other nodes to recount."""
        feed = self.feeds.get(room_id)
        if feed is not None:
            feed.presence_changed = True
        if self.ctx.presence.name != "memory":
            event = {"type": "presence.changed", "room": room_id, "node": self.node}
            self._spawn(publish_ephemeral(self.ctx, room_id, event), "hub.presence-changed")

    def on_gap(self) -> None:
        """The broker may have lost events: check every live room against the database."""
        log.warning("broker gap: catching %d live rooms up from the database", len(self.feeds))
        self._spawn(self.catch_up_all(), "hub.catch-up-gap")

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
        word. A failed round propagates: the supervisor logs it and starts the loop again."""
        while True:
            await self.ctx.clock.sleep(interval)
            await job()

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
            self._spawn(self.attach(conn, room_id, int(event["since"])), "hub.attach")
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

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        self.supervisor.spawn(coro, name=name)

    # -- sockets ------------------------------------------------------------------

    async def connect(self, conn: Conn, expires_at: datetime | None = None) -> None:
        if expires_at is not None:
            # The app's clock, not the loop's: the token expires when the server says so.
            conn.expiry = self.ctx.clock.call_at(
                expires_at, lambda: conn.kill(CLOSE_AUTH, "token_expired")
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
                # Registered at once, so that what the broker delivers from the moment of
                # subscribing waits in ``pending`` for the baseline.
                feed = Feed(self, room_id)
                self.feeds[room_id] = feed
                try:
                    await self.ctx.broker.subscribe(room_channel(room_id))
                    # Subscribed first, then read: anything committed later arrives live.
                    feed.set_baseline(await stream.last_seq(self.ctx, room_id))
                except Exception:
                    self._abandon(feed)
                    raise
        self._feed_locks.pop(room_id, None)
        return feed

    def _abandon(self, feed: Feed) -> None:
        """A feed whose baseline could not be read would park every event in ``pending``
        forever: it goes, and the sockets already waiting on it reconnect and resume."""
        self.feed_failures += 1
        log.exception("opening the feed of room %s failed; its sockets reconnect", feed.room_id)
        if self.feeds.get(feed.room_id) is feed:
            del self.feeds[feed.room_id]
        feed.stop()
        for conn in [*feed.joining, *feed.live]:
            conn.kill(CLOSE_RESUME, "room unavailable: reconnect and resume")
        self._spawn(self._unsubscribe_if_idle(feed.room_id), "hub.unsubscribe")

    async def attach(self, conn: Conn, room_id: str, since: int) -> None:
        """Carry ``room_id`` on ``conn``, starting with every change after rev ``since``.
        If the room's feed cannot be opened, the socket is closed with ``CLOSE_RESUME``:
        the client comes back and resumes from what it has."""
        try:
            feed = await self._feed(room_id)
        except Exception:
            conn.kill(CLOSE_RESUME, "room unavailable: reconnect and resume")
            return
        # The account may have left while this socket was connecting ("left" applied).
        if conn.closed or room_id not in conn.rooms or conn in feed.live or conn in feed.joining:
            return
        feed.add(conn)
        # From now on the feed holds for this socket everything it delivers, so the
        # database is read only for what the feed had delivered before: a fresh connect
        # or a resume with nothing missed reads nothing.
        delivered = feed.last_rev
        page = self.ctx.settings.resume_page_size
        pos = max(0, since)
        try:
            while not conn.closed and (delivered is None or pos < delivered):
                rows = await stream.changes_since(self.ctx, room_id, pos, limit=page)
                for m in rows:
                    conn.send(Frame.of(self.sign(replay_event(m))))
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
        # The count includes this socket (``feed.add`` counted it before the read). It may
        # differ from what the room's other sockets were last told: the next tick
        # recounts, and either broadcasts a new count to every socket or, if the count is
        # what the others have, sends it to this one alone (``Feed.told``). A count equal
        # to theirs needs nothing more; the room is not told again what it knows.
        if online != feed.online_sent:
            feed.told[conn] = online
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
            self._spawn(self._unsubscribe_if_idle(room_id), "hub.unsubscribe")

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
            await self.ctx.clock.sleep(interval)
            tick += 1
            recount = shared and tick % recount_every == 0
            changed: list[Feed] = []
            for room_id, feed in list(self.feeds.items()):
                try:
                    if await self._presence_tick(room_id, feed, recount):
                        changed.append(feed)
                except Exception:
                    log.exception("presence update failed for room %s", room_id)
            _flush_together(changed)
            self.presence_ticks = tick

    async def _presence_tick(self, room_id: str, feed: Feed, recount: bool) -> bool:
        """Whether the room's count changed (and was broadcast)."""
        if not (feed.presence_changed or recount):
            return False
        feed.presence_changed = False
        online = await self.ctx.presence.online(room_id)
        told, feed.told = feed.told, {}
        if online == feed.online_sent:
            # Sockets that attached since the last broadcast were told their own count.
            behind = [c for c, n in told.items() if n != online and feed.carries(c)]
            if behind:
                frame = Frame.of({"type": "presence", "room": room_id, "online": online})
                for conn in behind:
                    conn.send(frame)
            return False
        feed.online_sent = online
        feed.broadcast(Frame.of({"type": "presence", "room": room_id, "online": online}))
        return True


def _flush_together(feeds: list[Feed]) -> None:
    """Send what the feeds queued now, each socket's frames of all of them in one write:
    while members arrive, every room's count changes at every tick, and a member of five
    rooms would otherwise take five writes a tick."""
    if len(feeds) < 2:
        return  # the feed's own flush, due on the next loop iteration, is one write
    conns = {conn for feed in feeds for conn in feed.live}
    for conn in conns:
        conn.cork()
    try:
        for feed in feeds:
            feed.flush()
    finally:
        for conn in conns:
            conn.uncork()
