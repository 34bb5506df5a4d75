"""What a person does in the app, as small steps the tests read like a story."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from tests.browser.conftest import Tab


def messages(page: Page) -> Locator:
    """The message bubbles in the open chat (not the pending ones still being sent)."""
    return page.locator("[data-testid=messages] .msg:not(.msg-system)")


def message(page: Page, text: str, *, by: str | None = None) -> Locator:
    """The message whose body (original or translation) contains ``text``; ``by`` "me" or
    "them" keeps only messages I sent or only those someone else did."""
    found = messages(page).filter(has=page.locator(".msg-body", has_text=text))
    if by is not None:
        found = found.and_(page.locator(".msg.mine" if by == "me" else ".msg.theirs"))
    return found


async def pinned(locator: Locator) -> Locator:
    """The same message found by its seq, so that it stays found when its text changes."""
    seq = await locator.get_attribute("data-seq")
    return locator.page.locator(f"[data-testid=messages] .msg[data-seq='{seq}']")


async def wait_online(tab: Tab) -> None:
    await expect(tab.page.get_by_test_id("conn-state")).to_have_attribute("data-state", "online")


async def sign_in(tab: Tab, username: str, password: str) -> None:
    page = tab.page
    await page.locator("input[name=username]").fill(username)
    await page.locator("input[name=password]").fill(password)
    await page.locator("form.auth-form button[type=submit]").click()
    await wait_online(tab)


async def join_open(tab: Tab, nickname: str) -> None:
    """On a room's join page: join under a new open profile (a nickname for this room)."""
    page = tab.page
    await page.locator(".profile-option", has=page.locator("input[value=new]")).click()
    await page.locator(".new-profile input").first.fill(nickname)
    await page.locator("form.join-box button[type=submit]").click()
    await expect(page.get_by_test_id("composer")).to_be_visible()


async def join_main(tab: Tab) -> None:
    page = tab.page
    await page.locator(".profile-option", has=page.locator("input[value=main]")).click()
    await page.locator("form.join-box button[type=submit]").click()
    await expect(page.get_by_test_id("composer")).to_be_visible()


async def send(tab: Tab, text: str) -> None:
    composer = tab.page.get_by_test_id("composer")
    await composer.fill(text)
    await composer.press("Enter")


async def bodies(page: Page) -> list[str]:
    """The text of every message body in the open chat, top to bottom."""
    return await page.locator(
        "[data-testid=messages] .msg:not(.msg-system) .msg-body"
    ).all_inner_texts()
