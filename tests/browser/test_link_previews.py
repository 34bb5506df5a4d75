"""A link in a message shows a card under it in the other member's browser, with the
picture from this server: the reader's browser never asks the site for anything."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenTab, Shot
from tests.browser.helpers import message, send, wait_online
from tests.conftest import Server
from tests.factories import join, make_room, make_user, picture, send_message
from tests.fakes import fake_image_server

# Room search is not used here: no embedder to load beside the browser. The page's site
# is on loopback, which the fetch guard refuses unless allowed.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.settings(embedder="none", image_fetch_allow_networks=["127.0.0.1/32"]),
]


async def test_a_link_shows_its_card_to_the_other_member(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    _host, host_token = await make_user(client)
    room = (await make_room(client, host_token, name="Stargazers"))["room"]
    _ann, ann_token = await make_user(client)
    _bo, bo_token = await make_user(client)
    await join(client, ann_token, room["link"], profile={"kind": "open", "nickname": "Ann"})
    await join(client, bo_token, room["link"], profile={"kind": "open", "nickname": "Bo"})
    await send_message(client, ann_token, room["id"], "Hello all")  # no newcomer's caution
    with fake_image_server() as site:
        site.serve("/moon.png", picture((200, 120)))
        head = (
            '<meta property="og:title" content="The Moon &lt;tonight&gt;">'
            '<meta property="og:description" content="Rises at 21:04, nearly full.">'
            '<meta property="og:site_name" content="Sky Almanac">'
            '<meta property="og:image" content="/moon.png">'
        )
        html = f"<html><head>{head}</head><body></body></html>".encode()
        url = site.serve("/moon", html, content_type="text/html")

        ann = await open_tab(f"/#/room/{room['id']}", token=ann_token)
        bo = await open_tab(f"/#/room/{room['id']}", token=bo_token)
        await wait_online(ann)
        await wait_online(bo)
        await send(ann, f"Look tonight {url}")
        card = message(bo.page, "Look tonight").get_by_test_id("link-preview")
        await expect(card).to_be_visible()
        await expect(card.locator(".preview-title")).to_have_text("The Moon <tonight>")
        await expect(card.locator(".preview-site")).to_have_text("Sky Almanac")
        await expect(card).to_have_attribute("href", url)
        image = card.locator("img.preview-img")
        assert (await image.get_attribute("src") or "").startswith("/api/images/")
        await expect(image).to_have_js_property("naturalWidth", 200)
        await shot(bo.page, "link-preview-desktop")
        # The server fetched robots.txt, the page and its picture once; no browser did.
        assert [path for path, _ in site.requests] == ["/robots.txt", "/moon", "/moon.png"]
    assert bo.errors == []
