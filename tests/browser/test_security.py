"""What people write is shown as text: markup in messages, nicknames and room names never
becomes elements or runs code."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenTab
from tests.browser.helpers import message, send
from tests.conftest import Server
from tests.factories import auth, join, make_room, make_user, send_message, upload_picture

# Room search is not used here: no embedder to load beside the browser.
pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>window.__pwned = 1</script><b>bold?</b>"
NICK = '<img src=y onerror="window.__pwned=2">'


async def test_markup_from_people_shows_as_text_and_runs_nothing(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    _host, host_token = await make_user(client)
    created = await make_room(client, host_token, name="<i>Rooms</i> & <u>names</u>")
    room = created["room"]
    _other, other_token = await make_user(client)
    await join(client, other_token, room["link"], profile={"kind": "open", "nickname": NICK})
    await send_message(client, other_token, room["id"], IMG)
    _me, my_token = await make_user(client)
    await join(client, my_token, room["link"])

    tab = await open_tab(f"/#/room/{room['id']}", token=my_token)
    page = tab.page
    theirs = message(page, "onerror=alert(1)")
    await expect(theirs.locator(".msg-body")).to_have_text(IMG)
    await expect(theirs.locator(".author-name")).to_have_text(NICK)
    await expect(page.locator(".chat-title h2")).to_have_text("<i>Rooms</i> & <u>names</u>")

    await send(tab, SCRIPT)
    await expect(message(page, "window.__pwned", by="me").locator(".msg-body")).to_have_text(SCRIPT)
    await send(tab, IMG)
    await expect(message(page, "onerror", by="me").locator(".msg-body")).to_have_text(IMG)

    # No element came out of the text, nothing ran, no dialog opened.
    assert await page.locator("img").count() == 0
    assert await page.locator(".msg-body *, .chat-title h2 *, .author-name *").count() == 0
    assert await page.locator("script:not([src])").count() == 0
    assert await page.evaluate("window.__pwned") is None
    assert tab.dialogs == []
    assert tab.errors == []


async def test_avatars_and_covers_load_from_this_server_under_its_policy(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    _host, host_token = await make_user(client)
    cover = await upload_picture(client, host_token, color="teal")
    room = (await make_room(client, host_token, name="Pictures", cover_url=cover))["room"]
    _other, other_token = await make_user(client)
    avatar = await upload_picture(client, other_token, color="purple")
    profile = {"kind": "open", "nickname": "Painter", "avatar_url": avatar}
    await join(client, other_token, room["link"], profile=profile)
    await send_message(client, other_token, room["id"], "a picture of me")
    _me, my_token = await make_user(client)
    await join(client, my_token, room["link"])

    tab = await open_tab(f"/#/room/{room['id']}", token=my_token)
    page = tab.page
    pictures = {
        avatar: message(page, "a picture of me").locator(".msg-avatar img"),
        cover: page.locator(f'.sidebar img[src="{cover}"]').first,
    }
    for path, img in pictures.items():
        await expect(img).to_have_attribute("src", path)
        # Decoded: the image was fetched from this server and the policy allowed it.
        await img.evaluate("i => i.decode()")
        assert await img.evaluate("i => i.naturalWidth") == 64
    assert tab.errors == []


async def test_a_saved_profile_with_a_stored_avatar_can_be_renamed(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    _me, token = await make_user(client)
    avatar = await upload_picture(client, token)
    body = {"nickname": "Moon", "avatar_url": avatar}
    saved = await client.post("/api/me/open-profiles", json=body, headers=auth(token))
    assert saved.status_code == 201, saved.text

    tab = await open_tab("/#/settings", token=token)
    row = tab.page.locator(".profile-row", has_text="Moon")
    await expect(row.locator(f'img[src="{avatar}"]')).to_be_visible()
    await row.get_by_role("button", name="Edit").click()
    editing = tab.page.locator(".profile-row.editing")
    await editing.get_by_label("Nickname").fill("Sun")
    await editing.get_by_role("button", name="Save").click()
    await expect(tab.page.locator(".profile-row", has_text="Sun")).to_be_visible()
    profiles = (await client.get("/api/me/open-profiles", headers=auth(token))).json()
    assert [(p["nickname"], p["avatar_url"]) for p in profiles["open_profiles"]] == [
        ("Sun", avatar)
    ]
    assert tab.errors == []
