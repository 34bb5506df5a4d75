"""A room's feed on this node: its baseline, the events waiting for earlier ones, and
its sockets, joining and live.

A feed delivers durable events (``message``) strictly in rev order and exactly once per
socket. It trusts the broker for speed only: an out-of-order event waits a moment for the
ones before it, and a gap that does not close is filled from the database. Ephemeral
events (typing, presence) are relayed as they come.

A socket that attaches to a room first catches up from the database while live events
are held for it; it goes live at the first event past what the database gave it. This is
the "subscribe, fetch, then apply what queued" order, so nothing falls in between.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from openlink.actions.context import Context
from openlink.domain.events import message_event
from openlink.domain.messages import Message
from openlink.queries import messages as stream
from openlink.realtime.conn import CLOSE_RESUME, Conn
from openlink.realtime.frames import Frame

log = logging.getLogger("openlink.hub")

#: How long an out-of-order event waits for the ones before it before the database fills in.
GAP_GRACE_S = 0.05
#: Live events held for one socket while it catches up, before it is told to resume.
MAX_HELD = 10_000
#: The name of gap-fill tasks under the supervisor.
FILL_TASK = "hub.fill"


class FeedOwner(Protocol):
    """What a feed needs of its hub: the context, and the counters metrics read."""

    ctx: Context
    deliveries: int
    db_fills: int

    def sign(self, event: dict[str, Any]) -> dict[str, Any]: ...


def replay_event(m: Message) -> dict[str, Any]:
    change = "new" if m.seq == m.rev else "deleted" if m.deleted else "updated"
    return message_event(m, change)


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
        "told",
    )

    def __init__(self, hub: FeedOwner, room_id: str) -> None:
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
        #: Sockets that attached since the last count broadcast, with the count each was
        #: sent, when that is not ``online_sent``: the next tick corrects those behind.
        self.told: dict[Conn, int] = {}

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
            self._fill_task = self._hub.ctx.tasks.spawn(self._fill(), name=FILL_TASK)

    def request_catch_up(self, rev: int) -> None:
        """The database has reached ``rev``: deliver whatever of it the broker did not."""
        if self.last_rev is None or rev <= self.last_rev:
            return
        self._target = max(self._target, rev)
        if self._fill_task is None:
            self._fill_task = self._hub.ctx.tasks.spawn(self._fill(), name=FILL_TASK)

    async def _fill(self) -> None:
        """Wait briefly for late events, then read what is still missing from the database."""
        try:
            await self._hub.ctx.clock.sleep(GAP_GRACE_S)
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
                        self._deliver(m.rev, Frame.of(self._hub.sign(replay_event(m))))
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

    def carries(self, conn: Conn) -> bool:
        return conn in self.live or conn in self.joining

    def remove(self, conn: Conn) -> None:
        self.told.pop(conn, None)
        was_live = conn in self.live
        self.live.pop(conn, None)
        if was_live or self.joining.pop(conn, None) is not None:
            self._hub.ctx.presence.left(self.room_id, conn.user_id, conn.language)

    def stop(self) -> None:
        if self._fill_task is not None:
            self._fill_task.cancel()
        if self._linger is not None:
            self._linger.cancel()
