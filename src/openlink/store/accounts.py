"""Users, their bearer tokens (stored as SHA-256 hashes) and their saved open profiles."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.domain.accounts import OpenProfile, Session, User
from openlink.store.db import column_names, driver_datetime, driver_json, driver_rows
from openlink.store.dialect import unique
from openlink.store.schema import members, open_profiles, tokens, users


def _user(c: Mapping[Any, Any]) -> User:
    """An account from its row's values, as SQLAlchemy types them (``row._mapping``) or
    as SQLite's driver reads them (``db.driver_rows``)."""
    created_at = driver_datetime(c["created_at"])
    assert created_at is not None
    return User(
        id=c["id"],
        username=c["username"],
        display_name=c["display_name"],
        language=c["language"],
        created_at=created_at,
        interests=list(driver_json(c["interests"]) or []),
        verified=bool(c["verified"]),
        is_operator=bool(c["is_operator"]),
        suspended=c["suspended_at"] is not None,
        suspended_until=driver_datetime(c["suspended_until"]),
    )


async def insert_user(
    conn: AsyncConnection,
    *,
    username: str,
    password_hash: str,
    display_name: str,
    language: str,
    interests: list[str],
    now: datetime,
) -> User:
    with unique("An account with this username"):
        result = await conn.execute(
            insert(users)
            .values(
                username=username,
                password_hash=password_hash,
                display_name=display_name,
                language=language,
                interests=interests,
                created_at=now,
            )
            .returning(users)
        )
        return _user(result.one()._mapping)


async def get_user(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).one_or_none()
    return None if row is None else _user(row._mapping)


async def get_credentials(conn: AsyncConnection, username: str) -> tuple[int, str, int] | None:
    """The account's id, password hash and device epoch."""
    q = select(users.c.id, users.c.password_hash, users.c.device_epoch).where(
        users.c.username == username
    )
    row = (await conn.execute(q)).one_or_none()
    return None if row is None else (row.id, row.password_hash, row.device_epoch)


async def bump_device_epoch(conn: AsyncConnection, user_id: int) -> int:
    """Forget every device of the account; returns the new epoch."""
    q = (
        update(users)
        .where(users.c.id == user_id)
        .values(device_epoch=users.c.device_epoch + 1)
        .returning(users.c.device_epoch)
    )
    return int((await conn.execute(q)).scalar_one())


async def set_password_hash(conn: AsyncConnection, user_id: int, password_hash: str) -> None:
    await conn.execute(
        update(users).where(users.c.id == user_id).values(password_hash=password_hash)
    )


async def update_user(conn: AsyncConnection, user_id: int, **values: Any) -> User:
    result = await conn.execute(
        update(users).where(users.c.id == user_id).values(**values).returning(users)
    )
    return _user(result.one()._mapping)


async def update_user_by_name(conn: AsyncConnection, username: str, **values: Any) -> User | None:
    result = await conn.execute(
        update(users).where(users.c.username == username).values(**values).returning(users)
    )
    row = result.one_or_none()
    return None if row is None else _user(row._mapping)


async def account_of_member(conn: AsyncConnection, member_id: str) -> tuple[int, str] | None:
    """The account id and room id behind a membership (active or not): operator use only."""
    q = select(members.c.user_id, members.c.room_id).where(members.c.id == member_id)
    row = (await conn.execute(q)).one_or_none()
    return None if row is None else (row.user_id, row.room_id)


async def insert_token(
    conn: AsyncConnection, *, token_hash: str, user_id: int, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        insert(tokens).values(
            token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at
        )
    )


# Built once: every socket connect and API call runs it.
_SESSION = (
    select(users, tokens.c.expires_at)
    .join(tokens, tokens.c.user_id == users.c.id)
    .where(tokens.c.token_hash == bindparam("token_hash"), tokens.c.expires_at > bindparam("now"))
)


_SESSION_COLUMNS = column_names(_SESSION)


async def session_for_token(
    conn: AsyncConnection, token_hash: str, now: datetime
) -> Session | None:
    """The session of a token that has not expired. Every request and socket connect
    reads one: from the driver's row (``db.driver_rows``)."""
    rows = await driver_rows(conn, _SESSION, {"token_hash": token_hash, "now": now})
    if not rows:
        return None
    c = dict(zip(_SESSION_COLUMNS, rows[0], strict=True))
    expires_at = driver_datetime(c["expires_at"])
    assert expires_at is not None
    return Session(user=_user(c), expires_at=expires_at, access_rev=c["access_rev"])


