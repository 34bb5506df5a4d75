"""Bad input of every kind gets a 4xx with the one error shape, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import auth, error_code, make_room, make_user, send_message

JSON = {"content-type": "application/json"}


@pytest.fixture
async def room(client: httpx.AsyncClient) -> tuple[str, str]:
    """(room id, the host's token)."""
    _, token = await make_user(client)
    return (await make_room(client, token))["room"]["id"], token


async def test_malformed_json_is_invalid_json(
    client: httpx.AsyncClient, room: tuple[str, str]
) -> None:
    rid, token = room
    for path in ("/api/accounts", f"/api/rooms/{rid}/messages", "/api/rooms"):
        response = await client.post(
            path, content=b'{"name": "unterminated', headers={**JSON, **auth(token)}
        )
        assert error_code(response, 400) == "invalid_json", path


WRONG_TYPES = [
    ("/api/rooms", {"name": 42}, "body.name"),
    ("/api/rooms", {"name": "r", "member_cap": "lots"}, "body.member_cap"),
    ("/api/rooms", {"name": "r", "visibility": "secret"}, "body.visibility"),
    ("/api/rooms", {"name": "r", "kind": "direct"}, "body.kind"),
    ("/api/rooms", {"name": "r", "unexpected": True}, "body.unexpected"),
    ("/api/rooms", {}, "body.name"),
    ("/api/rooms", [1, 2], "body"),
    ("/api/accounts", {"username": "abc", "password": None, "display_name": "x"}, "body.password"),
    ("{room}/messages", {"client_id": "c", "body": ["not", "text"]}, "body.body"),
    ("{room}/messages", {"client_id": "c", "body": "x", "reply_to": 0}, "body.reply_to"),
    ("{room}/messages", {"client_id": "c"}, "body.body"),
    ("{room}/read", {"seq": -1}, "body.seq"),
    ("{room}/read", {"seq": "last"}, "body.seq"),
]


async def test_wrong_types_are_invalid_input(
    client: httpx.AsyncClient, room: tuple[str, str]
) -> None:
    rid, token = room
    for path, body, field in WRONG_TYPES:
        url = path.replace("{room}", f"/api/rooms/{rid}")
        response = await client.post(url, json=body, headers=auth(token))
        assert error_code(response, 422) == "invalid_input", (path, body)
        fields = response.json()["error"]["details"]["fields"]
        assert field in [f["field"] for f in fields], (path, body, fields)


NEEDS_TOKEN = [
    ("GET", "/api/me"),
    ("PATCH", "/api/me"),
    ("GET", "/api/rooms"),
    ("POST", "/api/rooms"),
    ("GET", "/api/rooms/{room}/messages"),
    ("POST", "/api/rooms/{room}/messages"),
    ("POST", "/api/rooms/{room}/join"),
    ("DELETE", "/api/sessions/current"),
]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthenticated"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "unauthenticated"),
        ({"Authorization": "Bearer not-a-token"}, "bad_token"),
        ({"Authorization": "Bearer " + "x" * 201}, "unauthenticated"),
    ],
    ids=["none", "basic", "unknown", "too-long"],
)
async def test_routes_that_need_a_token_refuse_without_one(
    client: httpx.AsyncClient, room: tuple[str, str], headers: dict[str, str], code: str
) -> None:
    rid, _ = room
    for method, path in NEEDS_TOKEN:
        response = await client.request(
            method, path.replace("{room}", rid), json={"name": "r"}, headers=headers
        )
        assert error_code(response, 401) == code, (method, path)


async def test_an_invalid_token_on_an_optional_auth_route_is_refused(
    client: httpx.AsyncClient, room: tuple[str, str]
) -> None:
    rid, _ = room
    assert (await client.get(f"/api/rooms/{rid}")).status_code == 200
    response = await client.get(f"/api/rooms/{rid}", headers=auth("not-a-token"))
    assert error_code(response, 401) == "bad_token"


