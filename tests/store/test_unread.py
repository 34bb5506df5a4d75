"""Unread counts (a room list per socket connect) read only the messages they count."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from openlink.store import messages as messages_store
from openlink.store.db import Database
from openlink.store.rooms import _MINE_WITH_NEWEST


def _plan(path: Path, statement: Any) -> str:
    compiled = statement.compile(dialect=sqlite.dialect())
    params = compiled.construct_params()
    values = [params[name] for name in compiled.positiontup]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {compiled}", values).fetchall()
    return "\n".join(str(r[-1]) for r in rows)


@pytest.mark.parametrize("which", ["room list", "one room"])
async def test_an_unread_count_reads_the_index_of_live_text_messages(
    db: Database, tmp_path: Path, which: str
) -> None:
    """A member who last read before a thousand joins (system lines) of a large room must
    not cost a connect a read of each of them: the count walks ``ix_messages_unread``,
    which holds live text messages only."""
    if which == "room list":
        statement = _MINE_WITH_NEWEST.params(user_id=1)
    else:
        statement = messages_store.count_after_statement("r1", 0, not_by="m1", cap=10)
    path = tmp_path / "openlink.db"
    assert "ix_messages_unread" in _plan(path, statement)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        [(sql,)] = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'ix_messages_unread'")
    assert sql.endswith("WHERE kind = 'text' AND deleted_at IS NULL")
