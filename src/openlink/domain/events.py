"""The public shape of rooms, members and messages, as every transport sends them.

These are pure functions from domain objects to JSON-ready dicts. Nothing here names the
account behind a member: a member is its room-scoped id, nickname and avatar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from openlink.domain.members import Member
from openlink.domain.messages import Message
from openlink.domain.permissions import Role
from openlink.domain.rooms import Room


def iso(dt: datetime | None) -> str | None:
    # Always with microseconds, so that the strings sort like the instants they name.
    return None if dt is None else dt.isoformat(timespec="microseconds").replace("+00:00", "Z")


def member_view(m: Member) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": m.id,
        "nickname": m.nickname,
        "avatar_url": m.avatar_url,
        "profile": m.profile_kind.value,
        "role": m.role.value,
        "joined_at": iso(m.joined_at),
    }
    if m.role is Role.COHOST:
        view["rights"] = sorted(m.rights)
    if m.timed_out_until is not None:
        view["timed_out_until"] = iso(m.timed_out_until)
    return view


def room_view(r: Room) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind.value,
        "name": r.name,
        "description": r.description,
        "cover_url": r.cover_url,
        "visibility": r.visibility.value,
        "profile_policy": r.profile_policy.value,
        "member_cap": r.member_cap,
        "member_count": r.member_count,
        "status": r.status.value,
        "has_code": r.has_code,
        "link": f"/l/{r.link_code}",
        "tags": [{"name": t.name, "category": t.category.value} for t in r.tags],
        "last_seq": r.last_seq,
        "created_at": iso(r.created_at),
        "slow_mode_s": r.slow_mode_s,
        "probation_s": r.probation_s,
        "join_approval": r.join_approval,
        "min_account_age_days": r.min_account_age_days,
        "verified_only": r.verified_only,
        "link_expires_at": iso(r.link_expires_at),
        "link_max_uses": r.link_max_uses,
        "link_uses": r.link_uses,
        "pinned_seq": r.pinned_seq,
        "language": r.language,
        "preview_enabled": r.preview_enabled,
        "translation_enabled": r.translation_enabled,
        "link_previews": r.link_previews,
    }


def message_view(m: Message) -> dict[str, Any]:
    """A message's current state. A deleted message is a tombstone: no body, no reactions.
    A hidden one shows that it was hidden and nothing of what it said (moderators read it
    through the review endpoint)."""
    view: dict[str, Any] = {
        "room": m.room_id,
        "seq": m.seq,
        "rev": m.rev,
        "kind": m.kind.value,
        "member": m.member_id,
        "created_at": iso(m.created_at),
    }
    if m.deleted:
        view["deleted"] = True
        view["deleted_at"] = iso(m.deleted_at)
        return view
    if m.hidden:
        view["hidden"] = True
        view["hidden_at"] = iso(m.hidden_at)
        if m.reply_to is not None:
            view["reply_to"] = m.reply_to
        return view
    view["body"] = m.body
    if m.media:
        view["media"] = m.media
    if m.reply_to is not None:
        view["reply_to"] = m.reply_to
    if m.mentions:
        view["mentions"] = m.mentions
    if m.reactions:
        view["reactions"] = m.reactions
    if m.edited_at is not None:
        view["edited_at"] = iso(m.edited_at)
    if m.system is not None:
        view["system"] = m.system
    if m.link_warning:
        view["link_warning"] = True
    if m.lang is not None:
        view["lang"] = m.lang
    if m.preview is not None and not m.preview.get("removed"):
        view["preview"] = m.preview
    return view


def message_event(m: Message, change: str) -> dict[str, Any]:
    """The one durable room event: a message's state after ``change``.

    ``change`` is ``new``, ``edited``, ``deleted``, ``reactions`` or ``preview`` live, and ``new``,
    ``updated`` or ``deleted`` when replayed from the database (resume, gap fill). Clients
    upsert by ``seq`` and remember the highest ``rev`` per room as their resume point.
    The sender's ``client_id`` is not part of it: the sender learns its seq from the ack,
    and nobody else needs an id that a careless client might reuse across rooms.
    """
    return {"type": "message", "change": change, "message": message_view(m)}


def translation_event(
    room_id: str, seq: int, rev: int, source_lang: str, lang: str, body: str
) -> dict[str, Any]:
    """A message's translation into ``lang``, for the readers of ``lang`` only. It belongs
    to the message's ``rev``: a later edit supersedes it (and a new one follows)."""
    return {
        "type": "message.translated",
        "room": room_id,
        "seq": seq,
        "rev": rev,
        "source_lang": source_lang,
        "lang": lang,
        "body": body,
    }
