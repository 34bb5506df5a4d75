"""PostgreSQL for the test suite: databases of our own, and a cheap reset between tests.

Migrating takes about a second and dropping the schema more; emptying the tables a test
wrote to (and putting back the interest seed if the test changed it) is one round trip of
a few milliseconds. ``TRUNCATE`` would be the obvious statement, but it makes new files
for every table and index: slower than ``DELETE`` on tables holding a test's few rows.
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
    """One statement that empties every table a test wrote to and puts back the seed.

    A table is emptied only when it holds rows (a ``DELETE`` costs a planned statement
    even on an empty table: most of the ~30 are empty after a test). The seeded tables
    (the interests) are rewritten only when a test changed them, which statement
    triggers note in the seed schema: rewriting a thousand aliases was most of a reset.
    """
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
    await conn.execute(
        f"CREATE TABLE {SEED_SCHEMA}.touched (name text PRIMARY KEY);"
        f" CREATE FUNCTION {SEED_SCHEMA}.touch() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN INSERT INTO {SEED_SCHEMA}.touched VALUES (TG_TABLE_NAME)"
        " ON CONFLICT DO NOTHING; RETURN NULL; END $$"
    )
    seeded: list[str] = []
    restore: list[str] = []
    for table in reversed(children_first):
        if not await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
            continue
        seeded.append(table)
        await conn.execute(f'CREATE TABLE {SEED_SCHEMA}."{table}" AS TABLE "{table}"')
        await conn.execute(
            "CREATE TRIGGER openlink_test_touch AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f' ON "{table}"'
            f" FOR EACH STATEMENT EXECUTE FUNCTION {SEED_SCHEMA}.touch()"
        )
        columns = ", ".join(
            f'"{r["column_name"]}"'
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                " 'public' AND table_name = $1 AND is_generated = 'NEVER'"
                " ORDER BY ordinal_position",
                table,
            )
        )
        restore.append(
            f'INSERT INTO "{table}" ({columns}) OVERRIDING SYSTEM VALUE'
            f' SELECT {columns} FROM {SEED_SCHEMA}."{table}";'
        )
    # In one DO block: one round trip, and the emptiness checks decide server-side.
    checks = ", ".join(
        f"({i}, '{t}', EXISTS (SELECT 1 FROM \"{t}\"))"
        for i, t in enumerate(children_first)
        if t not in seeded
    )
    body = [
        "DECLARE t text; BEGIN",
        f"FOR t IN SELECT name FROM (VALUES {checks}) AS v(i, name, full_) WHERE full_ ORDER BY i",
        "LOOP EXECUTE format('DELETE FROM %I', t); END LOOP;",
        f"IF EXISTS (SELECT 1 FROM {SEED_SCHEMA}.touched) THEN",
        *(f'DELETE FROM "{t}";' for t in children_first if t in seeded),
        *restore,
        f"DELETE FROM {SEED_SCHEMA}.touched;",
        "END IF;",
    ]
    for r in await conn.fetch(
        "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
    ):
        value = r["last_value"]
        restart = f"{value}, true" if value is not None else "1, false"
        body.append(f"PERFORM setval('\"{r['sequencename']}\"', {restart});")
    body.append("END")
    return "DO $reset$ " + " ".join(body) + " $reset$"
