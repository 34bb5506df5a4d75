"""The instance's secret: made once and shared by every node through the database, unless
the operator sets one (decision 0017; image ids are keyed with a key derived from it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from openlink.actions.instance import IMAGE_IDS, instance_key
from openlink.app import build_context
from openlink.config import Settings
from tests.conftest import Server


async def test_the_made_secret_is_the_same_for_every_node(server: Server) -> None:
    ctx = server.app.state.ctx
    other = build_context(server.settings)  # another process on the same database
    try:
        assert await instance_key(other, IMAGE_IDS) == await instance_key(ctx, IMAGE_IDS)
        assert await instance_key(other, "another purpose") != await instance_key(other, IMAGE_IDS)
    finally:
        await other.db.dispose()
        await other.limiter.stop()


async def test_a_configured_secret_takes_the_place_of_the_made_one(
    server: Server, tmp_path: Path
) -> None:
    made = await instance_key(server.app.state.ctx, IMAGE_IDS)
    secret = "s" * 40
    key_file = tmp_path / "secret"
    key_file.write_text(secret + "\n")
    keys = []
    for settings in (
        server.settings.model_copy(update={"secret_key": SecretStr(secret)}),
        server.settings.model_copy(update={"secret_key_file": key_file}),
    ):
        ctx = build_context(settings)
        try:
            keys.append(await instance_key(ctx, IMAGE_IDS))
        finally:
            await ctx.db.dispose()
            await ctx.limiter.stop()
    assert keys[0] == keys[1] != made


def test_a_secret_too_short_to_be_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 32"):
        Settings(data_dir=tmp_path, secret_key="short").configured_secret_key()