async def delete_token(conn: AsyncConnection, token_hash: str) -> None:
    await conn.execute(delete(tokens).where(tokens.c.token_hash == token_hash))


async def delete_tokens(conn: AsyncConnection, user_id: int, *, keep: str | None = None) -> None:
    """Revoke every token of the account, except ``keep`` (a token hash) if given."""
    q = delete(tokens).where(tokens.c.user_id == user_id)
    if keep is not None:
        q = q.where(tokens.c.token_hash != keep)
    await conn.execute(q)


async def live_token_hashes(
    conn: AsyncConnection, user_id: int, token_hashes: list[str], now: datetime
) -> set[str]:
    """Which of ``token_hashes`` are still valid tokens of the account."""
    q = select(tokens.c.token_hash).where(
        tokens.c.user_id == user_id,
        tokens.c.token_hash.in_(token_hashes),
        tokens.c.expires_at > now,
    )
    return set((await conn.execute(q)).scalars())


async def bump_access_rev(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(
        update(users).where(users.c.id == user_id).values(access_rev=users.c.access_rev + 1)
    )


async def access_revs(conn: AsyncConnection, user_ids: list[int]) -> dict[int, int]:
    q = select(users.c.id, users.c.access_rev).where(users.c.id.in_(user_ids))
    return {row.id: row.access_rev for row in await conn.execute(q)}


async def get_password_hash(conn: AsyncConnection, user_id: int) -> str | None:
    q = select(users.c.password_hash).where(users.c.id == user_id)
    return (await conn.execute(q)).scalar_one_or_none()


async def delete_expired_tokens(conn: AsyncConnection, user_id: int, now: datetime) -> None:
    await conn.execute(
        delete(tokens).where(tokens.c.user_id == user_id, tokens.c.expires_at <= now)
    )


def _profile(row: Any) -> OpenProfile:
    return OpenProfile(
        id=row.id, nickname=row.nickname, avatar_url=row.avatar_url, created_at=row.created_at
    )


async def list_open_profiles(conn: AsyncConnection, user_id: int) -> list[OpenProfile]:
    rows = await conn.execute(
        select(open_profiles)
        .where(open_profiles.c.user_id == user_id)
        .order_by(open_profiles.c.created_at, open_profiles.c.id)
    )
    return [_profile(r) for r in rows]


async def count_open_profiles(conn: AsyncConnection, user_id: int) -> int:
    q = select(func.count()).select_from(open_profiles).where(open_profiles.c.user_id == user_id)
    return int((await conn.execute(q)).scalar_one())


async def get_open_profile(
    conn: AsyncConnection, user_id: int, profile_id: str
) -> OpenProfile | None:
    row = (
        await conn.execute(
            select(open_profiles).where(
                open_profiles.c.id == profile_id, open_profiles.c.user_id == user_id
            )
        )
    ).one_or_none()
    return None if row is None else _profile(row)


async def insert_open_profile(
    conn: AsyncConnection,
    *,
    profile_id: str,
    user_id: int,
    nickname: str,
    avatar_url: str | None,
    now: datetime,
) -> OpenProfile:
    result = await conn.execute(
        insert(open_profiles)
        .values(
            id=profile_id,
            user_id=user_id,
            nickname=nickname,
            avatar_url=avatar_url,
            created_at=now,
        )
        .returning(open_profiles)
    )
    return _profile(result.one())


async def update_open_profile(
    conn: AsyncConnection, user_id: int, profile_id: str, **values: Any
) -> OpenProfile | None:
    result = await conn.execute(
        update(open_profiles)
        .where(open_profiles.c.id == profile_id, open_profiles.c.user_id == user_id)
        .values(**values)
        .returning(open_profiles)
    )
    row = result.one_or_none()
    return None if row is None else _profile(row)


async def delete_open_profile(conn: AsyncConnection, user_id: int, profile_id: str) -> bool:
    result = await conn.execute(
        delete(open_profiles).where(
            open_profiles.c.id == profile_id, open_profiles.c.user_id == user_id
        )
    )
    return bool(result.rowcount)
