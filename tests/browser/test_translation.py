"""Automatic translation in the browser, on the real Firefox Translations engine with the
en<->pt models of the test suite (tests/translation_models.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import OpenTab, Shot
from tests.browser.helpers import join_open, message, pinned, send, wait_online
from tests.conftest import Server
from tests.factories import make_room, make_user
from tests.translation_models import install_models

# Room search is not used here: no embedder to load beside the browser.
pytestmark = [pytest.mark.browser, pytest.mark.settings(embedder="none")]


@pytest.fixture
def bergamot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    models = tmp_path / "models"
    install_models(models)
    monkeypatch.setenv("OPENLINK_TRANSLATOR", "fxtranslate")
    monkeypatch.setenv("OPENLINK_MODELS_DIR", str(models))
    return models


@pytest.fixture
def translating_server(bergamot: Path, server: Server) -> Server:
    """The test server, started after the engine's settings are in the environment."""
    assert server.settings.translator == "fxtranslate"
    return server


@pytest.mark.long
async def test_portuguese_and_english_readers_see_each_other_translated(
    translating_server: Server, client: httpx.AsyncClient, open_tab: OpenTab, shot: Shot
) -> None:
    _host, host_token = await make_user(client, language="en")
    room = (await make_room(client, host_token, name="Solo Leveling readers"))["room"]
    code = room["link"].removeprefix("/l/")
    _pt_user, pt_token = await make_user(client, "joana", language="pt-BR")
    _en_user, en_token = await make_user(client, "sam", language="en")

    pt = await open_tab(f"/#/join/{code}", token=pt_token, phone=True)
    await join_open(pt, "Joana")
    en = await open_tab(f"/#/join/{code}", token=en_token, viewport={"width": 1100, "height": 760})
    await join_open(en, "Sam")
    await wait_online(pt)
    # Joana was the second member; Sam's arrival is counted live.
    await expect(pt.page.get_by_test_id("room-sub")).to_contain_text("3 members")

    await send(en, "I love this chapter, the ending was amazing.")
    seen_by_pt = message(
        pt.page, "capítulo", by="them"
    )  # shown in Portuguese, instead of the original
    await expect(seen_by_pt).to_be_visible()
    await expect(seen_by_pt.locator(".msg-translated")).to_have_attribute("lang", "pt")
    await expect(seen_by_pt.locator(".msg-lang")).to_have_attribute("data-lang", "en")
    await expect(seen_by_pt.locator(".tr-line")).to_contain_text("English")

    await send(pt, "Eu adoro este capítulo, o final foi incrível!")
    seen_by_en = message(en.page, "chapter", by="them")
    await expect(seen_by_en).to_be_visible()
    seen_by_en = await pinned(seen_by_en)
    await expect(seen_by_en.locator(".msg-lang")).to_have_attribute("data-lang", "pt")
    await shot(en.page, "chat-translated-desktop")
    await shot(pt.page, "chat-translated-phone")

    # One tap shows the original, another the translation again.
    toggle = seen_by_en.get_by_role("button", name="See original")
    await toggle.click()
    await expect(seen_by_en.locator(".msg-body")).to_have_text(
        "Eu adoro este capítulo, o final foi incrível!"
    )
    await seen_by_en.get_by_role("button", name="See translation").click()
    await expect(seen_by_en.locator(".msg-translated")).to_contain_text("chapter")

    # Each reader's own message stays as written.
    mine_en = message(en.page, "I love this chapter", by="me")
    await expect(mine_en.locator(".msg-body")).to_have_text(
        "I love this chapter, the ending was amazing."
    )
    await expect(mine_en.locator(".msg-translated")).to_have_count(0)
    await expect(message(pt.page, "Eu adoro", by="me").locator(".msg-translated")).to_have_count(0)

    # A reload shows the stored translation from history, without the live event.
    await pt.page.reload()
    await expect(message(pt.page, "capítulo", by="them").locator(".msg-translated")).to_be_visible()
    assert not en.errors and not pt.errors
