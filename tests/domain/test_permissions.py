"""Who may do what: the whole matrix of roles, actions, room states and kinds."""

from __future__ import annotations

import pytest

from openlink.domain.permissions import (
    Action,
    Right,
    Role,
    can,
    check_grant,
    check_rights,
    require,
)
from openlink.domain.rooms import RoomKind, RoomStatus
from openlink.errors import Forbidden, InvalidInput

A = Action
EVERYTHING = set(Action)
MEMBER = {A.READ, A.POST, A.REACT, A.EDIT_OWN, A.DELETE_OWN, A.LEAVE, A.REPORT}
HOST = EVERYTHING
#: A closed room can be read and left; its moderators still read reports and the audit log.
CLOSED = {A.READ, A.LEAVE, A.VIEW_MODERATION}
CLOSED_MEMBER = {A.READ, A.LEAVE}
CONVERSATION = {
    A.POST,
    A.REACT,
    A.EDIT_OWN,
    A.DELETE_OWN,
    A.REPORT,
    A.POST_NOTICE,
    A.HIDE_MESSAGE,
    A.TIMEOUT,
}
HOST_ONLY = {A.APPOINT_COHOST, A.TRANSFER_HOST, A.CLOSE_ROOM}
#: Each right, and the one action it adds to a co-host's (written out, not derived).
RIGHT_ADDS = {
    Right.NOTICE: A.POST_NOTICE,
    Right.HIDE: A.HIDE_MESSAGE,
    Right.KICK: A.KICK,
    Right.TIMEOUT: A.TIMEOUT,
    Right.APPROVE: A.APPROVE_JOIN,
    Right.SETTINGS: A.EDIT_ROOM,
    Right.LINKS: A.MANAGE_LINK,
    Right.AUTOMOD: A.MANAGE_AUTOMOD,
}

#: (role, status, kind) -> what is allowed. Written out, not derived from the code.
MATRIX = {
    (Role.HOST, RoomStatus.OPEN, RoomKind.GROUP): HOST,
    (Role.MEMBER, RoomStatus.OPEN, RoomKind.GROUP): MEMBER,
    (Role.HOST, RoomStatus.CLOSED, RoomKind.GROUP): CLOSED,
    (Role.MEMBER, RoomStatus.CLOSED, RoomKind.GROUP): CLOSED_MEMBER,
    (Role.HOST, RoomStatus.OPEN, RoomKind.DIRECT): HOST,
    (Role.MEMBER, RoomStatus.OPEN, RoomKind.DIRECT): MEMBER,
    (Role.HOST, RoomStatus.OPEN, RoomKind.DIRECT_LINK): HOST - CONVERSATION,
    (Role.MEMBER, RoomStatus.OPEN, RoomKind.DIRECT_LINK): MEMBER - CONVERSATION,
    (Role.HOST, RoomStatus.CLOSED, RoomKind.DIRECT_LINK): CLOSED,
}


def test_host_rights_include_every_member_right() -> None:
    assert MEMBER < HOST == EVERYTHING


def test_cohost_without_rights_only_reads_moderation() -> None:
    allowed = {a for a in Action if can(Role.COHOST, a)}
    assert allowed == MEMBER | {A.VIEW_MODERATION}


@pytest.mark.parametrize("right", list(Right))
def test_each_right_adds_exactly_its_action(right: Right) -> None:
    allowed = {a for a in Action if can(Role.COHOST, a, rights={right})}
    assert allowed == MEMBER | {A.VIEW_MODERATION, RIGHT_ADDS[right]}


def test_cohost_with_every_right_still_lacks_the_host_only_actions() -> None:
    allowed = {a for a in Action if can(Role.COHOST, a, rights=set(Right))}
    assert allowed == EVERYTHING - HOST_ONLY
    for action in HOST_ONLY:
        with pytest.raises(Forbidden) as err:
            require(Role.COHOST, action, rights=set(Right))
        assert err.value.code == "not_permitted"


def test_a_cohost_cannot_grant_more_than_they_hold() -> None:
    check_grant(Role.HOST, (), set(Right))
    check_grant(Role.COHOST, {Right.HIDE, Right.KICK}, {Right.HIDE})
    with pytest.raises(Forbidden) as err:
        check_grant(Role.COHOST, {Right.HIDE}, {Right.HIDE, Right.KICK})
    assert err.value.code == "grant_exceeds_own_rights"


def test_unknown_rights_are_refused() -> None:
    assert check_rights(["hide", "kick", "hide"]) == {Right.HIDE, Right.KICK}
    with pytest.raises(InvalidInput) as err:
        check_rights(["hide", "launch_missiles"])
    assert err.value.code == "invalid_right"


@pytest.mark.parametrize(("role", "status", "kind"), list(MATRIX))
def test_can_matrix(role: Role, status: RoomStatus, kind: RoomKind) -> None:
    allowed = {action for action in Action if can(role, action, status, kind)}
    assert allowed == MATRIX[(role, status, kind)]


def test_can_defaults_to_an_open_group_room() -> None:
    for role in (Role.HOST, Role.MEMBER):
        allowed = {action for action in Action if can(role, action)}
        assert allowed == MATRIX[(role, RoomStatus.OPEN, RoomKind.GROUP)]


@pytest.mark.parametrize(
    ("role", "action", "status", "kind", "code"),
    [
        (Role.MEMBER, A.MANAGE_LINK, RoomStatus.OPEN, RoomKind.GROUP, "not_permitted"),
        (Role.MEMBER, A.TRANSFER_HOST, RoomStatus.OPEN, RoomKind.GROUP, "not_permitted"),
        (Role.MEMBER, A.EDIT_ROOM, RoomStatus.OPEN, RoomKind.GROUP, "not_permitted"),
        (Role.MEMBER, A.POST, RoomStatus.CLOSED, RoomKind.GROUP, "room_closed"),
        (Role.HOST, A.MANAGE_LINK, RoomStatus.CLOSED, RoomKind.GROUP, "room_closed"),
        (Role.HOST, A.POST, RoomStatus.OPEN, RoomKind.DIRECT_LINK, "link_only_room"),
    ],
)
def test_require_names_the_refusal(
    role: Role, action: Action, status: RoomStatus, kind: RoomKind, code: str
) -> None:
    with pytest.raises(Forbidden) as err:
        require(role, action, status, kind)
    assert err.value.code == code
    assert err.value.status == 403


def test_require_allows_what_can_allows() -> None:
    for (role, status, kind), allowed in MATRIX.items():
        for action in allowed:
            require(role, action, status, kind)
