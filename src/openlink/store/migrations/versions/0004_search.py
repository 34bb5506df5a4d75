"""search: a trigram keyword index over rooms (FTS5 on SQLite, pg_trgm on PostgreSQL)

SQLite: ``room_fts`` is an FTS5 table with the ``trigram`` tokenizer over each room's
name, description and tags, one row per room; ``room_search_docs`` gives each room a
stable integer id for it (a rooms rowid could change on VACUUM). Triggers on ``rooms`` and
``room_tags`` keep it current inside the writing transaction, so a room is findable by
keyword the moment its change commits.

PostgreSQL: the same ``room_search_docs`` (keyed by room id, with the columns keyword
queries filter and sort by), kept current by plpgsql triggers, with a GIN trigram index
(pg_trgm) on its text. Without the extension (no right
to create it) the same queries scan the table, and the migration says so.

These objects are invisible to ``alembic check`` (store/migrations/env.py skips them).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

_TAGS_OF = "coalesce((SELECT group_concat(name, ' ') FROM room_tags WHERE room_id = {id}), '')"
_DOC_OF = "(SELECT doc_id FROM room_search_docs WHERE room_id = {id})"
# The scanned copy for words under 3 characters: lower() folds ASCII only, which is what
# matters for short Latin words; CJK has no case.
_BODY = "lower({name} || ' ' || {description} || ' ' || {tags})"

_ROOM_BODY = _BODY.format(name="name", description="description", tags=_TAGS_OF.format(id="id"))
_NEW_BODY = _BODY.format(name="new.name", description="new.description", tags="''")

SQLITE_UP = [
    """CREATE TABLE room_search_docs (
        doc_id INTEGER PRIMARY KEY,
        room_id VARCHAR(24) NOT NULL UNIQUE,
        body TEXT NOT NULL
    )""",
    "CREATE VIRTUAL TABLE room_fts USING fts5(name, description, tags, tokenize='trigram')",
    f"""INSERT INTO room_search_docs (room_id, body)
        SELECT id, {_ROOM_BODY}
        FROM rooms ORDER BY created_at, id""",
    f"""INSERT INTO room_fts (rowid, name, description, tags)
        SELECT d.doc_id, r.name, r.description, {_TAGS_OF.format(id="r.id")}
        FROM room_search_docs d JOIN rooms r ON r.id = d.room_id""",
    f"""CREATE TRIGGER room_fts_room_insert AFTER INSERT ON rooms BEGIN
        INSERT INTO room_search_docs (room_id, body)
            VALUES (new.id, {_NEW_BODY});
        INSERT INTO room_fts (rowid, name, description, tags)
            VALUES (last_insert_rowid(), new.name, new.description, '');
    END""",
    f"""CREATE TRIGGER room_fts_room_update AFTER UPDATE OF name, description ON rooms BEGIN
        UPDATE room_search_docs SET body = {
        _BODY.format(
            name="new.name", description="new.description", tags=_TAGS_OF.format(id="new.id")
        )
    } WHERE room_id = new.id;
        UPDATE room_fts SET name = new.name, description = new.description
            WHERE rowid = {_DOC_OF.format(id="new.id")};
    END""",
    f"""CREATE TRIGGER room_fts_room_delete AFTER DELETE ON rooms BEGIN
        DELETE FROM room_fts WHERE rowid = {_DOC_OF.format(id="old.id")};
        DELETE FROM room_search_docs WHERE room_id = old.id;
    END""",
]
for _event, _row in (("INSERT", "new"), ("DELETE", "old")):
    _tags = _TAGS_OF.format(id=f"{_row}.room_id")
    _body = _BODY.format(
        name=f"(SELECT name FROM rooms WHERE id = {_row}.room_id)",
        description=f"(SELECT description FROM rooms WHERE id = {_row}.room_id)",
        tags=_tags,
    )
    SQLITE_UP.append(
        f"""CREATE TRIGGER room_fts_tag_{_event.lower()} AFTER {_event} ON room_tags BEGIN
        UPDATE room_search_docs SET body = {_body} WHERE room_id = {_row}.room_id;
        UPDATE room_fts SET tags = {_tags} WHERE rowid = {_DOC_OF.format(id=f"{_row}.room_id")};
    END"""
    )

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS room_fts_tag_delete",
    "DROP TRIGGER IF EXISTS room_fts_tag_insert",
    "DROP TRIGGER IF EXISTS room_fts_room_delete",
    "DROP TRIGGER IF EXISTS room_fts_room_update",
    "DROP TRIGGER IF EXISTS room_fts_room_insert",
    "DROP TABLE IF EXISTS room_fts",
    "DROP TABLE IF EXISTS room_search_docs",
]

_PG_TAGS = (
    "coalesce((SELECT string_agg(t.name, ' ' ORDER BY t.name) FROM room_tags t"
    " WHERE t.room_id = r.id), '')"
)
_PG_BODY = f"lower(r.name || ' ' || r.description || ' ' || {_PG_TAGS})"

_PG_SEARCHABLE = "(r.visibility = 'public' AND r.status = 'open' AND r.kind = 'group')"
# What a keyword query filters and sorts by, beside the text: a query then reads this one
# compact table, never a row of ``rooms`` per match.
_PG_COLUMNS = "room_id, body, searchable, language, member_count"
_PG_VALUES = f"r.id, {_PG_BODY}, {_PG_SEARCHABLE}, r.language, r.member_count"

POSTGRES_UP = [
    """CREATE TABLE room_search_docs (
        room_id VARCHAR(24) PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
        body TEXT NOT NULL,
        searchable BOOLEAN NOT NULL,
        language VARCHAR(35),
        member_count INTEGER NOT NULL
    )""",
    f"INSERT INTO room_search_docs ({_PG_COLUMNS}) SELECT {_PG_VALUES} FROM rooms r",
    f"""CREATE FUNCTION room_search_room() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO room_search_docs ({_PG_COLUMNS})
            SELECT {_PG_VALUES} FROM rooms r WHERE r.id = NEW.id
            ON CONFLICT (room_id) DO UPDATE SET body = excluded.body,
                searchable = excluded.searchable, language = excluded.language,
                member_count = excluded.member_count;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION room_search_tag() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE rid VARCHAR(24);
    BEGIN
        IF TG_OP = 'DELETE' THEN rid := OLD.room_id; ELSE rid := NEW.room_id; END IF;
        UPDATE room_search_docs d SET body = (SELECT {_PG_BODY} FROM rooms r WHERE r.id = rid)
            WHERE d.room_id = rid;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER room_search_room AFTER INSERT OR UPDATE OF
        name, description, visibility, status, kind, language, member_count ON rooms
        FOR EACH ROW EXECUTE FUNCTION room_search_room()""",
    """CREATE TRIGGER room_search_tag AFTER INSERT OR DELETE ON room_tags
        FOR EACH ROW EXECUTE FUNCTION room_search_tag()""",
]

POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS room_search_tag ON room_tags",
    "DROP TRIGGER IF EXISTS room_search_room ON rooms",
    "DROP FUNCTION IF EXISTS room_search_tag()",
    "DROP FUNCTION IF EXISTS room_search_room()",
    "DROP TABLE IF EXISTS room_search_docs",
]

POSTGRES_INDEX = (
    "CREATE INDEX ix_room_search_docs_body_trgm ON room_search_docs USING gin (body gin_trgm_ops)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)
        return
    for statement in POSTGRES_UP:
        op.execute(statement)
    if _create_pg_trgm():
        op.execute(POSTGRES_INDEX)


def _create_pg_trgm() -> bool:
    conn = op.get_bind()
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception as exc:  # any refusal means: no trigram indexes
        log.warning(
            "pg_trgm could not be created (%s): keyword search will scan room_search_docs "
            "(ILIKE without an index). Ask a superuser to run CREATE EXTENSION pg_trgm, "
            "then run 'openlink migrate' again after downgrading to 0003.",
            str(exc).splitlines()[0],
        )
        return False
    return True


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
        return
    for statement in POSTGRES_DOWN:
        op.execute(statement)
