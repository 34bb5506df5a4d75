"""Nicknames and display names: something visible, no bidi overrides, and no look-alike of
a room's host or co-hosts (Unicode confusable skeletons), whichever way a name enters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import error_code
from tests.factory import Room, details, user

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


async def hosted_by_moderator(client: httpx.AsyncClient, **fields: Any) -> Room:
    """A room whose host's display name is "Moderator"."""
    return await (await user(client, display_name="Moderator")).create_room(**fields)


@pytest.mark.parametrize(
    "nickname",
    [ZWSP, ZWSP + ZWJ, HANGUL_FILLER * 3, BRAILLE_BLANK, f"{RLO}evil", "a\u2066b\u2069"],
)
async def test_invisible_or_reordering_nicknames_are_refused(
    client: httpx.AsyncClient, nickname: str
) -> None:
    r = await hosted_by_moderator(client)
    guest = await user(client)
    assert await guest.join(r, nickname=nickname, status=422) == "invalid_nickname"
    assert await guest.save_profile(nickname, status=422) == "invalid_nickname"
    assert await guest.update_me(display_name=nickname, status=422) == "invalid_display_name"


async def test_names_with_joiners_and_marks_stay_welcome(client: httpx.AsyncClient) -> None:
    r = await hosted_by_moderator(client)
    for nickname in ("👩\u200d💻 coder", "میلاد\u200cی", "عليّ \u200fx"):
        assert (await r.add(nickname=nickname)).nickname == nickname


@pytest.mark.parametrize("nickname", LOOK_ALIKES)
async def test_a_newcomer_cannot_look_like_the_host(
    client: httpx.AsyncClient, nickname: str
) -> None:
    r = await hosted_by_moderator(client)
    guest = await user(client)
    assert await guest.join(r, nickname=nickname, status=409) == "nickname_confusable"


async def test_every_way_into_a_room_is_checked(client: httpx.AsyncClient) -> None:
    r = await hosted_by_moderator(client)
    # The main profile: the account's display name.
    twin = await user(client, display_name="M\u03bfderator")
    assert await twin.join(r, status=409) == "nickname_confusable"
    # A saved open profile.
    saved = await twin.save_profile("MODERATOR")
    profile = {"kind": "open", "open_profile_id": saved["id"]}
    assert await twin.join(r, profile=profile, status=409) == "nickname_confusable"
    # A room that asks for approval refuses the request itself.
    gated = await hosted_by_moderator(client, join_approval=True)
    assert await twin.join(gated, nickname="moderator", status=409) == "nickname_confusable"
    # Someone else's name is fine.
    await twin.join(r, nickname="Visitor")


async def test_a_newcomer_cannot_look_like_a_cohost(client: httpx.AsyncClient) -> None:
    r = await hosted_by_moderator(client)
    helper = await r.add("helper", nickname="Helper")
    await r.host.appoint(helper, [])
    guest = await user(client)
    assert await guest.join(r, nickname="HeIper", status=409) == "nickname_confusable"
    # Plain members may share names: only moderators' are protected.
    await r.add(nickname="Visitor")
    await r.add(nickname="VlSITOR")


async def test_a_promotion_with_a_look_alike_in_the_room_is_refused(
    client: httpx.AsyncClient,
) -> None:
    r = await hosted_by_moderator(client)
    sam = await r.add("sam", nickname="Sam")
    twin = await r.add("twin", nickname=SAM_CYRILLIC)

    refused = await r.host.room_call("PUT", f"/cohosts/{sam.id}", json={"rights": []})
    assert error_code(refused, 409) == "nickname_confusable"
    assert details(refused) == {"members": [twin.id]}
    assert await r.host.hand_over(sam, status=409) == "nickname_confusable"

    await r.host.kick(twin)
    await r.host.appoint(sam, [])
