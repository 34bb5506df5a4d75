"""Translating a room's messages: once per (message, language) present, stored, notified.

The send path only detects the language (tens of microseconds) and, after commit, hands
the message to :func:`on_message`. That asks presence which languages the room's
connected readers read and starts one translation per language the message is not in.
The original has gone out already and is never held back: translations are computed in
the pool's workers, written in small batches and published as ``message.translated``,
which the hub delivers to that language's readers only.

Every (room, seq, rev, language) is translated at most once per process: a second request
for it (a reader asking on demand while the live one runs) waits for the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.actions.notify import room_channel
from openlink.domain.accounts import User
from openlink.domain.events import translation_event
from openlink.domain.glossary import Glossary, check_glossary
from openlink.domain.languages import base_language
from openlink.domain.messages import Message, MessageKind
from openlink.domain.permissions import Action
from openlink.errors import Conflict, InvalidInput, NotFound, RateLimited, UpstreamFailed
from openlink.queries.access import access_member_for, access_room_for
from openlink.store import messages as messages_store
from openlink.store import rooms as rooms_store
from openlink.store import translations as store
from openlink.store.db import Tx
from openlink.store.translations import StoredTranslation
from openlink.translate.base import EngineError
from openlink.translate.detect import LanguageDetector
from openlink.translate.pool import Shed, TranslationPool, Unreachable

log = logging.getLogger("openlink.translate")

TRANSLATABLE = frozenset({MessageKind.TEXT, MessageKind.NOTICE, MessageKind.BOT})
_Key = tuple[str, int, int, str]  # room, seq, rev, target language


@dataclass(slots=True)
class Translations:
    """This process's translation state: the pool, the detector and what is in flight."""

    pool: TranslationPool
    detector: LanguageDetector = field(default_factory=LanguageDetector)
    glossaries: dict[str, tuple[int, Glossary]] = field(default_factory=dict)
    inflight: dict[_Key, asyncio.Future[StoredTranslation | None]] = field(default_factory=dict)
    pending: list[tuple[StoredTranslation, asyncio.Future[bool]]] = field(default_factory=list)
    writer: asyncio.Task[None] | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    stats: Counter[str] = field(default_factory=Counter)

    @property
    def engine(self) -> str:
        return self.pool.engine.name

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def start(self) -> None:
        # The detector's model loads in about a second: not on the first message.
        await asyncio.to_thread(self.detector.load)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.writer is not None:
            self.writer.cancel()
        await asyncio.to_thread(self.pool.stop)


def detect_language(ctx: Context, body: str, room_language: str | None) -> str | None:
    """The language of a message about to be stored, decided by its text and the room's
    language only (never the sender's account); ``None`` if neither says."""
    if ctx.translation is None:
        return None
    try:
        return ctx.translation.detector.detect(body, room_language)
    except Exception:  # detection must never cost a message
        log.exception("language detection failed")
        return None


async def on_message(ctx: Context, message: Message, *, enabled: bool, glossary_rev: int) -> None:
    """After commit: translate ``message`` into each language its room's readers read."""
    t = ctx.translation
    if t is None or not enabled or not t.pool.configured or not _translatable(message):
        return
    source = message.lang
    assert source is not None
    for target in await ctx.presence.reading_languages(message.room_id):
        if target != source and t.pool.can_translate(source, target):
            t.spawn(_live(ctx, t, message, target, glossary_rev))


def translate_after_commit(
    ctx: Context, tx: Tx, message: Message, *, enabled: bool, glossary_rev: int
) -> None:
    """Start :func:`on_message` behind the message's own event, as a task of its own.
    Not awaited: after-commit callbacks run under SQLite's write lock, and asking
    presence may wait on Redis, which would hold every other write of the node."""
    t = ctx.translation
    if t is None or not _translatable(message):
        return

    async def schedule() -> None:
        t.spawn(on_message(ctx, message, enabled=enabled, glossary_rev=glossary_rev))

    tx.after_commit(schedule)


async def on_change(ctx: Context, tx: Tx, message: Message) -> None:
    """In the transaction that edits, deletes, hides or shows a message again: what was
    translated from the old rev is stale; the new rev is translated after commit."""
    await store.drop_for_message(tx.conn, message.room_id, message.seq)
    if ctx.translation is not None and _translatable(message):
        enabled, glossary_rev = await rooms_store.translation_settings(tx.conn, message.room_id)
        translate_after_commit(ctx, tx, message, enabled=enabled, glossary_rev=glossary_rev)


