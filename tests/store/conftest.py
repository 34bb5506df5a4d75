"""A migrated SQLite database of the test's own, for tests of the store itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from openlink.config import Settings
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
