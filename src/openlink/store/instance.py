"""Secrets the instance makes for itself: made once, by whichever node asks first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.store.dialect import insert_or_ignore
from openlink.store.schema import instance_secrets


async def instance_secret(
    conn: AsyncConnection, name: str, candidate: str, *, now: datetime
) -> str:
    """The secret stored under ``name``; ``candidate`` becomes it if there is none yet.
    Two nodes asking at once both get the one that was stored first."""
    statement = insert_or_ignore(instance_secrets).values(
        name=name, value=candidate, created_at=now
    )
    await conn.execute(statement)
    found = await conn.execute(
        select(instance_secrets.c.value).where(instance_secrets.c.name == name)
    )
    return str(found.scalar_one())
