"""Visitors without an account browse before signing up: Discover (trending and the
popular rooms), search, room previews by id and by link, and what the instance is."""

from __future__ import annotations

import httpx
import pytest

from openlink.demo import DEMO_PASSWORD, seed_demo
from tests.conftest import Server
from tests.factories import (
    auth,
    error_code,
    expect,
    join,
    make_room,
    make_user,
    send_message,
)


async def test_a_visitor_browses_discover_search_and_previews(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client, language="pt-BR")
    big = await make_room(client, host, name="Samba", tags=[{"name": "samba", "category": "hobby"}])
    small = await make_room(client, host, name="Jazz")
    hidden = await make_room(client, host, name="Private jazz", visibility="unlisted")
    for _ in range(2):
        _, fan = await make_user(client)
        await join(client, fan, big["room"]["link"])
    await send_message(client, host, big["room"]["id"], "bem-vindos")
    room_id, link = big["room"]["id"], big["room"]["link"]

    popular = expect(await client.get("/api/discover/recommended"), 200)["rooms"]
    assert [r["id"] for r in popular] == [room_id, small["room"]["id"]]
    assert popular[0]["reasons"] == ["popular"]
    # A visitor may say which language to prefer: those rooms count it as a reason.
    in_pt = expect(await client.get("/api/discover/recommended?language=pt"), 200)["rooms"]
    assert in_pt[0]["reasons"] == ["language"]
    bad = await client.get("/api/discover/recommended?language=not a tag")
    assert error_code(bad, 422) == "invalid_language"
    trending = expect(await client.get("/api/discover/trending"), 200)["rooms"]
    assert trending[0]["id"] == room_id
    found = expect(await client.get("/api/search", params={"q": "samba"}), 200)["results"]
    # The keyword match first (other music rooms may follow by meaning).
    assert found[0]["id"] == room_id
    preview = expect(await client.get(f"/api/rooms/{room_id}/preview"), 200)
    assert [m["body"] for m in preview["messages"] if m["kind"] == "text"] == ["bem-vindos"]
    assert expect(await client.get(f"/api/links/{link.removeprefix('/l/')}"), 200)["id"] == room_id
    assert expect(await client.get(f"/api/rooms/{room_id}"), 200)["name"] == "Samba"
    assert "me" not in expect(await client.get(f"/api/rooms/{room_id}"), 200)

    # Nothing that is not public: the unlisted room is in no list, and has no preview.
    seen = {r["id"] for r in popular + trending + found}
    assert hidden["room"]["id"] not in seen
    missing = await client.get(f"/api/rooms/{hidden['room']['id']}/preview")
    assert error_code(missing, 404) == "room_not_found"
    # My rooms and members stay for accounts.
    assert error_code(await client.get("/api/rooms"), 401) == "unauthenticated"
    assert error_code(await client.get(f"/api/rooms/{room_id}/members"), 401) == "unauthenticated"


@pytest.mark.settings(browse_per_address=3, browse_window_s=60)
async def test_visitors_are_limited_per_address_and_accounts_are_not(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    room_id = (await make_room(client, host))["room"]["id"]
    for path in (
        "/api/discover/trending",
        "/api/discover/recommended",
        f"/api/rooms/{room_id}/preview",
    ):
        expect(await client.get(path), 200)
    refused = await client.get("/api/discover/trending")
    assert error_code(refused, 429) == "browse_rate_limited"
    assert 0 < refused.json()["error"]["details"]["retry_after_s"] <= 60
    assert int(refused.headers["Retry-After"]) >= 1
    for _ in range(4):
        expect(await client.get("/api/discover/trending", headers=auth(host)), 200)


async def test_the_instance_without_a_demo(client: httpx.AsyncClient) -> None:
    info = expect(await client.get("/api/instance"), 200)
    assert info["name"] == "OpenLink" and info["version"]
    assert info["demo"] is False
    assert info["demo_accounts"] == [] and info["demo_password"] is None
    assert info["translation"] == {"engine": "none", "languages": []}


@pytest.mark.settings(demo=True)
async def test_the_instance_names_the_demo_accounts_that_sign_in(
    server: Server, client: httpx.AsyncClient
) -> None:
    await seed_demo(server.app.state.ctx)
    info = expect(await client.get("/api/instance"), 200)
    assert info["demo"] is True and info["demo_password"] == DEMO_PASSWORD
    languages = {a["username"]: a["language"] for a in info["demo_accounts"]}
    assert languages["lucas"] == "pt-BR" and languages["alex"] == "en"
    for account in info["demo_accounts"]:
        body = {"username": account["username"], "password": info["demo_password"]}
        expect(await client.post("/api/sessions", json=body), 200)
