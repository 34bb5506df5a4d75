"""The store speaks for its database: callers pass no dialect and catch no driver error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openlink.config import Settings
from openlink.errors import AlreadyExists
from openlink.store import accounts
from openlink.store.db import Database
from openlink.store.migrate import upgrade_async


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    settings = Settings(data_dir=tmp_path)
    settings.prepare()
    await upgrade_async(settings.effective_database_url())
    database = Database(settings.effective_database_url())
    yield database
    await database.dispose()


async def _user(db: Database, username: str) -> None:
    async with db.write() as tx:
        await accounts.insert_user(
            tx.conn,
            username=username,
            password_hash="x",
            display_name="Ann",
            language="en",
            interests=[],
            now=datetime.now(UTC),
        )


async def test_a_taken_unique_key_is_a_domain_error(db: Database) -> None:
    await _user(db, "ann")
    with pytest.raises(AlreadyExists) as raised:
        await _user(db, "ann")
    assert raised.value.code == "already_exists" and raised.value.status == 409
