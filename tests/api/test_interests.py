"""Interests: one topic under many names. The seed list, autocomplete, the operator's
aliases, and room tags that follow them."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from openlink.actions.interests import do_seed_interests, load_seed
from openlink.store.schema import interest_aliases, interests, room_tags
from tests.api.test_operator import make_operator
from tests.conftest import Server
from tests.factories import auth, error_code, expect, make_room, make_user


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
    _, op = await make_operator(server, client)
    mine = expect(
        await client.post(
            "/api/admin/interests",
            json={"name": "mountain sports", "category": "hobby"},
            headers=auth(op),
        ),
        201,
    )
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
    _, host = await make_user(client, language="ko")
    room = (
        await make_room(
            client,
            host,
            tags=[
                {"name": "#등산", "category": "hobby"},
                {"name": "동네 뒷산", "category": "place"},
            ],
        )
    )["room"]
    hiking = (await autocomplete(client, "hiking"))[0]
    tags = await tag_interests(server, room["id"])
    assert tags == {"등산": hiking["id"], "동네 뒷산": None}
    # Changing the tags resolves them again.
    expect(
        await client.patch(
            f"/api/rooms/{room['id']}",
            json={"tags": [{"name": "Senderismo", "category": "hobby"}]},
            headers=auth(host),
        ),
        200,
    )
    assert await tag_interests(server, room["id"]) == {"senderismo": hiking["id"]}


async def tag_interests(server: Server, room_id: str) -> dict[str, str | None]:
    async with server.app.state.ctx.db.read() as conn:
        rows = await conn.execute(select(room_tags).where(room_tags.c.room_id == room_id))
        return {r.name: r.interest_id for r in rows}


async def test_the_operator_adds_interests_and_aliases_and_tagged_rooms_follow(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, host = await make_user(client)
    room = (await make_room(client, host, tags=[{"name": "Bouldering Gym", "category": "place"}]))[
        "room"
    ]
    assert await tag_interests(server, room["id"]) == {"bouldering gym": None}
    _, op = await make_operator(server, client)
    created = expect(
        await client.post(
            "/api/admin/interests",
            json={
                "name": "Kombucha",
                "category": "hobby",
                "aliases": [{"alias": "콤부차", "language": "ko"}],
            },
            headers=auth(op),
        ),
        201,
    )
    assert created["name"] == "kombucha"
    assert aliases_of(created) == {"kombucha", "콤부차"}
    climbing = (await autocomplete(client, "climbing"))[0]
    added = await client.post(
        f"/api/admin/interests/{climbing['id']}/aliases",
        json={"alias": "#Bouldering  Gym", "language": "en"},
        headers=auth(op),
    )
    assert added.status_code == 201, added.text
    assert "bouldering gym" in aliases_of(added.json())
    assert await tag_interests(server, room["id"]) == {"bouldering gym": climbing["id"]}
    assert (await autocomplete(client, "bouldering g"))[0]["id"] == climbing["id"]
    # Again: nothing new, 200; the language may change.
    again = await client.post(
        f"/api/admin/interests/{climbing['id']}/aliases",
        json={"alias": "bouldering gym", "language": "ja"},
        headers=auth(op),
    )
    assert again.status_code == 200, again.text
    langs = {a["alias"]: a["language"] for a in again.json()["aliases"]}
    assert langs["bouldering gym"] == "ja"


async def test_an_alias_of_another_interest_is_refused(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, op = await make_operator(server, client)
    climbing = (await autocomplete(client, "climbing"))[0]
    hiking = (await autocomplete(client, "hiking"))[0]
    taken = await client.post(
        f"/api/admin/interests/{climbing['id']}/aliases",
        json={"alias": "등산", "language": "ko"},
        headers=auth(op),
    )
    assert error_code(taken, 409) == "alias_taken"
    assert taken.json()["error"]["details"]["interest_id"] == hiking["id"]
    name_taken = await client.post(
        "/api/admin/interests", json={"name": "Senderismo", "category": "hobby"}, headers=auth(op)
    )
    assert error_code(name_taken, 409) == "alias_taken"
    assert (await autocomplete(client, "등산"))[0]["id"] == hiking["id"]
    unknown = await client.post(
        "/api/admin/interests/nosuchinterest/aliases", json={"alias": "x"}, headers=auth(op)
    )
    assert error_code(unknown, 404) == "interest_not_found"
    bad_language = await client.post(
        f"/api/admin/interests/{climbing['id']}/aliases",
        json={"alias": "bouldern", "language": "not a language"},
        headers=auth(op),
    )
    assert error_code(bad_language, 422) == "invalid_language"


async def test_only_the_operator_changes_interests(client: httpx.AsyncClient) -> None:
    _, someone = await make_user(client)
    hiking = (await autocomplete(client, "hiking"))[0]
    calls = [
        ("/api/admin/interests", {"name": "kombucha", "category": "hobby"}),
        (f"/api/admin/interests/{hiking['id']}/aliases", {"alias": "wandern", "language": "de"}),
    ]
    for path, body in calls:
        refused = await client.post(path, json=body, headers=auth(someone))
        assert error_code(refused, 403) == "operator_only", path
        assert error_code(await client.post(path, json=body), 401) == "unauthenticated"
    assert "wandern" not in aliases_of((await autocomplete(client, "hiking"))[0])
    assert await autocomplete(client, "kombucha") == []
