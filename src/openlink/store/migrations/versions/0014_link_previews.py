"""link_previews: a card per message link, previews and robots.txt cached by URL

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("preview", sa.JSON(), nullable=True))
    op.create_table(
        "link_previews",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("site_name", sa.Text(), nullable=True),
        sa.Column("image", sa.String(length=128), nullable=True),
        sa.Column("fetched_at", UTC_TS, nullable=False),
        sa.Column("expires_at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_link_previews")),
    )
    op.create_table(
        "link_robots",
        sa.Column("origin", sa.String(length=300), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("expires_at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("origin", name=op.f("pk_link_robots")),
    )


def downgrade() -> None:
    op.drop_table("link_robots")
    op.drop_table("link_previews")
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("preview")
