"""Creating and running rooms: settings, the link, handing over, leaving."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from openlink.actions import images, indexing, limits
from openlink.actions.account_events import do_account_event
from openlink.actions.context import Context
from openlink.actions.notify import notify_user
from openlink.actions.stream import do_append_system
from openlink.domain import governance, names
from openlink.domain import rooms as rules
from openlink.domain.accounts import User, check_display_name, check_language
from openlink.domain.events import member_view, room_view
from openlink.domain.ids import new_id, new_link_code
from openlink.domain.images import check_image_ref
from openlink.domain.members import Member, ProfileKind, check_nickname
from openlink.domain.permissions import Action, Role
from openlink.domain.rooms import (
    ProfilePolicy,
    Room,
    RoomKind,
    RoomStatus,
    TagCategory,
    Visibility,
)
from openlink.domain.text import check_no_controls, one_line
from openlink.errors import Forbidden, InvalidInput, NotFound
from openlink.queries.access import access_room_as_member, access_room_for
from openlink.store import accounts as accounts_store
from openlink.store import members as members_store
from openlink.store import rooms as store
from openlink.store.db import Tx

MAX_NAME = 80
MAX_DESCRIPTION = 2_000


def check_name(raw: str) -> str:
    name = one_line(raw, "room name")
    if not 1 <= len(name) <= MAX_NAME:
        raise InvalidInput(f"A room name is 1 to {MAX_NAME} characters.", code="invalid_name")
    return name


def check_description(raw: str) -> str:
    if len(raw) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"A description is at most {MAX_DESCRIPTION} characters.", code="invalid_description"
        )
    return check_no_controls(raw, "description").strip()


async def hash_code(ctx: Context, code: str | None) -> str | None:
    if code is None or code == "":
        return None
    return await asyncio.to_thread(ctx.passwords.hash, rules.check_participation_code(code))


async def do_create_room(
    ctx: Context,
    user: User,
    *,
    name: str,
    description: str = "",
    kind: RoomKind,
    visibility: Visibility,
    profile_policy: ProfilePolicy,
    tags: list[tuple[str, TagCategory]],
    cover_url: str | None,
    member_cap: int | None,
    code: str | None,
    host_profile: dict[str, Any],
    room_rules: dict[str, Any] | None = None,
) -> tuple[Room, Member]:
    if kind is RoomKind.DIRECT:
        raise InvalidInput("1:1 rooms are made by joining a 1:1 link.", code="invalid_kind")
    cap = (
        2
        if kind is RoomKind.DIRECT_LINK
        else rules.check_member_cap(
            member_cap or ctx.settings.default_member_cap, ctx.settings.max_member_cap
        )
    )
    values = dict(
        name=check_name(name),
        description=check_description(description),
        kind=kind.value,
        visibility=visibility.value,
        profile_policy=profile_policy.value,
        cover_url=await images.check_image(ctx, user, cover_url, "cover"),
        member_cap=cap,
        status=RoomStatus.OPEN.value,
        probation_s=ctx.settings.default_probation_s,
        language=user.language,
    )
    values.update(check_room_rules(room_rules or {}))
    # Counted before the code is hashed: a refused creation costs no argon2.
    await limits.spend(ctx, limits.ROOMS, user.id)
    values["code_hash"] = await hash_code(ctx, code)
    host_profile = await images.with_stored_avatar(ctx, user, host_profile)
    now = ctx.now()
    async with ctx.db.write() as tx:
        profile = await resolve_profile(tx.conn, user, host_profile, profile_policy)
        room = await store.insert_room(
            tx.conn,
            id=new_id(),
            link_code=new_link_code(),
            created_by=user.id,
            created_at=now,
            tags=rules.normalize_tags(tags),
            **values,
        )
        host = await do_add_member(tx, room.id, user.id, Role.HOST, now, profile)
        await do_append_system(ctx, tx, room.id, {"event": "created"}, now, host.id)
        room = await reload_room(tx.conn, room.id)
        notify_joined(ctx, tx, user.id, room, host)
    indexing.room_changed(ctx, room.id)
    return room, host


async def do_add_member(
    tx: Tx, room_id: str, user_id: int, role: Role, now: datetime, profile: dict[str, Any]
) -> Member:
    """Admit one person under ``profile`` (the member's nickname/avatar/kind columns).

    Every membership gets a fresh random id, so two stays in rooms are never linkable.
    """
    if role is not Role.HOST:
        await check_nickname_free(tx, room_id, profile["nickname"])
    member = await members_store.insert_member(
        tx.conn,
        id=new_id(),
        room_id=room_id,
        user_id=user_id,
        role=role.value,
        joined_at=now,
        **profile,
    )
    await store.add_member_count(tx.conn, room_id, 1)
    return member


async def check_nickname_free(tx: Tx, room_id: str, nickname: str) -> None:
    """Whoever enters a room, by any way, cannot take a look-alike of a moderator's name."""
    moderators = await members_store.moderators(tx.conn, room_id)
    names.check_not_impersonating(nickname, [(m.id, m.nickname) for m in moderators])


async def check_promotable(tx: Tx, target: Member) -> None:
    """A member about to become host or co-host: nobody else may look like them."""
    found = await members_store.nicknames(tx.conn, target.room_id)
    others = [(i, n) for i, n in found if i != target.id]
    # Every member's skeleton: a few milliseconds per thousand members, off the loop.
    await asyncio.to_thread(names.check_promotable, target.nickname, others)


async def reload_room(conn: Any, room_id: str) -> Room:
    room = await store.get_room(conn, room_id)
    assert room is not None
    return room


def notify_joined(ctx: Context, tx: Tx, user_id: int, room: Room, member: Member) -> None:
    """Tell the account's own sockets to start carrying this room."""
    event = {
        "type": "joined",
        "room": room_view(room),
        "member": member_view(member),
        # From the member's own "joined" message on, so that whatever followed it in the
        # same transaction (the host bot's welcome) reaches the new member's sockets too.
        "since": (member.last_read_seq or room.last_seq) - 1,
    }
    notify_user(ctx, tx, user_id, event)


async def resolve_profile(
    conn: Any, user: User, profile: dict[str, Any], policy: ProfilePolicy
) -> dict[str, Any]:
    """Turn a join request's profile choice into the member's columns."""
    kind = profile.get("kind", "main")
    if kind == ProfileKind.MAIN:
        return {
            # Checked again: display names older than today's rules enter no room as they are.
            "nickname": check_display_name(user.display_name),
            "avatar_url": None,
            "profile_kind": ProfileKind.MAIN.value,
        }
    if kind != ProfileKind.OPEN:
        raise InvalidInput("The profile kind is 'open' or 'main'.", code="invalid_profile")
    if policy is ProfilePolicy.MAIN_REQUIRED:
        raise Forbidden(
            "This room asks members to join with their main profile.", code="main_profile_required"
        )
    saved_id = profile.get("open_profile_id")
    if saved_id:
        saved = await accounts_store.get_open_profile(conn, user.id, saved_id)
        if saved is None:
            raise NotFound("No such open profile.", code="open_profile_not_found")
        nickname, avatar = check_nickname(saved.nickname), saved.avatar_url
    else:
        nickname = check_nickname(profile.get("nickname") or "")
        # A typed-in picture was fetched and stored before the transaction.
        avatar = check_image_ref(profile.get("avatar_url"), "avatar")
    return {"nickname": nickname, "avatar_url": avatar, "profile_kind": ProfileKind.OPEN.value}


#: Settings whose change alters what search finds for a room.
SEARCHABLE = frozenset({"name", "description", "tags", "language", "visibility"})


async def _reindex(ctx: Context, room_id: str) -> None:
    indexing.room_changed(ctx, room_id)


def check_room_rules(changes: dict[str, Any]) -> dict[str, Any]:
    """The flow-control and entry settings among ``changes``, checked."""
    values: dict[str, Any] = {}
    if changes.get("slow_mode_s") is not None:
        values["slow_mode_s"] = governance.check_slow_mode(changes["slow_mode_s"])
    if changes.get("probation_s") is not None:
        values["probation_s"] = governance.check_probation(changes["probation_s"])
    if changes.get("min_account_age_days") is not None:
        values["min_account_age_days"] = governance.check_min_account_age(
            changes["min_account_age_days"]
        )
    if changes.get("language") is not None:
        values["language"] = check_language(changes["language"])
    for flag in (
        "join_approval",
        "verified_only",
        "preview_enabled",
        "translation_enabled",
        "link_previews",
    ):
        if changes.get(flag) is not None:
            values[flag] = bool(changes[flag])
    return values


async def do_update_room(ctx: Context, user: User, room_id: str, **changes: Any) -> Room:
    values: dict[str, Any] = check_room_rules(changes)
    if changes.get("name") is not None:
        values["name"] = check_name(changes["name"])
    if changes.get("description") is not None:
        values["description"] = check_description(changes["description"])
    if changes.get("cover_url") is not None:
        values["cover_url"] = await _check_cover(ctx, user, room_id, changes["cover_url"])
    if changes.get("visibility") is not None:
        values["visibility"] = Visibility(changes["visibility"]).value
    if changes.get("profile_policy") is not None:
        values["profile_policy"] = ProfilePolicy(changes["profile_policy"]).value
    if changes.get("member_cap") is not None:
        values["member_cap"] = rules.check_member_cap(
            changes["member_cap"], ctx.settings.max_member_cap
        )
    if "code" in changes and changes["code"] is not None:
        values["code_hash"] = await hash_code(ctx, changes["code"])
    tags = changes.get("tags")
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.EDIT_ROOM, for_update=True
        )
        if room.kind is RoomKind.DIRECT_LINK and "member_cap" in values:
            raise InvalidInput("A 1:1 link has no member cap.", code="invalid_member_cap")
        if values:
            await store.update_room(tx.conn, room.id, **values)
        if tags is not None:
            await store.set_tags(tx.conn, room.id, rules.normalize_tags(tags))
        public = {k: v for k, v in values.items() if k != "code_hash"}
        if "code_hash" in values:
            public["has_code"] = values["code_hash"] is not None
        if tags is not None:
            public["tags"] = True
        if public.keys() & SEARCHABLE:
            tx.after_commit(lambda: _reindex(ctx, room.id))
        if public:
            await do_append_system(
                ctx,
                tx,
                room.id,
                {"event": "room_updated", "fields": sorted(public)},
                ctx.now(),
                member.id,
            )
        return await reload_room(tx.conn, room.id)


