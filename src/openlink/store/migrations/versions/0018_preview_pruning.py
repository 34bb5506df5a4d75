"""preview pruning: link previews remember when they were last used; images say whether
only link previews use them and when they were last stored; messages name the image of
their card, so the collector can tell a preview picture nothing shows any more

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMNs (no copy of ``messages``: its search triggers name it).
    op.add_column("link_previews", sa.Column("used_at", UTC_TS, nullable=True))
    op.execute("UPDATE link_previews SET used_at = fetched_at")
    op.create_index("ix_link_previews_image", "link_previews", ["image"])
    # Pictures stored before this are kept for good: nothing says what else uses them.
    op.add_column(
        "images",
        sa.Column("previews_only", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("images", sa.Column("touched_at", UTC_TS, nullable=True))
    op.add_column("messages", sa.Column("preview_image", sa.String(length=64), nullable=True))
    op.create_index("ix_messages_preview_image", "messages", ["preview_image"])


def downgrade() -> None:
    op.drop_index("ix_messages_preview_image", table_name="messages")
    # SQLite 3.35+ drops a column in place.
    op.drop_column("messages", "preview_image")
    op.drop_column("images", "touched_at")
    op.drop_column("images", "previews_only")
    op.drop_index("ix_link_previews_image", table_name="link_previews")
    op.drop_column("link_previews", "used_at")
