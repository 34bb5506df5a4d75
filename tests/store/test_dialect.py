"""The store speaks for its database: callers pass no dialect and catch no driver error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openlink.errors import AlreadyExists
from openlink.store import accounts
from openlink.store.db import Database


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
