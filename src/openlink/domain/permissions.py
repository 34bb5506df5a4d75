"""Who may do what in a room: the one place that answers it.

Roles form a ladder today (host > member); co-hosts with chosen rights slot in between
without touching callers, since callers only ever ask :func:`can`.
"""

from __future__ import annotations

import enum

from openlink.domain.rooms import RoomKind, RoomStatus
from openlink.errors import Forbidden


class Role(enum.StrEnum):
    HOST = "host"
    MEMBER = "member"


class Action(enum.StrEnum):
    READ = "read"
    POST = "post"
    REACT = "react"
    EDIT_OWN = "edit_own"
    DELETE_OWN = "delete_own"
    EDIT_ROOM = "edit_room"
    MANAGE_LINK = "manage_link"
    TRANSFER_HOST = "transfer_host"
    LEAVE = "leave"


_MEMBER_RIGHTS = frozenset(
    {Action.READ, Action.POST, Action.REACT, Action.EDIT_OWN, Action.DELETE_OWN, Action.LEAVE}
)
_HOST_RIGHTS = _MEMBER_RIGHTS | {Action.EDIT_ROOM, Action.MANAGE_LINK, Action.TRANSFER_HOST}
_RIGHTS: dict[Role, frozenset[Action]] = {Role.HOST: _HOST_RIGHTS, Role.MEMBER: _MEMBER_RIGHTS}

#: What still works in a closed room: reading, and leaving it.
_CLOSED_ALLOWED = frozenset({Action.READ, Action.LEAVE})
#: A 1:1 link is a door, not a chat: messages go to the private rooms it spawns.
_CONVERSATION = frozenset({Action.POST, Action.REACT, Action.EDIT_OWN, Action.DELETE_OWN})


def can(
    role: Role,
    action: Action,
    status: RoomStatus = RoomStatus.OPEN,
    kind: RoomKind = RoomKind.GROUP,
) -> bool:
    if status is RoomStatus.CLOSED and action not in _CLOSED_ALLOWED:
        return False
    if kind is RoomKind.DIRECT_LINK and action in _CONVERSATION:
        return False
    return action in _RIGHTS[role]


def require(
    role: Role,
    action: Action,
    status: RoomStatus = RoomStatus.OPEN,
    kind: RoomKind = RoomKind.GROUP,
) -> None:
    """Raise the refusal a member gets for ``action``, if they may not do it."""
    if can(role, action, status, kind):
        return
    if kind is RoomKind.DIRECT_LINK and action in _CONVERSATION:
        raise Forbidden(
            "A 1:1 link is not a chat: each person who joins it gets a private room with the host.",
            code="link_only_room",
        )
    if status is RoomStatus.CLOSED:
        raise Forbidden("This room is closed: it can be read, not written to.", code="room_closed")
    raise Forbidden("Your role in this room does not allow that.", code="not_permitted")
