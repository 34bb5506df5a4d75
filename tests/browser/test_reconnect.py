"""The connection drops and comes back: every message shows exactly once, in order, and
what was sent meanwhile is delivered once."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenTab
from tests.browser.helpers import bodies, message, send, wait_online
from tests.conftest import Server
from tests.factories import all_messages, auth, join, make_room, make_user, send_message, texts

# Room search is not used here: no embedder to load beside the browser.
pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]


async def test_offline_and_back_resumes_without_gaps_or_duplicates(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    _host, host_token = await make_user(client, display_name="Host")
    room = (await make_room(client, host_token))["room"]
    _me, my_token = await make_user(client)
    await join(client, my_token, room["link"])
    first = await send_message(client, host_token, room["id"], "before 1")
    await send_message(client, host_token, room["id"], "before 2")

    tab = await open_tab(f"/#/room/{room['id']}", token=my_token)
    page = tab.page
    state = page.get_by_test_id("conn-state")
    await expect(message(page, "before 2")).to_be_visible()
    await wait_online(tab)

    await tab.context.set_offline(True)
    await expect(state).to_have_attribute("data-state", "reconnecting")

    # While this browser is away: new messages, an edit, a delete.
    away = [f"while away {i}" for i in range(1, 6)]
    for body in away:
        await send_message(client, host_token, room["id"], body)
    await client.patch(
        f"/api/rooms/{room['id']}/messages/{first['seq']}",
        json={"body": "before 1 (edited)"},
        headers=auth(host_token),
    )
    gone = await send_message(client, host_token, room["id"], "soon deleted")
    await client.delete(f"/api/rooms/{room['id']}/messages/{gone['seq']}", headers=auth(host_token))
    # And something written here, offline.
    await send(tab, "written offline")
    pending = page.locator(".pending-list .msg")
    await expect(pending).to_have_count(1)
    await expect(pending).to_contain_text("Waiting for the connection")

    await tab.context.set_offline(False)
    await expect(state).to_have_attribute("data-state", "online")
    await expect(message(page, "written offline")).to_be_visible()
    await expect(pending).to_have_count(0)
    await expect(message(page, "before 1 (edited)")).to_be_visible()
    expected = [
        "before 1 (edited)",
        "before 2",
        *away,
        "This message was deleted.",
        "written offline",
    ]
    await expect(
        page.locator("[data-testid=messages] .msg:not(.msg-system) .msg-body")
    ).to_have_text(expected)

    # The socket dies right after a send, before the ack: the resend after the reconnect
    # carries the same client_id, so the server stores it once.
    await page.evaluate("window.__openlinkTest.dropAfterNextSend()")
    await send(tab, "ack lost")
    await expect(message(page, "ack lost")).to_be_visible()
    await wait_online(tab)
    await expect(page.locator(".pending-list .msg")).to_have_count(0)
    await send_message(client, host_token, room["id"], "after")
    await expect(message(page, "after")).to_be_visible()
    assert await bodies(page) == [*expected, "ack lost", "after"]
    acks = await page.evaluate("window.__openlinkTest.acks.map(a => a.duplicate)")
    assert acks[-1] is True  # the resend was recognised; the first ack never arrived

    stored = [m.get("body") for m in texts(await all_messages(client, my_token, room["id"]))]
    assert stored.count("written offline") == 1
    assert stored.count("ack lost") == 1
    assert tab.errors == []
