"""Replies, mentions, reactions, edits and deletes, made in one browser and seen live in
another; unread badges and typing on the way."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenTab
from tests.browser.helpers import message, pinned, send, wait_online
from tests.conftest import Server
from tests.factories import join, make_room, make_user

# Room search is not used here: no embedder to load beside the browser.
pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]


async def test_reply_mention_react_edit_and_delete_show_live_on_the_other_side(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    _host, host_token = await make_user(client)
    room = (await make_room(client, host_token, name="Book club"))["room"]
    other = (await make_room(client, host_token, name="Another room"))["room"]
    _ann, ann_token = await make_user(client)
    _bo, bo_token = await make_user(client)
    await join(client, ann_token, room["link"], profile={"kind": "open", "nickname": "Ann"})
    await join(client, bo_token, room["link"], profile={"kind": "open", "nickname": "Bo"})
    await join(client, bo_token, other["link"])

    ann = await open_tab(f"/#/room/{room['id']}", token=ann_token)
    bo = await open_tab(f"/#/room/{other['id']}", token=bo_token)  # looking elsewhere
    await wait_online(ann)
    await wait_online(bo)

    await send(ann, "Who finished chapter 3?")
    badge = bo.page.locator(f".room-item[data-room='{room['id']}']").get_by_test_id("unread")
    await expect(badge).to_have_text("1")
    await bo.page.locator(f".room-item[data-room='{room['id']}']").click()
    question = await pinned(message(bo.page, "chapter 3"))
    await expect(question).to_be_visible()
    await expect(badge).to_have_count(0)

    # Bo replies to it and mentions Ann, picking her from the suggestions.
    await question.hover()
    await question.get_by_role("button", name="Reply").click()
    composer = bo.page.get_by_test_id("composer")
    await composer.press_sequentially("Me! @An")
    await bo.page.get_by_role("option", name="Ann").click()
    await composer.press_sequentially("it was great")
    await expect(ann.page.locator(".typing-line")).to_contain_text("Bo is typing")
    await composer.press("Enter")
    answer = message(ann.page, "it was great")
    await expect(answer).to_be_visible()
    await expect(answer.locator(".msg-quote")).to_contain_text("Who finished chapter 3?")
    await expect(answer.locator(".mention.mention-me")).to_have_text("@Ann")
    await expect(answer).to_have_class("msg theirs kind-text mentions-me")
    await expect(ann.page.locator(".typing-line")).to_have_text("")

    # Ann reacts; Bo sees the count.
    await answer.hover()
    await answer.get_by_role("button", name="React").click()
    await ann.page.get_by_role("menuitem", name="❤️").click()
    await expect(answer.locator(".reaction.mine")).to_contain_text("❤️1")
    await expect(message(bo.page, "it was great").locator(".reaction")).to_contain_text("❤️1")

    # Ann edits her question (Up in an empty box) and deletes it; Bo sees both.
    composer = ann.page.get_by_test_id("composer")
    await composer.click()
    await composer.press("ArrowUp")
    await expect(ann.page.locator(".composer-context")).to_contain_text("Editing")
    await composer.fill("Who finished chapter 4?")
    await composer.press("Enter")
    await expect(question.locator(".msg-body")).to_have_text("Who finished chapter 4?")
    await expect(question.locator(".edited")).to_be_visible()
    mine = message(ann.page, "chapter 4", by="me")
    await mine.hover()
    await mine.get_by_role("button", name="More actions").click()
    await ann.page.get_by_role("menuitem", name="Delete").click()
    await ann.page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    await expect(question.locator(".msg-body")).to_have_text("This message was deleted.")
    await expect(message(bo.page, "it was great").locator(".msg-quote")).to_contain_text(
        "This message was deleted."
    )
    assert ann.errors == [] and bo.errors == []
