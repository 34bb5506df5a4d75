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
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from openlink.actions.operator import do_set_operator
from openlink.domain.permissions import Right
from tests.conftest import Server
from tests.factories import auth, expect, join, make_room, make_user, send_message

OUTSIDER, MEMBER, COHOST, HOST, OPERATOR = "outsider", "member", "cohost", "host", "operator"
RIGHTS = [r.value for r in Right]
#: Every role, in the order the attempts run. The host goes last: its allowed attempt of a
#: host-only action (closing, handing over) would change the room for those after it.
ROLES = [OUTSIDER, OPERATOR, MEMBER, COHOST, *(f"cohost:{r}" for r in RIGHTS), HOST]
MEMBERS = {MEMBER, COHOST, HOST, *(f"cohost:{r}" for r in RIGHTS)}
ALL_COHOSTS = {COHOST, *(f"cohost:{r}" for r in RIGHTS)}


def with_right(right: str) -> set[str]:
    return {HOST, f"cohost:{right}"}


@dataclass
class Room:
    client: httpx.AsyncClient
    id: str
    link: str
    tokens: dict[str, str]
    member_ids: dict[str, str]
    host_token: str
    extra: dict[str, Any] = field(default_factory=dict)

    async def victim(self) -> tuple[str, str]:
        """A fresh plain member: (token, member id)."""
        _, token = await make_user(self.client)
        me = (await join(self.client, token, self.link))["me"]
        return token, me["id"]

    async def message(self) -> int:
        """A fresh message by a fresh member."""
        token, _ = await self.victim()
        return (await send_message(self.client, token, self.id, "a message"))["seq"]

    async def call(self, role: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=auth(self.tokens[role]), **kwargs)


async def make_room_with_every_role(server: Server, client: httpx.AsyncClient) -> Room:
    _, host = await make_user(client)
    created = await make_room(client, host)
    room = created["room"]
    tokens = {HOST: host}
    member_ids = {HOST: created["me"]["id"]}
    for role in ROLES:
        if role in (HOST,):
            continue
        user, token = await make_user(client)
        tokens[role] = token
        if role == OPERATOR:
            await do_set_operator(server.app.state.ctx, user["username"], True)
        if role in MEMBERS:
            member_ids[role] = (await join(client, token, room["link"]))["me"]["id"]
        if role.startswith(COHOST):
            rights = [role.partition(":")[2]] if ":" in role else []
            expect(
                await client.put(
                    f"/api/rooms/{room['id']}/cohosts/{member_ids[role]}",
                    json={"rights": rights},
                    headers=auth(host),
                ),
                200,
            )
    return Room(client, room["id"], room["link"], tokens, member_ids, host)


Attempt = Callable[[Room, str], Awaitable[httpx.Response]]


async def read_history(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "GET", f"/api/rooms/{r.id}/messages")


async def post_message(r: Room, role: str) -> httpx.Response:
    body = {"client_id": uuid.uuid4().hex, "body": "hi"}
    return await r.call(role, "POST", f"/api/rooms/{r.id}/messages", json=body)


async def react(r: Room, role: str) -> httpx.Response:
    seq = await r.message()
    return await r.call(role, "PUT", f"/api/rooms/{r.id}/messages/{seq}/reactions/👍")


async def report(r: Room, role: str) -> httpx.Response:
    seq = await r.message()
    body = {"seq": seq, "reason": "spam"}
    return await r.call(role, "POST", f"/api/rooms/{r.id}/reports", json=body)


async def post_notice(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "POST", f"/api/rooms/{r.id}/notices", json={"body": "rules"})


async def hide(r: Room, role: str) -> httpx.Response:
    seq = await r.message()
    return await r.call(role, "POST", f"/api/rooms/{r.id}/messages/{seq}/hide", json={})


async def review(r: Room, role: str) -> httpx.Response:
    seq = await r.message()
    return await r.call(role, "GET", f"/api/rooms/{r.id}/messages/{seq}/review")


async def kick(r: Room, role: str) -> httpx.Response:
    _, victim = await r.victim()
    return await r.call(role, "POST", f"/api/rooms/{r.id}/members/{victim}/kick", json={})


async def list_bans(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "GET", f"/api/rooms/{r.id}/bans")


async def time_out(r: Room, role: str) -> httpx.Response:
    _, victim = await r.victim()
    path = f"/api/rooms/{r.id}/members/{victim}/timeout"
    return await r.call(role, "POST", path, json={"duration_s": 60})


async def list_join_requests(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "GET", f"/api/rooms/{r.id}/join-requests")


async def edit_settings(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "PATCH", f"/api/rooms/{r.id}", json={"slow_mode_s": 0})


async def regenerate_link(r: Room, role: str) -> httpx.Response:
    response = await r.call(role, "POST", f"/api/rooms/{r.id}/link")
    if response.status_code == 200:
        r.link = response.json()["link"]
    return response


async def set_link_options(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "PATCH", f"/api/rooms/{r.id}/link", json={"max_uses": 99_999})


async def add_automod_rule(r: Room, role: str) -> httpx.Response:
    rule = {"name": "r", "kind": "keyword", "patterns": ["zzzq"], "action": "block"}
    return await r.call(role, "POST", f"/api/rooms/{r.id}/automod/rules", json=rule)


async def set_bot(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "PUT", f"/api/rooms/{r.id}/bot", json={"welcome": "hello"})


async def read_bot(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "GET", f"/api/rooms/{r.id}/bot")


async def read_audit(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "GET", f"/api/rooms/{r.id}/audit")


async def read_reports(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "GET", f"/api/rooms/{r.id}/reports")


async def appoint_cohost(r: Room, role: str) -> httpx.Response:
    _, victim = await r.victim()
    path = f"/api/rooms/{r.id}/cohosts/{victim}"
    return await r.call(role, "PUT", path, json={"rights": []})


async def hand_over(r: Room, role: str) -> httpx.Response:
    _, victim = await r.victim()
    return await r.call(role, "POST", f"/api/rooms/{r.id}/host", json={"member_id": victim})


async def close_room(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "POST", f"/api/rooms/{r.id}/close")


async def admin_reports(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "GET", "/api/admin/reports")


async def admin_close(r: Room, role: str) -> httpx.Response:
    return await r.call(role, "POST", f"/api/admin/rooms/{r.id}/close")


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
    room = await make_room_with_every_role(server, client)
    outcomes = {}
    for role in ROLES:
        response = await attempt(room, role)
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
