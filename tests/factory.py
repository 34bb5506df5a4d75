"""One way to set a test up: accounts, a room with its members, their sockets.

``tests/factories.py`` holds the small functions that drive one route each; this module
builds the people a test is about on top of them::

    r = await room(client, members=["host", "mod", "guest"], roles={"mod": ["hide"]})
    sent = await r.guest.send("hi")
    await r.mod.hide(sent["seq"])
    assert await r.guest.hide(sent["seq"], status=403) == "not_permitted"

Every action asserts the status it expects (the usual success by default) and returns the
parsed body; given a 4xx or 5xx ``status`` it checks the error's shape and returns its
code instead. ``call`` is the raw request for what a test reads off the response itself
(headers, the exact body). A new feature adds methods to :class:`Account` (what any
signed-in person does) or :class:`Member` (what one does in a room), not new setup.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from openlink.actions.operator import do_set_operator
from tests.factories import (
    EVENT_TIMEOUT_S,
    PASSWORD,
    Socket,
    all_messages,
    auth,
    error_code,
    expect,
    make_room,
    make_user,
    open_socket,
)

if TYPE_CHECKING:
    from tests.conftest import Server

__all__ = ["Account", "InRoom", "Member", "Room", "details", "operator", "room", "user"]


def _ws_url(client: httpx.AsyncClient) -> str:
    base = str(client.base_url).rstrip("/")
    return base.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/ws"


def _checked(response: httpx.Response, status: int) -> Any:
    """The body of a response with ``status``; for an error status, its error code."""
    if status >= 400:
        return error_code(response, status)
    return expect(response, status)


def details(response: httpx.Response) -> dict[str, Any]:
    """The ``details`` of an error response (empty when it has none)."""
    return dict(response.json()["error"].get("details") or {})


def _id(member: Member | str) -> str:
    return member if isinstance(member, str) else member.id


class Account:
    """A signed-in account: its token, what ``/api/me`` showed at sign-up, its socket."""

    def __init__(self, client: httpx.AsyncClient, user: dict[str, Any], token: str) -> None:
        self.client = client
        self.user = user
        self.token = token
        #: The socket opened by :meth:`connect` (or by ``room(..., sockets=True)``).
        self._socket: Socket | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.user['username']}>"

    @property
    def headers(self) -> dict[str, str]:
        return auth(self.token)

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The raw request as this account (``path`` from the server root)."""
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def api(self, method: str, path: str, *, status: int = 200, **kwargs: Any) -> Any:
        """A request that must answer ``status``: the body, or the error code."""
        return _checked(await self.call(method, path, **kwargs), status)

    async def me(self) -> dict[str, Any]:
        return dict(await self.api("GET", "/api/me"))

    async def update_me(self, *, status: int = 200, **fields: Any) -> Any:
        """``PATCH /api/me``: display name, reading language, interests."""
        return await self.api("PATCH", "/api/me", json=fields, status=status)

    async def save_profile(self, nickname: str, *, status: int = 201, **fields: Any) -> Any:
        """Save an open profile to join rooms with (``{"kind": "open",
        "open_profile_id": ...}``)."""
        body = {"nickname": nickname, **fields}
        return await self.api("POST", "/api/me/open-profiles", json=body, status=status)

    # -- sessions ----------------------------------------------------------------------

    async def sign_in_again(self) -> Account:
        """Another session of this account (another device): the same user, a new token."""
        body = {"username": self.user["username"], "password": PASSWORD}
        answer = expect(await self.client.post("/api/sessions", json=body), 200)
        return Account(self.client, self.user, str(answer["token"]))

    async def sign_out(self, *, status: int = 204) -> Any:
        """End this session (``DELETE /api/sessions/current``)."""
        return await self.api("DELETE", "/api/sessions/current", status=status)

    async def change_password(self, new: str, current: str = PASSWORD, *, status: int = 200) -> Any:
        body = {"current_password": current, "new_password": new}
        return await self.api("POST", "/api/me/password", json=body, status=status)

    async def rooms(self) -> dict[str, dict[str, Any]]:
        """``GET /api/rooms`` by room id."""
        return {r["id"]: r for r in (await self.api("GET", "/api/rooms"))["rooms"]}

    # -- the operator (refused with 403 ``operator_only`` to anyone else) -----------------

    async def admin_reports(self, state: str | None = None, *, status: int = 200) -> Any:
        """Every room's reports (in ``state``: "open", …), newest first (the list; for an
        error, its code)."""
        params = {} if state is None else {"status": state}
        answer = await self.api("GET", "/api/admin/reports", params=params, status=status)
        return answer["reports"] if status == 200 else answer

    async def resolve_any_report(
        self, report_id: str, outcome: str = "", *, status: int = 200
    ) -> Any:
        path = f"/api/admin/reports/{report_id}/resolve"
        return await self.api("POST", path, json={"outcome": outcome}, status=status)

    async def suspend(
        self,
        member: Member | str,
        duration_s: int | None = None,
        reason: str = "spam from many rooms",
        *,
        status: int = 200,
    ) -> Any:
        """Suspend the account behind ``member`` (for ``duration_s``, None for good)."""
        body = {"member_id": _id(member), "duration_s": duration_s, "reason": reason}
        return await self.api("POST", "/api/admin/suspensions", json=body, status=status)

    async def lift_suspension(self, member: Member | str, *, status: int = 204) -> Any:
        return await self.api("DELETE", f"/api/admin/suspensions/{_id(member)}", status=status)

    async def set_verified(self, username: str, verified: bool = True, *, status: int = 200) -> Any:
        method = "PUT" if verified else "DELETE"
        return await self.api(method, f"/api/admin/users/{username}/verified", status=status)

    async def add_interest(self, *, status: int = 201, **fields: Any) -> Any:
        """A new interest (``fields``: ``name``, ``category``, ``aliases``)."""
        return await self.api("POST", "/api/admin/interests", json=fields, status=status)

    async def add_alias_call(self, interest_id: str, **fields: Any) -> httpx.Response:
        """The raw ``POST /api/admin/interests/<id>/aliases`` (``alias``, ``language``)."""
        path = f"/api/admin/interests/{quote(interest_id, safe='')}/aliases"
        return await self.call("POST", path, json=fields)

    async def add_alias(self, interest_id: str, *, status: int = 201, **fields: Any) -> Any:
        """Give an interest one more name: 201 new, 200 known (its language may change)."""
        return _checked(await self.add_alias_call(interest_id, **fields), status)

    async def close_any_room(self, room_id: str, *, status: int = 200) -> Any:
        return await self.api("POST", f"/api/admin/rooms/{room_id}/close", status=status)

    def at(self, room: Room) -> InRoom:
        """This account acting on ``room`` without being in it."""
        return InRoom(self, room)

    async def create_room(self, **fields: Any) -> Room:
        """A room this account hosts (``fields`` as ``POST /api/rooms`` takes them)."""
        created = await make_room(self.client, self.token, **fields)
        made = Room(self.client, created["room"])
        made._add("host", Member(self, made, created["me"]))
        return made

    async def join_call(
        self,
        target: Room | str,
        *,
        nickname: str | None = None,
        profile: dict[str, Any] | None = None,
        code: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """The raw join of ``target``: a :class:`Room` or a ``/l/<code>`` link joins through
        the link, a room id from discovery. ``nickname`` is an open profile's; ``kwargs``
        are more of the body, or ``headers``."""
        link = target.link if isinstance(target, Room) else target
        if nickname is not None:
            profile = {"kind": "open", "nickname": nickname}
        headers = kwargs.pop("headers", {})
        body: dict[str, Any] = dict(kwargs)
        if profile is not None:
            body["profile"] = profile
        if code is not None:
            body["code"] = code
        if link.startswith("/l/"):
            path = f"/api/links/{quote(link.removeprefix('/l/'), safe='')}/join"
        else:
            path = f"/api/rooms/{link}/join"
        return await self.call("POST", path, json=body, headers=headers)

    async def join(self, target: Room | str, *, status: int = 200, **kwargs: Any) -> Any:
        """Join (as :meth:`join_call`). Joining a :class:`Room` with a 200 returns the new
        :class:`Member`; otherwise what :meth:`api` returns for ``status`` (the body of a
        202 with the join request, an error code)."""
        answer = _checked(await self.join_call(target, **kwargs), status)
        if status != 200 or not isinstance(target, Room):
            return answer
        return Member(self, target, answer["me"])

    # -- the socket --------------------------------------------------------------------

    async def connect(self, since: dict[str, int] | None = None) -> Socket:
        """Open a WebSocket as this account (kept as :attr:`socket`)."""
        self._socket = await open_socket(_ws_url(self.client), self.token, since)
        return self._socket

    @property
    def socket(self) -> Socket:
        assert self._socket is not None, f"{self!r} has no socket: connect() first"
        return self._socket

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event the socket received so far, ``ready`` first."""
        return self.socket.events

    async def next_event(self, type: str | None = None, **kwargs: Any) -> dict[str, Any]:
        return await self.socket.next_event(type, **kwargs)

    async def next_message(self, **fields: Any) -> dict[str, Any]:
        return await self.socket.next_message(**fields)

    async def barrier(self) -> list[dict[str, Any]]:
        """The events that arrived before a ping's pong (see :meth:`Socket.barrier`)."""
        return await self.socket.barrier()

    async def closed_by_server(
        self,
        timeout: float = EVENT_TIMEOUT_S,  # noqa: ASYNC109
    ) -> tuple[int, str]:
        """Read the socket until the server closes it: the close frame's code and reason."""
        closed = await self.socket.closed(timeout)
        assert closed.rcvd is not None, "the server did not close the socket"
        return closed.rcvd.code, closed.rcvd.reason


class InRoom(Account):
    """An account acting on one room, member or not: what a member (or a host, or a
    co-host with the right) does there. An outsider gets the room's 404s."""

    def __init__(self, account: Account, room: Room) -> None:
        super().__init__(account.client, account.user, account.token)
        self._socket = account._socket
        self.room = room

    def path(self, rest: str = "") -> str:
        return f"/api/rooms/{self.room.id}{rest}"

    async def room_call(self, method: str, rest: str = "", **kwargs: Any) -> httpx.Response:
        """The raw request under ``/api/rooms/<id>``."""
        return await self.call(method, self.path(rest), **kwargs)

    async def room_api(self, method: str, rest: str = "", *, status: int = 200, **kw: Any) -> Any:
        return _checked(await self.room_call(method, rest, **kw), status)

    # -- messages ----------------------------------------------------------------------

    async def send_call(
        self, body: str = "hello", *, client_id: str | None = None, **extra: Any
    ) -> httpx.Response:
        """The raw send, for what a test reads off the response (``Retry-After``)."""
        payload = {"client_id": client_id or uuid.uuid4().hex, "body": body, **extra}
        return await self.room_call("POST", "/messages", json=payload)

    async def send(
        self, body: str = "hello", *, client_id: str | None = None, status: int = 201, **extra: Any
    ) -> Any:
        """Send ``body`` (``extra``: ``mentions``, ``reply_to``, …); 201 new, 200 a retry."""
        return _checked(await self.send_call(body, client_id=client_id, **extra), status)

    async def edit(self, seq: int, body: str, *, status: int = 200, **extra: Any) -> Any:
        payload = {"body": body, **extra}
        return await self.room_api("PATCH", f"/messages/{seq}", json=payload, status=status)

    async def delete(self, seq: int, *, status: int = 200) -> Any:
        return await self.room_api("DELETE", f"/messages/{seq}", status=status)

    async def react(self, seq: int, emoji: str, *, status: int = 200) -> Any:
        return await self.room_api("PUT", f"/messages/{seq}/reactions/{emoji}", status=status)

    async def unreact(self, seq: int, emoji: str, *, status: int = 200) -> Any:
        return await self.room_api("DELETE", f"/messages/{seq}/reactions/{emoji}", status=status)

    async def history(self, *, status: int = 200, **params: Any) -> Any:
        """One page of ``GET /messages`` (``params`` as the route takes them)."""
        return await self.room_api("GET", "/messages", params=params, status=status)

    async def messages(self) -> list[dict[str, Any]]:
        """Every message this member can read, oldest first."""
        return await all_messages(self.client, self.token, self.room.id)

    async def read(self, seq: int, *, status: int = 200) -> Any:
        return await self.room_api("POST", "/read", json={"seq": seq}, status=status)

    # -- the room ----------------------------------------------------------------------

    async def view(self, *, status: int = 200) -> Any:
        """``GET /api/rooms/<id>`` as this member."""
        return await self.room_api("GET", status=status)

    async def update(self, *, status: int = 200, **fields: Any) -> Any:
        """``PATCH`` the room's settings."""
        return await self.room_api("PATCH", json=fields, status=status)

    async def code_state(self, *, status: int = 200) -> Any:
        """The participation code's state (``GET /code``)."""
        return await self.room_api("GET", "/code", status=status)

    async def members(self) -> dict[str, dict[str, Any]]:
        """The room's members by member id."""
        return {m["id"]: m for m in (await self.room_api("GET", "/members"))["members"]}

    async def leave(self, *, status: int = 204) -> Any:
        return await self.room_api("POST", "/leave", status=status)

    async def regenerate_link(self, *, status: int = 200, **options: Any) -> Any:
        """A new link for the room (``options``: ``max_uses``, ``expires_at``); on 200 the
        :class:`Room` follows it."""
        kwargs: dict[str, Any] = {"json": options} if options else {}
        answer = await self.room_api("POST", "/link", status=status, **kwargs)
        if status == 200:
            self.room.link = answer["link"]
        return answer

    async def link_options(self, *, status: int = 200, **options: Any) -> Any:
        """Change the link's ``max_uses`` / ``expires_at`` (None removes one)."""
        return await self.room_api("PATCH", "/link", json=options, status=status)

    async def is_member(self) -> bool:
        """Whether ``GET /api/rooms/<id>`` shows this account as a member."""
        response = await self.room_call("GET")
        if response.status_code == 404:
            return False
        return "me" in expect(response, 200)

    # -- automod -----------------------------------------------------------------------

    async def rules(self, *, status: int = 200) -> Any:
        """The room's automod rules, oldest first (the list; for an error, its code)."""
        answer = await self.room_api("GET", "/automod/rules", status=status)
        return answer["rules"] if status == 200 else answer

    async def add_rule(self, *, status: int = 201, **fields: Any) -> Any:
        """``fields``: ``name``, ``kind``, ``patterns``, ``action``, ``timeout_s``, …"""
        return await self.room_api("POST", "/automod/rules", json=fields, status=status)

    async def change_rule(self, rule_id: str, *, status: int = 200, **fields: Any) -> Any:
        return await self.room_api("PATCH", f"/automod/rules/{rule_id}", json=fields, status=status)

    async def delete_rule(self, rule_id: str, *, status: int = 204) -> Any:
        return await self.room_api("DELETE", f"/automod/rules/{rule_id}", status=status)

    # -- the host bot ------------------------------------------------------------------

    async def bot(self, *, status: int = 200) -> Any:
        return await self.room_api("GET", "/bot", status=status)

    async def set_bot(self, *, status: int = 200, **body: Any) -> Any:
        """``PUT /bot``: ``welcome`` and ``answers``."""
        return await self.room_api("PUT", "/bot", json=body, status=status)

    async def add_schedule(self, *, status: int = 201, **body: Any) -> Any:
        """A scheduled notice: ``body``, ``interval_s``, ``first_at``."""
        return await self.room_api("POST", "/bot/schedules", json=body, status=status)

    async def schedules(self) -> list[dict[str, Any]]:
        return list((await self.room_api("GET", "/bot/schedules"))["schedules"])

    async def delete_schedule(self, schedule_id: str, *, status: int = 204) -> Any:
        return await self.room_api("DELETE", f"/bot/schedules/{schedule_id}", status=status)

    # -- reports and closing -----------------------------------------------------------

    async def report(self, *, status: int = 201, **body: Any) -> Any:
        """Report a message (``seq``) or a member (``member_id``) with a ``reason``."""
        return await self.room_api("POST", "/reports", json=body, status=status)

    async def reports(self, state: str | None = None, *, status: int = 200) -> Any:
        params = {} if state is None else {"status": state}
        answer = await self.room_api("GET", "/reports", params=params, status=status)
        return answer["reports"] if status == 200 else answer

    async def resolve(self, report_id: str, outcome: str = "", *, status: int = 200) -> Any:
        """Resolve one of the room's reports (moderators)."""
        path = f"/reports/{report_id}/resolve"
        return await self.room_api("POST", path, json={"outcome": outcome}, status=status)

    async def close(self, *, status: int = 200) -> Any:
        """Close the room for good (host)."""
        return await self.room_api("POST", "/close", status=status)

    # -- join requests -----------------------------------------------------------------

    async def join_requests(self, *, status: int = 200, **params: Any) -> Any:
        """The pending requests (approvers): ``{"requests": [...], "next": ...}``."""
        return await self.room_api("GET", "/join-requests", params=params, status=status)

    async def approve(self, request_id: str, *, status: int = 200) -> Any:
        return await self.room_api("POST", f"/join-requests/{request_id}/approve", status=status)

    async def reject(self, request_id: str, *, status: int = 200) -> Any:
        return await self.room_api("POST", f"/join-requests/{request_id}/reject", status=status)

    async def come_in(self, *, status: int = 200) -> Any:
        """Come in on my approved request: the new :class:`Member` on 200."""
        answer = await self.room_api("POST", "/join-request/accept", status=status)
        return Member(self, self.room, answer["me"]) if status == 200 else answer

    async def withdraw(self, *, status: int = 204) -> Any:
        return await self.room_api("DELETE", "/join-request", status=status)

    # -- hosting and co-hosting --------------------------------------------------------

    async def appoint(
        self, member: Member | str, rights: Sequence[str] = (), *, status: int = 200
    ) -> Any:
        """Make ``member`` a co-host with ``rights`` (or change them)."""
        rest = f"/cohosts/{_id(member)}"
        return await self.room_api("PUT", rest, json={"rights": list(rights)}, status=status)

    async def hand_over(self, member: Member | str, *, status: int = 200) -> Any:
        """Make ``member`` the host."""
        return await self.room_api("POST", "/host", json={"member_id": _id(member)}, status=status)

    async def dismiss(self, member: Member | str, *, status: int = 200) -> Any:
        return await self.room_api("DELETE", f"/cohosts/{_id(member)}", status=status)

    async def notice(self, body: str, *, pin: bool = True, status: int = 201) -> Any:
        payload = {"body": body, "pin": pin}
        return await self.room_api("POST", "/notices", json=payload, status=status)

    async def unpin(self, *, status: int = 204) -> Any:
        return await self.room_api("DELETE", "/notice", status=status)

    async def hide(self, seq: int, *, reason: str | None = None, status: int = 200) -> Any:
        body = {} if reason is None else {"reason": reason}
        return await self.room_api("POST", f"/messages/{seq}/hide", json=body, status=status)

    async def unhide(self, seq: int, *, status: int = 200) -> Any:
        return await self.room_api("DELETE", f"/messages/{seq}/hide", status=status)

    async def review(self, seq: int, *, status: int = 200) -> Any:
        return await self.room_api("GET", f"/messages/{seq}/review", status=status)

    async def kick(self, member: Member | str, *, status: int = 204, **body: Any) -> Any:
        """Remove ``member``; ``ban=True`` (with ``ban_s``, ``reason``) bans as well."""
        rest = f"/members/{_id(member)}/kick"
        return await self.room_api("POST", rest, json=body, status=status)

    async def ban(self, member: Member | str, *, status: int = 201, **body: Any) -> Any:
        """Ban someone who already left (``POST /bans``)."""
        payload = {"member_id": _id(member), **body}
        return await self.room_api("POST", "/bans", json=payload, status=status)

    async def bans(self) -> list[dict[str, Any]]:
        return list((await self.room_api("GET", "/bans"))["bans"])

    async def lift_ban(self, member: Member | str, *, status: int = 204) -> Any:
        return await self.room_api("DELETE", f"/bans/{_id(member)}", status=status)

    async def time_out(self, member: Member | str, duration_s: int, *, status: int = 200) -> Any:
        rest = f"/members/{_id(member)}/timeout"
        return await self.room_api("POST", rest, json={"duration_s": duration_s}, status=status)

    async def end_time_out(self, member: Member | str, *, status: int = 200) -> Any:
        return await self.room_api("DELETE", f"/members/{_id(member)}/timeout", status=status)

    async def audit(self, **params: Any) -> list[dict[str, Any]]:
        """The moderation log's entries, newest first (``params``: ``limit``, ``before``)."""
        return list((await self.room_api("GET", "/audit", params=params))["entries"])

    async def last_system(self) -> dict[str, Any]:
        """What the room's last message, which must be a system message, says."""
        message = (await self.history(limit=1))["messages"][-1]
        assert message["kind"] == "system", message
        return dict(message["system"])


class Member(InRoom):
    """A member of the room: its member id and nickname as the room shows them."""

    def __init__(self, account: Account, room: Room, me: dict[str, Any]) -> None:
        super().__init__(account, room)
        #: The member as the join (or the room's creation) showed it.
        self.data = me
        self.id: str = me["id"]

    def __repr__(self) -> str:
        return f"<Member {self.nickname!r} of {self.room.id}>"

    @property
    def nickname(self) -> str:
        return str(self.data["nickname"])


class Room:
    """A room as its members see it: ``r.host``, ``r.guest`` / ``r["guest"]``, ``r[2]``."""

    def __init__(self, client: httpx.AsyncClient, data: dict[str, Any]) -> None:
        self.client = client
        #: The room as ``POST /api/rooms`` answered.
        self.data = data
        self.id: str = data["id"]
        self.link: str = data["link"]
        self.members: list[Member] = []
        self._names: dict[str, Member] = {}

    def __repr__(self) -> str:
        return f"<Room {self.id} {list(self._names)}>"

    def _add(self, name: str, member: Member) -> Member:
        assert name not in self._names, f"two members named {name!r}"
        self.members.append(member)
        self._names[name] = member
        return member

    @property
    def host(self) -> Member:
        return self.members[0]

    def __getattr__(self, name: str) -> Member:
        names = self.__dict__.get("_names", {})
        if name in names:
            member: Member = names[name]
            return member
        raise AttributeError(name)

    def __getitem__(self, key: str | int) -> Member:
        return self.members[key] if isinstance(key, int) else self._names[key]

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    @property
    def link_code(self) -> str:
        return self.link.removeprefix("/l/")

    async def outsider(self) -> InRoom:
        """A new account that is not in the room, acting on it."""
        return (await user(self.client)).at(self)

    async def add(
        self,
        name: str | None = None,
        *,
        nickname: str | None = None,
        socket: bool = False,
        account: Mapping[str, Any] | None = None,
        **join: Any,
    ) -> Member:
        """A new account (signed up with ``account`` fields) that joins through the link,
        named ``name`` in this room; ``join`` as :meth:`Account.join_call` takes it."""
        account_ = await user(self.client, **(account or {}))
        if socket:
            await account_.connect()
        member: Member = await account_.join(self, nickname=nickname, **join)
        return self._add(name or f"member{len(self.members)}", member)


async def user(
    client: httpx.AsyncClient, name: str | None = None, *, socket: bool = False, **fields: Any
) -> Account:
    """A new signed-in account (``fields`` as :func:`make_user` takes them)."""
    made, token = await make_user(client, name, **fields)
    account = Account(client, made, token)
    if socket:
        await account.connect()
    return account


async def operator(client: httpx.AsyncClient, server: Server) -> Account:
    """A new account made an operator by the action behind ``openlink admin operator``."""
    account = await user(client)
    await do_set_operator(server.app.state.ctx, account.user["username"], True)
    return account


async def room(
    client: httpx.AsyncClient,
    members: int | Sequence[str] = ("host",),
    *,
    sockets: bool = False,
    roles: Mapping[str, Sequence[str]] | None = None,
    nicknames: Mapping[str, str] | None = None,
    accounts: Mapping[str, Mapping[str, Any]] | None = None,
    **room_fields: Any,
) -> Room:
    """A room with ``members``: names (the first hosts) or a count (``"host"``, then
    ``"member1"``, …). ``roles`` appoints co-hosts by name with their rights;
    ``nicknames`` gives those members an open profile of that nickname; ``accounts``
    signs those members up with those fields (``name``, ``display_name``, ``language``,
    as :func:`make_user` takes them); ``sockets`` opens
    a WebSocket per member once all that is done, so they start from a quiet room;
    ``room_fields`` go to ``POST /api/rooms``."""
    names = (
        ["host", *(f"member{i}" for i in range(1, members))]
        if isinstance(members, int)
        else list(members)
    )
    assert names, "a room has at least its host"
    nicknames = nicknames or {}
    accounts = accounts or {}
    if names[0] in nicknames:
        room_fields.setdefault("profile", {"kind": "open", "nickname": nicknames[names[0]]})
    host = await user(client, **accounts.get(names[0], {}))
    made = await host.create_room(**room_fields)
    if names[0] != "host":
        made._names[names[0]] = made._names.pop("host")
    for name in names[1:]:
        await made.add(name, nickname=nicknames.get(name), account=accounts.get(name))
    for name, rights in (roles or {}).items():
        await made.host.appoint(made[name], rights)
    if sockets:
        for member in made:
            await member.connect()
    return made
