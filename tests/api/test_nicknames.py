"""Nicknames and display names: something visible, no bidi overrides, and no look-alike of
a room's host or co-hosts (Unicode confusable skeletons), whichever way a name enters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.test_flow import details
from tests.factories import auth, error_code, expect, join, make_room, make_user

ZWSP, ZWJ, RLO, HANGUL_FILLER, BRAILLE_BLANK = "\u200b", "\u200d", "\u202e", "\u3164", "\u2800"
# "Moderator" with a Greek omicron, and with a Cyrillic "о" and "е".
SAM_CYRILLIC = "S\u0430m"  # with a Cyrillic "а"
LOOK_ALIKES = [
    "Μoderator",
    "M\u03bfderator",
    "M\u043ed\u0435rator",
    "MODERATOR",
    "mod" + ZWSP + "erator",
    "Ｍｏｄｅｒａｔｏｒ",  # fullwidth: folded by NFKC, which skeletons skip
    "ᴍᴏᴅᴇʀᴀᴛᴏʀ",  # small capitals: no compatibility mapping, folded by name
    "ᴹᵒᵈᵉʳᵃᵗᵒʳ",  # modifier letters
]


async def room_with_host(client: httpx.AsyncClient, **fields: Any) -> tuple[dict[str, Any], str]:
    _, host = await make_user(client, display_name="Moderator")
    room = (await make_room(client, host, **fields))["room"]
    return room, host


def open_profile(nickname: str) -> dict[str, Any]:
    return {"kind": "open", "nickname": nickname}


@pytest.mark.parametrize(
    "nickname",
    [ZWSP, ZWSP + ZWJ, HANGUL_FILLER * 3, BRAILLE_BLANK, f"{RLO}evil", "a\u2066b\u2069"],
)
async def test_invisible_or_reordering_nicknames_are_refused(
    client: httpx.AsyncClient, nickname: str
) -> None:
    room, _ = await room_with_host(client)
    _, guest = await make_user(client)
    response = await client.post(
        f"/api/links/{room['link'].removeprefix('/l/')}/join",
        json={"profile": open_profile(nickname)},
        headers=auth(guest),
    )
    assert error_code(response, 422) == "invalid_nickname"
    saved = await client.post(
        "/api/me/open-profiles", json={"nickname": nickname}, headers=auth(guest)
    )
    assert error_code(saved, 422) == "invalid_nickname"
    renamed = await client.patch("/api/me", json={"display_name": nickname}, headers=auth(guest))
    assert error_code(renamed, 422) == "invalid_display_name"


async def test_names_with_joiners_and_marks_stay_welcome(client: httpx.AsyncClient) -> None:
    room, _ = await room_with_host(client)
    for nickname in ("👩\u200d💻 coder", "میلاد\u200cی", "عليّ \u200fx"):
        _, guest = await make_user(client)
        me = (await join(client, guest, room["link"], profile=open_profile(nickname)))["me"]
        assert me["nickname"] == nickname


@pytest.mark.parametrize("nickname", LOOK_ALIKES)
async def test_a_newcomer_cannot_look_like_the_host(
    client: httpx.AsyncClient, nickname: str
) -> None:
    room, _ = await room_with_host(client)
    _, guest = await make_user(client)
    refused = await join(client, guest, room["link"], profile=open_profile(nickname), status=409)
    assert refused["error"]["code"] == "nickname_confusable"


async def test_every_way_into_a_room_is_checked(client: httpx.AsyncClient) -> None:
    room, _ = await room_with_host(client)
    # The main profile: the account's display name.
    _, twin = await make_user(client, display_name="M\u03bfderator")
    refused = await join(client, twin, room["link"], status=409)
    assert refused["error"]["code"] == "nickname_confusable"
    # A saved open profile.
    saved = expect(
        await client.post(
            "/api/me/open-profiles", json={"nickname": "MODERATOR"}, headers=auth(twin)
        ),
        201,
    )
    refused = await join(
        client,
        twin,
        room["link"],
        profile={"kind": "open", "open_profile_id": saved["id"]},
        status=409,
    )
    assert refused["error"]["code"] == "nickname_confusable"
    # A room that asks for approval refuses the request itself.
    gated, _ = await room_with_host(client, join_approval=True)
    refused = await join(client, twin, gated["link"], profile=open_profile("moderator"), status=409)
    assert refused["error"]["code"] == "nickname_confusable"
    # Someone else's name is fine.
    await join(client, twin, room["link"], profile=open_profile("Visitor"))


async def test_a_newcomer_cannot_look_like_a_cohost(client: httpx.AsyncClient) -> None:
    room, host = await room_with_host(client)
    _, helper = await make_user(client)
    helper_id = (await join(client, helper, room["link"], profile=open_profile("Helper")))["me"][
        "id"
    ]
    path = f"/api/rooms/{room['id']}/cohosts/{helper_id}"
    expect(await client.put(path, json={"rights": []}, headers=auth(host)), 200)
    _, guest = await make_user(client)
    refused = await join(client, guest, room["link"], profile=open_profile("HeIper"), status=409)
    assert refused["error"]["code"] == "nickname_confusable"
    # Plain members may share names: only moderators' are protected.
    _, other = await make_user(client)
    await join(client, other, room["link"], profile=open_profile("Visitor"))
    _, again = await make_user(client)
    await join(client, again, room["link"], profile=open_profile("VlSITOR"))


async def test_a_promotion_with_a_look_alike_in_the_room_is_refused(
    client: httpx.AsyncClient,
) -> None:
    room, host = await room_with_host(client)
    ids = {}
    tokens = {}
    for nickname in ("Sam", SAM_CYRILLIC):
        _, tokens[nickname] = await make_user(client)
        me = await join(client, tokens[nickname], room["link"], profile=open_profile(nickname))
        ids[nickname] = me["me"]["id"]

    path = f"/api/rooms/{room['id']}/cohosts/{ids['Sam']}"
    refused = await client.put(path, json={"rights": []}, headers=auth(host))
    assert error_code(refused, 409) == "nickname_confusable"
    assert details(refused) == {"members": [ids[SAM_CYRILLIC]]}
    handover = await client.post(
        f"/api/rooms/{room['id']}/host", json={"member_id": ids["Sam"]}, headers=auth(host)
    )
    assert error_code(handover, 409) == "nickname_confusable"

    kick = f"/api/rooms/{room['id']}/members/{ids[SAM_CYRILLIC]}/kick"
    expect(await client.post(kick, json={}, headers=auth(host)), 204)
    expect(await client.put(path, json={"rights": []}, headers=auth(host)), 200)
