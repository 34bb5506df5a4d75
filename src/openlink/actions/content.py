"""A partner's content and its room: one work, one room, whoever asks first.

``do_link_content`` is idempotent per (partner, content id). The first partner to name a
work creates its room, hosted by the partner's account; every later partner that names
the same canonical work is linked to that room. When two partners name a new work at the
same moment, the unique canonical id lets one transaction win; the other fails with an
AlreadyExists from the store, is rolled back (its room with it) and, on its retry, finds
the winner's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openlink.actions import indexing
from openlink.actions.context import Context
from openlink.actions.rooms import (
    MAX_NAME,
    check_description,
    check_name,
    do_add_member,
    reload_room,
)
from openlink.actions.stream import do_append_system
from openlink.domain import partners as rules
from openlink.domain import rooms as room_rules
from openlink.domain.accounts import check_language
from openlink.domain.ids import new_id, new_link_code
from openlink.domain.members import ProfileKind
from openlink.domain.partners import Partner
from openlink.domain.permissions import Role
from openlink.domain.rooms import (
    ProfilePolicy,
    Room,
    RoomKind,
    RoomStatus,
    Tag,
    TagCategory,
    Visibility,
)
from openlink.errors import AlreadyExists, Conflict, InvalidInput
from openlink.store import accounts as accounts_store
from openlink.store import partners as store
from openlink.store import rooms as rooms_store
from openlink.store.db import Tx

#: A lost race costs one retry; more than a few means something else is wrong.
ATTEMPTS = 4


@dataclass(slots=True, frozen=True)
class ContentRequest:
    """What a partner said about one piece of its content, checked."""

    content_id: str
    canonical: str
    title: str
    language: str
    description: str
    tags: list[Tag]


def check_content(
    content_id: str,
    *,
    work: dict[str, Any],
    title: str,
    language: str,
    description: str | None,
    tags: list[str] | None,
) -> ContentRequest:
    return ContentRequest(
        content_id=rules.check_content_id(content_id),
        canonical=rules.canonical_work(work),
        title=rules.check_title(title),
        language=check_language(language),
        description=check_description(description or ""),
        tags=_content_tags(title, tags or []),
    )


def _content_tags(title: str, tags: list[str]) -> list[Tag]:
    """The title itself (cut to a tag's length) first, then the partner's tags; all of
    category ``content``."""
    if len(tags) >= room_rules.MAX_TAGS:
        raise InvalidInput(
            f"At most {room_rules.MAX_TAGS - 1} tags (the title is one more).", code="invalid_tag"
        )
    named = [(t, TagCategory.CONTENT) for t in tags]
    try:
        title_tag = room_rules.normalize_tag(title[: room_rules.MAX_TAG_CHARS])
        named.insert(0, (title_tag, TagCategory.CONTENT))
    except InvalidInput:
        pass  # a title of nothing but '#': no tag, the room is still named by it
    return room_rules.normalize_tags(named)


async def do_link_content(ctx: Context, partner: Partner, req: ContentRequest) -> tuple[Room, bool]:
    """The room of the work ``req`` names; True when this call linked the content id."""
    for attempt in range(ATTEMPTS):
        try:
            async with ctx.db.write() as tx:
                room, linked, new_room = await _link(ctx, tx, partner, req)
        except AlreadyExists:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        if new_room:
            indexing.room_changed(ctx, room.id)
        return room, linked
    raise AssertionError("unreachable")


async def _link(
    ctx: Context, tx: Tx, partner: Partner, req: ContentRequest
) -> tuple[Room, bool, bool]:
    known = await store.get_linked_work(tx.conn, partner.id, req.content_id)
    if known is not None:
        if known.canonical != req.canonical:
            raise Conflict(
                "This content id is linked to another work; use a new content id.",
                code="content_work_mismatch",
                work=known.canonical,
            )
        return await reload_room(tx.conn, known.room_id), False, False
    now = ctx.now()
    work = await store.get_work(tx.conn, req.canonical)
    new_room = work is None
    if work is None:
        room_id = await _create_room(ctx, tx, partner, req)
        work = await store.insert_work(
            tx.conn,
            id=new_id(),
            canonical=req.canonical,
            room_id=room_id,
            title=req.title,
            language=req.language,
            now=now,
        )
    await store.insert_link(
        tx.conn,
        partner_id=partner.id,
        content_id=req.content_id,
        work_id=work.id,
        title=req.title,
        language=req.language,
        now=now,
    )
    return await reload_room(tx.conn, work.room_id), True, new_room


async def _create_room(ctx: Context, tx: Tx, partner: Partner, req: ContentRequest) -> str:
    """A public group room named by the title, hosted by the partner's account."""
    host_user = await accounts_store.get_user(tx.conn, partner.user_id)
    assert host_user is not None
    now = ctx.now()
    room = await rooms_store.insert_room(
        tx.conn,
        id=new_id(),
        link_code=new_link_code(),
        created_by=host_user.id,
        created_at=now,
        tags=req.tags,
        name=check_name(rules.room_name_for(req.title, MAX_NAME)),
        description=req.description,
        kind=RoomKind.GROUP.value,
        visibility=Visibility.PUBLIC.value,
        profile_policy=ProfilePolicy.OPEN_ALLOWED.value,
        cover_url=None,
        member_cap=ctx.settings.default_member_cap,
        status=RoomStatus.OPEN.value,
        code_hash=None,
        probation_s=ctx.settings.default_probation_s,
        language=req.language,
    )
    profile = {
        "nickname": host_user.display_name,
        "avatar_url": None,
        "profile_kind": ProfileKind.MAIN.value,
    }
    host = await do_add_member(tx, room.id, host_user.id, Role.HOST, now, profile)
    await do_append_system(ctx, tx, room.id, {"event": "created"}, now, host.id)
    return room.id
