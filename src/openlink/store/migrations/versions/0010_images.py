"""images: avatars and covers served by the instance; external picture URLs dropped

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
    )
    # Every picture stored so far is a link to another site, which would keep telling
    # that site who reads the room: they are dropped, not fetched (decisions/0005).
    op.execute("UPDATE open_profiles SET avatar_url = NULL")
    op.execute("UPDATE members SET avatar_url = NULL")
    op.execute("UPDATE rooms SET cover_url = NULL")
    _drop_join_request_avatars()


def _drop_join_request_avatars() -> None:
    requests = sa.table("join_requests", sa.column("id", sa.String), sa.column("profile", sa.JSON))
    conn = op.get_bind()
    for row in conn.execute(sa.select(requests.c.id, requests.c.profile)).all():
        if (row.profile or {}).get("avatar_url") is None:
            continue
        profile = {**row.profile, "avatar_url": None}
        conn.execute(requests.update().where(requests.c.id == row.id).values(profile=profile))


def downgrade() -> None:
    op.drop_table("images")
