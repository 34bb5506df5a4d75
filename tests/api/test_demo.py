"""The first run (``make run`` → ``openlink serve --demo``): the demo translates between
its English and Portuguese readers with the en<->pt models ``make run`` installs."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from openlink.cli_models import pick_demo_translator
from openlink.config import Settings
from openlink.demo import DEMO_PASSWORD, seed_demo
from tests.conftest import Server
from tests.factories import auth, expect, open_socket
from tests.translation_models import install_models

MUSIC_ROOM = "Bossa nova & indie music · English / Português"


@pytest.fixture
def models(tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    install_models(folder)
    return folder


@pytest.fixture(autouse=True)
def translator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server of the end-to-end test runs fxtranslate on the models fixture's folder."""
    if "server" in request.fixturenames:
        folder = request.getfixturevalue("models")
        monkeypatch.setenv("OPENLINK_TRANSLATOR", "fxtranslate")
        monkeypatch.setenv("OPENLINK_MODELS_DIR", str(folder))


def test_the_demo_translates_with_fxtranslate_when_its_models_are_installed(
    models: Path, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, models_dir=models)
    pick_demo_translator(settings)
    assert settings.translator == "fxtranslate"
    # An engine the operator chose stays, "none" included.
    chosen = Settings(data_dir=tmp_path, models_dir=models, translator="none")
    pick_demo_translator(chosen)
    assert chosen.translator == "none"
    # No models: nothing to translate with.
    empty = Settings(data_dir=tmp_path, models_dir=tmp_path / "nothing")
    pick_demo_translator(empty)
    assert empty.translator == "none"


async def sign_in(client: httpx.AsyncClient, username: str) -> str:
    body = {"username": username, "password": DEMO_PASSWORD}
    return str(expect(await client.post("/api/sessions", json=body), 200)["token"])


async def test_english_and_portuguese_demo_readers_read_each_other_translated(
    server: Server, client: httpx.AsyncClient
) -> None:
    """What a new user sees in the first minute: sign in as alex, and what lucas writes
    in Portuguese arrives in English."""
    assert server.settings.translator == "fxtranslate"
    await seed_demo(server.app.state.ctx)
    alex, lucas = await sign_in(client, "alex"), await sign_in(client, "lucas")
    mine = expect(await client.get("/api/rooms", headers=auth(lucas)), 200)["rooms"]
    room = next(r for r in mine if r["name"] == MUSIC_ROOM)
    assert room["language"] == "en" and room["translation_enabled"]
    history = expect(await client.get(f"/api/rooms/{room['id']}/messages", headers=auth(alex)), 200)
    assert {m.get("lang") for m in history["messages"] if m["kind"] == "text"} == {"en", "pt"}

    reader = await open_socket(server.ws_url, alex)
    writer = await open_socket(server.ws_url, lucas)
    ack = await writer.send_and_ack(room["id"], "Eu adoro esta música, a letra é linda.")
    translated = await reader.next_event(
        "message.translated", where=lambda e: e["seq"] == ack["seq"]
    )
    assert (translated["source_lang"], translated["lang"]) == ("pt", "en")
    assert "song" in translated["body"].lower() or "music" in translated["body"].lower()