async def _check_cover(ctx: Context, user: User, room_id: str, raw: str) -> str | None:
    # Only someone who may change the cover makes the server fetch one.
    async with ctx.db.read() as conn:
        await access_room_for(conn, user, room_id, Action.EDIT_ROOM)
    return await images.check_image(ctx, user, raw, "cover")


async def do_regenerate_link(
    ctx: Context, user: User, room_id: str, options: dict[str, Any] | None = None
) -> Room:
    """A new link code; the old one stops working at once. Its use count starts at zero;
    ``options`` (expires_at, max_uses) apply to the new link, else the old ones carry over."""
    values = _link_options(ctx, options or {})
    async with ctx.db.write() as tx:
        room, _member = await access_room_for(
            tx.conn, user, room_id, Action.MANAGE_LINK, for_update=True
        )
        expired = room.link_expires_at is not None and room.link_expires_at <= ctx.now()
        if expired and "link_expires_at" not in values:
            values["link_expires_at"] = None  # a new link that is dead on arrival helps nobody
        await store.update_room(tx.conn, room.id, link_code=new_link_code(), link_uses=0, **values)
        return await reload_room(tx.conn, room.id)


async def do_set_link_options(
    ctx: Context, user: User, room_id: str, options: dict[str, Any]
) -> Room:
    """Change the current link's expiry or use limit without changing the link."""
    values = _link_options(ctx, options)
    async with ctx.db.write() as tx:
        room, _member = await access_room_for(
            tx.conn, user, room_id, Action.MANAGE_LINK, for_update=True
        )
        if values:
            await store.update_room(tx.conn, room.id, **values)
        return await reload_room(tx.conn, room.id)


