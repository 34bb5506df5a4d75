"""Sign-up, sign-in, sign-out, password change, and the account's own profile and saved
open profiles."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncConnection

from openlink.actions import images, throttle
from openlink.actions.account_events import do_account_event
from openlink.actions.context import Context
from openlink.domain import accounts as rules
from openlink.domain.accounts import OpenProfile, Session, User
from openlink.domain.devices import is_device_of, new_device_token
from openlink.domain.ids import hash_token, new_id, new_token
from openlink.domain.members import check_nickname
from openlink.errors import AlreadyExists, Conflict, Forbidden, NotFound, Unauthenticated
from openlink.store import accounts as store

# Verified against when the username is unknown, so that a miss costs the same time as a
# wrong password and does not reveal which usernames exist.
_DUMMY_HASH: str | None = None


async def do_sign_up(
    ctx: Context,
    *,
    username: str,
    password: str,
    display_name: str,
    language: str,
    interests: list[str],
    address: str | None = None,
) -> tuple[User, str, str]:
    """Returns the new account, a bearer token and a device token (see ``do_sign_in``):
    the browser that signed up is a known device from the start."""
    username = rules.check_username(username)
    rules.check_password(password)
    display_name = rules.check_display_name(display_name)
    language = rules.check_language(language)
    interests = rules.check_interests(interests)
    await throttle.check_sign_up_allowed(ctx, address)
    password_hash = await asyncio.to_thread(ctx.passwords.hash, password)
    try:
        async with ctx.db.write() as tx:
            user = await store.insert_user(
                tx.conn,
                username=username,
                password_hash=password_hash,
                now=ctx.now(),
                display_name=display_name,
                language=language,
                interests=interests,
            )
            token = await _issue_token(ctx, tx.conn, user.id)
    except AlreadyExists:
        raise Conflict("That username is taken.", code="username_taken") from None
    return user, token, new_device_token(password_hash, user.id, epoch=0)


async def do_sign_in(
    ctx: Context,
    *,
    username: str,
    password: str,
    address: str | None = None,
    device: str | None = None,
) -> tuple[User, str, str]:
    """Returns the account, a bearer token and a device token for the next sign-in.

    ``address`` is the client's, for the limits on failed attempts; ``device`` the device
    token of an earlier sign-in, which exempts the attempt from the per-account limit."""
    global _DUMMY_HASH
    name = username.strip().lower()
    async with ctx.db.read() as conn:
        creds = await store.get_credentials(conn, name)
    known = creds is not None and is_device_of(device, creds[1], creds[0], creds[2])
    # Reserved before argon2 and kept as the failure it is, unless the password is right.
    reserved = await throttle.begin_sign_in(ctx, name, address, known_device=known)
    if creds is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = await asyncio.to_thread(ctx.passwords.hash, "not-a-real-password")
        await asyncio.to_thread(_verify, ctx, _DUMMY_HASH, password)
        raise Unauthenticated("Wrong username or password.", code="bad_credentials")
    user_id, password_hash, epoch = creds
    if not await asyncio.to_thread(_verify, ctx, password_hash, password):
        raise Unauthenticated("Wrong username or password.", code="bad_credentials")
    await throttle.sign_in_succeeded(ctx, name, address, reserved)
    new_hash = None
    if ctx.passwords.check_needs_rehash(password_hash):
        new_hash = await asyncio.to_thread(ctx.passwords.hash, password)
    async with ctx.db.write() as tx:
        user = await store.get_user(tx.conn, user_id)
        assert user is not None
        rules.check_not_suspended(user, ctx.now())
        if new_hash is not None:
            await store.set_password_hash(tx.conn, user_id, new_hash)
        await store.delete_expired_tokens(tx.conn, user_id, ctx.now())
        token = await _issue_token(ctx, tx.conn, user_id)
    if not known or new_hash is not None:
        device = new_device_token(new_hash or password_hash, user_id, epoch)
    assert device is not None
    return user, token, device


def _verify(ctx: Context, password_hash: str, password: str) -> bool:
    try:
        return ctx.passwords.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def _issue_token(ctx: Context, conn: AsyncConnection, user_id: int) -> str:
    token = new_token()
    now = ctx.now()
    await store.insert_token(
        conn,
        token_hash=hash_token(token),
        user_id=user_id,
        now=now,
        expires_at=now + timedelta(days=ctx.settings.token_ttl_days),
    )
    return token


async def access_user_by_token(ctx: Context, token: str) -> User:
    """The account a bearer token belongs to; one error for unknown, expired or revoked."""
    return (await access_session_by_token(ctx, token)).user


async def access_session_by_token(ctx: Context, token: str) -> Session:
    """The token's session (account, expiry, the account's revision); errors as above."""
    if not token or len(token) > 200:
        raise Unauthenticated("Sign in first.", code="unauthenticated")
    async with ctx.db.read() as conn:
        session = await store.session_for_token(conn, hash_token(token), ctx.now())
    if session is None:
        raise Unauthenticated("Your session has expired or was signed out.", code="bad_token")
    rules.check_not_suspended(session.user, ctx.now())
    return session


async def do_sign_out(ctx: Context, user: User, token: str) -> None:
    """Revoke the token; sockets opened with it close (code 4001)."""
    token_hash = hash_token(token)
    async with ctx.db.write() as tx:
        await store.delete_token(tx.conn, token_hash)
        await do_account_event(ctx, tx, user.id, {"type": "signed_out", "token": token_hash})


async def do_sign_out_everywhere(ctx: Context, user: User) -> None:
    """Revoke every token of the account, this one included; all its sockets close. Every
    device is forgotten too: one the owner lost no longer passes the per-account limit."""
    async with ctx.db.write() as tx:
        await store.delete_tokens(tx.conn, user.id)
        await store.bump_device_epoch(tx.conn, user.id)
        await do_account_event(ctx, tx, user.id, {"type": "sessions_revoked", "keep": None})


async def do_change_password(
    ctx: Context, user: User, token: str, *, current_password: str, new_password: str
) -> str:
    """Replace the password, knowing the current one. Every other token of the account is
    revoked and its sockets close; this token stays signed in. Every device is forgotten;
    returns a new device token for this browser. Wrong current passwords are limited per
    session and changes per account, both reserved before any hashing."""
    rules.check_password(new_password)
    keep = hash_token(token)
    await throttle.begin_password_change(ctx, user.id, keep)
    async with ctx.db.read() as conn:
        password_hash = await store.get_password_hash(conn, user.id)
    if password_hash is None or not await asyncio.to_thread(
        _verify, ctx, password_hash, current_password
    ):
        raise Forbidden("The current password is wrong.", code="wrong_password")
    await throttle.password_change_succeeded(ctx, keep)
    new_hash = await asyncio.to_thread(ctx.passwords.hash, new_password)
    async with ctx.db.write() as tx:
        await store.set_password_hash(tx.conn, user.id, new_hash)
        await store.delete_tokens(tx.conn, user.id, keep=keep)
        epoch = await store.bump_device_epoch(tx.conn, user.id)
        await do_account_event(ctx, tx, user.id, {"type": "sessions_revoked", "keep": keep})
    return new_device_token(new_hash, user.id, epoch)


async def do_update_profile(
    ctx: Context,
    user: User,
    *,
    display_name: str | None = None,
    language: str | None = None,
    interests: list[str] | None = None,
) -> User:
    values: dict[str, object] = {}
    if display_name is not None:
        values["display_name"] = rules.check_display_name(display_name)
    if language is not None:
        values["language"] = rules.check_language(language)
    if interests is not None:
        values["interests"] = rules.check_interests(interests)
    if not values:
        return user
    async with ctx.db.write() as tx:
        return await store.update_user(tx.conn, user.id, **values)


async def do_create_open_profile(
    ctx: Context, user: User, *, nickname: str, avatar_url: str | None
) -> OpenProfile:
    nickname = check_nickname(nickname)
    avatar = await images.check_image(ctx, user, avatar_url, "avatar")
    limit = ctx.settings.max_open_profiles
    async with ctx.db.write() as tx:
        if await store.count_open_profiles(tx.conn, user.id) >= limit:
            raise Conflict(
                f"You can keep at most {limit} open profiles.", code="open_profile_limit"
            )
        return await store.insert_open_profile(
            tx.conn,
            profile_id=new_id(),
            user_id=user.id,
            nickname=nickname,
            avatar_url=avatar,
            now=ctx.now(),
        )


async def do_update_open_profile(
    ctx: Context, user: User, profile_id: str, *, nickname: str | None, avatar_url: str | None
) -> OpenProfile:
    values: dict[str, object] = {}
    if nickname is not None:
        values["nickname"] = check_nickname(nickname)
    if avatar_url is not None:
        values["avatar_url"] = await images.check_image(ctx, user, avatar_url, "avatar")
    async with ctx.db.write() as tx:
        if not values:
            found = await store.get_open_profile(tx.conn, user.id, profile_id)
        else:
            found = await store.update_open_profile(tx.conn, user.id, profile_id, **values)
    if found is None:
        raise NotFound("No such open profile.", code="open_profile_not_found")
    return found


async def do_delete_open_profile(ctx: Context, user: User, profile_id: str) -> None:
    async with ctx.db.write() as tx:
        if not await store.delete_open_profile(tx.conn, user.id, profile_id):
            raise NotFound("No such open profile.", code="open_profile_not_found")
