"""unread index: a partial index of the messages that unread counts count (live text),
so that a room list reads only those, not every join and system line after a member's
last read

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

COUNTED_AS_UNREAD = "kind = 'text' AND deleted_at IS NULL"


def upgrade() -> None:
    # An operator may have built it already without blocking writes (CREATE INDEX
    # CONCURRENTLY on PostgreSQL, docs/operations.md): then there is nothing to do.
    op.create_index(
        "ix_messages_unread",
        "messages",
        ["room_id", "seq", "member_id"],
        sqlite_where=sa.text(COUNTED_AS_UNREAD),
        postgresql_where=sa.text(COUNTED_AS_UNREAD),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_unread", table_name="messages", if_exists=True)
