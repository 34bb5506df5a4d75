"""What differs between SQLite and PostgreSQL, kept inside the store.

Store functions build these statements like any other; the connection they run on
compiles them for its own dialect, so nobody above the store says which database it
talks to. And a store function whose insert may meet a unique key turns the driver's
error into the domain's :class:`~openlink.errors.AlreadyExists`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ClauseElement

from openlink.errors import AlreadyExists


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


@contextlib.contextmanager
def unique(what: str) -> Iterator[None]:
    """Statements inside insert ``what``: a unique or primary key violation (the driver's
    ``IntegrityError``, whatever the database) becomes :class:`AlreadyExists`."""
    try:
        yield
    except IntegrityError as exc:
        raise AlreadyExists(f"{what} exists already.") from exc


class ByDialect(Executable, ClauseElement):
    """One of two statements, whichever fits the connection's database: for reads whose
    best plan differs (full-text search). Not cached by SQLAlchemy: it is compiled on
    each use, which costs well under a millisecond beside the read it makes."""

    inherit_cache = False

    def __init__(self, *, sqlite: Select[Any], postgresql: Select[Any]) -> None:
        self.sqlite = sqlite
        self.postgresql = postgresql


@compiles(ByDialect, "sqlite")
def _sqlite_choice(element: ByDialect, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.sqlite, **kw)


@compiles(ByDialect, "postgresql")
def _postgresql_choice(element: ByDialect, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.postgresql, **kw)
