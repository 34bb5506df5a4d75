"""Absolute links (link cards, widgets, oEmbed, QR codes, partner responses) come from
``OPENLINK_PUBLIC_URL`` or from a Host the operator allowed, never from whatever Host
header a client sends: such a page would point people elsewhere, and caches keep it."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_embed import HTML, content_room, parse
from tests.api.test_partners import add_partner, make_operator, put_content
from tests.conftest import Server
from tests.factories import error_code

EVIL = {"Host": "evil.example"}


async def test_links_are_not_built_from_a_host_that_is_not_allowed(
    server: Server, client: httpx.AsyncClient
) -> None:
    room = await content_room(server, client)
    code = room["code"]

    card = await client.get(f"/l/{code}", headers={**HTML, **EVIL})
    assert card.status_code == 400
    assert "evil.example" not in card.text
    assert card.headers["Cache-Control"] == "no-store"
    for path in (f"/l/{code}/qr.svg", f"/l/{code}/qr.png", f"/embed/{code}"):
        refused = await client.get(path, headers=EVIL)
        assert refused.status_code == 400, path
        assert "evil.example" not in refused.text
    oembed = await client.get(
        "/oembed", params={"url": f"http://evil.example/l/{code}"}, headers=EVIL
    )
    assert error_code(oembed, 400) == "host_not_allowed"

    operator = await make_operator(server, client)
    partner = await add_partner(client, operator, "Late")
    async with httpx.AsyncClient(base_url=server.url, headers=EVIL) as evil:
        put = await put_content(evil, partner["key"], "late-1", {"work_id": "late"})
    assert error_code(put, 400) == "host_not_allowed"
    # Refused before anything was linked: the same request from an allowed host is new.
    await put_content(client, partner["key"], "late-1", {"work_id": "late"}, status=201)

    # The server's own address (an allowed host) still works.
    ok = await client.get(f"/l/{code}", headers=HTML)
    assert parse(ok.text).meta["og:url"] == f"{server.url}/l/{code}"


@pytest.mark.settings(allowed_hosts=["chat.example.org"])
async def test_an_allowed_host_names_the_links(server: Server, client: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Host": "chat.example.org"}
    ) as named:
        room = await content_room(server, named)
        page = await named.get(f"/l/{room['code']}", headers=HTML)
    assert parse(page.text).meta["og:url"] == f"http://chat.example.org/l/{room['code']}"


@pytest.mark.settings(public_url="https://chat.example.org")
async def test_with_a_public_url_any_host_gets_the_public_links(
    server: Server, client: httpx.AsyncClient
) -> None:
    room = await content_room(server, client)
    page = await client.get(f"/l/{room['code']}", headers={**HTML, **EVIL})
    assert page.status_code == 200
    assert parse(page.text).meta["og:url"] == f"https://chat.example.org/l/{room['code']}"
    assert "evil.example" not in page.text
