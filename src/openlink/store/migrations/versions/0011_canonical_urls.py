"""canonical_urls: works named by URL folded again with w3lib's canonical form

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openlink.domain.partners import canonical_url
from openlink.errors import InvalidInput

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

works = sa.table(
    "content_works",
    sa.column("id", sa.String),
    sa.column("canonical", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
links = sa.table("content_links", sa.column("work_id", sa.String))


def upgrade() -> None:
    """Works stored under the old canonical form get the new one. Spellings the old form
    kept apart (``café`` and ``caf%C3%A9``) now name one work: the oldest keeps its room,
    the others' content links move to it and their rows go (their rooms stay, unlinked)."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(works.c.id, works.c.canonical)
        .where(works.c.canonical.like("url:%"))
        .order_by(works.c.created_at, works.c.id)
    ).all()
    survivors: dict[str, str] = {}
    renamed: list[tuple[str, str]] = []
    for work_id, old in rows:
        try:
            new = "url:" + canonical_url(old.removeprefix("url:"))
        except InvalidInput:
            new = old
        survivor = survivors.setdefault(new, work_id)
        if survivor != work_id:
            conn.execute(
                sa.update(links).where(links.c.work_id == work_id).values(work_id=survivor)
            )
            conn.execute(sa.delete(works).where(works.c.id == work_id))
        elif new != old:
            renamed.append((work_id, new))
    for work_id, new in renamed:
        conn.execute(sa.update(works).where(works.c.id == work_id).values(canonical=new))


def downgrade() -> None:
    """Nothing to undo: the old form reads the new one as it is."""
