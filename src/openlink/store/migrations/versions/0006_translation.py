"""translation: detected languages, stored translations, room glossaries

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN: a batch (copy-and-rename) on SQLite would trip the search triggers.
    op.add_column(
        "rooms",
        sa.Column(
            "translation_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
    )
    op.add_column(
        "rooms",
        sa.Column("glossary_rev", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("messages", sa.Column("lang", sa.String(length=12), nullable=True))
    op.create_table(
        "message_translations",
        sa.Column("room_id", sa.String(length=24), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("lang", sa.String(length=12), nullable=False),
        sa.Column("rev", sa.BigInteger(), nullable=False),
        sa.Column("source_lang", sa.String(length=12), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_message_translations_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("room_id", "seq", "lang", name=op.f("pk_message_translations")),
    )
    op.create_table(
        "room_glossary",
        sa.Column("room_id", sa.String(length=24), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_room_glossary_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("room_id", "position", name=op.f("pk_room_glossary")),
    )


def downgrade() -> None:
    op.drop_table("room_glossary")
    op.drop_table("message_translations")
    op.drop_column("messages", "lang")
    op.drop_column("rooms", "glossary_rev")
    op.drop_column("rooms", "translation_enabled")
