"""media bans: uploads keep the SHA-256 of their bytes and a picture's perceptual hash;
operators ban hashes

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMNs: no copy of the media table.
    op.add_column("media", sa.Column("sha256", sa.String(length=64), nullable=True))
    op.add_column("media", sa.Column("phash", sa.String(length=16), nullable=True))
    op.create_index("ix_media_sha256", "media", ["sha256"])
    op.create_table(
        "media_bans",
        sa.Column("ban_id", sa.String(length=24), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("media_id", sa.String(length=24), nullable=False),
        sa.Column("room_id", sa.String(length=24), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("ban_id", "hash", name=op.f("pk_media_bans")),
    )
    op.create_index("ix_media_bans_hash", "media_bans", ["hash"])


def downgrade() -> None:
    op.drop_table("media_bans")
    op.drop_index("ix_media_sha256", table_name="media")
    with op.batch_alter_table("media") as batch:
        batch.drop_column("phash")
        batch.drop_column("sha256")
