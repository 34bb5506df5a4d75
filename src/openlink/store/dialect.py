"""Statements whose SQL differs between SQLite and PostgreSQL, chosen when they compile.

Store functions build these like any statement; the connection they run on compiles them
for its own dialect, so nobody above the store says which database it talks to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert


class InsertOrIgnore(Insert):
    """``INSERT ... ON CONFLICT DO NOTHING``: a row that would violate a unique or primary
    key is skipped, any other constraint still fails. Both SQLite (3.24+) and PostgreSQL
    spell it the same; no other dialect is supported."""

    inherit_cache = True


@compiles(InsertOrIgnore, "sqlite")
@compiles(InsertOrIgnore, "postgresql")
def _insert_or_ignore(element: InsertOrIgnore, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.visit_insert(element, **kw)} ON CONFLICT DO NOTHING"


def insert_or_ignore(table: Table) -> InsertOrIgnore:
    return InsertOrIgnore(table)
