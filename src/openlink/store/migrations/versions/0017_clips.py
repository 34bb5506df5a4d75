"""clips: short videos posted to an interest or a room, their likes, views, comments and
reports; an upload made for an interest clip belongs to no room

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def _clip_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["clip_id"], ["clips.id"], ondelete="CASCADE")


def _user_fk(column: str = "user_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], ondelete="CASCADE")


def upgrade() -> None:
    # SQLite rebuilds the table; its partial index is made again after.
    op.drop_index("ix_media_unattached", table_name="media")
    with op.batch_alter_table("media") as batch:
        batch.alter_column("room_id", existing_type=sa.String(24), nullable=True)
        batch.alter_column("member_id", existing_type=sa.String(24), nullable=True)
    op.create_index(
        "ix_media_unattached",
        "media",
        ["created_at"],
        sqlite_where=sa.text("seq IS NULL"),
        postgresql_where=sa.text("seq IS NULL"),
    )
    with op.batch_alter_table("media_bans") as batch:
        batch.alter_column("room_id", existing_type=sa.String(24), nullable=True)
    op.create_table(
        "clips",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("media_id", sa.String(24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.String(24), nullable=True),
        sa.Column("member_id", sa.String(24), nullable=True),
        sa.Column("interest_id", sa.String(24), nullable=True),
        sa.Column("nickname", sa.String(40), nullable=False),
        sa.Column("avatar_url", sa.String(2048), nullable=True),
        sa.Column("profile_kind", sa.String(8), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("likes", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("comments", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("views", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.ForeignKeyConstraint(["media_id"], ["media.id"], ondelete="CASCADE"),
        _user_fk(),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["interest_id"], ["interests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("media_id"),
    )
    op.create_index("ix_clips_created_at", "clips", ["created_at", "id"])
    op.create_index("ix_clips_interest", "clips", ["interest_id", "created_at", "id"])
    op.create_index("ix_clips_room", "clips", ["room_id", "created_at", "id"])
    op.create_index("ix_clips_user_id", "clips", ["user_id", "created_at"])
    op.create_table(
        "clip_likes",
        sa.Column("clip_id", sa.String(24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        _clip_fk(),
        _user_fk(),
        sa.PrimaryKeyConstraint("clip_id", "user_id"),
    )
    op.create_table(
        "clip_views",
        sa.Column("clip_id", sa.String(24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _clip_fk(),
        _user_fk(),
        sa.PrimaryKeyConstraint("clip_id", "user_id"),
    )
    op.create_table(
        "clip_comments",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("clip_id", sa.String(24), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("nickname", sa.String(40), nullable=False),
        sa.Column("avatar_url", sa.String(2048), nullable=True),
        sa.Column("profile_kind", sa.String(8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(16), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        _clip_fk(),
        _user_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_clip_comments_clip", "clip_comments", ["clip_id", "created_at", "id"])
    op.create_table(
        "clip_reports",
        sa.Column("id", sa.String(24), nullable=False),
        sa.Column("clip_id", sa.String(24), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        _clip_fk(),
        _user_fk("reporter_id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("clip_id", "reporter_id", name="uq_clip_reports_clip_reporter"),
    )


def downgrade() -> None:
    for table in ("clip_reports", "clip_comments", "clip_views", "clip_likes", "clips"):
        op.drop_table(table)
    # Uploads made without a room cannot exist before: they go (their blobs are then
    # unused, and the collector removes them).
    op.execute("DELETE FROM media WHERE room_id IS NULL OR member_id IS NULL")
    op.execute("DELETE FROM media_bans WHERE room_id IS NULL")
    with op.batch_alter_table("media_bans") as batch:
        batch.alter_column("room_id", existing_type=sa.String(24), nullable=False)
    op.drop_index("ix_media_unattached", table_name="media")
    with op.batch_alter_table("media") as batch:
        batch.alter_column("room_id", existing_type=sa.String(24), nullable=False)
        batch.alter_column("member_id", existing_type=sa.String(24), nullable=False)
    op.create_index(
        "ix_media_unattached",
        "media",
        ["created_at"],
        sqlite_where=sa.text("seq IS NULL"),
        postgresql_where=sa.text("seq IS NULL"),
    )
