"""The host tools panel in the browser: a host (and a co-host) running a room while
members, each in their own browser, see the effect."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Locator, expect

from tests.browser.conftest import OpenTab, Shot, Tab
from tests.browser.helpers import message, send, wait_online
from tests.conftest import Server
from tests.factories import make_video
from tests.factory import InRoom, Room, room, user

pytestmark = pytest.mark.browser


# -- steps -----------------------------------------------------------------------------


async def open_room(open_tab: OpenTab, who: InRoom, **kwargs: Any) -> Tab:
    """A person's browser, signed in, showing the room."""
    tab = await open_tab(f"/#/room/{who.room.id}", token=who.token, **kwargs)
    await wait_online(tab)
    await expect(tab.page.get_by_test_id("composer")).to_be_visible()
    return tab


async def open_host_tools(tab: Tab, button: str = "Host tools") -> Locator:
    page = tab.page
    await page.get_by_role("button", name=button).click()
    panel = page.locator(".ht-panel")
    await expect(panel.get_by_role("tablist")).to_be_visible()
    return panel


async def open_section(panel: Locator, name: str) -> Locator:
    """Click a section's tab; returns its (now visible) tab panel."""
    await panel.get_by_role("tab", name=name).click()
    pane = panel.get_by_role("tabpanel", name=name)
    await expect(pane).to_be_visible()
    return pane


async def open_message_menu(tab: Tab, text: str) -> None:
    """Hover a message and open its "More actions" menu."""
    bubble = message(tab.page, text)
    await bubble.hover()
    await bubble.get_by_role("button", name="More actions").click()


async def room_with_member(client: httpx.AsyncClient, **room_fields: Any) -> Room:
    """Hana's room "Night owls" with one member, ``r.mallory`` (open profile "Mallory")."""
    return await room(
        client,
        ["host", "mallory"],
        accounts={
            "host": {"name": "hana", "display_name": "Hana"},
            "mallory": {"name": "mallory", "display_name": "Mallory M"},
        },
        nicknames={"mallory": "Mallory"},
        name="Night owls",
        **room_fields,
    )


async def hanas_room(client: httpx.AsyncClient, name: str, **room_fields: Any) -> Room:
    """A room of hana's, with nobody else in it."""
    return await (await user(client, "hana")).create_room(name=name, **room_fields)


async def ask_to_join(r: Room, nickname: str) -> InRoom:
    """Someone new asks to join a room that wants approval."""
    applicant = (await user(r.client, nickname.lower())).at(r)
    await applicant.join(r, nickname=nickname, status=202)
    return applicant


# -- tests -----------------------------------------------------------------------------


