"""short grams: an index for one- and two-character CJK keywords

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openlink.domain.search import searchable_text, short_grams

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 1_000


def upgrade() -> None:
    room_grams = op.create_table(
        "room_grams",
        sa.Column("gram", sa.String(length=2), nullable=False),
        sa.Column("room_id", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_grams_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("gram", "room_id", name=op.f("pk_room_grams")),
    )
    with op.batch_alter_table("room_grams", schema=None) as batch_op:
        batch_op.create_index("ix_room_grams_room_id", ["room_id"], unique=False)
    _backfill(room_grams)


def _backfill(room_grams: sa.Table) -> None:
    """Index the rooms that exist already."""
    conn = op.get_bind()
    tags: dict[str, list[str]] = {}
    for room_id, name in conn.execute(sa.text("SELECT room_id, name FROM room_tags")):
        tags.setdefault(room_id, []).append(name)
    rows = conn.execute(sa.text("SELECT id, name, description FROM rooms"))
    batch: list[dict[str, str]] = []
    for room_id, name, description in rows:
        text = searchable_text(name, description, tags.get(room_id, []))
        batch += [{"gram": g, "room_id": room_id} for g in sorted(short_grams(text))]
        if len(batch) >= BATCH:
            op.bulk_insert(room_grams, batch)
            batch = []
    if batch:
        op.bulk_insert(room_grams, batch)


def downgrade() -> None:
    with op.batch_alter_table("room_grams", schema=None) as batch_op:
        batch_op.drop_index("ix_room_grams_room_id")
    op.drop_table("room_grams")
