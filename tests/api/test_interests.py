"""Interests: one topic under many names. The seed list, autocomplete, the operator's
aliases, and room tags that follow them."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from openlink.actions.interests import do_seed_interests, load_seed
from openlink.store.schema import interest_aliases, interests, room_tags
from tests.conftest import Server
from tests.factories import error_code, expect
from tests.factory import details, operator, user


async def autocomplete(client: httpx.AsyncClient, q: str, **params: Any) -> list[dict[str, Any]]:
    body = expect(await client.get("/api/interests", params={"q": q, **params}), 200)
    return list(body["interests"])


def aliases_of(interest: dict[str, Any]) -> set[str]:
    return {a["alias"] for a in interest["aliases"]}


async def test_the_names_of_hiking_in_five_languages_are_one_interest(
    client: httpx.AsyncClient,
) -> None:
    by_prefix = await autocomplete(client, "hik")
    by_korean = await autocomplete(client, "등")
    assert by_prefix[0]["name"] == "hiking"
    hiking = by_prefix[0]
    assert hiking["category"] == "hobby"
    assert {"hiking", "등산", "登山", "senderismo", "徒步"} <= aliases_of(hiking)
    assert hiking["id"] in [i["id"] for i in by_korean]
    # Without authentication, case- and width-insensitively, and by id.
    assert (await autocomplete(client, "ＨＩＫ"))[0]["id"] == hiking["id"]
    one = expect(await client.get(f"/api/interests/{hiking['id']}"), 200)
    assert one == hiking
    missing = await client.get("/api/interests/nosuchinterest")
    assert error_code(missing, 404) == "interest_not_found"


async def test_autocomplete_puts_names_that_start_with_the_query_first(
    client: httpx.AsyncClient,
) -> None:
    found = await autocomplete(client, "ball", limit=50)
    names = [i["name"] for i in found]
    # "baseball" and "basketball" contain it; nothing starts with it; "balloon" does not exist.
    assert {"baseball", "basketball"} <= set(names)
    starting = await autocomplete(client, "base")
    assert starting[0]["name"] == "baseball"
    assert len(await autocomplete(client, "c", limit=3)) == 3
    assert await autocomplete(client, "%") == []  # LIKE wildcards are literal


async def test_seeding_again_adds_nothing_and_keeps_what_the_operator_added(
    server: Server, client: httpx.AsyncClient
) -> None:
    ctx = server.app.state.ctx
    async with ctx.db.read() as conn:
        before = len((await conn.execute(select(interest_aliases))).all())
        count = len((await conn.execute(select(interests))).all())
    assert count >= 60
    assert await do_seed_interests(ctx) == 0
    # An alias the seed also has, taken by another interest: seeding still succeeds.
    op = await operator(client, server)
    mine = await op.add_interest(name="mountain sports", category="hobby")
    seed = load_seed()
    extra = [s for s in seed if s.name == "hiking"]
    async with ctx.db.write() as tx:
        await tx.conn.execute(
            interest_aliases.delete().where(interest_aliases.c.alias == "trekking")
        )
        await tx.conn.execute(
            interest_aliases.insert().values(
                alias="trekking", interest_id=mine["id"], language="en"
            )
        )
    assert await do_seed_interests(ctx, extra) == 0
    async with ctx.db.read() as conn:
        after = len((await conn.execute(select(interest_aliases))).all())
        owner = (
            await conn.execute(
                select(interest_aliases.c.interest_id).where(interest_aliases.c.alias == "trekking")
            )
        ).scalar_one()
    assert after == before + 1  # the operator's "mountain sports"
    assert owner == mine["id"]


async def test_room_tags_name_their_interest_in_any_language(
    server: Server, client: httpx.AsyncClient
) -> None:
    host = await user(client, language="ko")
    r = await host.create_room(
        tags=[
            {"name": "#등산", "category": "hobby"},
            {"name": "동네 뒷산", "category": "place"},
        ],
    )
    hiking = (await autocomplete(client, "hiking"))[0]
    tags = await tag_interests(server, r.id)
    assert tags == {"등산": hiking["id"], "동네 뒷산": None}
    # Changing the tags resolves them again.
    await r.host.update(tags=[{"name": "Senderismo", "category": "hobby"}])
    assert await tag_interests(server, r.id) == {"senderismo": hiking["id"]}


async def tag_interests(server: Server, room_id: str) -> dict[str, str | None]:
    async with server.app.state.ctx.db.read() as conn:
        rows = await conn.execute(select(room_tags).where(room_tags.c.room_id == room_id))
        return {r.name: r.interest_id for r in rows}


async def test_the_operator_adds_interests_and_aliases_and_tagged_rooms_follow(
    server: Server, client: httpx.AsyncClient
) -> None:
    r = await (await user(client)).create_room(
        tags=[{"name": "Bouldering Gym", "category": "place"}]
    )
    assert await tag_interests(server, r.id) == {"bouldering gym": None}
    op = await operator(client, server)
    created = await op.add_interest(
        name="Kombucha", category="hobby", aliases=[{"alias": "콤부차", "language": "ko"}]
    )
    assert created["name"] == "kombucha"
    assert aliases_of(created) == {"kombucha", "콤부차"}
    climbing = (await autocomplete(client, "climbing"))[0]
    added = await op.add_alias(climbing["id"], alias="#Bouldering  Gym", language="en")
    assert "bouldering gym" in aliases_of(added)
    assert await tag_interests(server, r.id) == {"bouldering gym": climbing["id"]}
    assert (await autocomplete(client, "bouldering g"))[0]["id"] == climbing["id"]
    # Again: nothing new, 200; the language may change.
    again = await op.add_alias(climbing["id"], alias="bouldering gym", language="ja", status=200)
    langs = {a["alias"]: a["language"] for a in again["aliases"]}
    assert langs["bouldering gym"] == "ja"


async def test_an_alias_of_another_interest_is_refused(
    server: Server, client: httpx.AsyncClient
) -> None:
    op = await operator(client, server)
    climbing = (await autocomplete(client, "climbing"))[0]
    hiking = (await autocomplete(client, "hiking"))[0]
    taken = await op.add_alias_call(climbing["id"], alias="등산", language="ko")
    assert error_code(taken, 409) == "alias_taken"
    assert details(taken)["interest_id"] == hiking["id"]
    name_taken = await op.add_interest(name="Senderismo", category="hobby", status=409)
    assert name_taken == "alias_taken"
    assert (await autocomplete(client, "등산"))[0]["id"] == hiking["id"]
    assert await op.add_alias("nosuchinterest", alias="x", status=404) == "interest_not_found"
    bad_language = await op.add_alias(
        climbing["id"], alias="bouldern", language="not a language", status=422
    )
    assert bad_language == "invalid_language"


async def test_only_the_operator_changes_interests(client: httpx.AsyncClient) -> None:
    someone = await user(client)
    hiking = (await autocomplete(client, "hiking"))[0]
    calls = [
        ("/api/admin/interests", {"name": "kombucha", "category": "hobby"}),
        (f"/api/admin/interests/{hiking['id']}/aliases", {"alias": "wandern", "language": "de"}),
    ]
    for path, body in calls:
        refused = await someone.call("POST", path, json=body)
        assert error_code(refused, 403) == "operator_only", path
        assert error_code(await client.post(path, json=body), 401) == "unauthenticated"
    assert "wandern" not in aliases_of((await autocomplete(client, "hiking"))[0])
    assert await autocomplete(client, "kombucha") == []