async def test_a_hidden_message_disappears_from_a_members_browser(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await room_with_member(client)
    spam = await r.mallory.send("Cheap watches at watches.example")
    host = await open_room(open_tab, r.host)
    member = await open_room(open_tab, r.mallory)
    await expect(message(member.page, "Cheap watches")).to_be_visible()

    # From the message's own menu (messageActions, shown by the chat view).
    await open_message_menu(host, "Cheap watches")
    await host.page.get_by_role("menuitem", name="Hide message").click()

    # Gone from the member's screen at once, replaced by the moderator's mark.
    await expect(message(member.page, "Cheap watches")).to_have_count(0)
    await expect(member.page.locator(".msg.hidden-msg")).to_contain_text("hidden by a moderator")

    # The panel lists it: the host can still read it, and show it again.
    panel = await open_host_tools(host)
    pane = await open_section(panel, "Hidden messages")
    hidden = pane.get_by_role("list", name="Hidden messages").get_by_role("listitem")
    await expect(hidden).to_have_count(1)
    await hidden.get_by_role("button", name="Read it").click()
    await expect(hidden).to_contain_text("Cheap watches at watches.example")
    await hidden.get_by_role("button", name="Show again").click()
    await expect(message(member.page, "Cheap watches")).to_be_visible()
    await expect(pane.get_by_role("list", name="Hidden messages")).to_contain_text(
        "No hidden messages"
    )

    # Or by its number, with a reason for the log.
    seq = spam["seq"]
    await pane.get_by_label("Message number").fill(str(seq))
    await pane.get_by_label("Reason").fill("spam")
    await pane.get_by_role("button", name="Hide message").click()
    await expect(pane.get_by_role("status")).to_contain_text(f"#{seq} is hidden")
    await expect(message(member.page, "Cheap watches")).to_have_count(0)
    assert not host.errors and not member.errors


async def test_slow_mode_set_in_the_panel_refuses_a_members_quick_second_message(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await room_with_member(client)
    host = await open_room(open_tab, r.host)
    member = await open_room(open_tab, r.mallory)

    panel = await open_host_tools(host)
    pane = await open_section(panel, "Settings")
    await pane.get_by_label("Slow mode").select_option("30")
    await pane.get_by_role("button", name="Save").click()
    await expect(pane.get_by_role("status")).to_have_text("Saved.")
    assert (await r.host.view())["slow_mode_s"] == 30

    await send(member, "first, in time")
    await expect(message(member.page, "first, in time")).to_be_visible()
    await send(member, "second, too soon")
    refused = member.page.locator(".msg.pending.failed", has_text="second, too soon")
    await expect(refused.locator(".pending-state")).to_contain_text("Slow mode")
    # The host is not slowed down.
    await host.page.keyboard.press("Escape")  # the drawer is modal: close it to chat
    await expect(panel).to_be_hidden()
    await send(host, "hosts may write")
    await send(host, "as often as they like")
    await expect(message(member.page, "as often as they like")).to_be_visible()
    assert not host.errors and not member.errors


async def test_a_new_link_shows_its_qr_code_and_the_old_one_stops(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await hanas_room(client, "Book club")
    old_code = r.link_code
    host = await open_room(open_tab, r.host)
    await host.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)

    panel = await open_host_tools(host)
    pane = await open_section(panel, "Link")
    url = pane.get_by_label("Room link")
    await expect(url).to_have_value(f"{server.url}/l/{old_code}")
    await expect(pane.locator("img")).to_have_attribute("src", f"/l/{old_code}/qr.svg")

    await pane.get_by_label("Maximum uses").fill("30")
    await pane.get_by_role("button", name="New link").click()
    dialog = host.page.get_by_role("dialog", name="New link")
    await expect(dialog).to_contain_text("stops working")
    await dialog.get_by_role("button", name="New link").click()
    await expect(dialog).to_be_hidden()
    await expect(url).not_to_have_value(f"{server.url}/l/{old_code}")

    fresh = await r.host.view()
    new_code = fresh["link"].removeprefix("/l/")
    assert new_code != old_code and fresh["link_max_uses"] == 30
    await expect(url).to_have_value(f"{server.url}/l/{new_code}")
    qr = pane.get_by_role("img", name="QR code")
    await expect(qr).to_have_attribute("src", f"/l/{new_code}/qr.svg")
    assert await qr.evaluate("i => i.decode().then(() => i.naturalWidth)") > 0  # a real image
    await expect(pane).to_contain_text("limit 30")
    assert (await client.get(f"/api/links/{old_code}")).status_code == 404

    await pane.get_by_role("button", name="Copy link").click()
    await expect(pane.get_by_role("status")).to_have_text("Link copied.")
    copied = await host.page.evaluate("navigator.clipboard.readText()")
    assert copied == f"{server.url}/l/{new_code}"
    assert not host.errors


async def test_the_glossary_editor_saves_terms_with_renderings(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await hanas_room(client, "Solo leveling readers")
    host = await open_room(open_tab, r.host)

    panel = await open_host_tools(host)
    pane = await open_section(panel, "Glossary")
    terms = pane.get_by_role("list", name="Glossary terms").get_by_role("listitem")
    await expect(terms).to_have_count(1)  # an empty row to start with
    await terms.nth(0).get_by_label("Term").fill("Jinwoo")
    await pane.get_by_role("button", name="Add term").click()
    second = terms.nth(1)
    await second.get_by_label("Term").fill("Shadow Monarch")
    await second.get_by_role("button", name="Add a language").click()
    await second.get_by_label("Language code").fill("ko")
    await second.get_by_label("Rendering in that language").fill("그림자 군주")
    await pane.get_by_role("button", name="Save").click()
    await expect(pane.get_by_role("status")).to_have_text("Glossary saved (2 terms).")

    assert await r.host.room_api("GET", "/glossary") == {
        "terms": [
            {"term": "Jinwoo", "translations": {}},
            {"term": "Shadow Monarch", "translations": {"ko": "그림자 군주"}},
        ]
    }

    # A refusal from the server is shown in the form, with its message.
    await pane.get_by_role("button", name="Add term").click()
    await terms.nth(2).get_by_label("Term").fill("jinwoo")
    await pane.get_by_role("button", name="Save").click()
    await expect(pane.get_by_role("alert")).to_be_visible()
    await expect(pane.get_by_role("alert")).not_to_be_empty()

    # Opened again later, the panel shows what was saved.
    await host.page.reload()
    await wait_online(host)
    panel = await open_host_tools(host)
    pane = await open_section(panel, "Glossary")
    await expect(terms.nth(1).get_by_label("Term")).to_have_value("Shadow Monarch")
    await expect(terms.nth(1).get_by_label("Rendering in that language")).to_have_value(
        "그림자 군주"
    )
    assert not host.errors


async def test_join_requests_arrive_live_and_are_approved(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await hanas_room(client, "Invite only", join_approval=True)
    host = await open_room(open_tab, r.host)
    panel = await open_host_tools(host)
    pane = await open_section(panel, "Join requests")
    await expect(pane).to_contain_text("No one is waiting")

    applicant = await ask_to_join(r, "June")
    request = pane.get_by_role("list", name="Pending join requests").get_by_role("listitem")
    await expect(request).to_contain_text("June")  # live, over the WebSocket
    await expect(panel.get_by_role("tab", name="Join requests")).to_contain_text("1")
    await request.get_by_role("button", name="Approve").click()
    await expect(pane.get_by_role("status")).to_contain_text("June is approved")
    await expect(request).to_contain_text("No one is waiting")
    # Coming in is June's own step.
    june = await applicant.come_in()
    assert (await june.view())["me"]["nickname"] == "June"
    assert not host.errors


async def test_a_cohost_gets_only_the_tools_of_their_rights(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await room_with_member(client)
    host = await open_room(open_tab, r.host)
    panel = await open_host_tools(host)
    pane = await open_section(panel, "Co-hosts")
    await pane.get_by_label("Member", exact=True).select_option(r.mallory.id)
    rights = pane.get_by_role("group", name="Rights")
    await rights.get_by_label("Hide messages").uncheck()
    await rights.get_by_label("Time-outs").uncheck()
    await rights.get_by_label("Notices").check()
    await pane.get_by_role("button", name="Appoint").click()
    await expect(pane.get_by_role("status")).to_contain_text("Mallory is a co-host.")
    me = (await r.mallory.view())["me"]
    assert me["role"] == "cohost" and me["rights"] == ["notice"]

    cohost = await open_room(open_tab, r.mallory)
    cohost_panel = await open_host_tools(cohost)
    tabs = await cohost_panel.get_by_role("tab").all_inner_texts()
    assert [t.strip() for t in tabs] == ["Notice", "Reports", "Log"]
    notice = await open_section(cohost_panel, "Notice")
    await notice.get_by_label("Notice text").fill("Quiet hours after midnight.")
    await notice.get_by_role("button", name="Post notice").click()
    await expect(notice).to_contain_text("is pinned")
    await expect(notice.locator("blockquote")).to_have_text("Quiet hours after midnight.")
    assert (await r.host.view())["pinned_seq"] is not None

    # The host's log names who did it.
    log = await open_section(panel, "Log")
    await expect(log.get_by_role("listitem").first).to_contain_text("Mallory posted a notice")
    assert not host.errors and not cohost.errors


async def test_the_message_menu_times_out_its_sender(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await room_with_member(client)
    await r.mallory.send("shouting AGAIN")
    await r.host.send("calm down please")
    host = await open_room(open_tab, r.host)
    member = await open_room(open_tab, r.mallory)

    # A member's menu on the host's message has no moderation in it.
    await open_message_menu(member, "calm down please")
    menu = member.page.get_by_role("menu")
    await expect(menu.get_by_role("menuitem", name="Reply")).to_be_visible()
    for name in ("Hide message", "Time out", "Kick", "Ban"):
        await expect(menu.get_by_role("menuitem", name=name)).to_have_count(0)
    await member.page.keyboard.press("Escape")

    await open_message_menu(host, "shouting AGAIN")
    menu = host.page.get_by_role("menu")
    for name in ("Hide message", "Kick", "Ban"):
        await expect(menu.get_by_role("menuitem", name=name)).to_be_visible()
    await menu.get_by_role("menuitem", name="Time out").click()
    dialog = host.page.get_by_role("dialog", name="Time out Mallory")
    await dialog.get_by_label("For how long").select_option("3600")
    await dialog.get_by_role("button", name="Time out").click()
    await expect(dialog).to_be_hidden()

    me = (await r.mallory.view())["me"]
    assert "timed_out_until" in me
    # The member's app learns it live: read-only until the time-out ends.
    await expect(member.page.get_by_test_id("composer")).to_be_disabled()
    assert not host.errors and not member.errors


def png(color: tuple[int, int, int]) -> bytes:
    """A small picture to upload as a cover."""
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, format="PNG")
    return out.getvalue()


async def test_room_info_is_edited_in_the_panel_and_members_see_it(
    client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    r = await room_with_member(client)
    host = await open_room(open_tab, r.host)
    member = await open_room(open_tab, r.mallory)

    # Nothing waits for the host: the panel opens on the room's own info.
    panel = await open_host_tools(host)
    await expect(panel.get_by_role("tab", name="Room info")).to_have_attribute(
        "aria-selected", "true"
    )
    pane = panel.get_by_role("tabpanel", name="Room info")
    await expect(pane.get_by_label("Name", exact=True)).to_have_value("Night owls")
    await pane.get_by_label("Name", exact=True).fill("Night owls club")
    await pane.get_by_label("Description").fill("For people awake at 3 a.m.")
    await pane.get_by_label("Tags", exact=True).fill("owls, insomnia")
    await pane.get_by_label("Kind of new tags").select_option("place")
    await pane.get_by_label("Member cap").fill("50")
    await pane.get_by_label("New code").fill("hoot123")
    await pane.get_by_label("Upload a new cover").set_input_files(
        files=[{"name": "cover.png", "mimeType": "image/png", "buffer": png((40, 90, 160))}]
    )
    await pane.get_by_role("button", name="Save").click()
    await expect(pane.get_by_role("status")).to_have_text("Saved.")
    await expect(pane.get_by_test_id("code-state")).to_contain_text("need the participation code")
    await shot(host.page, "host-tools-room-info-desktop")

    saved = await r.host.view()
    assert saved["name"] == "Night owls club"
    assert saved["description"] == "For people awake at 3 a.m."
    assert sorted(saved["tags"], key=lambda tag: tag["name"]) == [
        {"name": "insomnia", "category": "place"},
        {"name": "owls", "category": "place"},
    ]
    assert saved["member_cap"] == 50 and saved["has_code"] is True
    assert saved["cover_url"].startswith("/api/images/")
    # The member's chat follows at once: the new name and cover in its header.
    await expect(member.page.locator(".chat-head h2")).to_have_text("Night owls club")
    await expect(member.page.locator(f".chat-head img[src='{saved['cover_url']}']")).to_be_visible()

    # Taking the code and the cover away again.
    await pane.get_by_label("Remove the code").check()
    await pane.get_by_label("Remove the cover").check()
    await pane.get_by_role("button", name="Save").click()
    await expect(pane.get_by_test_id("code-state")).to_contain_text("anyone may join")
    saved = await r.host.view()
    assert saved["has_code"] is False and saved["cover_url"] is None
    assert not host.errors and not member.errors


async def test_the_panel_opens_on_join_requests_when_someone_waits(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await hanas_room(client, "Invite only", join_approval=True)
    await ask_to_join(r, "June")
    host = await open_room(open_tab, r.host)
    panel = await open_host_tools(host)
    await expect(panel.get_by_role("tab", name="Join requests")).to_have_attribute(
        "aria-selected", "true"
    )
    await expect(panel.get_by_role("tabpanel", name="Join requests")).to_contain_text("June")
    assert not host.errors


async def test_host_panel_screenshots_at_desktop_and_phone_width(
    client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    r = await room_with_member(client)
    sent = await r.mallory.send("Join my other chat: t.me/spam")
    await r.host.report(seq=sent["seq"], reason="spam", note="Advertising in every room")
    await r.host.add_rule(name="Invites", kind="regex", patterns=["(?i)t\\.me/\\w+"], action="hide")

    desktop = await open_room(open_tab, r.host)
    panel = await open_host_tools(desktop)
    await expect(panel.get_by_role("tab", name="Reports")).to_contain_text("1")
    await open_section(panel, "Members")
    await expect(panel.get_by_role("list", name="Members", exact=True)).to_contain_text("Mallory")
    await shot(desktop.page, "host-tools-members-desktop")
    reports = await open_section(panel, "Reports")
    await expect(reports).to_contain_text("Advertising in every room")
    await shot(desktop.page, "host-tools-reports-desktop")

    # The tab list is keyboard-driven: arrows move between sections.
    await panel.get_by_role("tab", name="Reports").focus()
    await desktop.page.keyboard.press("ArrowRight")
    await expect(panel.get_by_role("tab", name="Log")).to_be_focused()
    await expect(panel.get_by_role("tab", name="Log")).to_have_attribute("aria-selected", "true")

    phone = await open_room(open_tab, r.host, phone=True)
    panel = await open_host_tools(phone)
    await open_section(panel, "Automod")
    await expect(panel.get_by_role("list", name="Automod rules")).to_contain_text("Invites")
    await shot(phone.page, "host-tools-automod-phone")
    await open_section(panel, "Link")
    await shot(phone.page, "host-tools-link-phone")
    # Nothing wider than the phone: no sideways scrolling in the drawer.
    overflow = await panel.evaluate("p => p.scrollWidth - p.clientWidth")
    assert overflow <= 0
    members = await open_section(panel, "Members")
    await (
        members.get_by_role("listitem")
        .filter(has_text="Mallory")
        .get_by_role("button", name="Ban")
        .click()
    )
    await expect(phone.page.get_by_role("dialog", name="Ban Mallory")).to_be_visible()
    await shot(phone.page, "host-tools-ban-dialog-phone")
    assert not desktop.errors and not phone.errors


async def test_an_automod_rule_added_in_the_panel_blocks_a_members_message(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await room_with_member(client)
    host = await open_room(open_tab, r.host)
    member = await open_room(open_tab, r.mallory)

    panel = await open_host_tools(host)
    pane = await open_section(panel, "Automod")
    await pane.get_by_label("Name", exact=True).fill("No casinos")
    await pane.get_by_label("One per line").fill("casino*\njackpot")
    await pane.get_by_label("Then").select_option("block")
    await pane.get_by_role("button", name="Add rule").click()
    rules = pane.get_by_role("list", name="Automod rules").get_by_role("listitem")
    await expect(rules).to_have_count(1)
    await expect(rules).to_contain_text("No casinos")

    await send(member, "best casinos in town")
    refused = member.page.locator(".msg.pending.failed", has_text="best casinos in town")
    await expect(refused.locator(".pending-state")).to_contain_text("filter refused")

    # A regex the server refuses is reported in the form, with the server's words.
    await pane.get_by_label("Name", exact=True).fill("Broken")
    await pane.get_by_label("Kind").select_option("regex")
    await pane.get_by_label("One per line").fill("(a")
    await pane.get_by_role("button", name="Add rule").click()
    await expect(pane.get_by_role("alert")).to_contain_text("(a")

    await rules.first.get_by_role("button", name="Delete").click()
    await (
        host.page.get_by_role("dialog", name="Delete rule")
        .get_by_role("button", name="Delete")
        .click()
    )
    await expect(rules).to_have_text("No rules yet.")
    assert not host.errors and not member.errors


async def test_the_host_bot_is_set_up_in_the_panel(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await hanas_room(client, "Help desk")
    host = await open_room(open_tab, r.host)
    panel = await open_host_tools(host)
    pane = await open_section(panel, "Host bot")

    await pane.get_by_label("Welcome message").fill("Welcome, {nickname}! Read the notice.")
    await pane.get_by_role("button", name="Add answer").click()
    answer = pane.get_by_role("list", name="Answers to keywords").get_by_role("listitem")
    await answer.get_by_label("Keywords").fill("rules, 규칙")
    await answer.get_by_label("Answer").fill("The rules are in the pinned notice.")
    await pane.get_by_role("button", name="Save").click()
    await expect(pane.get_by_role("status")).to_have_text("Saved.")

    await pane.get_by_label("Notice text").fill("Weekly meetup on Friday!")
    await pane.get_by_label("Repeat every").select_option("604800")
    await pane.get_by_role("button", name="Add scheduled notice").click()
    schedules = pane.get_by_role("list", name="Scheduled notices").get_by_role("listitem")
    await expect(schedules).to_contain_text("Weekly meetup on Friday!")

    bot = await r.host.bot()
    assert bot["welcome"] == "Welcome, {nickname}! Read the notice."
    assert bot["answers"] == [
        {"keywords": ["rules", "규칙"], "answer": "The rules are in the pinned notice."}
    ]
    assert [s["interval_s"] for s in await r.host.schedules()] == [604800]
    assert not host.errors


async def test_a_ban_from_the_members_list_keeps_them_out_until_lifted(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await room_with_member(client)
    host = await open_room(open_tab, r.host)
    panel = await open_host_tools(host)
    pane = await open_section(panel, "Members")
    mallory = (
        pane.get_by_role("list", name="Members", exact=True)
        .get_by_role("listitem")
        .filter(has_text="Mallory")
    )
    await mallory.get_by_role("button", name="Ban").click()
    dialog = host.page.get_by_role("dialog", name="Ban Mallory")
    await dialog.get_by_label("Ban length").select_option("604800")
    await dialog.get_by_label("Reason").fill("spam links")
    await dialog.get_by_role("button", name="Ban").click()
    await expect(dialog).to_be_hidden()
    await expect(mallory).to_have_count(0)

    bans = pane.get_by_role("list", name="Banned members").get_by_role("listitem")
    await expect(bans).to_contain_text("Mallory")
    await expect(bans).to_contain_text("spam links")
    assert await r.mallory.join(r, status=403) == "banned"

    await bans.get_by_role("button", name="Lift ban").click()
    await expect(bans).to_have_text("Nobody is banned.")
    await r.mallory.join(r)
    assert not host.errors


async def test_handing_the_room_over_leaves_the_old_host_without_tools(
    client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await room_with_member(client)
    host = await open_room(open_tab, r.host)
    panel = await open_host_tools(host)
    pane = await open_section(panel, "Co-hosts")
    await pane.get_by_label("New host").select_option(r.mallory.id)
    await pane.get_by_role("button", name="Hand over").click()
    dialog = host.page.get_by_role("dialog", name="Hand over")
    await expect(dialog).to_contain_text("Make Mallory the host")
    await dialog.get_by_role("button", name="Hand over").click()
    await expect(panel).to_contain_text("You have no host tools in this room.")
    assert (await r.mallory.view())["me"]["role"] == "host"
    assert not host.errors


async def test_the_panel_speaks_the_hosts_language(
    client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    minji = await user(client, "minji", language="ko", display_name="민지")
    r = await minji.create_room(name="주말 등산 모임", slow_mode_s=30)
    host = await open_room(open_tab, r.host, locale="ko-KR", phone=True)
    panel = await open_host_tools(host, "방장 도구")
    await expect(panel.get_by_role("tab", name="참여 신청")).to_be_visible()
    pane = await open_section(panel, "설정")
    await expect(pane.get_by_label("슬로 모드")).to_have_value("30")
    await expect(pane.get_by_label("슬로 모드").locator("option:checked")).to_have_text("30초")
    await shot(host.page, "host-tools-settings-phone-ko")
    assert not host.errors


async def test_a_reported_clip_arrives_in_the_reports_section_and_is_hidden_from_there(
    server: Server, client: httpx.AsyncClient, open_tab: OpenTab
) -> None:
    r = await room(
        client,
        ["host", "poster", "reporter"],
        nicknames={"poster": "Cat Person", "reporter": "Watcher"},
    )
    media = await make_video(server.app.state.ctx, client, r.poster.token, r.id)
    body = {"media": media, "room": r.id, "caption": "Buy my course"}
    clip = await r.poster.api("POST", "/api/clips", json=body, status=201)
    host = await open_room(open_tab, r.host)
    reports = await open_section(await open_host_tools(host), "Reports")
    listed = reports.get_by_test_id("clip-reports")
    await expect(listed).to_contain_text("No reported clips.")

    # Reported while the panel is open: it arrives live, with who reported it.
    report = {"reason": "spam", "note": "Selling in every room"}
    await r.reporter.api("POST", f"/api/clips/{clip['id']}/reports", json=report, status=201)
    await expect(listed).to_contain_text("Buy my course")
    await expect(listed).to_contain_text("Reported by Watcher")
    await expect(listed).to_contain_text("Selling in every room")

    await listed.get_by_test_id("clip-report-hide").click()
    await expect(listed.get_by_test_id("clip-report-hide")).to_have_text("Show again")
    feed = await r.reporter.api("GET", f"/api/rooms/{r.id}/clips")
    assert feed["clips"] == []
    assert host.errors == []
