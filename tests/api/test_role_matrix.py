"""Every role through every governed action, through the public API.

Roles: an outsider (signed in, not in the room), a member, a co-host with no rights, a
co-host with each one right, the host, and the instance operator (not in the room). The
expected outcome of each (role, action) is written out below, not derived from the code:
allowed is a 2xx; a member or co-host lacking the right gets 403 ``not_permitted``; anyone
outside the room gets 404 ``room_not_found`` (a room you are not in looks like no room);
the operator routes refuse everyone else with 403 ``operator_only``.

Each action runs on one server with one room holding every role; every attempt gets its
own target (a fresh member to kick, a fresh message to hide), so an allowed attempt never
changes what the next role's attempt meets.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from openlink.actions.operator import do_set_operator
from openlink.domain.permissions import Right
from tests.conftest import Server
from tests.factory import InRoom, Member, Room, room, user

OUTSIDER, MEMBER, COHOST, HOST, OPERATOR = "outsider", "member", "cohost", "host", "operator"
RIGHTS = [r.value for r in Right]
#: Every role, in the order the attempts run. The host goes last: its allowed attempt of a
#: host-only action (closing, handing over) would change the room for those after it.
ROLES = [OUTSIDER, OPERATOR, MEMBER, COHOST, *(f"cohost:{r}" for r in RIGHTS), HOST]
MEMBERS = {MEMBER, COHOST, HOST, *(f"cohost:{r}" for r in RIGHTS)}
ALL_COHOSTS = {COHOST, *(f"cohost:{r}" for r in RIGHTS)}


def with_right(right: str) -> set[str]:
    return {HOST, f"cohost:{right}"}


async def make_room_with_every_role(server: Server, client: httpx.AsyncClient) -> Actors:
    """One room, and who acts on it in each role."""
    cohosts = [role for role in ROLES if role.startswith(COHOST)]
    rights = {role: [role.partition(":")[2]] if ":" in role else [] for role in cohosts}
    r = await room(client, [HOST, MEMBER, *cohosts], roles=rights)
    actors: dict[str, InRoom] = {member_role: r[member_role] for member_role in MEMBERS}
    actors[OUTSIDER] = await r.outsider()
    operator = await user(client)
    await do_set_operator(server.app.state.ctx, operator.user["username"], True)
    actors[OPERATOR] = operator.at(r)
    return Actors(r, actors)


@dataclass
class Actors:
    room: Room
    by_role: dict[str, InRoom]

    async def victim(self) -> Member:
        """A fresh plain member."""
        return await self.room.add()

    async def message(self) -> int:
        """A fresh message by a fresh member."""
        return int((await (await self.victim()).send("a message"))["seq"])


Attempt = Callable[[Actors, InRoom], Awaitable[httpx.Response]]


async def read_history(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("GET", "/messages")


async def post_message(r: Actors, actor: InRoom) -> httpx.Response:
    body = {"client_id": uuid.uuid4().hex, "body": "hi"}
    return await actor.room_call("POST", "/messages", json=body)


async def react(r: Actors, actor: InRoom) -> httpx.Response:
    seq = await r.message()
    return await actor.room_call("PUT", f"/messages/{seq}/reactions/👍")


async def report(r: Actors, actor: InRoom) -> httpx.Response:
    seq = await r.message()
    return await actor.room_call("POST", "/reports", json={"seq": seq, "reason": "spam"})


async def post_notice(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("POST", "/notices", json={"body": "rules"})


async def hide(r: Actors, actor: InRoom) -> httpx.Response:
    seq = await r.message()
    return await actor.room_call("POST", f"/messages/{seq}/hide", json={})


async def review(r: Actors, actor: InRoom) -> httpx.Response:
    seq = await r.message()
    return await actor.room_call("GET", f"/messages/{seq}/review")


async def kick(r: Actors, actor: InRoom) -> httpx.Response:
    victim = await r.victim()
    return await actor.room_call("POST", f"/members/{victim.id}/kick", json={})


async def list_bans(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("GET", "/bans")


async def time_out(r: Actors, actor: InRoom) -> httpx.Response:
    victim = await r.victim()
    return await actor.room_call("POST", f"/members/{victim.id}/timeout", json={"duration_s": 60})


async def list_join_requests(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("GET", "/join-requests")


async def edit_settings(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("PATCH", json={"slow_mode_s": 0})


async def regenerate_link(r: Actors, actor: InRoom) -> httpx.Response:
    response = await actor.room_call("POST", "/link")
    if response.status_code == 200:
        r.room.link = response.json()["link"]
    return response


async def set_link_options(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("PATCH", "/link", json={"max_uses": 99_999})


async def add_automod_rule(r: Actors, actor: InRoom) -> httpx.Response:
    rule = {"name": "r", "kind": "keyword", "patterns": ["zzzq"], "action": "block"}
    return await actor.room_call("POST", "/automod/rules", json=rule)


async def set_bot(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("PUT", "/bot", json={"welcome": "hello"})


async def read_bot(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("GET", "/bot")


async def read_audit(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("GET", "/audit")


async def read_reports(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("GET", "/reports")


async def appoint_cohost(r: Actors, actor: InRoom) -> httpx.Response:
    victim = await r.victim()
    return await actor.room_call("PUT", f"/cohosts/{victim.id}", json={"rights": []})


async def hand_over(r: Actors, actor: InRoom) -> httpx.Response:
    victim = await r.victim()
    return await actor.room_call("POST", "/host", json={"member_id": victim.id})


async def close_room(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.room_call("POST", "/close")


async def admin_reports(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.call("GET", "/api/admin/reports")


async def admin_close(r: Actors, actor: InRoom) -> httpx.Response:
    return await actor.call("POST", f"/api/admin/rooms/{r.room.id}/close")


#: action -> (the attempt, the roles allowed). Written out from the rules in
#: docs/hosting.md, not computed from the permissions module.
MATRIX: dict[str, tuple[Attempt, set[str]]] = {
    "read history": (read_history, MEMBERS),
    "post a message": (post_message, MEMBERS),
    "react": (react, MEMBERS),
    "report": (report, MEMBERS),
    "read the host bot": (read_bot, MEMBERS),
    "post a notice": (post_notice, with_right("notice")),
    "hide a message": (hide, with_right("hide")),
    "review a message": (review, with_right("hide")),
    "kick": (kick, with_right("kick")),
    "list bans": (list_bans, with_right("kick")),
    "time out": (time_out, with_right("timeout")),
    "list join requests": (list_join_requests, with_right("approve")),
    "edit settings": (edit_settings, with_right("settings")),
    "set up the host bot": (set_bot, with_right("settings")),
    "regenerate the link": (regenerate_link, with_right("links")),
    "set link options": (set_link_options, with_right("links")),
    "add an automod rule": (add_automod_rule, with_right("automod")),
    "read the audit log": (read_audit, ALL_COHOSTS | {HOST}),
    "read reports": (read_reports, ALL_COHOSTS | {HOST}),
    "appoint a co-host": (appoint_cohost, {HOST}),
    "hand over hosting": (hand_over, {HOST}),
    "close the room": (close_room, {HOST}),
    "every room's reports": (admin_reports, {OPERATOR}),
    "close any room": (admin_close, {OPERATOR}),
}
OPERATOR_ROUTES = {"every room's reports", "close any room"}


def test_the_matrix_names_every_right() -> None:
    """A new right must get its row here: each right unlocks at least one action."""
    unlocked = {role for _, allowed in MATRIX.values() for role in allowed}
    assert {f"cohost:{r}" for r in RIGHTS} <= unlocked


@pytest.mark.parametrize("action", list(MATRIX))
async def test_every_role_can_or_cannot(
    server: Server, client: httpx.AsyncClient, action: str
) -> None:
    attempt, allowed = MATRIX[action]
    actors = await make_room_with_every_role(server, client)
    outcomes = {}
    for role in ROLES:
        response = await attempt(actors, actors.by_role[role])
        body = response.json() if response.content else {}
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        outcomes[role] = (response.status_code, code)
    expected = {}
    for role in ROLES:
        if role in allowed:
            expected[role] = "allowed"
        elif action in OPERATOR_ROUTES:
            expected[role] = (403, "operator_only")
        elif role in (OUTSIDER, OPERATOR):
            expected[role] = (404, "room_not_found")
        else:
            expected[role] = (403, "not_permitted")
    seen = {
        role: "allowed" if 200 <= status < 300 else (status, code)
        for role, (status, code) in outcomes.items()
    }
    assert seen == expected
