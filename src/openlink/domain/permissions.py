"""Who may do what in a room: the one place that answers it.

Three roles: the host holds every right; a co-host holds the rights the host chose for
them (a subset of :class:`Right`); a member holds the ordinary ones. Callers only ever ask
:func:`can` / :func:`require` with the member's role and rights.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from openlink.domain.rooms import RoomKind, RoomStatus
from openlink.errors import Forbidden, InvalidInput


class Role(enum.StrEnum):
    HOST = "host"
    COHOST = "cohost"
    MEMBER = "member"


class Right(enum.StrEnum):
    """What a host can hand a co-host, one by one."""

    NOTICE = "notice"  # post and pin notices
    HIDE = "hide"  # hide messages for everyone, review hidden ones
    KICK = "kick"  # kick and ban, unban
    TIMEOUT = "timeout"  # make a member read-only for a while
    APPROVE = "approve"  # decide join requests
    SETTINGS = "settings"  # room settings, slow mode, entry conditions, host bot
    LINKS = "links"  # regenerate the link, its expiry and use limit
    AUTOMOD = "automod"  # automod rules


class Action(enum.StrEnum):
    READ = "read"
    POST = "post"
    REACT = "react"
    EDIT_OWN = "edit_own"
    DELETE_OWN = "delete_own"
    LEAVE = "leave"
    REPORT = "report"
    POST_NOTICE = "post_notice"
    HIDE_MESSAGE = "hide_message"
    KICK = "kick"
    TIMEOUT = "timeout"
    APPROVE_JOIN = "approve_join"
    EDIT_ROOM = "edit_room"
    MANAGE_LINK = "manage_link"
    MANAGE_AUTOMOD = "manage_automod"
    #: Moderation read access: reports and the audit log (any co-host).
    VIEW_MODERATION = "view_moderation"
    APPOINT_COHOST = "appoint_cohost"
    TRANSFER_HOST = "transfer_host"
    CLOSE_ROOM = "close_room"


_MEMBER_ACTIONS = frozenset(
    {
        Action.READ,
        Action.POST,
        Action.REACT,
        Action.EDIT_OWN,
        Action.DELETE_OWN,
        Action.LEAVE,
        Action.REPORT,
    }
)
#: The action each right unlocks for a co-host.
RIGHT_ACTIONS: dict[Right, Action] = {
    Right.NOTICE: Action.POST_NOTICE,
    Right.HIDE: Action.HIDE_MESSAGE,
    Right.KICK: Action.KICK,
    Right.TIMEOUT: Action.TIMEOUT,
    Right.APPROVE: Action.APPROVE_JOIN,
    Right.SETTINGS: Action.EDIT_ROOM,
    Right.LINKS: Action.MANAGE_LINK,
    Right.AUTOMOD: Action.MANAGE_AUTOMOD,
}
_HOST_ONLY = frozenset({Action.APPOINT_COHOST, Action.TRANSFER_HOST, Action.CLOSE_ROOM})
ALL_RIGHTS = frozenset(Right)

#: What still works in a closed room: reading (moderators: their reports and audit log),
#: and leaving it.
_CLOSED_ALLOWED = frozenset({Action.READ, Action.LEAVE, Action.VIEW_MODERATION})
#: A 1:1 link is a door, not a chat: messages go to the private rooms it spawns.
_CONVERSATION = frozenset(
    {
        Action.POST,
        Action.REACT,
        Action.EDIT_OWN,
        Action.DELETE_OWN,
        Action.REPORT,
        Action.POST_NOTICE,
        Action.HIDE_MESSAGE,
        Action.TIMEOUT,
    }
)


def actions_of(role: Role, rights: Iterable[Right] = ()) -> frozenset[Action]:
    """Everything ``role`` with ``rights`` may do in an open group room."""
    if role is Role.HOST:
        return frozenset(Action)
    if role is Role.COHOST:
        granted = {RIGHT_ACTIONS[r] for r in rights}
        return _MEMBER_ACTIONS | granted | {Action.VIEW_MODERATION}
    return _MEMBER_ACTIONS


def can(
    role: Role,
    action: Action,
    status: RoomStatus = RoomStatus.OPEN,
    kind: RoomKind = RoomKind.GROUP,
    rights: Iterable[Right] = (),
) -> bool:
    if status is RoomStatus.CLOSED and action not in _CLOSED_ALLOWED:
        return False
    if kind is RoomKind.DIRECT_LINK and action in _CONVERSATION:
        return False
    return action in actions_of(role, rights)


def require(
    role: Role,
    action: Action,
    status: RoomStatus = RoomStatus.OPEN,
    kind: RoomKind = RoomKind.GROUP,
    rights: Iterable[Right] = (),
) -> None:
    """Raise the refusal a member gets for ``action``, if they may not do it."""
    if can(role, action, status, kind, rights):
        return
    if kind is RoomKind.DIRECT_LINK and action in _CONVERSATION:
        raise Forbidden(
            "A 1:1 link is not a chat: each person who joins it gets a private room with the host.",
            code="link_only_room",
        )
    if status is RoomStatus.CLOSED:
        raise Forbidden("This room is closed: it can be read, not written to.", code="room_closed")
    if action in _HOST_ONLY:
        raise Forbidden("Only the host can do that.", code="not_permitted")
    raise Forbidden("Your role in this room does not allow that.", code="not_permitted")


def may_read_hidden(role: Role, rights: Iterable[Right] = ()) -> bool:
    """Whether a member may read the text of hidden messages, wherever it would show (the
    review route, report excerpts): the host and co-hosts with the ``hide`` right. The
    room's status does not matter: hidden text stays reviewable in a closed room. (The
    instance's operators may read it too; they are not members.)"""
    return Action.HIDE_MESSAGE in actions_of(role, rights)


def outranks(actor: Role, target: Role) -> bool:
    """Whether ``actor`` may act against ``target`` at all: never against the host, and
    against a co-host only as the host, so that a host's team cannot be turned against
    itself by one of its members."""
    return target is Role.MEMBER or (target is Role.COHOST and actor is Role.HOST)


def check_rights(raw: Iterable[str]) -> frozenset[Right]:
    rights = set()
    for name in raw:
        try:
            rights.add(Right(name))
        except ValueError:
            raise InvalidInput(
                f"Unknown right {name!r}; rights are: {', '.join(sorted(Right))}.",
                code="invalid_right",
            ) from None
    return frozenset(rights)


def check_grant(granter: Role, granter_rights: Iterable[Right], rights: Iterable[Right]) -> None:
    """Nobody hands out a right they do not hold themselves."""
    held = ALL_RIGHTS if granter is Role.HOST else frozenset(granter_rights)
    extra = frozenset(rights) - held
    if extra:
        raise Forbidden(
            "You cannot grant rights you do not hold: " + ", ".join(sorted(extra)) + ".",
            code="grant_exceeds_own_rights",
        )