async def _live(ctx: Context, t: Translations, m: Message, target: str, glossary_rev: int) -> None:
    """A translation nobody waits for: readers keep the original when it fails."""
    with contextlib.suppress(Shed, EngineError, Unreachable):  # counted and logged already
        await _translate(ctx, t, m, target, glossary_rev)


def _translatable(m: Message) -> bool:
    return (
        m.kind in TRANSLATABLE
        and m.lang is not None
        and m.body is not None
        and not m.hidden
        and not m.deleted
    )


async def _translate(
    ctx: Context, t: Translations, m: Message, target: str, glossary_rev: int
) -> StoredTranslation | None:
    """Translate, store and notify once; concurrent callers for the same key share it."""
    key = (m.room_id, m.seq, m.rev, target)
    running = t.inflight.get(key)
    if running is not None:
        return await asyncio.shield(running)
    future: asyncio.Future[StoredTranslation | None] = asyncio.get_running_loop().create_future()
    t.inflight[key] = future
    try:
        result = await _compute(ctx, t, m, target, glossary_rev)
        future.set_result(result)
        return result
    except BaseException as exc:
        future.set_exception(exc)
        future.exception()  # retrieved: callers that wait get it, nobody else logs it
        raise
    finally:
        del t.inflight[key]


async def _compute(
    ctx: Context, t: Translations, m: Message, target: str, glossary_rev: int
) -> StoredTranslation | None:
    assert m.lang is not None and m.body is not None
    glossary = await _glossary(ctx, t, m.room_id, glossary_rev)
    try:
        done = await t.pool.translate(m.body, m.lang, target, glossary)
    except Shed:
        t.stats["shed"] += 1
        raise
    except EngineError as exc:
        log.warning("translation %s->%s failed: %s", m.lang, target, exc)
        raise
    stored = StoredTranslation(
        m.room_id, m.seq, m.rev, m.lang, target, done.text, t.engine, ctx.now(), source=m.body
    )
    return stored if await _write(ctx, t, stored) else None


async def _glossary(ctx: Context, t: Translations, room_id: str, rev: int) -> Glossary:
    if rev == 0:
        return Glossary()
    cached = t.glossaries.get(room_id)
    if cached is not None and cached[0] == rev:
        return cached[1]
    async with ctx.db.read() as conn:
        glossary = await store.glossary(conn, room_id)
    t.glossaries[room_id] = (rev, glossary)
    return glossary


# -- batched writes, then notify ---------------------------------------------------------


async def _write(ctx: Context, t: Translations, stored: StoredTranslation) -> bool:
    """Queue ``stored`` for the next batch write; True once it is stored and published,
    False if the message changed meanwhile (the translation was stale)."""
    done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    t.pending.append((stored, done))
    if t.writer is None:
        t.writer = asyncio.get_running_loop().create_task(_writer(ctx, t))
    return await done


async def _writer(ctx: Context, t: Translations) -> None:
    try:
        while t.pending:
            await asyncio.sleep(0)  # let what finishes together be written together
            batch, t.pending = t.pending, []
            try:
                async with ctx.db.write() as tx:
                    saved = await store.save(
                        tx.conn, [s for s, _ in batch], is_sqlite=ctx.settings.is_sqlite
                    )
            except Exception as exc:
                log.exception("storing %d translations failed", len(batch))
                for _, done in batch:
                    if not done.done():
                        done.set_exception(EngineError(f"storing the translation failed: {exc}"))
                        done.exception()
                continue
            kept = {(s.room_id, s.seq, s.lang) for s in saved}
            for s in saved:
                await ctx.broker.publish(
                    room_channel(s.room_id),
                    orjson.dumps(
                        translation_event(s.room_id, s.seq, s.rev, s.source_lang, s.lang, s.body)
                    ),
                )
            t.stats["stored"] += len(saved)
            for s, done in batch:
                if not done.done():
                    done.set_result((s.room_id, s.seq, s.lang) in kept)
    finally:
        t.writer = None


# -- the API -----------------------------------------------------------------------------


def not_configured() -> Conflict:
    return Conflict(
        "No translation engine is configured on this server: messages are shown as they "
        "were written, with their detected language.",
        code="translation_not_configured",
    )


def info(ctx: Context) -> dict[str, Any]:
    """What this server can translate, for clients and operators."""
    t = ctx.translation
    if t is None or not t.pool.configured:
        return {
            "engine": t.engine if t is not None else "none",
            "configured": False,
            "message": not_configured().message,
            "languages": [],
            "pairs": [],
        }
    return {
        "engine": t.engine,
        "configured": True,
        "languages": sorted(t.pool.languages()),
        "pairs": sorted([list(p) for p in t.pool.pairs()]),
        "pivot": "en",
    }


