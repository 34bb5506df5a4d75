"""A message with a link gets a card: the server fetches the page once, through the SSRF
guard, and re-hosts its picture, so readers never contact the site (docs/protocol.md,
Link previews). The sites are a real HTTP server on 127.0.0.1, hostile where a test needs
it; the guard refuses loopback unless a test allows it with
``image_fetch_allow_networks``."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

import openlink.net.fetch as net_fetch
from tests.api.link_preview_helpers import LOOPBACK_ALLOWED, page, paths, settle
from tests.conftest import Server
from tests.factories import (
    all_messages,
    auth,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    picture,
    send_message,
)
from tests.fakes import FakeImageServer, fake_image_server


def serve_page(fake: FakeImageServer, path: str, body: bytes) -> str:
    return fake.serve(path, body, content_type="text/html")


@pytest.fixture
def fake() -> Iterator[FakeImageServer]:
    with fake_image_server() as server:
        yield server


async def room_with_reader(
    client: httpx.AsyncClient,
) -> tuple[str, str, str]:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, guest, room["link"])
    return room["id"], host, guest


async def message(client: httpx.AsyncClient, token: str, room_id: str, seq: int) -> dict[str, Any]:
    return next(m for m in await all_messages(client, token, room_id) if m["seq"] == seq)


@LOOPBACK_ALLOWED
async def test_a_link_gets_a_card_live_and_in_history_with_the_picture_served_here(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, guest = await room_with_reader(client)
    fake.serve("/robots.txt", b"User-agent: *\nDisallow: /private\n", content_type="text/plain")
    url = fake.serve("/article", page(), content_type="text/html; charset=utf-8")
    fake.serve("/pic.png", picture((120, 60)))
    sock = await open_socket(server.ws_url, guest)

    sent = await send_message(client, host, room_id, f"look: {url}.")
    event = await sock.next_event(
        "message", where=lambda e: e["change"] == "preview" and e["message"]["seq"] == sent["seq"]
    )
    card = event["message"]["preview"]
    assert card["url"] == url
    assert card["title"] == "Moon landing"
    assert card["description"] == "Men & machines on the Moon"
    assert card["site_name"] == "Space News"
    assert card["image"].startswith("/api/images/")
    assert event["message"]["rev"] > sent["rev"]
    # Nothing but the link the message already shows names the site.
    assert fake.url not in str({k: v for k, v in card.items() if k != "url"})
    picture_response = await client.get(card["image"])
    assert picture_response.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(picture_response.content)).size == (120, 60)

    assert (await message(client, guest, room_id, sent["seq"]))["preview"] == card
    assert paths(fake) == ["/robots.txt", "/article", "/pic.png"]
    assert fake.headers[1]["user-agent"].startswith("OpenLinkBot")


@LOOPBACK_ALLOWED
async def test_one_fetch_serves_every_message_with_the_same_link(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, guest = await room_with_reader(client)
    url = serve_page(fake, "/article", page(image=None))
    first = await send_message(client, host, room_id, url)
    await settle(server)
    # Another spelling of the same address: tracking parameters and the fragment differ.
    second = await send_message(client, guest, room_id, f"{url}?utm_source=x#top again")
    await settle(server)
    one = (await message(client, host, room_id, first["seq"]))["preview"]
    two = (await message(client, host, room_id, second["seq"]))["preview"]
    assert one["title"] == two["title"] == "Moon landing"
    assert paths(fake).count("/article") == 1
    assert paths(fake).count("/robots.txt") == 1


@LOOPBACK_ALLOWED
async def test_the_same_new_link_sent_twice_at_once_is_fetched_once(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, guest = await room_with_reader(client)
    url = serve_page(fake, "/article", page(image=None))
    sock = await open_socket(server.ws_url, host)
    seqs = await sock.send_many(room_id, [url, f"same: {url}", f"{url}#again"])
    await settle(server)
    for seq in seqs:
        assert (await message(client, guest, room_id, seq))["preview"]["title"] == "Moon landing"
    assert paths(fake) == ["/robots.txt", "/article"]


async def test_loopback_is_refused_by_default_and_nothing_is_fetched(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, _ = await room_with_reader(client)
    url = serve_page(fake, "/article", page())
    sent = await send_message(client, host, room_id, url)
    await settle(server)
    assert "preview" not in await message(client, host, room_id, sent["seq"])
    assert fake.requests == []


@LOOPBACK_ALLOWED
async def test_a_redirect_to_a_refused_address_gives_no_card(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, _ = await room_with_reader(client)
    port = fake.url.rpartition(":")[2]
    serve_page(fake, "/article", page())
    hops = [
        fake.redirect("/metadata", "http://169.254.169.254/latest/meta-data/"),
        fake.redirect("/other-loopback", f"http://127.0.0.2:{port}/article"),
        fake.redirect("/private", "http://10.0.0.1/article"),
        fake.redirect("/v6", f"http://[::1]:{port}/article"),
    ]
    seqs = [(await send_message(client, host, room_id, hop))["seq"] for hop in hops]
    await settle(server)
    for seq in seqs:
        assert "preview" not in await message(client, host, room_id, seq)
    assert "/article" not in paths(fake)


@pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"], link_preview_max_bytes=16 << 10)
async def test_a_huge_page_is_cut_at_the_cap_and_its_head_still_read(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, _ = await room_with_reader(client)
    head = page(image=None).split(b"<body>")[0] + b"<body>"
    url = fake.endless("/huge", head)
    sent = await send_message(client, host, room_id, url)
    await settle(server)
    assert (await message(client, host, room_id, sent["seq"]))["preview"]["title"] == "Moon landing"
    assert await asyncio.to_thread(fake.ended.wait, 10)
    # The server hung up after its 16 KiB; the site got rid of no more than the socket
    # buffers hold, far from its 256 MiB.
    assert fake.sent["/huge"] < 32 << 20


@pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"], link_preview_timeout_s=0.5)
async def test_a_page_that_never_ends_runs_into_the_deadline_and_is_not_asked_again(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, _ = await room_with_reader(client)
    url = fake.stall("/slow", b"<html><head><title>Sl")
    first = await send_message(client, host, room_id, url)
    await settle(server)
    assert "preview" not in await message(client, host, room_id, first["seq"])
    assert paths(fake) == ["/robots.txt", "/slow"]
    second = await send_message(client, host, room_id, f"again {url}")
    await settle(server)
    assert "preview" not in await message(client, host, room_id, second["seq"])
    assert paths(fake) == ["/robots.txt", "/slow"]  # the failure is cached


@LOOPBACK_ALLOWED
async def test_a_name_whose_address_changes_is_checked_at_every_request(
    server: Server,
    client: httpx.AsyncClient,
    fake: FakeImageServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the name first resolves to the allowed address, then to a private
    one. Each request resolves once and connects to the address it checked."""
    answers = {
        "news.test": [["127.0.0.1"], ["10.0.0.1"]],
        "mixed.test": [["127.0.0.1", "10.0.0.1"]],
    }
    asked: list[str] = []

    async def lookup(host: str, port: int) -> list[str]:
        asked.append(host)
        queue = answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(net_fetch, "lookup", lookup)
    room_id, host, _ = await room_with_reader(client)
    port = fake.url.rpartition(":")[2]
    fake.serve("/robots.txt", b"", content_type="text/plain")
    serve_page(fake, "/article", page(image=None))
    rebinding = await send_message(client, host, room_id, f"http://news.test:{port}/article")
    await settle(server)
    assert "preview" not in await message(client, host, room_id, rebinding["seq"])
    # robots.txt went to the checked address under the name; the page's own lookup
    # answered a private address, and no connection was made for it.
    assert fake.requests == [("/robots.txt", f"news.test:{port}")]
    assert asked == ["news.test", "news.test"]

    mixed = await send_message(client, host, room_id, f"http://mixed.test:{port}/article")
    await settle(server)
    assert "preview" not in await message(client, host, room_id, mixed["seq"])
    assert len(fake.requests) == 1  # one private address among the answers refuses all


