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
    # Plain ADD COLUMN (SQLite has it): a batch copy of ``rooms`` would break the search
    # triggers that name it.
    op.add_column("messages", sa.Column("preview", sa.JSON(), nullable=True))
    op.add_column(
        "rooms",
        sa.Column("link_previews", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
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
    # SQLite 3.35+ drops a column in place.
    op.drop_column("rooms", "link_previews")
    op.drop_column("messages", "preview")
