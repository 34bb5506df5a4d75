"""media: uploads, their variants, content-addressed blobs; messages carry attachments

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "media_blobs",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("touched_at", UTC_TS, nullable=False),
        sa.Column("deleting", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_media_blobs")),
    )
    op.create_table(
        "media",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("room_id", sa.String(length=24), nullable=False),
        sa.Column("member_id", sa.String(length=24), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("blurhash", sa.String(length=120), nullable=True),
        sa.Column("waveform", sa.JSON(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("attached_at", UTC_TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_media_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_media_uploader_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    )
    op.create_index("ix_media_uploader_id", "media", ["uploader_id"])
    op.create_index("ix_media_room_id", "media", ["room_id", "seq"])
    op.create_index(
        "ix_media_unattached",
        "media",
        ["created_at"],
        sqlite_where=sa.text("seq IS NULL"),
        postgresql_where=sa.text("seq IS NULL"),
    )
    op.create_table(
        "media_variants",
        sa.Column("media_id", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("blob_key", sa.String(length=80), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["blob_key"],
            ["media_blobs.key"],
            name=op.f("fk_media_variants_blob_key_media_blobs"),
        ),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media.id"],
            name=op.f("fk_media_variants_media_id_media"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("media_id", "name", name=op.f("pk_media_variants")),
    )
    op.create_index("ix_media_variants_blob_key", "media_variants", ["blob_key"])
    # A plain ADD COLUMN: no copy of the messages table.
    op.add_column("messages", sa.Column("media", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("media")
    op.drop_table("media_variants")
    op.drop_table("media")
    op.drop_table("media_blobs")
