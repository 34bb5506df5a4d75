"""Open profiles: nothing anyone else in a room sees names the account behind a member.

The scan at the end (``test_no_view_or_event_names_an_account``) walks every GET route of
the OpenAPI document (also with each optional query parameter that changes the view),
what every write of the scene answered, and every WebSocket event type, as each role, so
a route or an event added later is covered, or fails the scan until it is given a value
or a reason. Its matcher looks for an account's values also in other forms: the id as a
string, the creation time at another precision or offset, names as slugs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest

from openlink.actions.operator import do_set_operator
from tests.conftest import Server
from tests.factories import (
    Socket,
    auth,
    expect,
    join,
    make_room,
    make_user,
    make_video,
    open_socket,
    picture,
    send_message,
    upload_picture,
)
from tests.fakes import FakeOpenAIServer, fake_image_server, fake_openai_server

#: Keys that would name an account. Room-facing views must not have them at all.
ACCOUNT_KEYS = {"user", "user_id", "username", "display_name", "account", "account_id", "owner"}


def identity_leaks(value: Any, user: dict[str, Any], path: str = "$") -> list[str]:
    """Where ``value`` (a parsed response or event) names ``user``'s account."""
    leaks: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in ACCOUNT_KEYS or key == "created_by":
                leaks.append(f"{where} (an account key)")
            if key == "id" and isinstance(item, int) and item == user["id"]:
                leaks.append(f"{where} (the account id)")
            leaks.extend(identity_leaks(item, user, where))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            leaks.extend(identity_leaks(item, user, f"{path}[{i}]"))
    elif isinstance(value, str):
        for secret in (user["username"], user["display_name"]):
            if secret.lower() in value.lower():
                leaks.append(f"{path} contains {secret!r}")
    return leaks


def observed_events(sock: Socket) -> list[Any]:
    """What a socket showed its owner, minus the owner's own account in ``ready``."""
    ready = dict(sock.ready)
    ready.pop("user")  # the socket owner's own account: only ever sent to itself
    return [ready, *sock.events[1:]]


async def test_an_open_profile_never_reveals_the_account(
    server: Server, client: httpx.AsyncClient
) -> None:
    host_user, host = await make_user(client, "hostperson", display_name="Host Person")
    other_user, other = await make_user(client, "otherperson", display_name="Other Person")
    hidden, hidden_token = await make_user(client, "zelda_secret", display_name="Zelda Realname")
    room = (
        await make_room(
            client, host, name="Night owls", profile={"kind": "open", "nickname": "Keeper"}
        )
    )["room"]
    rid = room["id"]
    await join(client, other, room["link"], profile={"kind": "open", "nickname": "Lamp"})
    host_sock = await open_socket(server.ws_url, host)
    other_sock = await open_socket(server.ws_url, other)
    hello = await send_message(client, host, rid, "welcome, everyone")

    # The hidden person joins under an open profile and takes part in every way there is.
    joined = await join(
        client,
        hidden_token,
        room["link"],
        profile={
            "kind": "open",
            "nickname": "Moonlight",
            "avatar_url": await upload_picture(client, hidden_token),
        },
    )
    me = joined["me"]
    assert me["nickname"] == "Moonlight"
    assert me["profile"] == "open"
    hidden_sock = await open_socket(server.ws_url, hidden_token)
    sent = await send_message(client, hidden_token, rid, "hi, I am new here")
    await client.patch(
        f"/api/rooms/{rid}/messages/{sent['seq']}",
        json={"body": "hi, I am new"},
        headers=auth(hidden_token),
    )
    await client.put(
        f"/api/rooms/{rid}/messages/{hello['seq']}/reactions/👍", headers=auth(hidden_token)
    )
    await hidden_sock.send({"op": "typing", "room": rid})
    await hidden_sock.barrier()
    await send_message(client, host, rid, "hello Moonlight", mentions=[me["id"]])

    # Everything the host and the other member can see about the room.
    seen: list[Any] = []
    for token in (host, other):
        for path in (
            f"/api/rooms/{rid}",
            f"/api/rooms/{rid}/members",
            f"/api/rooms/{rid}/messages",
            "/api/rooms",
        ):
            seen.append(expect(await client.get(path, headers=auth(token)), 200))
    seen.append(expect(await client.get(f"/api/links/{room['link'].removeprefix('/l/')}"), 200))
    for sock in (host_sock, other_sock):
        await sock.barrier()
        seen.extend(observed_events(sock))

    # The test saw the hidden member at all: by nickname, in the join event and live.
    text = json.dumps(seen, ensure_ascii=False)
    assert "Moonlight" in text
    assert any(e.get("type") == "typing" and e["member"] == me["id"] for e in host_sock.events)
    join_events = [
        e["message"]
        for e in host_sock.events
        if e["type"] == "message" and (e["message"].get("system") or {}).get("event") == "joined"
    ]
    assert join_events and join_events[-1]["system"]["profile"]["nickname"] == "Moonlight"
    assert join_events[-1]["system"]["profile"]["profile"] == "open"

    assert identity_leaks(seen, hidden) == []
    # Nor does anything shown to one member name the others' accounts.
    assert identity_leaks(seen[4:8] + observed_events(other_sock), host_user) == []
    assert identity_leaks(seen[:4] + observed_events(host_sock), other_user) == []


