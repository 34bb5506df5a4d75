"""Translating a room's messages: the use cases around the pipeline.

The send path detects the body's language in its transaction and, after commit, hands
the message to ``ctx.translation`` (``services/translation.py``), which translates it
once per language its room's readers read. Here: that hand-over, what an edit or a
delete does to stored translations, a message on demand, and a room's glossary.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from openlink.actions import limits
from openlink.actions.context import Context
from openlink.domain.accounts import User
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
from openlink.translate.base import EngineError
from openlink.translate.pool import Shed, Unreachable

log = logging.getLogger("openlink.translate")

TRANSLATABLE = frozenset({MessageKind.TEXT, MessageKind.NOTICE, MessageKind.BOT})
T = TypeVar("T")


def check_pair(ctx: Context, source: str, target: str) -> None:
    if not ctx.translation.can_translate(source, target):
        raise InvalidInput(
            f"This server cannot translate from {source} to {target}.",
            code="unsupported_language_pair",
        )


async def on_demand(
    ctx: Context, call: Coroutine[Any, Any, T], *, what: str, source: str, target: str
) -> T:
    """One translation asked for by a reader, under the engine's timeout, its failures as
    members see them: busy (retry soon) or failed. The engine's own words (its URL, the
    upstream's error text) are for the operator's log only."""
    try:
        return await asyncio.wait_for(call, ctx.settings.translate_timeout_s)
    except (Shed, TimeoutError):
        raise RateLimited(
            "The translation engine is busy; try again in a moment.",
            retry_after_s=1.0,
            code="translation_busy",
        ) from None
    except (EngineError, Unreachable) as exc:
        log.warning("%s %s->%s on demand failed: %s", what, source, target, exc)
        raise UpstreamFailed(
            f"The translation engine could not translate this {what}; try again later.",
            code="translation_failed",
        ) from None


def detect_language(ctx: Context, body: str, room_language: str | None) -> str | None:
    """The language of a message about to be stored, decided by its text and the room's
    language only (never the sender's account); ``None`` if neither says."""
    return ctx.translation.detect(body, room_language)


def translate_after_commit(
    ctx: Context, tx: Tx, message: Message, *, enabled: bool, glossary_rev: int
) -> None:
    """Hand ``message`` to the pipeline once ``tx`` commits, behind its own event."""
    if not enabled or not ctx.translation.configured or not translatable(message):
        return

    async def submit() -> None:
        ctx.translation.submit(message, glossary_rev=glossary_rev)

    tx.after_commit(submit)


async def on_change(ctx: Context, tx: Tx, message: Message) -> None:
    """In the transaction that edits, deletes, hides or shows a message again: what was
    translated from the old rev is stale; the new rev is translated after commit."""
    await store.drop_for_message(tx.conn, message.room_id, message.seq)
    if ctx.translation.configured and translatable(message):
        enabled, glossary_rev = await rooms_store.translation_settings(tx.conn, message.room_id)
        translate_after_commit(ctx, tx, message, enabled=enabled, glossary_rev=glossary_rev)


def translatable(m: Message) -> bool:
    return (
        m.kind in TRANSLATABLE
        and m.lang is not None
        # Attachments alone: nothing to translate.
        and bool(m.body)
        and not m.hidden
        and not m.deleted
    )


# -- the API -----------------------------------------------------------------------------


def not_configured() -> Conflict:
    return Conflict(
        "No translation engine is configured on this server: messages are shown as they "
        "were written, with their detected language.",
        code="translation_not_configured",
    )


def info(ctx: Context) -> dict[str, Any]:
    """What this server can translate, for clients and operators."""
    return ctx.translation.info()


def stats(ctx: Context) -> dict[str, Any]:
    """Counters since start: engine calls, translations stored, shed, failures, queues."""
    return ctx.translation.stats()


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
        if not translatable(message):
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
    if not ctx.translation.configured:
        raise not_configured()
    check_pair(ctx, message.lang, target)
    result = await on_demand(
        ctx,
        ctx.translation.translate(message, target, glossary_rev),
        what="message",
        source=message.lang,
        target=target,
    )
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
    ctx.translation.glossary_changed(room_id, rev, glossary)
    return glossary
