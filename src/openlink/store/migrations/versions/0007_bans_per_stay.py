"""bans: one entry per banned membership instead of one per account

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every existing row is already one membership (member ids are unique), so the new
    # key holds for the old data as it is.
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.drop_constraint("pk_bans", type_="primary")
        batch_op.create_primary_key("pk_bans", ["room_id", "member_id"])
        batch_op.create_index("ix_bans_room_id_user_id", ["room_id", "user_id"], unique=False)


def downgrade() -> None:
    # Back to one row per account: keep each account's latest entry.
    op.execute(
        sa.text(
            "DELETE FROM bans WHERE EXISTS (SELECT 1 FROM bans AS later"
            " WHERE later.room_id = bans.room_id AND later.user_id = bans.user_id"
            " AND (later.created_at > bans.created_at OR (later.created_at = bans.created_at"
            " AND later.member_id > bans.member_id)))"
        )
    )
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.drop_index("ix_bans_room_id_user_id")
        batch_op.drop_constraint("pk_bans", type_="primary")
        batch_op.create_primary_key("pk_bans", ["room_id", "user_id"])
