"""Who may do what: the whole matrix of roles, actions, room states and kinds."""

from __future__ import annotations

import pytest

from openlink.domain.permissions import Action, Role, can, require
from openlink.domain.rooms import RoomKind, RoomStatus
from openlink.errors import Forbidden

A = Action
EVERYTHING = set(Action)
MEMBER = {A.READ, A.POST, A.REACT, A.EDIT_OWN, A.DELETE_OWN, A.LEAVE}
HOST = MEMBER | {A.EDIT_ROOM, A.MANAGE_LINK, A.TRANSFER_HOST}
CLOSED = {A.READ, A.LEAVE}
CONVERSATION = {A.POST, A.REACT, A.EDIT_OWN, A.DELETE_OWN}

#: (role, status, kind) -> what is allowed. Written out, not derived from the code.
MATRIX = {
    (Role.HOST, RoomStatus.OPEN, RoomKind.GROUP): HOST,
    (Role.MEMBER, RoomStatus.OPEN, RoomKind.GROUP): MEMBER,
    (Role.HOST, RoomStatus.CLOSED, RoomKind.GROUP): CLOSED,
    (Role.MEMBER, RoomStatus.CLOSED, RoomKind.GROUP): CLOSED,
    (Role.HOST, RoomStatus.OPEN, RoomKind.DIRECT): HOST,
    (Role.MEMBER, RoomStatus.OPEN, RoomKind.DIRECT): MEMBER,
    (Role.HOST, RoomStatus.OPEN, RoomKind.DIRECT_LINK): HOST - CONVERSATION,
    (Role.MEMBER, RoomStatus.OPEN, RoomKind.DIRECT_LINK): MEMBER - CONVERSATION,
    (Role.HOST, RoomStatus.CLOSED, RoomKind.DIRECT_LINK): CLOSED,
}


def test_host_rights_include_every_member_right() -> None:
    assert MEMBER < HOST <= EVERYTHING
    assert HOST == EVERYTHING


@pytest.mark.parametrize(("role", "status", "kind"), list(MATRIX))
def test_can_matrix(role: Role, status: RoomStatus, kind: RoomKind) -> None:
    allowed = {action for action in Action if can(role, action, status, kind)}
    assert allowed == MATRIX[(role, status, kind)]


def test_can_defaults_to_an_open_group_room() -> None:
    for role in Role:
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
