"""What other sites see of a room: the widget and its framing rule, the link card for
browsers and unfurlers, oEmbed, and QR codes."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import quote
from xml.etree import ElementTree

import httpx
import pytest
import segno

from tests.api.partner_helpers import (
    HTML,
    content_room,
    parse,
)
from tests.conftest import Server
from tests.factories import auth, error_code, expect, make_room, make_user, upload_picture

XSS = "<img src=x onerror=alert(1)>"


def frame_ancestors(response: httpx.Response) -> list[str]:
    csp = response.headers["Content-Security-Policy"]
    found = re.search(r"frame-ancestors ([^;]+)", csp)
    assert found is not None, csp
    return sorted(found.group(1).split())


async def test_the_widget_may_be_framed_by_its_partners_origins_only(
    server: Server, client: httpx.AsyncClient
) -> None:
    room = await content_room(server, client)
    page = await client.get(f"/embed/{room['code']}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["Content-Security-Policy"].startswith(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors "
    )
    assert frame_ancestors(page) == [
        "http://localhost:3000",
        "https://manga.example.jp:8443",
        "https://reader.example.kr",
    ]
    assert "X-Frame-Options" not in page.headers
    # Name, tags, member count and a join button that opens the link in a new tab.
    assert "One Piece" in page.text and "#one piece" in page.text and "1 member" in page.text
    link = f"{server.url}/l/{room['code']}"
    assert re.search(rf'<a class="join" href="{re.escape(link)}" target="_blank"', page.text)
    # Self-contained: nothing loaded from anywhere, no script.
    assert "<script" not in page.text and "src=" not in page.text

    # A disabled partner's origins may no longer frame it.
    partner_id = room["ja"]["partner"]["id"]
    expect(
        await client.delete(f"/api/admin/partners/{partner_id}", headers=auth(room["operator"])),
        200,
    )
    assert frame_ancestors(await client.get(f"/embed/{room['code']}")) == [
        "https://reader.example.kr"
    ]


async def test_the_widget_escapes_user_text_and_rooms_without_partners_frame_nowhere(
    client: httpx.AsyncClient,
) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host, name=XSS, tags=[{"name": XSS, "category": "hobby"}]))[
        "room"
    ]
    page = await client.get(f"/embed/{room['link'].removeprefix('/l/')}")
    assert page.status_code == 200
    assert frame_ancestors(page) == ["'none'"]
    assert XSS not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "img" not in parse(page.text).tags

    missing = await client.get("/embed/nosuchcode")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert frame_ancestors(missing) == ["'none'"]


async def test_the_link_is_a_card_for_browsers_and_json_for_api_clients(
    server: Server, client: httpx.AsyncClient
) -> None:
    room = await content_room(server, client, title=XSS)
    code, url = room["code"], f"{server.url}/l/{room['code']}"

    page = await client.get(f"/l/{code}", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Accept" in page.headers["Vary"]
    assert XSS not in page.text
    head = parse(page.text)
    assert "img" not in head.tags
    assert head.meta["og:title"] == XSS  # escaped in the page, the same text once parsed
    assert head.meta["og:url"] == url
    assert head.meta["og:type"] == "website"
    assert head.meta["og:site_name"] == "OpenLink"
    assert head.meta["og:description"]
    assert "og:image" not in head.meta  # no cover
    assert head.meta["twitter:card"] == "summary" and head.meta["twitter:title"] == XSS
    oembed = [link for link in head.links if link.get("type") == "application/json+oembed"]
    assert len(oembed) == 1 and oembed[0]["rel"] == "alternate"
    assert oembed[0]["href"] == f"{server.url}/oembed?url={quote(url, safe='')}&format=json"
    discovered = expect(await client.get(oembed[0]["href"]), 200)
    assert discovered["title"] == XSS

    as_json = expect(await client.get(f"/l/{code}", headers={"Accept": "application/json"}), 200)
    assert as_json["id"] == room["room"]["id"] and "last_seq" not in as_json
    # httpx, like most API clients, sends */*: JSON too.
    assert expect(await client.get(f"/l/{code}"), 200)["id"] == room["room"]["id"]
    # A link unfurler that sends */* gets the card.
    bot = await client.get(f"/l/{code}", headers={"User-Agent": "Slackbot-LinkExpanding 1.0"})
    assert bot.headers["content-type"].startswith("text/html")
    assert parse(bot.text).meta["og:url"] == url

    missing = await client.get("/l/nosuchcode", headers=HTML)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert error_code(await client.get("/l/nosuchcode"), 404) == "link_not_found"


async def test_the_card_shows_the_cover(server: Server, client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host, cover_url=await upload_picture(client, host)))["room"]
    head = parse((await client.get(room["link"], headers=HTML)).text)
    cover = server.url + room["cover_url"]  # served by the instance, as an absolute URL
    assert head.meta["og:image"] == cover and head.meta["twitter:image"] == cover
    assert head.meta["twitter:card"] == "summary_large_image"


async def test_oembed(server: Server, client: httpx.AsyncClient) -> None:
    room = await content_room(server, client)
    code = room["code"]
    for url in (f"{server.url}/l/{code}", f"{server.url}/embed/{code}"):
        body = expect(await client.get("/oembed", params={"url": url, "format": "json"}), 200)
        assert {k: body[k] for k in ("version", "type", "provider_name", "title")} == {
            "version": "1.0",
            "type": "rich",
            "provider_name": "OpenLink",
            "title": "One Piece",
        }
        assert body["width"] == 400 and body["height"] == 220
        assert f'src="{server.url}/embed/{code}"' in body["html"]
        assert 'width="400" height="220"' in body["html"] and "sandbox=" in body["html"]

    small = expect(
        await client.get(
            "/oembed", params={"url": f"{server.url}/l/{code}", "maxwidth": 300, "maxheight": 90}
        ),
        200,
    )
    assert (small["width"], small["height"]) == (300, 90)
    assert 'width="300" height="90"' in small["html"]

    for unknown in (
        f"{server.url}/l/nosuchcode",
        f"https://elsewhere.example/l/{code}",
        f"{server.url}/api/rooms/{room['room']['id']}",
        "not a url",
    ):
        assert error_code(await client.get("/oembed", params={"url": unknown}), 404) in (
            "unknown_url",
            "link_not_found",
        )
    xml = await client.get("/oembed", params={"url": f"{server.url}/l/{code}", "format": "xml"})
    assert error_code(xml, 501) == "format_not_supported"


@pytest.mark.settings(public_url="https://chat.example.org/")
async def test_absolute_links_use_the_public_url(server: Server, client: httpx.AsyncClient) -> None:
    room = await content_room(server, client)
    code = room["code"]
    assert room["url"] == f"https://chat.example.org/l/{code}"
    assert room["embed_url"] == f"https://chat.example.org/embed/{code}"
    head = parse((await client.get(f"/l/{code}", headers=HTML)).text)
    assert head.meta["og:url"] == f"https://chat.example.org/l/{code}"
    body = expect(
        await client.get("/oembed", params={"url": f"https://chat.example.org/l/{code}"}), 200
    )
    assert 'src="https://chat.example.org/embed/' in body["html"]
    # The server's own address is not this instance's public address any more.
    missing = await client.get("/oembed", params={"url": f"{server.url}/l/{code}"})
    assert error_code(missing, 404) == "unknown_url"


def dark_modules(svg: str) -> set[tuple[int, int]]:
    """Read back the dark modules of a segno SVG path (absolute M, relative m, h runs)."""
    root = ElementTree.fromstring(svg)
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.attrib["d"]):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark.update((int(x) + i, int(y)) for i in range(int(a)))
            x += int(a)
    return dark


async def test_qr_codes_encode_the_absolute_link(server: Server, client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host))["room"]
    url = server.url + room["link"]

    svg = await client.get(f"{room['link']}/qr.svg", params={"scale": 3})
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert "max-age=31536000" in svg.headers["Cache-Control"]
    assert svg.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    root = ElementTree.fromstring(svg.text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.findtext("{http://www.w3.org/2000/svg}desc") == url
    expected = segno.make(url, error="m")
    size = (len(expected.matrix) + 8) * 3
    assert (root.attrib["width"], root.attrib["height"]) == (str(size), str(size))
    want = {
        (col + 4, row + 4)
        for row, line in enumerate(expected.matrix)
        for col, bit in enumerate(line)
        if bit
    }
    assert dark_modules(svg.text) == want

    png = await client.get(f"{room['link']}/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "max-age=31536000" in png.headers["Cache-Control"]

    assert error_code(await client.get("/l/nosuchcode/qr.svg"), 404) == "link_not_found"
    assert error_code(await client.get("/l/nosuchcode/qr.png"), 404) == "link_not_found"
    too_big = await client.get(f"{room['link']}/qr.png", params={"scale": 1000})
    assert error_code(too_big, 422) == "invalid_input"


SCRIPT = '"\'><script>alert("x")</script>'


async def test_user_text_is_escaped_in_every_page(
    server: Server, client: httpx.AsyncClient
) -> None:
    """A name, description and tag made to break out of text and of both kinds of
    attribute quotes: every page and snippet shows it as text, and no tag comes of it."""
    _, host = await make_user(client)
    made = await make_room(
        client,
        host,
        name=SCRIPT,
        description=SCRIPT,
        tags=[{"name": SCRIPT, "category": "hobby"}],
    )
    code = made["room"]["link"].removeprefix("/l/")
    partner = await content_room(server, client, title=SCRIPT)
    oembed = expect(await client.get("/oembed", params={"url": f"{server.url}/l/{code}"}), 200)
    pages = {
        "card": (await client.get(f"/l/{code}", headers=HTML)).text,
        "widget": (await client.get(f"/embed/{code}")).text,
        "oembed": oembed["html"],
        "snippet": partner["embed_snippet"],
    }
    for name, html in pages.items():
        assert "<script" not in html and "script" not in parse(html).tags, name
        assert 'alert("x")' not in html, name  # the quotes are escaped too
    card = parse(pages["card"])
    assert card.meta["og:title"] == card.meta["og:description"] == SCRIPT
    assert [link["title"] for link in card.links if "title" in link] == [SCRIPT]
    assert "&lt;script&gt;" in pages["widget"]
    for name in ("oembed", "snippet"):
        frame = IFrame()
        frame.feed(pages[name])
        assert frame.title == f"{SCRIPT} on OpenLink", name


class IFrame(HTMLParser):
    title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            self.title = dict(attrs).get("title") or ""
