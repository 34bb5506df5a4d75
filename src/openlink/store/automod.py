"""Automod rules, and the room's rules revision (``rooms.automod_rev``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.automod import AutomodAction, Rule, RuleKind
from openlink.domain.permissions import Role
from openlink.store.schema import automod_rules, rooms


def _rule(row: Any) -> Rule:
    return Rule(
        id=row.id,
        room_id=row.room_id,
        name=row.name,
        kind=RuleKind(row.kind),
        patterns=tuple(row.patterns),
        action=AutomodAction(row.action),
        timeout_s=row.timeout_s,
        exempt_roles=frozenset(Role(r) for r in row.exempt_roles),
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        author=row.author,
    )


def _columns(rule: Rule) -> dict[str, Any]:
    return dict(
        name=rule.name,
        kind=rule.kind.value,
        patterns=list(rule.patterns),
        action=rule.action.value,
        timeout_s=rule.timeout_s,
        exempt_roles=sorted(r.value for r in rule.exempt_roles),
        enabled=rule.enabled,
        updated_at=rule.updated_at,
        author=rule.author,
    )


async def list_rules(conn: AsyncConnection, room_id: str) -> list[Rule]:
    """Oldest first."""
    rows = await conn.execute(
        select(automod_rules)
        .where(automod_rules.c.room_id == room_id)
        .order_by(automod_rules.c.created_at, automod_rules.c.id)
    )
    return [_rule(r) for r in rows]


async def get_rule(conn: AsyncConnection, room_id: str, rule_id: str) -> Rule | None:
    row = (
        await conn.execute(
            select(automod_rules).where(
                automod_rules.c.room_id == room_id, automod_rules.c.id == rule_id
            )
        )
    ).one_or_none()
    return None if row is None else _rule(row)


async def count_rules(conn: AsyncConnection, room_id: str) -> int:
    q = select(func.count()).select_from(automod_rules).where(automod_rules.c.room_id == room_id)
    return int((await conn.execute(q)).scalar_one())


async def insert_rule(conn: AsyncConnection, rule: Rule) -> None:
    await conn.execute(
        insert(automod_rules).values(
            id=rule.id, room_id=rule.room_id, created_at=rule.created_at, **_columns(rule)
        )
    )


async def update_rule(conn: AsyncConnection, rule: Rule) -> None:
    await conn.execute(
        update(automod_rules).where(automod_rules.c.id == rule.id).values(**_columns(rule))
    )


async def delete_rule(conn: AsyncConnection, rule_id: str) -> None:
    await conn.execute(delete(automod_rules).where(automod_rules.c.id == rule_id))


async def bump_rev(conn: AsyncConnection, room_id: str) -> None:
    """Every process's compiled copy of the room's rules is stale from this commit on."""
    await conn.execute(
        update(rooms).where(rooms.c.id == room_id).values(automod_rev=rooms.c.automod_rev + 1)
    )