def _link_options(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "expires_at" in options:
        expires = options["expires_at"]
        if expires is not None and expires <= ctx.now():
            raise InvalidInput("A link's expiry must be in the future.", code="invalid_expiry")
        values["link_expires_at"] = expires
    if "max_uses" in options:
        values["link_max_uses"] = governance.check_link_max_uses(options["max_uses"])
    return values


async def do_transfer_host(ctx: Context, user: User, room_id: str, to_member_id: str) -> Member:
    now = ctx.now()
    async with ctx.db.write() as tx:
        room, member = await access_room_for(
            tx.conn, user, room_id, Action.TRANSFER_HOST, for_update=True
        )
        target = await members_store.get_member(tx.conn, room.id, to_member_id)
        if target is None or not target.active:
            raise NotFound("No such member in this room.", code="member_not_found")
        if target.id == member.id:
            raise InvalidInput("You are already the host.", code="already_host")
        await check_promotable(tx, target)
        await members_store.update_member(tx.conn, member.id, role=Role.MEMBER.value)
        # The host holds every right: a co-host's list would only go stale.
        await members_store.update_member(tx.conn, target.id, role=Role.HOST.value, rights=None)
        await do_append_system(
            ctx,
            tx,
            room.id,
            {"event": "host_changed", "from": member.id, "to": target.id},
            now,
            member.id,
        )
        target.role, target.rights = Role.HOST, frozenset()
        return target


async def do_leave(ctx: Context, user: User, room_id: str) -> None:
    """Leave a room. A host who leaves without handing over closes it."""
    now = ctx.now()
    async with ctx.db.write() as tx:
        room, member = await access_room_as_member(tx.conn, user, room_id, for_update=True)
        await members_store.deactivate(tx.conn, member.id, now)
        await store.add_member_count(tx.conn, room.id, -1)
        await do_append_system(ctx, tx, room.id, {"event": "left"}, now, member.id)
        if member.role is Role.HOST and room.status is RoomStatus.OPEN:
            await store.update_room(tx.conn, room.id, status=RoomStatus.CLOSED.value)
            await do_append_system(ctx, tx, room.id, {"event": "closed"}, now, member.id)
        await do_account_event(ctx, tx, user.id, {"type": "left", "room": room.id})