async def test_an_unknown_room_is_room_not_found(
    client: httpx.AsyncClient, room: tuple[str, str]
) -> None:
    _, token = room
    for method, path, body in [
        ("GET", "/api/rooms/nosuchroom", None),
        ("GET", "/api/rooms/nosuchroom/messages", None),
        ("GET", "/api/rooms/nosuchroom/members", None),
        ("POST", "/api/rooms/nosuchroom/messages", {"client_id": "c1", "body": "x"}),
        ("POST", "/api/rooms/nosuchroom/join", {}),
        ("POST", "/api/rooms/nosuchroom/leave", None),
        ("POST", "/api/rooms/nosuchroom/read", {"seq": 1}),
        ("POST", "/api/rooms/nosuchroom/link", None),
        ("PATCH", "/api/rooms/nosuchroom", {"name": "x"}),
        ("PATCH", "/api/rooms/nosuchroom/messages/1", {"body": "x"}),
    ]:
        response = await client.request(method, path, json=body, headers=auth(token))
        assert error_code(response, 404) == "room_not_found", (method, path)


async def test_an_unknown_route_is_not_found(client: httpx.AsyncClient) -> None:
    for path in ("/api/nothing", "/nothing/at/all", "/api/rooms/x/y/z"):
        assert error_code(await client.get(path), 404) == "not_found"


async def test_a_wrong_method_is_method_not_allowed(client: httpx.AsyncClient) -> None:
    assert error_code(await client.delete("/api/me"), 405) == "method_not_allowed"
    assert error_code(await client.put("/api/accounts", json={}), 405) == "method_not_allowed"


async def test_a_body_over_1_mib_is_too_large(
    client: httpx.AsyncClient, room: tuple[str, str]
) -> None:
    rid, token = room
    big = b'{"client_id": "c1", "body": "' + b"x" * (1 << 20) + b'"}'
    response = await client.post(
        f"/api/rooms/{rid}/messages", content=big, headers={**JSON, **auth(token)}
    )
    assert error_code(response, 413) == "too_large"

    async def streamed() -> Any:  # no Content-Length: chunked
        yield b'{"client_id": "c2", "body": "'
        for _ in range(20):
            yield b"x" * 65_536
        yield b'"}'

    response = await client.post(
        f"/api/rooms/{rid}/messages", content=streamed(), headers={**JSON, **auth(token)}
    )
    assert error_code(response, 413) == "too_large"
    messages = (await client.get(f"/api/rooms/{rid}/messages", headers=auth(token))).json()
    assert [m["kind"] for m in messages["messages"]] == ["system"]


async def test_a_message_over_the_edge_cap_is_invalid_input(
    client: httpx.AsyncClient, room: tuple[str, str]
) -> None:
    rid, token = room
    err = await send_message(client, token, rid, "x" * 262_145, status=422)
    assert err["error"]["code"] == "invalid_input"


async def test_a_reply_to_beyond_any_seq_is_a_client_error(
    client: httpx.AsyncClient, room: tuple[str, str]
) -> None:
    rid, token = room
    response = await client.post(
        f"/api/rooms/{rid}/messages",
        json={"client_id": "c1", "body": "x", "reply_to": 2**63},
        headers=auth(token),
    )
    assert response.status_code in (404, 422), response.text
    assert response.json()["error"]["code"] in ("invalid_input", "reply_not_found")


async def test_text_with_a_nul_character_is_never_a_server_error(
    client: httpx.AsyncClient, room: tuple[str, str]
) -> None:
    rid, token = room
    response = await client.post(
        f"/api/rooms/{rid}/messages",
        json={"client_id": "c1", "body": "a\x00b"},
        headers=auth(token),
    )
    assert response.status_code < 500, response.text
    response = await client.post("/api/rooms", json={"name": "a\x00b"}, headers=auth(token))
    assert response.status_code < 500, response.text
