"""Joining with a participation code, and waiting for the host's approval."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenTab
from tests.browser.helpers import wait_online
from tests.conftest import Server
from tests.factories import auth, make_room, make_user
from tests.factories import expect as expect_status

# Room search is not used here: no embedder to load beside the browser.
pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]


async def test_a_code_then_the_hosts_approval_lets_a_newcomer_in_when_they_enter(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    _host, host_token = await make_user(client)
    room = (
        await make_room(
            client, host_token, name="Members only", code="sesame42", join_approval=True
        )
    )["room"]
    code = room["link"].removeprefix("/l/")
    _me, my_token = await make_user(client, display_name="Newcomer")

    tab = await open_tab(f"/#/join/{code}", token=my_token)
    page = tab.page
    await wait_online(tab)
    await page.locator(".profile-option", has=page.locator("input[value=main]")).click()
    await page.get_by_label("Participation code").fill("wrong1")
    await page.get_by_role("button", name="Ask to join").click()
    await expect(page.locator("form.join-box .form-error")).to_have_text(
        "That participation code is not right."
    )
    await page.get_by_label("Participation code").fill("sesame42")
    await page.get_by_role("button", name="Ask to join").click()
    await expect(page.get_by_test_id("join-pending")).to_contain_text("waiting for the host")
    await expect(page.locator(".room-item.pending-request")).to_contain_text("Waiting for approval")

    pending = expect_status(
        await client.get(f"/api/rooms/{room['id']}/join-requests", headers=auth(host_token)), 200
    )["requests"]
    assert [r["nickname"] for r in pending] == ["Newcomer"]
    expect_status(
        await client.post(
            f"/api/rooms/{room['id']}/join-requests/{pending[0]['id']}/approve",
            headers=auth(host_token),
        ),
        200,
    )
    # Approved: an invitation the newcomer takes up (the host sees "joined" only then).
    await expect(page.get_by_test_id("join-pending")).to_contain_text("approved your request")
    await expect(page.locator(".room-item.pending-request")).to_contain_text("Approved")
    members = expect_status(
        await client.get(f"/api/rooms/{room['id']}", headers=auth(host_token)), 200
    )
    assert members["member_count"] == 1
    await page.get_by_role("button", name="Enter the room").click()
    item = page.locator(f".room-item[data-room='{room['id']}']")
    await expect(item).to_be_visible()
    await expect(page.locator(".room-item.pending-request")).to_have_count(0)
    await expect(page.get_by_test_id("composer")).to_be_enabled()
    await expect(page.locator(".msg-system", has_text="Newcomer joined")).to_be_visible()
    assert tab.errors == []
