"""Automod: per-room keyword and regular-expression rules applied to every message and
every room clip's caption.

Rules are managed by the host and co-hosts with the ``automod`` right; every change bumps
``rooms.automod_rev``. The send path calls :func:`screen` inside its transaction; each
process keeps the compiled rules of recently active rooms keyed by that revision, so a
send reads the rules only after they changed (and never in a room that has had none).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions.audit import do_audit
from openlink.actions.context import Context
from openlink.actions.stream import do_append_system
from openlink.domain import automod as rules
from openlink.domain.accounts import User
from openlink.domain.audit import ActorKind, AuditEntry
from openlink.domain.automod import AutomodAction, Matcher, Rule, RuleKind, Verdict
from openlink.domain.events import iso
from openlink.domain.ids import new_id
from openlink.domain.members import Member
from openlink.domain.messages import Message
from openlink.domain.permissions import Action
from openlink.errors import Conflict, Forbidden, NotFound, OpenLinkError
from openlink.queries.access import access_room_for
from openlink.store import audit as audit_store
from openlink.store import automod as store
from openlink.store import members as members_store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx

__all__ = ["AutomodAction", "Verdict", "on_blocked", "on_hidden", "screen"]

#: Rooms whose compiled rules a process keeps; the least recently screened go first.
CACHE_ROOMS = 2_048
_compiled: OrderedDict[str, tuple[int, Matcher]] = OrderedDict()


# --- rules CRUD -------------------------------------------------------------------------


def _rule_not_found() -> NotFound:
    return NotFound("No such automod rule in this room.", code="automod_rule_not_found")


def _max_patterns(ctx: Context, kind: RuleKind) -> int:
    s = ctx.settings
    return s.automod_max_keywords if kind is RuleKind.KEYWORD else s.automod_max_regexes


def _rule_details(rule: Rule) -> dict[str, Any]:
    return {"rule_id": rule.id, "rule": rule.name}


def _authored(rule: Rule, author: Member) -> Rule:
    """Whoever creates or changes a rule becomes its author: it acts with their rights,
    so they may give it only an action they may take themselves."""
    rules.check_rule_action(author.role, author.rights, rule.action)
    return dataclasses.replace(rule, author=author.id)


async def access_rules(ctx: Context, user: User, room_id: str) -> list[Rule]:
    async with ctx.db.read() as conn:
        room, _member = await access_room_for(conn, user, room_id, Action.MANAGE_AUTOMOD)
        return await store.list_rules(conn, room.id)


async def do_create_rule(
    ctx: Context,
    user: User,
    room_id: str,
    *,
    name: str,
    kind: RuleKind,
    patterns: list[str],
    action: AutomodAction,
    timeout_s: int | None = None,
    exempt_roles: list[str] | None = None,
    enabled: bool = True,
) -> Rule:
    now = ctx.now()
    draft = Rule(
        id=new_id(),
        room_id=room_id,
        name=rules.check_rule_name(name),
        kind=kind,
        patterns=rules.check_patterns(kind, patterns, _max_patterns(ctx, kind)),
        action=action,
        timeout_s=rules.check_action(action, timeout_s),
        exempt_roles=rules.check_exempt_roles(
            rules.EXEMPTABLE_ROLES if exempt_roles is None else exempt_roles
        ),
        enabled=enabled,
        created_at=now,
        updated_at=now,
    )
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.MANAGE_AUTOMOD, for_update=True
        )
        rule = _authored(draft, member)
        if await store.count_rules(tx.conn, room.id) >= ctx.settings.automod_max_rules:
            raise Conflict(
                f"A room has at most {ctx.settings.automod_max_rules} automod rules.",
                code="automod_rule_limit",
                max_rules=ctx.settings.automod_max_rules,
            )
        await store.insert_rule(tx.conn, rule)
        await store.bump_rev(tx.conn, room.id)
        tx.after_commit(lambda: _warm(ctx, room.id))
        await do_audit(ctx, tx, room, member, "automod_rule_create", details=_rule_details(rule))
    return rule


async def do_update_rule(
    ctx: Context, user: User, room_id: str, rule_id: str, **changes: Any
) -> Rule:
    """Change some of a rule's fields; the rule is checked whole afterwards. Its kind is
    fixed at creation."""
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.MANAGE_AUTOMOD, for_update=True
        )
        old = await store.get_rule(tx.conn, room.id, rule_id)
        if old is None:
            raise _rule_not_found()
        action = changes.get("action") or old.action
        if "timeout_s" in changes:
            timeout_s = changes["timeout_s"]
        else:
            timeout_s = old.timeout_s if action is AutomodAction.TIMEOUT else None
        patterns = old.patterns
        if changes.get("patterns") is not None:
            patterns = rules.check_patterns(
                old.kind, changes["patterns"], _max_patterns(ctx, old.kind)
            )
        exempt = old.exempt_roles
        if changes.get("exempt_roles") is not None:
            exempt = rules.check_exempt_roles(changes["exempt_roles"])
        rule = Rule(
            id=old.id,
            room_id=old.room_id,
            name=old.name
            if changes.get("name") is None
            else rules.check_rule_name(changes["name"]),
            kind=old.kind,
            patterns=patterns,
            action=action,
            timeout_s=rules.check_action(action, timeout_s),
            exempt_roles=exempt,
            enabled=old.enabled if changes.get("enabled") is None else changes["enabled"],
            created_at=old.created_at,
            updated_at=ctx.now(),
        )
        rule = _authored(rule, member)
        await store.update_rule(tx.conn, rule)
        await store.bump_rev(tx.conn, room.id)
        tx.after_commit(lambda: _warm(ctx, room.id))
        await do_audit(ctx, tx, room, member, "automod_rule_update", details=_rule_details(rule))
    return rule


async def do_delete_rule(ctx: Context, user: User, room_id: str, rule_id: str) -> None:
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.MANAGE_AUTOMOD, for_update=True
        )
        rule = await store.get_rule(tx.conn, room.id, rule_id)
        if rule is None:
            raise _rule_not_found()
        await store.delete_rule(tx.conn, rule.id)
        await store.bump_rev(tx.conn, room.id)
        tx.after_commit(lambda: _warm(ctx, room.id))
        await do_audit(ctx, tx, room, member, "automod_rule_delete", details=_rule_details(rule))


# --- the send path ----------------------------------------------------------------------


async def _matcher(conn: AsyncConnection, room_id: str, automod_rev: int) -> Matcher:
    cached = _compiled.get(room_id)
    # A newer revision than this transaction saw is as good: the rules changed meanwhile.
    if cached is not None and cached[0] >= automod_rev:
        _compiled.move_to_end(room_id)
        return cached[1]
    # Compiling a room's full rule set takes up to ~100 ms: off the event loop.
    matcher = await asyncio.to_thread(rules.compile_rules, await store.list_rules(conn, room_id))
    _remember(room_id, automod_rev, matcher)
    return matcher


async def _warm(ctx: Context, room_id: str) -> None:
    """Compile a room's rules right after they changed, so that the next message does not
    compile them inside its send transaction (where the writer lock is held)."""
    async with ctx.db.read() as conn:
        room = await rooms_store.get_room(conn, room_id)
        if room is None:
            return
        found = await store.list_rules(conn, room_id)
    _remember(room_id, room.automod_rev, await asyncio.to_thread(rules.compile_rules, found))


def _remember(room_id: str, automod_rev: int, matcher: Matcher) -> None:
    cached = _compiled.get(room_id)
    if cached is not None and cached[0] > automod_rev:
        return
    _compiled[room_id] = (automod_rev, matcher)
    _compiled.move_to_end(room_id)
    while len(_compiled) > CACHE_ROOMS:
        _compiled.popitem(last=False)


async def screen(
    ctx: Context, conn: AsyncConnection, room_id: str, automod_rev: int, member: Member, body: str
) -> Verdict | None:
    """The verdict for ``body`` sent by ``member``, or None: the most severe (timeout,
    then block, then hide) of what the matching rules may do to this member
    (:func:`openlink.domain.automod.verdict_for`).

    Called inside the send transaction; must not write. ``automod_rev`` is the room's
    current rules revision (0: the room never had rules, nothing to read)."""
    if automod_rev == 0:
        return None
    hits = (await _matcher(conn, room_id, automod_rev)).matches(body, member.role)
    if not hits:
        return None
    # Read only on a match: a rule acts with its author's rights as they are now.
    authors = {m.id: m for m in await members_store.moderators(conn, room_id)}
    return rules.winning(
        rules.verdict_for(rule, authors.get(rule.author or ""), member) for rule in hits
    )


async def on_blocked(ctx: Context, room_id: str, member: Member, verdict: Verdict) -> OpenLinkError:
    """After a BLOCK or TIMEOUT verdict rolled the send back: record it (audit log, the
    member's time-out) in a transaction of its own; returns the error for the sender."""
    now = ctx.now()
    details: dict[str, Any] = {"rule_id": verdict.rule_id, "rule": verdict.rule_name}
    async with ctx.db.write() as tx:
        if verdict.action is AutomodAction.TIMEOUT:
            assert verdict.timeout_s is not None
            until = now + timedelta(seconds=verdict.timeout_s)
            await members_store.update_member(tx.conn, member.id, timed_out_until=until)
            system = {
                "event": "timed_out",
                "member": member.id,
                "until": iso(until),
                "by": "automod",
            }
            await do_append_system(ctx, tx, room_id, system, now, member.id)
            details.update(until=iso(until), duration_s=verdict.timeout_s)
        entry = AuditEntry(
            room_id=room_id,
            actor_kind=ActorKind.AUTOMOD,
            action=f"automod_{verdict.action.value}",
            created_at=now,
            target_member=member.id,
            details=details,
        )
        await audit_store.append(tx.conn, entry)
    if verdict.action is AutomodAction.TIMEOUT:
        return Forbidden(
            f"Your message was blocked by the room's rule {verdict.rule_name!r}, and you are "
            "timed out: you can read, not write, until it ends.",
            code="automod_blocked",
            rule=verdict.rule_name,
            timed_out_until=details["until"],
        )
    return Forbidden(
        f"Your message was blocked by the room's rule {verdict.rule_name!r}.",
        code="automod_blocked",
        rule=verdict.rule_name,
    )


async def on_hidden(
    ctx: Context, tx: Tx, message: Message, verdict: Verdict, now: datetime
) -> None:
    """A HIDE verdict: ``message`` was stored hidden in ``tx``; record it in the audit log."""
    await record_hidden(tx, message.room_id, message.member_id, verdict, now, seq=message.seq)


async def record_hidden(
    tx: Tx,
    room_id: str,
    member_id: str | None,
    verdict: Verdict,
    now: datetime,
    *,
    seq: int | None = None,
    clip_id: str | None = None,
) -> None:
    """A HIDE verdict on what ``member_id`` wrote (a message's ``seq``, or the clip
    ``clip_id``), stored hidden in ``tx``: one ``automod_hide`` audit entry."""
    details: dict[str, Any] = {"rule_id": verdict.rule_id, "rule": verdict.rule_name}
    if clip_id is not None:
        details["clip"] = clip_id
    entry = AuditEntry(
        room_id=room_id,
        actor_kind=ActorKind.AUTOMOD,
        action="automod_hide",
        created_at=now,
        target_member=member_id,
        target_seq=seq,
        details=details,
    )
    await audit_store.append(tx.conn, entry)
