"""Interests: the shipped seed list, and the operator's new interests and aliases.

Whenever a name becomes an alias, the room tags with that name start naming its interest.
"""

from __future__ import annotations

import functools
import json
import logging
from importlib import resources

from openlink.actions import indexing
from openlink.actions.context import Context
from openlink.domain import interests as rules
from openlink.domain.accounts import User, require_operator
from openlink.domain.ids import new_id
from openlink.domain.interests import Alias, Interest, SeedInterest
from openlink.domain.rooms import TagCategory
from openlink.errors import AlreadyExists, Conflict, NotFound
from openlink.store import interests as store
from openlink.store.db import Tx

log = logging.getLogger("openlink.interests")


def load_seed() -> list[SeedInterest]:
    return list(_parsed_seed())


@functools.cache
def _parsed_seed() -> tuple[SeedInterest, ...]:
    """Read and checked once per process (some ms of CPU): the file ships with the code."""
    text = resources.files("openlink").joinpath("data/interests.json").read_text("utf-8")
    seed = rules.parse_seed(json.loads(text))
    rules.check_seed(seed)
    return tuple(seed)


async def do_seed_interests(ctx: Context, seed: list[SeedInterest] | None = None) -> int:
    """Add what is missing of the seed list; returns the number of aliases added.

    Idempotent: an interest is found by its canonical name (or an alias equal to it, which
    the operator may have added), and an alias that already names any interest is left as
    it is. Two nodes starting at once may race; the loser finds the winner's rows on retry.
    """
    seed = load_seed() if seed is None else seed
    for attempt in (1, 2):
        try:
            async with ctx.db.write() as tx:
                added, changed = await _seed(ctx, tx, seed)
        except AlreadyExists:
            if attempt == 2:
                raise
            continue
        if added:
            log.info("interests: %d aliases added from the seed list", added)
        _rooms_changed(ctx, changed)
        return added
    return 0  # pragma: no cover


async def _seed(ctx: Context, tx: Tx, seed: list[SeedInterest]) -> tuple[int, list[str]]:
    owner = await store.all_aliases(tx.conn)
    named = await store.all_names(tx.conn)
    now = ctx.now()
    added: list[str] = []
    grown: list[str] = []
    for entry in seed:
        interest_id = owner.get(entry.name) or named.get(entry.name)
        if interest_id is None:
            interest_id = new_id()
            await store.insert_interest(
                tx.conn, id=interest_id, name=entry.name, category=entry.category, now=now
            )
        new = [a for a in entry.aliases if a.alias not in owner]
        await store.insert_aliases(tx.conn, interest_id, new)
        owner.update((a.alias, interest_id) for a in new)
        added += [a.alias for a in new]
        if new:
            grown.append(interest_id)
    await store.tag_rooms(tx.conn, added)
    # Rooms of an interest that gained a name: their searchable text gained it too.
    return len(added), await store.rooms_of(tx.conn, grown)


async def do_create_interest(
    ctx: Context,
    operator: User,
    *,
    name: str,
    category: TagCategory,
    aliases: list[tuple[str, str | None]],
) -> Interest:
    require_operator(operator)
    canonical = rules.check_alias(name)
    wanted = {canonical: Alias(canonical, None)}
    for raw, language in aliases:
        alias = rules.check_alias(raw)
        wanted.setdefault(alias, Alias(alias, rules.check_alias_language(language)))
    interest_id = new_id()
    try:
        async with ctx.db.write() as tx:
            _refuse_taken(await store.owners(tx.conn, wanted), None)
            await store.insert_interest(
                tx.conn, id=interest_id, name=canonical, category=category, now=ctx.now()
            )
            await store.insert_aliases(tx.conn, interest_id, list(wanted.values()))
            await store.tag_rooms(tx.conn, list(wanted))
            created = await store.get_interest(tx.conn, interest_id)
            changed = await store.rooms_of(tx.conn, [interest_id])
    except AlreadyExists:
        raise _taken(canonical, None) from None
    assert created is not None
    _rooms_changed(ctx, changed)
    log.info("interest %s (%s) created by the operator", canonical, interest_id)
    return created


async def do_add_alias(
    ctx: Context, operator: User, interest_id: str, *, alias: str, language: str | None
) -> tuple[Interest, bool]:
    """Add an alias; returns the interest and whether the alias is new. Adding an alias
    the interest already has only sets its language."""
    require_operator(operator)
    name = rules.check_alias(alias)
    lang = rules.check_alias_language(language)
    try:
        async with ctx.db.write() as tx:
            if await store.get_interest(tx.conn, interest_id) is None:
                raise NotFound("No interest has this id.", code="interest_not_found")
            owners = await store.owners(tx.conn, [name])
            _refuse_taken(owners, interest_id)
            if name in owners:
                await store.set_alias_language(tx.conn, name, lang)
            else:
                await store.insert_aliases(tx.conn, interest_id, [Alias(name, lang)])
                await store.tag_rooms(tx.conn, [name])
            interest = await store.get_interest(tx.conn, interest_id)
            changed = await store.rooms_of(tx.conn, [interest_id])
    except AlreadyExists:
        raise _taken(name, None) from None
    assert interest is not None
    _rooms_changed(ctx, changed)
    return interest, name not in owners


def _rooms_changed(ctx: Context, room_ids: list[str]) -> None:
    for room_id in room_ids:
        indexing.room_changed(ctx, room_id)


def _refuse_taken(owners: dict[str, str], interest_id: str | None) -> None:
    for alias, owner in owners.items():
        if owner != interest_id:
            raise _taken(alias, owner)


def _taken(alias: str, owner: str | None) -> Conflict:
    details = {"alias": alias} if owner is None else {"alias": alias, "interest_id": owner}
    return Conflict(f"{alias!r} already names another interest.", code="alias_taken", **details)
