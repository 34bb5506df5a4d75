"""The operator's tools over accounts: operator and verified flags, suspensions.

The operator acts from reports, which name members, so a suspension names a membership
and reaches the account behind it without ever showing who that account is.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from openlink.actions.account_events import do_account_event
from openlink.actions.audit import do_audit_operator
from openlink.actions.context import Context
from openlink.domain import reports as rules
from openlink.domain.accounts import User, require_operator
from openlink.domain.events import iso
from openlink.errors import InvalidInput, NotFound
from openlink.store import accounts as store
from openlink.store.db import Tx

log = logging.getLogger("openlink.operator")


def _no_user(username: str) -> NotFound:
    return NotFound(f"No account is named {username!r}.", code="user_not_found")


async def do_set_operator(ctx: Context, username: str, value: bool) -> User:
    """Grant or revoke operator rights: from the command line only."""
    async with ctx.db.write() as tx:
        user = await store.update_user_by_name(tx.conn, username.strip().lower(), is_operator=value)
    if user is None:
        raise _no_user(username)
    log.warning("operator rights %s for account %d", "granted" if value else "revoked", user.id)
    return user


async def do_set_verified(ctx: Context, username: str, value: bool) -> User:
    """Grant or remove the verified flag (rooms can admit verified accounts only)."""
    async with ctx.db.write() as tx:
        user = await store.update_user_by_name(tx.conn, username.strip().lower(), verified=value)
    if user is None:
        raise _no_user(username)
    log.info("verified flag %s for account %d", "granted" if value else "removed", user.id)
    return user


async def do_set_verified_as_operator(
    ctx: Context, operator: User, username: str, value: bool
) -> User:
    require_operator(operator)
    return await do_set_verified(ctx, username, value)


async def do_suspend(
    ctx: Context, operator: User, member_id: str, *, duration_s: int | None, reason: str
) -> dict[str, Any]:
    """Suspend the account behind ``member_id``; ``duration_s`` None: until lifted.

    Suspending again replaces the earlier suspension. The account's sockets close at once.
    """
    require_operator(operator)
    reason = rules.check_suspension_reason(reason)
    now = ctx.now()
    until = None if duration_s is None else now + timedelta(seconds=duration_s)
    async with ctx.db.write() as tx:
        user_id, room_id = await _account_of(tx, member_id)
        if user_id == operator.id:
            raise InvalidInput("You cannot suspend yourself.", code="cannot_suspend_self")
        await store.update_user(tx.conn, user_id, suspended_at=now, suspended_until=until)
        details = {"until": iso(until), "reason": reason}
        # Recorded in the room the operator acted from, for its moderators to see.
        await do_audit_operator(
            tx, room_id, "suspend", now, target_member=member_id, details=details
        )
        await do_account_event(ctx, tx, user_id, {"type": "suspended"})
    log.warning("account %d suspended until %s: %s", user_id, iso(until) or "lifted", reason)
    return {"member_id": member_id, "suspended_at": iso(now), "suspended_until": iso(until)}


async def do_lift_suspension(ctx: Context, operator: User, member_id: str) -> None:
    """Lift the suspension of the account behind ``member_id`` (a no-op if there is none)."""
    require_operator(operator)
    now = ctx.now()
    async with ctx.db.write() as tx:
        user_id, room_id = await _account_of(tx, member_id)
        await store.update_user(tx.conn, user_id, suspended_at=None, suspended_until=None)
        await do_audit_operator(
            tx, room_id, "lift_suspension", now, target_member=member_id, details={}
        )
    log.warning("account %d: suspension lifted", user_id)


async def _account_of(tx: Tx, member_id: str) -> tuple[int, str]:
    found = await store.account_of_member(tx.conn, member_id)
    if found is None:
        raise NotFound("No such member.", code="member_not_found")
    return found
