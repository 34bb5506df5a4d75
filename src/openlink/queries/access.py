"""``access_*``: the one way to fetch an object for a user.

A room you may not see and a room that does not exist give the same error, so that ids
cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.accounts import User
from openlink.domain.clips import Clip
from openlink.domain.governance import RoomPolicy
from openlink.domain.members import Member
from openlink.domain.permissions import Action, may_read_hidden, require
from openlink.domain.rooms import Room, RoomKind, RoomStatus, Visibility
from openlink.errors import NotFound
from openlink.store import clips as clips_store
from openlink.store import members as members_store
from openlink.store import rooms as rooms_store


def room_not_found() -> NotFound:
    return NotFound("No such room, or you are not in it.", code="room_not_found")


async def access_room_as_member(
    conn: AsyncConnection, user: User, room_id: str, *, for_update: bool = False
) -> tuple[Room, Member]:
    room = await rooms_store.get_room(conn, room_id, for_update=for_update)
    member = None if room is None else await members_store.active_member(conn, room.id, user.id)
    if room is None or member is None:
        raise room_not_found()
    return room, member


async def access_room_for_preview(
    conn: AsyncConnection, user: User | None, room_id: str
) -> tuple[Room, Member | None]:
    """A member sees their room; anyone sees a public group room's preview."""
    room = await rooms_store.get_room(conn, room_id)
    if room is None:
        raise room_not_found()
    member = None if user is None else await members_store.active_member(conn, room.id, user.id)
    if member is None and (
        room.visibility is not Visibility.PUBLIC or room.kind is RoomKind.DIRECT
    ):
        raise room_not_found()
    return room, member


async def access_member_for(
    conn: AsyncConnection, user: User, room_id: str, action: Action
) -> Member:
    """The user's membership in a room, if it allows ``action`` (one read)."""
    member, _ = await access_sender(conn, user, room_id, action)
    return member


async def access_sender(
    conn: AsyncConnection, user: User, room_id: str, action: Action
) -> tuple[Member, RoomPolicy]:
    """The membership and the room's send policy, if the membership allows ``action``."""
    found = await members_store.sender(conn, room_id, user.id)
    if found is None:
        raise room_not_found()
    member, policy = found
    require(member.role, action, policy.status, policy.kind, member.rights)
    return member, policy


async def access_room_for(
    conn: AsyncConnection, user: User, room_id: str, action: Action, *, for_update: bool = False
) -> tuple[Room, Member]:
    """The room and the user's membership in it, if the membership allows ``action``
    (``for_update``: the room row stays locked until commit)."""
    room, member = await access_room_as_member(conn, user, room_id, for_update=for_update)
    check_can(room, member, action)
    return room, member


def check_can(room: Room, member: Member, action: Action) -> None:
    require(member.role, action, room.status, room.kind, member.rights)


# -- clips (queries/clips.py) --------------------------------------------------------


def clip_not_found() -> NotFound:
    return NotFound("No such clip, or you may not see it.", code="clip_not_found")


@dataclass(slots=True)
class Seen:
    clip: Clip
    room: Room | None
    #: The caller's membership in the clip's room, if any.
    member: Member | None

    def moderated_by(self, user: User | None) -> bool:
        if user is not None and user.is_operator:
            return True
        m = self.member
        return m is not None and may_read_hidden(m.role, m.rights)


def public_room(room: Room) -> bool:
    """A room whose clips anyone may see: a public group room that shows its preview."""
    return (
        room.visibility is Visibility.PUBLIC
        and room.kind is RoomKind.GROUP
        and room.preview_enabled
        and room.status is RoomStatus.OPEN
    )


async def access_clip(conn: AsyncConnection, user: User | None, clip_id: str) -> Seen:
    clip = await clips_store.get_clip(conn, clip_id)
    if clip is None:
        raise clip_not_found()
    return await _seen(conn, user, clip)


async def _seen(conn: AsyncConnection, user: User | None, clip: Clip) -> Seen:
    room = member = None
    if clip.room_id is not None:
        room = await rooms_store.get_room(conn, clip.room_id)
        if room is None:
            raise clip_not_found()
        if user is not None:
            member = await members_store.active_member(conn, room.id, user.id)
        if member is None and not public_room(room):
            raise clip_not_found()
    seen = Seen(clip, room, member)
    mine = user is not None and clip.user_id == user.id
    if clip.hidden and not mine and not seen.moderated_by(user):
        raise clip_not_found()
    return seen


async def access_clip_media(conn: AsyncConnection, user: User | None, media_id: str) -> Clip:
    """The clip whose video this upload is, if the caller may see the clip."""
    clip = await clips_store.clip_of_media(conn, media_id)
    if clip is None:
        raise clip_not_found()
    return (await _seen(conn, user, clip)).clip
