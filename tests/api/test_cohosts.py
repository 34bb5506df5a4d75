"""Co-hosts: the host appoints them, chooses their rights, and takes the role back."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import error_code
from tests.factory import Member, room


async def audit_actions(reader: Member) -> list[str]:
    return [e["action"] for e in await reader.audit()]


async def test_the_host_appoints_changes_and_removes_a_cohost(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    guest = r.guest

    appointed = await r.host.appoint(guest, ["kick", "hide"])
    assert (appointed["role"], appointed["rights"]) == ("cohost", ["hide", "kick"])
    assert (await guest.members())[guest.id]["rights"] == ["hide", "kick"]
    assert await guest.last_system() == {
        "event": "cohost_appointed",
        "member": guest.id,
        "rights": ["hide", "kick"],
    }

    changed = await r.host.appoint(guest, ["notice"])
    assert changed["rights"] == ["notice"]
    assert await guest.last_system() == {
        "event": "cohost_rights_changed",
        "member": guest.id,
        "rights": ["notice"],
    }
    # The same rights again change nothing and say nothing.
    before = (await r.host.history())["last_seq"]
    await r.host.appoint(guest, ["notice"])
    assert (await r.host.history())["last_seq"] == before

    removed = await r.host.dismiss(guest)
    assert removed["role"] == "member" and "rights" not in removed
    assert (await r.host.members())[guest.id]["role"] == "member"
    assert await guest.last_system() == {"event": "cohost_removed", "member": guest.id}
    assert await audit_actions(r.host) == [
        "cohost_remove",
        "cohost_rights",
        "cohost_appoint",
    ]


async def test_only_the_host_appoints(client: httpx.AsyncClient) -> None:
    r = await room(
        client, ["host", "cohost", "other"], roles={"cohost": ["kick", "hide", "notice"]}
    )
    outsider = await r.outsider()

    assert await r.cohost.appoint(r.other, ["hide"], status=403) == "not_permitted"
    assert await r.other.appoint(r.other, ["hide"], status=403) == "not_permitted"
    assert await r.cohost.dismiss(r.cohost, status=403) == "not_permitted"
    assert await outsider.appoint(r.other, ["hide"], status=404) == "room_not_found"
    assert (await r.host.members())[r.other.id]["role"] == "member"


async def test_appointing_refuses_bad_targets_and_rights(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "guest"])
    members = await r.host.members()
    host_mid = next(k for k, v in members.items() if v["role"] == "host")

    assert await r.host.appoint(r.guest, ["kick", "fly"], status=422) == "invalid_right"
    assert await r.host.appoint(host_mid, ["kick"], status=422) == "target_is_host"
    assert await r.host.appoint("nosuchmember", ["kick"], status=404) == "member_not_found"
    assert await r.host.appoint("NOT-AN-ID", ["kick"], status=422) == "invalid_input"
    assert await r.host.dismiss(r.guest, status=409) == "not_cohost"

    await r.guest.leave()
    assert await r.host.appoint(r.guest, ["kick"], status=404) == "member_not_found"


async def test_the_eleventh_cohost_is_refused(client: httpx.AsyncClient) -> None:
    r = await room(client, 12)
    candidates = r.members[1:]
    for member in candidates[:10]:
        await r.host.appoint(member, ["hide"])

    response = await r.host.room_call(
        "PUT", f"/cohosts/{candidates[10].id}", json={"rights": ["hide"]}
    )
    assert error_code(response, 409) == "cohost_limit"
    assert response.json()["error"]["details"] == {"max_cohosts": 10}
    # Changing an existing co-host's rights is not a new appointment.
    await r.host.appoint(candidates[0], ["kick"])
    # Removing one frees a place.
    await r.host.dismiss(candidates[0])
    await r.host.appoint(candidates[10], ["hide"])


async def test_rights_decide_what_a_cohost_may_do(client: httpx.AsyncClient) -> None:
    r = await room(client, ["host", "cohost", "guest"])
    cohost, guest = r.cohost, r.guest
    seq = (await guest.send("hello"))["seq"]
    await r.host.appoint(cohost, ["hide"])

    await cohost.hide(seq)
    assert await cohost.kick(guest, status=403) == "not_permitted"
    assert await cohost.time_out(guest, 60, status=403) == "not_permitted"
    assert await cohost.notice("hi", status=403) == "not_permitted"
    # Any co-host reads the audit log; a plain member does not.
    assert "hide" in await audit_actions(cohost)
    assert await guest.room_api("GET", "/audit", status=403) == "not_permitted"

    # Taking the role back takes the rights with it, at once.
    await r.host.dismiss(cohost)
    assert await cohost.unhide(seq, status=403) == "not_permitted"


@pytest.mark.settings(max_cohosts=1)
async def test_a_cohost_who_becomes_host_drops_their_rights(client: httpx.AsyncClient) -> None:
    r = await room(client, ["old_host", "new_host", "other"], roles={"new_host": ["hide"]})
    old_host, new_host, other = r.old_host, r.new_host, r.other

    handed = await old_host.hand_over(new_host)
    assert handed["role"] == "host" and "rights" not in handed
    members = await other.members()
    assert members[new_host.id]["role"] == "host" and "rights" not in members[new_host.id]
    # The new host holds every right, and the only co-host place is free again.
    await new_host.appoint(other, ["kick"])
    assert await old_host.appoint(other, ["hide"], status=403) == "not_permitted"