def stats(ctx: Context) -> dict[str, Any]:
    """Counters since start: engine calls, translations stored, shed, failures, queues."""
    t = ctx.translation
    if t is None:
        return {"engine": "none", "configured": False}
    return {
        "engine": t.engine,
        "configured": t.pool.configured,
        "calls": t.pool.stats["calls"],
        "translations": t.pool.stats["translations"],
        "stored": t.stats["stored"],
        "shed": t.pool.stats["shed"],
        "failures": t.pool.stats["failures"],
        "in_flight": len(t.inflight),
        "queues": t.pool.queue_depths(),
    }


async def do_translate(
    ctx: Context, user: User, room_id: str, seq: int, lang: str | None = None
) -> dict[str, Any]:
    """A message in the reader's own reading language, stored once.

    Only that language: whether a translation into another one was stored (by the live
    path, for the readers online when the message came) would tell the caller which
    languages the room's members read, and when. For the same reason every request is
    counted against the account's allowance, stored or not."""
    target = base_language(user.language)
    if target is None:
        raise InvalidInput("Say which language to translate into.", code="invalid_language")
    if lang is not None and base_language(lang) != target:
        raise InvalidInput(
            "Translations on demand are into your own reading language only; change it in "
            "your account to read in another.",
            code="translation_language_not_yours",
        )
    await limits.spend(ctx, limits.TRANSLATIONS, user.id)
    async with ctx.db.read() as conn:
        member = await access_member_for(conn, user, room_id, Action.READ)
        message = await messages_store.get_message(conn, room_id, seq)
        if message is None or message.deleted or message.hidden:
            raise NotFound("No such message in this room.", code="message_not_found")
        if not _translatable(message):
            raise InvalidInput("This message has nothing to translate.", code="not_translatable")
        stored = await store.get(conn, room_id, seq, target)
        enabled, glossary_rev = await rooms_store.translation_settings(conn, room_id)
    del member
    if not enabled:
        raise Conflict("The host turned translation off in this room.", code="translation_off")
    assert message.lang is not None and message.body is not None
    if target == message.lang:
        return _view(message, target, message.body, None)
    if stored is not None:
        return _view(message, target, stored.body, stored.engine)
    t = ctx.translation
    if t is None or not t.pool.configured:
        raise not_configured()
    if not t.pool.can_translate(message.lang, target):
        raise InvalidInput(
            f"This server cannot translate from {message.lang} to {target}.",
            code="unsupported_language_pair",
        )
    try:
        result = await asyncio.wait_for(
            _translate(ctx, t, message, target, glossary_rev), ctx.settings.translate_timeout_s
        )
    except (Shed, TimeoutError):
        raise RateLimited(
            "The translation engine is busy; try again in a moment.",
            retry_after_s=1.0,
            code="translation_busy",
        ) from None
    except (EngineError, Unreachable) as exc:
        # The engine's own words (its URL, the upstream's error text) are for the
        # operator's log: members get a generic refusal.
        log.warning("translation %s->%s on demand failed: %s", message.lang, target, exc)
        raise UpstreamFailed(
            "The translation engine could not translate this message; try again later.",
            code="translation_failed",
        ) from None
    if result is None:
        raise Conflict("The message changed while it was translated.", code="message_changed")
    return _view(message, target, result.body, result.engine)


def _view(m: Message, lang: str, body: str, engine: str | None) -> dict[str, Any]:
    return {
        "room": m.room_id,
        "seq": m.seq,
        "rev": m.rev,
        "source_lang": m.lang,
        "lang": lang,
        "body": body,
        "engine": engine,
    }


async def get_glossary(ctx: Context, user: User, room_id: str) -> Glossary:
    async with ctx.db.read() as conn:
        await access_member_for(conn, user, room_id, Action.READ)
        return await store.glossary(conn, room_id)


async def do_set_glossary(
    ctx: Context, user: User, room_id: str, entries: list[dict[str, Any]]
) -> Glossary:
    """Replace the room's glossary (hosts, and co-hosts with the settings right). It
    applies to translations made from now on; stored ones stay as they are."""
    glossary = check_glossary(entries)
    async with ctx.db.write() as tx:
        await access_room_for(tx.conn, user, room_id, Action.EDIT_ROOM, for_update=True)
        rev = await store.replace_glossary(tx.conn, room_id, glossary)
    if ctx.translation is not None:
        ctx.translation.glossaries[room_id] = (rev, glossary)
    return glossary
