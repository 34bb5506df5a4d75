"""moderation: automod rules' authors, and how often a message was edited

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: a batch (copy-and-rename) on SQLite would trip the search triggers.
    op.add_column("automod_rules", sa.Column("author", sa.String(length=24), nullable=True))
    op.add_column(
        "messages",
        sa.Column("edits", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    _authors_from_the_audit_log()


def _authors_from_the_audit_log() -> None:
    """A rule's author is whoever last created or changed it, as the audit log recorded."""
    conn = op.get_bind()
    audit = sa.table(
        "audit_log",
        sa.column("id", sa.Integer),
        sa.column("actor", sa.String),
        sa.column("action", sa.String),
        sa.column("details", sa.Text),
    )
    rules = sa.table("automod_rules", sa.column("id", sa.String), sa.column("author", sa.String))
    rows = conn.execute(
        sa.select(audit.c.actor, audit.c.details)
        .where(audit.c.action.in_(["automod_rule_create", "automod_rule_update"]))
        .order_by(audit.c.id)
    )
    authors: dict[str, str] = {}
    for actor, details in rows:
        found = json.loads(details) if isinstance(details, str) else details or {}
        if actor and found.get("rule_id"):
            authors[found["rule_id"]] = actor
    for rule_id, actor in authors.items():
        conn.execute(sa.update(rules).where(rules.c.id == rule_id).values(author=actor))


def downgrade() -> None:
    op.drop_column("messages", "edits")
    op.drop_column("automod_rules", "author")
