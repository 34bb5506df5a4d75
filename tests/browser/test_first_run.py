"""A new person's first minutes: browsing before an account, the sign-in card, joining
with the profile used last, a newcomer's refused link, and a search that finds nothing."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from openlink.demo import DEMO_PASSWORD, seed_demo
from tests.browser.conftest import OpenTab, Shot
from tests.browser.helpers import send, wait_online
from tests.conftest import Server
from tests.factories import auth, join, make_room, make_user
from tests.factories import expect as expect_status

pytestmark = pytest.mark.browser

HIKING_JA = "週末ハイキング部"  # a demo room alex is not in


async def test_a_visitor_browses_and_searches_then_signs_in_to_join(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    await seed_demo(server.app.state.ctx)
    tab = await open_tab("/")
    page = tab.page

    # No account yet: the first screen is Discover, with the ways in at the top.
    await expect(page.locator(".disc-section", has_text="Trending now")).to_be_visible()
    await expect(page.locator(".visitor-bar").get_by_role("link", name="Sign in")).to_be_visible()
    await expect(page.locator(".disc-section", has_text="Recommended for you")).to_have_count(0)
    await shot(page, "visitor-discover-desktop")
    await page.locator(".search-input").fill("ハイキング")
    results = page.locator(".disc-section", has_text="Results")
    await results.locator(".room-card", has_text=HIKING_JA).click()

    # The room's preview: its recent messages first, then the way to join it.
    await expect(page.locator("#room-hero-name")).to_have_text(HIKING_JA)
    await expect(page.locator("[data-testid=preview-messages] .msg").first).to_be_visible()
    # The host and the authors still in the room are named by their nicknames.
    await expect(page.get_by_test_id("preview-messages")).not_to_contain_text("Former member")
    visitor_join = page.get_by_test_id("visitor-join")
    await expect(visitor_join).to_contain_text("Sign in or create an account to join")
    await shot(page, "visitor-preview-desktop")
    await visitor_join.get_by_role("link", name="Sign in").click()

    # Signing in comes back to the room, ready to join.
    await page.locator("input[name=username]").fill("alex")
    await page.locator("input[name=password]").fill(DEMO_PASSWORD)
    await page.locator("form.auth-form button[type=submit]").click()
    await wait_online(tab)
    await expect(page.locator("#room-hero-name")).to_have_text(HIKING_JA)
    join_button = page.locator("form.join-box button[type=submit]")
    await expect(join_button).to_be_focused()
    assert "join=1" in page.url
    await page.locator(".new-profile input").first.fill("Trail Alex")
    await join_button.click()
    await expect(page.get_by_test_id("composer")).to_be_visible()
    await expect(page.locator(f".room-item:has-text('{HIKING_JA}')")).to_be_visible()

    phone = await open_tab("/#/discover", phone=True)
    await expect(phone.page.locator(".disc-section", has_text="Trending now")).to_be_visible()
    await shot(phone.page, "visitor-discover-phone")
    assert tab.errors == [] and phone.errors == []


@pytest.mark.settings(demo=True)
async def test_the_sign_in_card_names_the_demo_accounts(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    await seed_demo(server.app.state.ctx)
    # GET /api/instance says the demo was seeded (tests/api/test_visitors.py covers the
    # instance without one, where the app says nothing).
    tab = await open_tab("/#/signin")
    page = tab.page
    await expect(page.locator("form.auth-form")).to_be_visible()
    note = page.get_by_test_id("demo-note")
    await expect(note).to_contain_text(f"sign in with the password {DEMO_PASSWORD}")
    await shot(page, "signin-demo-desktop")
    await note.get_by_role("button", name="haruto").click()
    await expect(page.locator("input[name=username]")).to_have_value("haruto")
    await page.locator("form.auth-form button[type=submit]").click()
    await wait_online(tab)
    assert tab.errors == []


async def test_the_join_box_starts_on_the_profile_used_last(
    client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    _host, host_token = await make_user(client)
    first = (await make_room(client, host_token, name="Board games"))["room"]
    second = (await make_room(client, host_token, name="Card games"))["room"]
    _me, token = await make_user(client, display_name="Sam Main")
    for nickname in ("Meeple", "Dealer"):
        expect_status(
            await client.post(
                "/api/me/open-profiles", json={"nickname": nickname}, headers=auth(token)
            ),
            201,
        )

    # No join yet: the newest saved profile, not an empty new one.
    tab = await open_tab(f"/#/preview/{first['id']}", token=token)
    page = tab.page
    await wait_online(tab)
    chosen = page.locator(".profile-option:has(input:checked)")
    await expect(chosen).to_contain_text("Dealer")
    await expect(page.locator(".new-profile")).to_be_hidden()
    # The preview comes first, the join box after it.
    await expect(page.locator(".preview-messages + form.join-box")).to_be_visible()
    await shot(page, "join-compact-desktop")
    await page.locator(".profile-option", has_text="Meeple").click()
    await page.locator("form.join-box button[type=submit]").click()
    await expect(page.get_by_test_id("composer")).to_be_visible()

    # The next room starts on the profile used last.
    await page.goto(f"{tab.page.url.split('#')[0]}#/preview/{second['id']}")
    await expect(page.locator(".profile-option:has(input:checked)")).to_contain_text("Meeple")
    phone = await open_tab(f"/#/preview/{second['id']}", token=token, phone=True)
    await expect(phone.page.locator("form.join-box button[type=submit]")).to_be_visible()
    await shot(phone.page, "join-compact-phone")
    assert tab.errors == [] and phone.errors == []


async def test_a_newcomers_link_says_when_links_are_allowed(
    client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    _host, host_token = await make_user(client)
    room = (await make_room(client, host_token, name="Careful room", probation_s=3600))["room"]
    _me, token = await make_user(client)
    await join(client, token, room["link"], profile={"kind": "open", "nickname": "Newbie"})
    tab = await open_tab(f"/#/room/{room['id']}", token=token)
    page = tab.page
    await wait_online(tab)
    await send(tab, "look at https://example.com/shop")

    refused = page.locator(".msg.pending.failed", has_text="https://example.com/shop")
    await expect(refused.locator(".pending-state")).to_have_text(
        re.compile(r"newcomers can post links in (1 hour|59 min)")
    )
    # Sending it again cannot work before then: no retry, but the text back to change it.
    await expect(refused.get_by_role("button", name="Retry")).to_have_count(0)
    await shot(page, "probation-link-desktop")
    await refused.get_by_role("button", name="Edit").click()
    await expect(page.get_by_test_id("composer")).to_have_value("look at https://example.com/shop")
    await expect(refused).to_have_count(0)
    assert tab.errors == []


@pytest.mark.settings(embedder="none")
async def test_an_empty_search_offers_to_create_that_room(
    client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    _me, token = await make_user(client)
    tab = await open_tab("/#/discover?q=axolotl", token=token)
    page = tab.page
    await wait_online(tab)
    empty = page.get_by_test_id("no-results")
    await expect(empty).to_contain_text("No rooms found")
    await shot(page, "search-empty-desktop")
    await empty.get_by_role("link", name="Create a room about “axolotl”").click()
    await expect(page.locator(".create-form input").first).to_have_value("axolotl")
    # The room's language is asked, starting from the creator's reading language.
    await expect(page.get_by_test_id("room-language")).to_have_value("en")
    await page.get_by_test_id("room-language").select_option("pt")
    await page.locator(".create-form button[type=submit]").click()
    await expect(page.get_by_test_id("composer")).to_be_visible()
    rooms = expect_status(await client.get("/api/rooms", headers=auth(token)), 200)["rooms"]
    assert [(r["name"], [t["name"] for t in r["tags"]], r["language"]) for r in rooms] == [
        ("axolotl", ["axolotl"], "pt")
    ]

    # A visitor is asked to sign in first, and comes back to the same prefilled form.
    visitor = await open_tab("/#/discover?q=axolotl%20care")
    await visitor.page.get_by_role("link", name="Create a room about “axolotl care”").click()
    await expect(visitor.page.locator("form.auth-form")).to_be_visible()
    assert "next=%2Fnew%3Fname%3Daxolotl" in visitor.page.url
    assert tab.errors == [] and visitor.errors == []
