"""Absolute links (link cards, widgets, oEmbed, QR codes, partner responses) come from
``OPENLINK_PUBLIC_URL`` or from a Host the operator allowed, never from whatever Host
header a client sends: such a page would point people elsewhere, and caches keep it."""

from __future__ import annotations

import httpx
import pytest

from openlink.config import Settings
from tests.api.partner_helpers import (
    HTML,
    add_partner,
    content_room,
    make_operator,
    parse,
    put_content,
)
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


async def card(server: Server, host: str, code: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, headers={"Host": host}) as as_host:
        return await as_host.get(f"/l/{code}", headers=HTML)


@pytest.mark.settings(allowed_hosts=["chat.example.org"])
async def test_an_allowed_name_on_a_port_the_server_does_not_serve_names_no_links(
    server: Server, client: httpx.AsyncClient
) -> None:
    """The card is cached publicly for minutes: ``Host: chat.example.org:1`` must not
    leave links to port 1 in shared caches for everyone."""
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Host": "chat.example.org"}
    ) as named:
        code = (await content_room(server, named))["code"]
    odd = await card(server, "chat.example.org:1", code)
    assert odd.status_code == 400
    assert odd.headers["Cache-Control"] == "no-store"
    assert ":1/" not in odd.text
    # The server's own port (the socket's, and the configured one) is its own address.
    port = server.url.rpartition(":")[2]
    for host in (f"chat.example.org:{port}", f"chat.example.org:{server.settings.port}"):
        page = await card(server, host, code)
        assert parse(page.text).meta["og:url"] == f"http://{host}/l/{code}"


@pytest.mark.settings(allowed_hosts=["chat.example.org:8443", "[::1]:8443"])
async def test_a_listed_port_allows_that_port_only(
    server: Server, client: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Host": "chat.example.org:8443"}
    ) as named:
        code = (await content_room(server, named))["code"]
    page = await card(server, "chat.example.org:8443", code)
    assert parse(page.text).meta["og:url"] == f"http://chat.example.org:8443/l/{code}"
    assert (
        parse((await card(server, "[::1]:8443", code)).text)
        .meta["og:url"]
        .startswith("http://[::1]:8443/")
    )
    port = server.url.rpartition(":")[2]
    for host in ("chat.example.org", f"chat.example.org:{port}", "[::1]"):
        assert (await card(server, host, code)).status_code == 400, host


async def test_the_default_hosts_serve_the_local_address_make_run_uses(
    server: Server, client: httpx.AsyncClient
) -> None:
    code = (await content_room(server, client))["code"]
    assert server.settings.port == 8000  # the default ``openlink serve`` binds
    page = await card(server, "localhost:8000", code)
    assert parse(page.text).meta["og:url"] == f"http://localhost:8000/l/{code}"
    assert (await card(server, "localhost:8001", code)).status_code == 400


@pytest.mark.parametrize("entry", ["chat.example.org:x", "chat.example.org:0", "[::1]x", ":80"])
def test_an_allowed_host_that_does_not_parse_stops_the_server(entry: str) -> None:
    with pytest.raises(ValueError, match="allowed_hosts"):
        Settings(allowed_hosts=[entry])
