"""The operator's partners: adding one, rotating its API key, disabling it.

A key is shown once, when it is made; only its SHA-256 is stored, and a key is found by
looking its hash up, so comparing keys never depends on their bytes. Keys are never
logged. Each partner gets an account that hosts the rooms its content creates: it has no
usable password and never signs in.
"""

from __future__ import annotations

import logging

from openlink.actions.context import Context
from openlink.domain import partners as rules
from openlink.domain.accounts import User, require_operator
from openlink.domain.ids import hash_token, new_id, new_token
from openlink.domain.partners import Partner
from openlink.errors import AlreadyExists, Conflict, NotFound, Unauthenticated
from openlink.store import accounts as accounts_store
from openlink.store import partners as store
from openlink.store.db import Tx

log = logging.getLogger("openlink.partners")

#: Not an argon2 hash: verifying any password against it fails, so nobody signs in.
UNUSABLE_PASSWORD = "!partner-account"


def new_key() -> str:
    return rules.KEY_PREFIX + new_token()


async def do_add_partner(ctx: Context, name: str, origins: list[str]) -> tuple[Partner, str]:
    """A new partner, its hosting account and its API key (returned once)."""
    name = rules.check_partner_name(name)
    origins = rules.check_origins(origins)
    key = new_key()
    partner_id = new_id()
    try:
        async with ctx.db.write() as tx:
            if await store.get_partner_by_name(tx.conn, name) is not None:
                raise _name_taken(name)
            user = await accounts_store.insert_user(
                tx.conn,
                username=await _free_username(tx, name, partner_id),
                password_hash=UNUSABLE_PASSWORD,
                display_name=name[:40],
                language="en",
                interests=[],
                now=ctx.now(),
            )
            await store.insert_partner(
                tx.conn,
                id=partner_id,
                name=name,
                key_hash=hash_token(key),
                allowed_origins=origins,
                user_id=user.id,
                active=True,
                created_at=ctx.now(),
            )
            partner = await _get(tx, partner_id)
    except AlreadyExists:
        raise _name_taken(name) from None
    log.info("partner %s added (%s)", partner.id, partner.name)
    return partner, key


async def do_add_partner_as_operator(
    ctx: Context, operator: User, name: str, origins: list[str]
) -> tuple[Partner, str]:
    require_operator(operator)
    return await do_add_partner(ctx, name, origins)


async def do_rotate_key(
    ctx: Context, partner_ref: str, *, by_name: bool = False
) -> tuple[Partner, str]:
    """A new key for the partner; the old one stops working at once."""
    key = new_key()
    async with ctx.db.write() as tx:
        partner = await _find(tx, partner_ref, by_name)
        await store.update_partner(tx.conn, partner.id, key_hash=hash_token(key))
    log.warning("partner %s: API key rotated", partner.id)
    return partner, key


async def do_rotate_key_as_operator(
    ctx: Context, operator: User, partner_id: str
) -> tuple[Partner, str]:
    require_operator(operator)
    return await do_rotate_key(ctx, partner_id)


async def do_disable(ctx: Context, partner_ref: str, *, by_name: bool = False) -> Partner:
    """The partner's key stops working and its origins may no longer frame the widget.
    Its rooms and links stay."""
    async with ctx.db.write() as tx:
        partner = await _find(tx, partner_ref, by_name)
        await store.update_partner(tx.conn, partner.id, active=False)
    partner.active = False
    log.warning("partner %s disabled", partner.id)
    return partner


async def do_disable_as_operator(ctx: Context, operator: User, partner_id: str) -> Partner:
    require_operator(operator)
    return await do_disable(ctx, partner_id)


async def access_partner_by_key(ctx: Context, key: str) -> Partner:
    """The active partner a key belongs to; one error for unknown, rotated or disabled."""
    async with ctx.db.read() as conn:
        partner = (
            await store.get_active_partner_by_key(conn, hash_token(key))
            if 0 < len(key) <= 200
            else None
        )
    if partner is None:
        raise Unauthenticated("This is not an active partner API key.", code="bad_partner_key")
    return partner


async def _free_username(tx: Tx, name: str, partner_id: str) -> str:
    slug = rules.account_slug(name)
    candidate = f"partner_{slug or partner_id[:8]}"
    if not await store.username_taken(tx.conn, candidate):
        return candidate
    return f"partner_{slug[:15]}_{partner_id[:8]}".replace("__", "_")


async def _find(tx: Tx, ref: str, by_name: bool) -> Partner:
    partner = (
        await store.get_partner_by_name(tx.conn, ref.strip())
        if by_name
        else await store.get_partner(tx.conn, ref)
    )
    if partner is None:
        raise NotFound(f"No partner {ref!r}.", code="partner_not_found")
    return partner


async def _get(tx: Tx, partner_id: str) -> Partner:
    partner = await store.get_partner(tx.conn, partner_id)
    assert partner is not None
    return partner


def _name_taken(name: str) -> Conflict:
    return Conflict(f"A partner is already named {name!r}.", code="partner_name_taken")