@LOOPBACK_ALLOWED
async def test_robots_txt_is_honoured_and_kept(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, _ = await room_with_reader(client)
    fake.serve(
        "/robots.txt",
        b"User-agent: OpenLinkBot\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n",
        content_type="text/plain",
    )
    private = serve_page(fake, "/private/article", page(image=None))
    public = serve_page(fake, "/article", page(image=None))
    refused = await send_message(client, host, room_id, private)
    await settle(server)
    allowed = await send_message(client, host, room_id, public)
    await settle(server)
    assert "preview" not in await message(client, host, room_id, refused["seq"])
    assert (await message(client, host, room_id, allowed["seq"]))["preview"]["title"]
    assert paths(fake) == ["/robots.txt", "/article"]


@LOOPBACK_ALLOWED
async def test_what_is_not_an_html_page_gets_no_card(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, _ = await room_with_reader(client)
    urls = [
        fake.serve("/file.pdf", b"%PDF-1.4", content_type="application/pdf"),
        fake.serve("/pic.png", picture()),
        serve_page(fake, "/empty", b"<html><head></head><body>hi</body></html>"),
        fake.url + "/missing",
    ]
    seqs = [(await send_message(client, host, room_id, url))["seq"] for url in urls]
    await settle(server)
    for seq in seqs:
        assert "preview" not in await message(client, host, room_id, seq)


@LOOPBACK_ALLOWED
async def test_a_page_in_another_charset_and_an_oembed_picture(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, _ = await room_with_reader(client)
    oembed = fake.serve(
        "/oembed.json",
        b'{"type": "photo", "title": "x", "thumbnail_url": "/thumb.png"}',
        content_type="application/json",
    )
    fake.serve("/thumb.png", picture((40, 40)))
    html = (
        '<html><head><meta charset="euc-kr"><title>달 착륙</title>'
        f'<link rel="alternate" type="application/json+oembed" href="{oembed}">'
        "</head><body></body></html>"
    ).encode("euc-kr")
    url = fake.serve("/kr", html, content_type="text/html")
    sent = await send_message(client, host, room_id, url)
    await settle(server)
    card = (await message(client, host, room_id, sent["seq"]))["preview"]
    assert card["title"] == "달 착륙"
    assert card["image"].startswith("/api/images/")


@LOOPBACK_ALLOWED
async def test_an_edit_replaces_or_drops_the_card(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, guest = await room_with_reader(client)
    first = serve_page(fake, "/one", page("One", image=None))
    second = serve_page(fake, "/two", page("Two", image=None))
    sent = await send_message(client, host, room_id, first)
    await settle(server)
    path = f"/api/rooms/{room_id}/messages/{sent['seq']}"
    expect(await client.patch(path, json={"body": f"no, {second}"}, headers=auth(host)), 200)
    await settle(server)
    assert (await message(client, guest, room_id, sent["seq"]))["preview"]["title"] == "Two"
    edited = expect(await client.patch(path, json={"body": "no link"}, headers=auth(host)), 200)
    assert "preview" not in edited
    await settle(server)
    assert "preview" not in await message(client, guest, room_id, sent["seq"])


@pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"], link_previews_per_account=1)
async def test_fetches_are_limited_per_account(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, guest = await room_with_reader(client)
    urls = [serve_page(fake, f"/a{i}", page(f"A{i}", image=None)) for i in range(3)]
    one = await send_message(client, host, room_id, urls[0])
    await settle(server)
    two = await send_message(client, host, room_id, urls[1])
    await settle(server)
    # A cached card costs nothing; another account has its own allowance.
    three = await send_message(client, host, room_id, urls[0])
    four = await send_message(client, guest, room_id, urls[2])
    await settle(server)
    titles = [
        (await message(client, host, room_id, m["seq"])).get("preview", {}).get("title")
        for m in (one, two, three, four)
    ]
    assert titles == ["A0", None, "A0", "A2"]
    assert "/a1" not in paths(fake)


@pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"], link_previews=False)
async def test_previews_can_be_turned_off(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, _ = await room_with_reader(client)
    sent = await send_message(client, host, room_id, serve_page(fake, "/article", page()))
    await settle(server)
    assert "preview" not in await message(client, host, room_id, sent["seq"])
    assert fake.requests == []


@LOOPBACK_ALLOWED
async def test_the_sender_or_a_moderator_removes_a_card_for_good(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, guest = await room_with_reader(client)
    url = serve_page(fake, "/article", page(image=None))
    mine = await send_message(client, guest, room_id, url)
    theirs = await send_message(client, host, room_id, f"also {url}")
    await settle(server)
    sock = await open_socket(server.ws_url, host)

    def remove(seq: int, token: str) -> Any:
        return client.delete(f"/api/rooms/{room_id}/messages/{seq}/preview", headers=auth(token))

    refused = await remove(theirs["seq"], guest)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_permitted"
    removed = expect(await remove(mine["seq"], guest), 200)
    assert "preview" not in removed and removed["body"] == url
    event = await sock.next_event("message", where=lambda e: e["change"] == "preview")
    assert event["message"]["seq"] == mine["seq"] and "preview" not in event["message"]
    assert expect(await remove(mine["seq"], guest), 200)["rev"] == removed["rev"]  # no change
    assert "preview" not in expect(await remove(theirs["seq"], host), 200)

    # An edit that keeps the link keeps it without a card; the cache is not even asked.
    path = f"/api/rooms/{room_id}/messages/{mine['seq']}"
    expect(await client.patch(path, json={"body": f"{url} !"}, headers=auth(guest)), 200)
    await settle(server)
    assert "preview" not in await message(client, host, room_id, mine["seq"])
    no_link = await send_message(client, guest, room_id, "plain words")
    gone = await remove(no_link["seq"], guest)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "preview_not_found"


@LOOPBACK_ALLOWED
async def test_a_host_turns_previews_off_for_the_room(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    room_id, host, guest = await room_with_reader(client)
    patched = await client.patch(
        f"/api/rooms/{room_id}", json={"link_previews": False}, headers=auth(host)
    )
    assert expect(patched, 200)["link_previews"] is False
    sent = await send_message(client, guest, room_id, serve_page(fake, "/article", page()))
    await settle(server)
    assert "preview" not in await message(client, host, room_id, sent["seq"])
    assert fake.requests == []
