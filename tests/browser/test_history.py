"""A long room stays fast: the page holds a bounded window of messages, loads older ones
from history when scrolled up, and lets them go again on the way back down."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import OpenTab
from tests.browser.helpers import message
from tests.conftest import Server
from tests.factories import join, make_room, make_user, open_socket

# Room search is not used here: no embedder to load beside the browser.
pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]

TOTAL = 330
MAX_ROWS = 200  # views/chat.js MAX_ROWS


def body(i: int) -> str:
    return f"message {i:03d}"


async def edge_seq(page: Page, which: str) -> str:
    return await page.evaluate(
        f"document.querySelector('[data-testid=messages] .msg-row:{which}-child').dataset.seq"
    )


async def scroll_until(page: Page, to_top: bool, done: Locator) -> int:
    """Scroll to one end again and again until ``done`` shows; returns the most rows seen."""
    most = 0
    for _ in range(40):
        most = max(most, await page.locator("[data-testid=messages] .msg-row").count())
        if await done.is_visible():
            return most
        edge = await edge_seq(page, "first" if to_top else "last")
        await page.evaluate(
            "(top) => { const s = document.querySelector('.msg-scroll');"
            " s.scrollTop = top ? 0 : s.scrollHeight; }",
            to_top,
        )
        await page.wait_for_function(
            "([which, seq]) => document.querySelector("
            "`[data-testid=messages] .msg-row:${which}-child`).dataset.seq !== seq",
            arg=["first" if to_top else "last", edge],
        )
    raise AssertionError(f"{done!r} never showed")


async def test_a_long_room_keeps_a_bounded_window(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    _host, host_token = await make_user(client)
    room = (await make_room(client, host_token))["room"]
    _me, my_token = await make_user(client)
    await join(client, my_token, room["link"])
    host = await open_socket(server.ws_url, host_token)
    await host.send_many(room["id"], [body(i) for i in range(1, TOTAL + 1)])

    tab = await open_tab(f"/#/room/{room['id']}", token=my_token)
    page = tab.page
    rows = page.locator("[data-testid=messages] .msg-row")
    await expect(message(page, body(TOTAL))).to_be_visible()
    assert await rows.count() <= MAX_ROWS

    beginning = page.locator(".list-edge", has_text="This is the beginning of the room.")
    most = await scroll_until(page, to_top=True, done=beginning)
    await expect(message(page, body(1))).to_be_visible()
    assert most <= MAX_ROWS
    assert await rows.count() <= MAX_ROWS
    assert await message(page, body(TOTAL)).count() == 0  # the newest were let go

    # New messages while reading old ones: counted on the way back, not drawn yet.
    await host.send_and_ack(room["id"], "live 1")
    await expect(page.locator(".jump-btn")).to_contain_text("1 new message")
    most = await scroll_until(page, to_top=False, done=message(page, "live 1"))
    assert most <= MAX_ROWS
    await expect(page.locator(".jump-btn")).to_be_hidden()
    # At the very bottom, the window follows what arrives (and drops rows from the top).
    await page.evaluate(
        "() => { const s = document.querySelector('.msg-scroll'); s.scrollTop = s.scrollHeight; }"
    )
    await page.wait_for_function(
        "() => { const s = document.querySelector('.msg-scroll');"
        " return s.scrollHeight - s.scrollTop - s.clientHeight < 2; }"
    )
    await host.send_and_ack(room["id"], "live 2")
    await expect(message(page, "live 2")).to_be_visible()
    assert await rows.count() <= MAX_ROWS
    assert await message(page, body(1)).count() == 0
    shown = await page.locator(
        "[data-testid=messages] .msg:not(.msg-system) .msg-body"
    ).all_inner_texts()
    assert shown[-3:] == [body(TOTAL), "live 1", "live 2"]
    assert len(shown) == len(set(shown))  # no message twice
    assert tab.errors == []
