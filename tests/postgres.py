"""PostgreSQL for the test suite: databases of our own, and a cheap reset between tests.

Migrating takes about a second and dropping the schema more; emptying ~30 small tables and
putting back the interest seed is one round trip of a few milliseconds. ``TRUNCATE`` would
be the obvious statement, but it makes new files for every table and index: slower than
``DELETE`` on tables holding a test's few rows.
"""

from __future__ import annotations

import graphlib
import os
from dataclasses import dataclass
from typing import Any

SEED_SCHEMA = "openlink_test_seed"


def per_worker(url: str) -> str:
    """Under pytest-xdist, each worker's database: ``<name>_gw0``, ``<name>_gw1``, ..."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        return url
    return f"{url}_{worker}"


def _dsn(url: str) -> str:
    return "postgresql" + url[url.index("://") :]


def _name(url: str) -> str:
    return url.rpartition("/")[2].partition("?")[0]


async def _connect(url: str) -> Any:
    import asyncpg

    return await asyncpg.connect(_dsn(url))


async def _admin(sql: str) -> None:
    """On the database CI named (which exists), for statements about other databases."""
    conn = await _connect(os.environ["OPENLINK_TEST_DATABASE_URL"])
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database(url: str) -> bool:
    """Make ``url``'s database empty; returns whether it was created (and is ours to drop).

    The database named by ``OPENLINK_TEST_DATABASE_URL`` is emptied; any other one (a
    worker's, a migration test's) is created afresh.
    """
    name = _name(url)
    made = url != os.environ.get("OPENLINK_TEST_DATABASE_URL")
    if made:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _admin(f'CREATE DATABASE "{name}"')
    conn = await _connect(url)
    try:
        if not made:
            await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        await conn.execute(f"DROP SCHEMA IF EXISTS {SEED_SCHEMA} CASCADE")
        # Tests need no crash durability (as SQLite's synchronous=normal in the tests):
        # commits stop waiting for the WAL flush.
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
    finally:
        await conn.close()
    return made


async def drop_database(url: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{_name(url)}" WITH (FORCE)')


@dataclass(frozen=True)
class PostgresTemplate:
    """A migrated, seeded database and the script that brings it back to that state."""

    url: str
    script: str

    @classmethod
    async def snapshot(cls, url: str) -> PostgresTemplate:
        """Copy the rows the migrations and the seed wrote into a schema of their own."""
        conn = await _connect(url)
        try:
            return cls(url, await _reset_script(conn))
        finally:
            await conn.close()

    async def reset(self) -> None:
        conn = await _connect(self.url)
        try:
            await conn.execute(self.script)
        finally:
            await conn.close()


async def _reset_script(conn: Any) -> str:
    tables = [
        r["tablename"]
        for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'alembic_version'"
        )
    ]
    # Referencing tables before the tables they reference: no foreign key ever objects.
    referenced_by: dict[str, set[str]] = {t: set() for t in tables}
    for r in await conn.fetch(
        "SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent"
        " FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace"
    ):
        if r["child"] != r["parent"]:
            referenced_by[r["parent"]].add(r["child"])
    children_first = list(graphlib.TopologicalSorter(referenced_by).static_order())

    await conn.execute(f"CREATE SCHEMA {SEED_SCHEMA}")
    statements = [f'DELETE FROM "{t}"' for t in children_first]
    for table in reversed(children_first):
        if not await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
            continue
        await conn.execute(f'CREATE TABLE {SEED_SCHEMA}."{table}" AS TABLE "{table}"')
        columns = ", ".join(
            f'"{r["column_name"]}"'
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                " 'public' AND table_name = $1 AND is_generated = 'NEVER'"
                " ORDER BY ordinal_position",
                table,
            )
        )
        statements.append(
            f'INSERT INTO "{table}" ({columns}) OVERRIDING SYSTEM VALUE'
            f' SELECT {columns} FROM {SEED_SCHEMA}."{table}"'
        )
    for r in await conn.fetch(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
    ):
        value = r["last_value"]
        restart = f"{value}, true" if value is not None else "1, false"
        statements.append(f"SELECT setval('\"{r['sequencename']}\"', {restart})")
    return "BEGIN; " + "; ".join(statements) + "; COMMIT"