async def test_a_rejoin_is_a_new_member_not_linked_to_the_old_one(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    first = await join(client, guest, room["link"], profile={"kind": "open", "nickname": "Fox"})
    old = await send_message(client, guest, room["id"], "first stay")
    response = await client.post(f"/api/rooms/{room['id']}/leave", headers=auth(guest))
    assert response.status_code == 204
    second = await join(client, guest, room["link"], profile={"kind": "open", "nickname": "Owl"})
    assert second["me"]["id"] != first["me"]["id"]
    members = expect(await client.get(f"/api/rooms/{room['id']}/members", headers=auth(host)), 200)[
        "members"
    ]
    assert [m["nickname"] for m in members if m["role"] == "member"] == ["Owl"]
    assert first["me"]["id"] not in {m["id"] for m in members}
    # The old message keeps the old member id, and the new member cannot edit it.
    response = await client.patch(
        f"/api/rooms/{room['id']}/messages/{old['seq']}",
        json={"body": "changed"},
        headers=auth(guest),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_sender"


async def test_a_main_profile_shows_the_display_name(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client, display_name="Jun Seo")
    room = (await make_room(client, host))["room"]
    host_sock = await open_socket(server.ws_url, host)
    joined = await join(client, guest, room["link"], profile={"kind": "main"})
    assert joined["me"]["nickname"] == "Jun Seo"
    assert joined["me"]["profile"] == "main"
    event = await host_sock.next_message(kind="system")
    assert event["message"]["system"]["event"] == "joined"
    assert event["message"]["system"]["profile"]["nickname"] == "Jun Seo"
    members = expect(await client.get(f"/api/rooms/{room['id']}/members", headers=auth(host)), 200)[
        "members"
    ]
    assert "Jun Seo" in {m["nickname"] for m in members}


async def test_the_senders_client_id_is_not_shown(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, guest, room["link"], profile={"kind": "open", "nickname": "Fox"})
    host_sock = await open_socket(server.ws_url, host)
    await host_sock.barrier()
    client_id = "device-7f3a-install-42"  # what a careless client might use
    sent = await send_message(client, guest, room["id"], "hello", client_id=client_id)
    assert "client_id" not in sent
    event = await host_sock.next_message(seq=sent["seq"])
    page = expect(await client.get(f"/api/rooms/{room['id']}/messages", headers=auth(host)), 200)
    rooms = expect(await client.get("/api/rooms", headers=auth(host)), 200)
    for seen in (event, page, rooms):
        assert client_id not in json.dumps(seen)


# --- The scan: every GET route and every WebSocket event type, as every role ----------------

#: Routes that are the account's own views, where its own identity belongs. Everybody
#: else's identity is still looked for in them.
OWN_VIEWS = {
    "/api/me": "the account itself: id, username, display name, language, interests",
    "/api/me/open-profiles": "the account's own saved open profiles, ids included",
}
#: Views of the instance, the same for every caller: the languages it offers appear there
#: as what they are, so a bare language tag is no sign of an account (the account's own
#: strings are still looked for).
INSTANCE_VIEWS = {
    "/api/interests": "the interest catalogue: each alias with its language",
    "/api/interests/{interest_id}": "one interest of the catalogue, its aliases' languages",
    "/api/translation": "the engine's language pairs",
    "/api/instance": "the engine's languages; the demo accounts only when the demo is seeded",
    "/api/admin/translation": "the engine's language pairs and counters (operator)",
}
#: The viewer's own reading language may appear at these places and nowhere else: each
#: is a translation into it, sent only to the reader who reads it.
OWN_LANGUAGE_AT = (
    re.compile(r"\.translation\.lang$"),  # history: the stored translation for the reader
    re.compile(r"^\$\.lang$"),  # message.translated, GET .../translation: the same
)
#: Event types that never reach a client: what processes tell each other about sockets.
INTERNAL_EVENTS = {
    "signed_out": "an account channel event: the hub closes the signed-out token's sockets",
    "suspended": "an account channel event: the hub closes the account's sockets",
    "sessions_revoked": "an account channel event: the hub closes the revoked tokens' sockets",
    "presence.changed": "between nodes: recount presence",
    "http.response.body": "an ASGI message, not an event",
    "websocket.disconnect": "an ASGI message, not an event",
    "websocket.connect": "an ASGI message, not an event",
    "websocket": "an ASGI scope type, not an event",
    "rich": "the oEmbed response type",
}
SRC = Path(__file__).resolve().parents[2] / "src" / "openlink"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
_TYPE_IN_CODE = re.compile(r"""["']type["']\s*:\s*["']([a-z][a-z_.]*)["']""")


def known_event_types() -> set[str]:
    """Every event type a client may get: documented in protocol.md's "Server → client
    events", or written as ``"type": "..."`` in the server's code."""
    section = DOCS.read_text("utf-8").split("### Server → client events", 1)[1]
    section = section.split("\n### ", 1)[0]
    documented = set(re.findall(r"^\*\*`([a-z][a-z_.]*)`\*\*", section, re.MULTILINE))
    in_code = {
        kind
        for path in SRC.rglob("*.py")
        if "bench" not in path.parts
        for kind in _TYPE_IN_CODE.findall(path.read_text("utf-8"))
    }
    return (documented | in_code) - set(INTERNAL_EVENTS)


def known_changes() -> set[str]:
    """Every ``change`` of a ``message`` event that protocol.md names."""
    text = DOCS.read_text("utf-8")
    table = text.split("**`message`**", 1)[1].split("**`ack`**", 1)[0]
    listed = set(re.findall(r"^\| `([a-z]+)` \|", table, re.MULTILINE))
    return (listed - {"change"}) | set(re.findall(r'change: "([a-z]+)"', text))


@dataclass
class Person:
    """One account in the scan, and what would give it away."""

    role: str
    me: dict[str, Any]
    token: str
    saved_profile: str
    avatar_url: str
    sock: Socket | None = None

    @property
    def secrets(self) -> list[str]:
        """Strings unique to the account: none may appear in a room-facing view."""
        me = self.me
        return [
            me["username"],
            me["display_name"],
            me["created_at"],
            self.token,
            self.saved_profile,
            *me["interests"],
        ]

    @property
    def names(self) -> list[str]:
        """The secrets that are names: also looked for as slugs (``zelda-acct``)."""
        return [self.me["username"], self.me["display_name"], *self.me["interests"]]

    @property
    def languages(self) -> set[str]:
        tag = self.me["language"]
        return {tag, tag.split("-")[0]}


#: Keys whose value (an integer, or its digits as a string) would be an account id.
#: ``id`` counts only in a dict that describes a person: elsewhere it is the id of a
#: report, a request or an audit entry.
_ID_KEYS = re.compile(r"^(by|actor|author|sender|creator|member|reporter|target.*|.*_id|.*_by)$")
_PERSON_KEYS = {"nickname", "username", "display_name", "language", "profile"}
#: An ISO 8601 instant inside any string, to the second at least (a date alone, or a
#: time to the minute, is shared by everything made that day or minute: no sign).
_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,](\d{1,9}))?(?:Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def _compact(text: str) -> str:
    """Lower case without separators: ``zelda_acct``, ``/u/zelda-acct`` and ``Zelda.Acct``
    all hold ``zeldaacct``."""
    return re.sub(r"[\W_]+", "", text.lower())


def _same_instant(found: re.Match[str], created: datetime) -> bool:
    """Whether an ISO rendering names the account's creation time: the same instant to
    the rendering's own precision, in whatever offset it is written."""
    text = found[0].replace(",", ".").replace(" ", "T")
    digits = found[1] or ""
    try:
        when = datetime.fromisoformat(re.sub(r"\.\d+", "", text))
    except ValueError:
        return False
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    if when != created.replace(microsecond=0):
        return False
    kept = min(len(digits), 6)
    return int(digits[:kept] or 0) == created.microsecond // 10 ** (6 - kept)


def _is_account_id(item: Any, account_id: int) -> bool:
    return (type(item) is int and item == account_id) or item == str(account_id)


def account_keys(value: Any, path: str = "$") -> list[str]:
    """Keys that only an account view has (``user``, ``username``, ...)."""
    if isinstance(value, dict):
        found = [f"{path}.{k}: an account key" for k in value if k in ACCOUNT_KEYS | {"created_by"}]
        return found + [x for k, v in value.items() for x in account_keys(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in account_keys(v, f"{path}[{i}]")]
    return []


def account_leaks(
    value: Any,
    person: Person,
    *,
    own: bool = False,
    languages: bool = True,
    path: str = "$",
    out: list[str] | None = None,
) -> list[str]:
    """Where ``value`` names ``person``'s account. ``own``: it is served to that person,
    who may see their own reading language in a translation (OWN_LANGUAGE_AT).
    ``languages``: whether a bare language tag counts (not in INSTANCE_VIEWS)."""
    out = [] if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            is_id = _ID_KEYS.match(key) or (key == "id" and _PERSON_KEYS & set(value))
            if is_id and _is_account_id(item, person.me["id"]):
                out.append(f"{where}: the account id")
            account_leaks(item, person, own=own, languages=languages, path=where, out=out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            where = f"{path}[{i}]"
            account_leaks(item, person, own=own, languages=languages, path=where, out=out)
    elif isinstance(value, str):
        lowered, compact = value.lower(), _compact(value)
        out.extend(f"{path}: {s!r}" for s in person.secrets if s.lower() in lowered)
        out.extend(
            f"{path}: {s!r} written another way"
            for s in person.names
            if s.lower() not in lowered and _compact(s) in compact
        )
        created = datetime.fromisoformat(person.me["created_at"])
        out.extend(
            f"{path}: the account's creation time as {m[0]!r}"
            for m in _INSTANT.finditer(value)
            if m[0] != person.me["created_at"] and _same_instant(m, created)
        )
        if (
            languages
            and lowered in {lang.lower() for lang in person.languages}
            and not (own and any(p.search(path) for p in OWN_LANGUAGE_AT))
        ):
            out.append(f"{path}: the account's language {value!r}")
    return out


def text_leaks(text: str, person: Person) -> list[str]:
    """For what is not JSON (pages, images, metrics): the account's strings."""
    return [repr(s) for s in person.secrets if s.lower() in text.lower()]


async def person(
    client: httpx.AsyncClient, role: str, stem: str, language: str, server: Server
) -> Person:
    """An account with a distinctive username, display name, language and interests,
    one saved open profile and a socket."""
    _, token = await make_user(
        client, f"{stem}_acct", display_name=f"{stem.title()} Realname", language=language
    )
    interests = {"interests": [f"{stem} spotting", f"{stem} lore"]}
    me = expect(await client.patch("/api/me", json=interests, headers=auth(token)), 200)
    # A picture of the person's own: its stored id may show where they chose to show it.
    avatar = await upload_picture(client, token, color=f"#{sum(map(ord, stem)) % 4096:03x}")
    profile = {"nickname": f"Mask {role}", "avatar_url": avatar}
    saved = expect(
        await client.post("/api/me/open-profiles", json=profile, headers=auth(token)), 201
    )
    who = Person(role, me, token, saved["id"], saved["avatar_url"])
    who.sock = await open_socket(server.ws_url, token)
    return who


def saved(who: Person) -> dict[str, Any]:
    return {"profile": {"kind": "open", "open_profile_id": who.saved_profile}}


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """Translation through a fake endpoint on loopback, so ``message.translated`` and
    stored translations are part of what is scanned."""
    with fake_openai_server() as fake:
        monkeypatch.setenv("OPENLINK_TRANSLATOR", "openai")
        monkeypatch.setenv("OPENLINK_OPENAI_URL", fake.url)
        monkeypatch.setenv("OPENLINK_OPENAI_MODEL", "local-model")
        languages = '["en", "ko", "fi", "sv", "pt", "de", "fr", "es"]'
        monkeypatch.setenv("OPENLINK_OPENAI_LANGUAGES", languages)
        yield fake


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A page with a card on loopback (allowed for the scan), so a link preview is part of
    what is scanned; yields the page's URL."""
    with fake_image_server() as fake:
        monkeypatch.setenv("OPENLINK_IMAGE_FETCH_ALLOW_NETWORKS", '["127.0.0.1/32"]')
        fake.serve("/pic.png", picture((32, 32)))
        head = (
            '<meta property="og:title" content="Meteor shower tonight">'
            '<meta property="og:image" content="/pic.png">'
        )
        html = f"<html><head>{head}</head><body></body></html>".encode()
        yield fake.serve("/meteors", html, content_type="text/html")


#: An optional query value that is the viewer's own reading language.
OWN_LANGUAGE = "<the viewer's language>"
#: Optional query parameters that change only how much a view shows, not what.
PAGING = {"limit", "cursor", "scale", "maxwidth", "maxheight", "format"}


@dataclass
class Written:
    """A write the scene made over HTTP, and what it answered to whoever made it."""

    method: str
    path: str
    token: str | None
    response: httpx.Response


@dataclass
class Scene:
    """A room where every kind of thing has happened, and the values to fill routes with."""

    people: dict[str, Person]
    path_values: dict[str, str]
    query_values: dict[str, str]
    #: Path-specific values where one name is not enough (a hidden message for review).
    overrides: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Values of optional query parameters that change what a view shows (each GET
    #: route is also read once with each of them set).
    optional_values: dict[str, str] = field(default_factory=dict)
    #: Every POST/PUT/PATCH/DELETE the scene made once its people existed.
    writes: list[Written] = field(default_factory=list)


def record_writes(client: httpx.AsyncClient, writes: list[Written]) -> None:
    """From now on, keep each write's request and (read) answer in ``writes``."""

    async def keep(response: httpx.Response) -> None:
        request = response.request
        if request.method in {"POST", "PUT", "PATCH", "DELETE"}:
            await response.aread()
            token = request.headers.get("authorization", "").removeprefix("Bearer ") or None
            writes.append(Written(request.method, request.url.path, token, response))

    client.event_hooks = {**client.event_hooks, "response": [keep]}


async def build_scene(server: Server, client: httpx.AsyncClient, link: str | None = None) -> Scene:
    """Host, co-host, member, applicant, a member who gets banned, and an operator, each
    with a distinctive account; the room then sees every event there is."""
    roles = {
        "host": ("quokka", "fi"),
        "cohost": ("wombat", "sv"),
        "member": ("narwhal", "pt-BR"),
        "applicant": ("axolotl", "de"),
        "banned": ("pangolin", "fr"),
        "operator": ("ocelot", "es"),
    }
    people = {role: await person(client, role, *v, server) for role, v in roles.items()}
    writes: list[Written] = []
    record_writes(client, writes)  # what each write answers is a view too
    host, cohost, member = people["host"], people["cohost"], people["member"]
    applicant, banned, operator = people["applicant"], people["banned"], people["operator"]
    await do_set_operator(server.app.state.ctx, operator.me["username"], True)
    created = await make_room(
        client,
        host.token,
        name="Night owls",
        language="ko",
        tags=[{"name": "stargazing", "category": "hobby"}],
        profile={"kind": "open", "open_profile_id": host.saved_profile},
    )
    room, rid = created["room"], created["room"]["id"]
    code = room["link"].removeprefix("/l/")
    ids = {"host": created["me"]["id"]}
    for who in (cohost, member, banned):
        ids[who.role] = (await join(client, who.token, room["link"], **saved(who)))["me"]["id"]
    expect(
        await client.put(
            f"/api/rooms/{rid}/cohosts/{ids['cohost']}",
            json={"rights": ["hide", "kick", "approve", "timeout", "notice", "automod"]},
            headers=auth(host.token),
        ),
        200,
    )
    for path, body in (
        ("bot", {"welcome": "Welcome to the night owls"}),
        ("glossary", {"terms": [{"term": "Keeper", "translations": {"fi": "Vartija"}}]}),
    ):
        expect(
            await client.put(f"/api/rooms/{rid}/{path}", json=body, headers=auth(host.token)), 200
        )
    schedule = {"body": "Stars tonight at ten", "interval_s": 86_400}
    path = f"/api/rooms/{rid}/bot/schedules"
    expect(await client.post(path, json=schedule, headers=auth(host.token)), 201)
    rule = {"name": "no spam", "kind": "keyword", "patterns": ["spamword"], "action": "hide"}
    path = f"/api/rooms/{rid}/automod/rules"
    expect(await client.post(path, json=rule, headers=auth(host.token)), 201)

    # Messages: translated, undecidable by their text (so the room's language, not the
    # sender's), edited, reacted to, deleted, hidden by automod and by a moderator.
    assert member.sock is not None and host.sock is not None and banned.sock is not None
    said = await send_message(client, member.token, rid, "Good morning")
    await host.sock.next_event("message.translated", where=lambda e: e["seq"] == said["seq"])
    for body in ("👍", "12:30"):
        await send_message(client, member.token, rid, body)
    ack = await member.sock.send_and_ack(rid, "See you tomorrow")
    since = {rid: ack["seq"]}
    mine = f"/api/rooms/{rid}/messages/{ack['seq']}"
    expect(await client.patch(mine, json={"body": "See you soon"}, headers=auth(member.token)), 200)
    react = f"/api/rooms/{rid}/messages/{said['seq']}/reactions/👍"
    expect(await client.put(react, headers=auth(host.token)), 200)
    gone = await send_message(client, member.token, rid, "oops")
    path = f"/api/rooms/{rid}/messages/{gone['seq']}"
    assert (await client.delete(path, headers=auth(member.token))).status_code in (200, 204)
    spam = await send_message(client, banned.token, rid, "buy spamword now")
    path = f"/api/rooms/{rid}/messages/{spam['seq']}/hide"
    expect(await client.delete(path, headers=auth(cohost.token)), 200)
    rude = await send_message(client, banned.token, rid, "something rude")
    path = f"/api/rooms/{rid}/messages/{rude['seq']}/hide"
    expect(await client.post(path, json={}, headers=auth(cohost.token)), 200)
    if link is not None:
        linked = await send_message(client, member.token, rid, f"Look up! {link}")
        await host.sock.next_event(
            "message",
            where=lambda e: e["change"] == "preview" and e["message"]["seq"] == linked["seq"],
        )
    await member.sock.send({"op": "typing", "room": rid})
    await member.sock.send({"op": "read", "room": rid, "seq": rude["seq"]})
    await member.sock.send({"op": "nonsense"})
    body = {"body": "Be kind to each other", "pin": True}
    expect(await client.post(f"/api/rooms/{rid}/notices", json=body, headers=auth(host.token)), 201)
    # Media: a file sent with a message, and one uploaded but never attached.
    upload = {"room": rid, "name": "sky notes.txt"}
    shared = expect(
        await client.post(
            "/api/media", params=upload, content=b"night sky notes", headers=auth(member.token)
        ),
        201,
    )
    await send_message(client, member.token, rid, "my notes", media=[shared["id"]])
    draft = {"room": rid, "name": "draft.txt"}
    path = "/api/media"
    expect(
        await client.post(path, params=draft, content=b"a draft", headers=auth(member.token)), 201
    )
    # A voice message that is not one: answered pending, then its progress and failure
    # reach the uploader's sockets.
    voice = {"room": rid, "name": "memo.ogg", "kind": "voice"}
    bad = expect(
        await client.post(path, params=voice, content=b"humming", headers=auth(member.token)), 201
    )
    await member.sock.next_event("media.failed", where=lambda e: e["media"]["id"] == bad["id"])

    # Moderation and entry: a report, a time-out, a ban, a join request decided.
    report = {"seq": rude["seq"], "reason": "harassment"}
    path = f"/api/rooms/{rid}/reports"
    expect(await client.post(path, json=report, headers=auth(member.token)), 201)
    path = f"/api/rooms/{rid}/members/{ids['member']}/timeout"
    expect(await client.post(path, json={"duration_s": 60}, headers=auth(cohost.token)), 200)
    expect(await client.delete(path, headers=auth(cohost.token)), 200)
    path = f"/api/rooms/{rid}/members/{ids['banned']}/kick"
    kicked = await client.post(path, json={"ban": True, "reason": "rude"}, headers=auth(host.token))
    assert kicked.status_code == 204, kicked.text
    filed = expect(await client.get("/api/admin/reports", headers=auth(operator.token)), 200)
    path = f"/api/admin/reports/{filed['reports'][0]['id']}/resolve"
    expect(await client.post(path, json={"outcome": "warned"}, headers=auth(operator.token)), 200)
    suspend = {"member_id": ids["banned"], "duration_s": 3600, "reason": "harassment"}
    path = "/api/admin/suspensions"
    expect(await client.post(path, json=suspend, headers=auth(operator.token)), 200)
    assert (await banned.sock.closed()).rcvd.reason == "account_suspended"
    patch = {"join_approval": True}
    expect(await client.patch(f"/api/rooms/{rid}", json=patch, headers=auth(host.token)), 200)
    asked = expect(
        await client.post(
            f"/api/links/{code}/join", json=saved(applicant), headers=auth(applicant.token)
        ),
        202,
    )
    path = f"/api/rooms/{rid}/join-requests/{asked['request']['id']}/approve"
    expect(await client.post(path, headers=auth(cohost.token)), 200)
    path = f"/api/rooms/{rid}/join-request/accept"
    expect(await client.post(path, headers=auth(applicant.token)), 200)
    left = await client.post(f"/api/rooms/{rid}/leave", headers=auth(applicant.token))
    assert left.status_code == 204, left.text

    # A second socket resumes from before the edit: replay sends ``updated``.
    resumed = await open_socket(server.ws_url, member.token, since=since)
    for who in people.values():
        assert who.sock is not None
        if who is not banned:  # its socket was closed by the suspension
            await who.sock.barrier()
    await resumed.barrier()
    member.sock.events.extend(resumed.events[1:])
    await resumed.close()

    interest = expect(await client.get("/api/interests", params={"q": "star"}), 200)
    interest_id = interest["interests"][0]["id"] if interest["interests"] else "none"
    clip_id = await clip_scene(server, client, people, rid, interest_id)
    return Scene(
        people=people,
        path_values={
            "room_id": rid,
            "seq": str(said["seq"]),
            "code": code,
            "image_id": host.avatar_url.rsplit("/", 1)[-1],
            "interest_id": interest_id,
            "media_id": shared["id"],
            "variant": "original",
            "clip_id": clip_id,
            "part": "video",
        },
        query_values={
            "q": "night owls",
            "url": f"{server.url}/l/{code}",
            "interest": interest_id,
        },
        overrides={"/api/rooms/{room_id}/messages/{seq}/review": {"seq": str(rude["seq"])}},
        optional_values={
            "q": "night owls",
            "tag": "stargazing",
            "language": "ko",
            "min_members": "1",
            "max_members": "100",
            "status": "resolved",
            "before": str(rude["seq"]),  # history and the audit log, older pages
            "after": "0",  # history from the start; members and requests from the first
            "lang": OWN_LANGUAGE,  # a translation on demand, into the reader's language
            "order": "top",  # an interest's clips by engagement
            # A signed media URL's expiry and signature (each alone: the bearer check).
            **signature_of(shared["variants"]["original"]["url"]),
        },
        writes=writes,
    )


async def clip_scene(
    server: Server, client: httpx.AsyncClient, people: dict[str, Person], rid: str, interest: str
) -> str:
    """Clips: the member posts one in the room and one to an interest under a saved open
    profile (the room hears of the first: ``clip_posted``); others like, watch, comment
    (under open profiles) and report them (the room's moderators hear of the room
    clip's report: ``clip.reported``); the co-host hides the room's. Returns the
    interest clip's id."""
    host, cohost, member = people["host"], people["cohost"], people["member"]
    ctx = server.app.state.ctx
    in_room = await make_video(ctx, client, member.token, rid)
    body = {"media": in_room, "room": rid, "caption": "Meteor over the lake"}
    room_clip = expect(await client.post("/api/clips", json=body, headers=auth(member.token)), 201)
    roomless = await make_video(ctx, client, member.token)
    body = {"media": roomless, "interest": interest, "caption": "Orion rising", **saved(member)}
    clip = expect(await client.post("/api/clips", json=body, headers=auth(member.token)), 201)
    for who in (host, cohost):
        for cid in (room_clip["id"], clip["id"]):
            path = f"/api/clips/{cid}"
            expect(
                await client.put(f"{path}/like", json={"liked": True}, headers=auth(who.token)), 200
            )
            expect(await client.post(f"{path}/views", headers=auth(who.token)), 200)
        comment = {"body": "Lovely", **saved(who)}
        path = f"/api/clips/{clip['id']}/comments"
        expect(await client.post(path, json=comment, headers=auth(who.token)), 201)
    report = {"reason": "spam", "note": "not stars"}
    for cid in (clip["id"], room_clip["id"]):  # the room's: in its moderators' list, live
        path = f"/api/clips/{cid}/reports"
        expect(await client.post(path, json=report, headers=auth(host.token)), 201)
    path = f"/api/clips/{room_clip['id']}/hidden"
    expect(await client.put(path, json={"hidden": True}, headers=auth(cohost.token)), 200)
    # What the sockets got of it (clip_posted, clip.reported) joins what the scan reads.
    for who in (host, cohost, member):
        assert who.sock is not None
        await who.sock.barrier()
    assert host.sock is not None
    posted = [
        e["message"]["system"]
        for e in host.sock.events
        if e["type"] == "message" and e["message"]["kind"] == "system"
    ]
    assert {"event": "clip_posted", "clip": room_clip["id"]} in posted
    return str(clip["id"])


def signature_of(url: str) -> dict[str, str]:
    """The query of a signed media URL: ``e`` and ``s``."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def fill(template: str, values: dict[str, str]) -> str | None:
    """The path with its ``{params}`` filled, or None when one has no value."""
    names = re.findall(r"\{(\w+)\}", template)
    if any(n not in values for n in names):
        return None
    return re.sub(r"\{(\w+)\}", lambda m: quote(values[m[1]], safe=""), template)


async def get_routes(client: httpx.AsyncClient, scene: Scene) -> list[tuple[str, str, dict]]:
    """Every GET route of the OpenAPI document: (template, path, query), once with its
    required query, and once more with each optional parameter that changes the view."""
    spec = expect(await client.get("/openapi.json"), 200)
    routes, unfillable = [], []
    for template, ops in sorted(spec["paths"].items()):
        if "get" not in ops:
            continue
        path = fill(template, {**scene.path_values, **scene.overrides.get(template, {})})
        params = [p for p in ops["get"].get("parameters", []) if p["in"] == "query"]
        query = {p["name"]: scene.query_values.get(p["name"]) for p in params if p.get("required")}
        optional = [p["name"] for p in params if not p.get("required")]
        if path is None or None in query.values():
            unfillable.append(template)
            continue
        if any(name not in scene.optional_values | {n: "" for n in PAGING} for name in optional):
            unfillable.append(template)
        routes.append((template, path, query))
        for name in optional:
            if name in scene.optional_values:
                routes.append((template, path, {**query, name: scene.optional_values[name]}))
    assert unfillable == [], (
        "GET routes the anonymity scan cannot fill: give their path and query parameters "
        "(optional ones too, or list them in PAGING) a value in build_scene (or list them "
        "in OWN_VIEWS with the reason)"
    )
    return routes


@pytest.mark.usefixtures("llm")
async def test_no_view_or_event_names_an_account(
    site: str, server: Server, client: httpx.AsyncClient
) -> None:
    """Every GET route (found in the OpenAPI document; also with each optional parameter
    that changes the view) as every role and anonymously, every write's answer to whoever
    made it, and every event each role's socket received, hold no account id, username,
    display name, account creation time, saved-profile id, token, interest or (outside a
    translation for that reader) reading language of any account — the viewer's own only
    in its own views (and in what its own writes answered)."""
    scene = await build_scene(server, client, link=site)
    people = scene.people
    leaks: list[str] = []
    routes = await get_routes(client, scene)
    assert len(routes) > 20
    viewers: list[Person | None] = [*people.values(), None]
    for template, path, query in routes:
        for viewer in viewers:
            headers = auth(viewer.token) if viewer else {}
            own_language = viewer.me["language"] if viewer else "en"
            params = {k: own_language if v == OWN_LANGUAGE else v for k, v in query.items()}
            r = await client.get(path, params=params, headers=headers)
            assert r.status_code < 500, (template, r.status_code, r.text)
            who = viewer.role if viewer else "anonymous"
            label = f"{template}?{urlencode(params)}" if params else template
            is_json = r.headers.get("content-type", "").startswith("application/json")
            if is_json and template not in OWN_VIEWS:
                leaks += [f"GET {label} as {who}: {x}" for x in account_keys(r.json())]
            for subject in people.values():
                own = subject is viewer
                if own and template in OWN_VIEWS:
                    continue
                if is_json:
                    languages = template not in INSTANCE_VIEWS
                    found = account_leaks(r.json(), subject, own=own, languages=languages)
                else:
                    found = text_leaks(r.content.decode("utf-8", "replace"), subject)
                leaks += [f"GET {label} as {who}: {subject.role} {x}" for x in found]

    # What each write answered: to the one who made it, about everyone else.
    tokens = {who.token: who for who in people.values()}
    assert len(scene.writes) > 25
    for write in scene.writes:
        if not write.response.headers.get("content-type", "").startswith("application/json"):
            continue
        writer = tokens.get(write.token or "")
        answered = write.response.json()
        where = f"{write.method} {write.path} as {writer.role if writer else 'anonymous'}"
        leaks += [f"{where}: {x}" for x in account_keys(answered)]
        for subject in people.values():
            if subject is not writer:
                leaks += [f"{where}: {subject.role} {x}" for x in account_leaks(answered, subject)]

    seen_types: set[str] = set()
    changes: set[str] = set()
    for viewer in people.values():
        assert viewer.sock is not None
        for event in viewer.sock.events:
            seen_types.add(event["type"])
            if event["type"] == "message":
                changes.add(event["change"])
            if event["type"] == "ready":
                # The socket owner's own account: only ever sent to itself.
                assert set(event["user"]) <= {"id", "display_name", "language"}
                event = {k: v for k, v in event.items() if k != "user"}
            leaks += [f"{event['type']} to {viewer.role}: {x}" for x in account_keys(event)]
            for subject in people.values():
                found = account_leaks(event, subject, own=subject is viewer)
                leaks += [f"{event['type']} to {viewer.role}: {subject.role} {x}" for x in found]
    assert leaks == []
    # The scan saw every kind of event a client can get, and nothing it does not know.
    known = known_event_types()
    assert known - seen_types == set(), "event types the scan did not drive"
    assert seen_types - known == set(), "event types neither documented nor in the code"
    assert changes == known_changes()


# --- The scan's matcher, on values that name an account in another form ---------------

ZELDA = Person(
    "member",
    {
        "id": 4242,
        "username": "zelda_acct",
        "display_name": "Zelda Realname",
        "created_at": "2026-12-01T10:11:12.131415Z",
        "language": "fi",
        "interests": ["zelda spotting"],
    },
    "tok",
    "savedprofileid01",
    "/api/images/" + "0" * 64,
)


@pytest.mark.parametrize(
    "view",
    [
        {"member": "m1", "author": "4242"},
        {"member": "m1", "sender": 4242},
        {"member": "m1", "since": "2026-12-01T10:11:12Z"},
        {"member": "m1", "since": "2026-12-01T19:11:12+09:00"},
        {"member": "m1", "since": "2026-12-01 10:11:12.131"},
        {"member": "m1", "note": "here since 2026-12-01T10:11:12.13Z"},
        {"member": "m1", "profile_url": "/u/zelda-acct"},
        {"member": "m1", "slug": "zelda.realname"},
        {"member": "m1", "tag": "ZeldaSpotting"},
    ],
    ids=[
        "id-as-string",
        "id-under-sender",
        "created-at-to-the-second",
        "created-at-in-another-offset",
        "created-at-to-the-millisecond",
        "created-at-inside-text",
        "username-slug",
        "display-name-slug",
        "interest-run-together",
    ],
)
def test_the_scan_sees_account_values_in_another_form(view: dict[str, Any]) -> None:
    assert account_keys(view) + account_leaks(view, ZELDA) != []


@pytest.mark.parametrize(
    "view",
    [
        # A date, or a time to the minute, is shared by everything made then.
        {"member": "m1", "member_since": "2026-12-01"},
        {"member": "m1", "at": "2026-12-01T10:11Z"},
        # Another instant, however close.
        {"member": "m1", "since": "2026-12-01T10:11:13Z"},
        {"member": "m1", "since": "2026-12-01T10:11:12.132Z"},
        # The same number where no account id goes.
        {"member": "m1", "seq": 4242, "count": "4242"},
    ],
    ids=["date", "minute", "next-second", "next-millisecond", "not-an-id-key"],
)
def test_the_scan_does_not_see_what_names_no_account(view: dict[str, Any]) -> None:
    assert account_keys(view) + account_leaks(view, ZELDA) == []
