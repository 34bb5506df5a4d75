"""Demo data in Korean, Japanese, English and Portuguese, written through the public use
cases. The accounts and rooms are in ``data/demo.json``: rooms where English and
Portuguese readers meet show automatic translation with the en<->pt models ``make run``
installs."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from openlink.actions import accounts, joining, messages, rooms
from openlink.actions.context import Context
from openlink.actions.interests import do_seed_interests
from openlink.domain.accounts import User
from openlink.domain.rooms import ProfilePolicy, RoomKind, TagCategory, Visibility
from openlink.errors import Conflict
from openlink.queries.demo import DEMO_PASSWORD, demo_data

log = logging.getLogger("openlink.demo")


async def seed_demo(ctx: Context) -> bool:
    """Create the demo accounts and rooms. Returns False if they were already there."""
    await do_seed_interests(ctx)  # so that the rooms' tags name their interests
    data = demo_data()
    users: dict[str, User] = {}
    for u in data["users"]:
        try:
            users[u["username"]], _, _ = await accounts.do_sign_up(
                ctx,
                username=u["username"],
                password=DEMO_PASSWORD,
                display_name=u["display_name"],
                language=u["language"],
                interests=u["interests"],
            )
        except Conflict:
            return False
    for spec in data["rooms"]:
        room_id = await _create(ctx, users[spec["host"]], spec, RoomKind.GROUP)
        authors = {author for author, _ in spec["lines"]}
        for username, user in users.items():
            if username != spec["host"] and username in authors:
                await joining.do_join_public(
                    ctx,
                    user,
                    room_id,
                    code=None,
                    profile={"kind": "open", "nickname": f"{user.display_name}*"},
                )
        for username, text in spec["lines"]:
            await messages.do_send_message(
                ctx, users[username], room_id, client_id=str(uuid.uuid4()), body=text
            )
    for spec in data["direct_links"]:
        await _create(ctx, users[spec["host"]], spec, RoomKind.DIRECT_LINK)
    return True


async def _create(ctx: Context, host: User, spec: dict[str, Any], kind: RoomKind) -> str:
    room, _ = await rooms.do_create_room(
        ctx,
        host,
        name=spec["name"],
        description=spec["description"],
        kind=kind,
        visibility=Visibility.PUBLIC,
        profile_policy=ProfilePolicy.OPEN_ALLOWED,
        tags=[(name, TagCategory(category)) for name, category in spec["tags"]],
        cover_url=None,
        member_cap=None,
        code=None,
        host_profile={"kind": "main"},
    )
    return room.id
