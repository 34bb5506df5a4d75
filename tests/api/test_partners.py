"""Partners and content links: one room per work, whoever names it and however."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from openlink.cli import app as cli_app
from openlink.store import partners as partners_store
from openlink.store import schema
from tests.api.partner_helpers import add_partner, make_operator, put_content
from tests.conftest import Server
from tests.factories import auth, error_code, expect, join, make_user

ISBN_10 = "4-08-872509-3"  # the same book as ISBN_13
ISBN_13 = "9784088725093"


async def two_partners(server: Server, client: httpx.AsyncClient) -> tuple[str, str, str]:
    """(operator token, Korean partner's key, Japanese partner's key)."""
    operator = await make_operator(server, client)
    ko = await add_partner(client, operator, "KoReader", ["https://reader.example.kr"])
    ja = await add_partner(client, operator, "JaManga", ["https://manga.example.jp:8443"])
    return operator, ko["key"], ja["key"]


async def test_two_services_naming_one_book_share_one_room(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, ko, ja = await two_partners(server, client)
    first = (await put_content(client, ko, "wt-123", {"isbn": ISBN_10}, status=201)).json()
    second = (
        await put_content(
            client, ja, "manga:9", {"isbn": ISBN_13}, title="ワンピース", language="ja", status=201
        )
    ).json()

    assert first["work"] == second["work"] == f"isbn:{ISBN_13}"
    assert first["room"]["id"] == second["room"]["id"]
    room = first["room"]
    # The first partner named it; the room is public, a group, tagged as content.
    assert room["name"] == "One Piece" and room["language"] == "en"
    assert room["visibility"] == "public" and room["kind"] == "group"
    assert {"name": "one piece", "category": "content"} in room["tags"]
    code = room["link"].removeprefix("/l/")
    assert first["link"] == f"/l/{code}"
    assert first["url"] == f"{server.url}/l/{code}"
    assert first["embed_url"] == f"{server.url}/embed/{code}"
    assert first["qr_url"] == f"{server.url}/l/{code}/qr.svg"
    assert f'src="{server.url}/embed/{code}"' in first["embed_snippet"]
    assert re.search(r'<iframe [^>]*sandbox="[^"]*"', first["embed_snippet"])

    # Readers of both services meet there through the one link.
    _, reader = await make_user(client)
    joined = await join(client, reader, first["link"])
    assert joined["room"]["id"] == room["id"]


async def test_the_same_content_again_is_the_same_room_with_200(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, ko, _ = await two_partners(server, client)
    first = await put_content(client, ko, "wt-1", {"work_id": "Wikidata:Q673"}, status=201)
    again = await put_content(client, ko, "wt-1", {"work_id": "wikidata:q673"}, status=200)
    assert again.json()["room"]["id"] == first.json()["room"]["id"]
    assert again.json()["work"] == "work:wikidata:q673"

    moved = await put_content(client, ko, "wt-1", {"work_id": "wikidata:q1"})
    assert error_code(moved, 409) == "content_work_mismatch"


async def test_a_url_with_tracking_and_a_trailing_slash_is_the_clean_url(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, ko, ja = await two_partners(server, client)
    messy = "HTTPS://Comics.Example.com:443/series/42/?utm_source=x&id=7&fbclid=abc#top"
    clean = "https://comics.example.com/series/42?id=7"
    a = (await put_content(client, ko, "s42", {"url": messy}, status=201)).json()
    b = (await put_content(client, ja, "s-42", {"url": clean}, status=201)).json()
    assert a["work"] == b["work"] == f"url:{clean}"
    assert a["room"]["id"] == b["room"]["id"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Percent-encoding: raw UTF-8, upper- and lower-case escapes are one path.
        (
            "https://comics.example.com/série/café",
            "https://comics.example.com/s%c3%a9rie/caf%C3%A9",
        ),
        # An internationalized host name and its punycode.
        ("https://Bücher.example/werk/7", "https://xn--bcher-kva.example/werk/7"),
        # Dot segments.
        ("https://comics.example.com/a/./b/../series/9", "https://comics.example.com/a/series/9"),
        # Unreserved characters escaped or not, query parameters in any order.
        (
            "https://comics.example.com/%7Eauthor?b=2&a=1",
            "https://comics.example.com/~author?a=1&b=2",
        ),
    ],
)
async def test_spellings_of_one_url_make_one_room(
    server: Server, client: httpx.AsyncClient, first: str, second: str
) -> None:
    _, ko, ja = await two_partners(server, client)
    a = (await put_content(client, ko, "u1", {"url": first}, status=201)).json()
    b = (await put_content(client, ja, "u2", {"url": second}, status=201)).json()
    assert a["work"] == b["work"]
    assert a["room"]["id"] == b["room"]["id"]


async def test_two_partners_racing_for_a_new_work_create_one_room(
    server: Server, client: httpx.AsyncClient
) -> None:
    _, ko, ja = await two_partners(server, client)
    work = {"isbn": "978-0-306-40615-7"}
    responses = await asyncio.gather(
        put_content(client, ko, "race-1", work), put_content(client, ja, "race-2", work)
    )
    assert [r.status_code for r in responses] == [201, 201]
    rooms = {r.json()["room"]["id"] for r in responses}
    assert len(rooms) == 1
    # Exactly one room exists for the work: its host account created only one.
    _, reader = await make_user(client)
    found = expect(await client.get(f"/api/rooms/{rooms.pop()}", headers=auth(reader)), 200)
    assert found["member_count"] == 1


async def test_keys_must_be_active_partner_keys(server: Server, client: httpx.AsyncClient) -> None:
    operator, ko, _ = await two_partners(server, client)
    work = {"isbn": ISBN_13}
    assert error_code(await put_content(client, "olp_nope", "c1", work), 401) == "bad_partner_key"
    assert error_code(await put_content(client, operator, "c1", work), 401) == "bad_partner_key"
    no_header = await client.put("/api/partner/content/c1", json={"work": work})
    assert error_code(no_header, 401) == "unauthenticated"

    listed = expect(await client.get("/api/admin/partners", headers=auth(operator)), 200)
    partner = next(p for p in listed["partners"] if p["name"] == "KoReader")
    assert "key" not in partner and partner["account"] == "partner_koreader"
    rotated = expect(
        await client.post(f"/api/admin/partners/{partner['id']}/key", headers=auth(operator)),
        200,
    )
    assert error_code(await put_content(client, ko, "c1", work), 401) == "bad_partner_key"
    await put_content(client, rotated["key"], "c1", work, status=201)

    disabled = expect(
        await client.delete(f"/api/admin/partners/{partner['id']}", headers=auth(operator)), 200
    )
    assert disabled["active"] is False
    assert error_code(await put_content(client, rotated["key"], "c1", work), 401) == (
        "bad_partner_key"
    )


async def test_admin_partner_routes_are_for_the_operator_only(
    server: Server, client: httpx.AsyncClient
) -> None:
    operator, _, _ = await two_partners(server, client)
    _, someone = await make_user(client)
    calls = [
        ("POST", "/api/admin/partners", {"name": "X", "allowed_origins": []}),
        ("GET", "/api/admin/partners", None),
        ("POST", "/api/admin/partners/abc/key", None),
        ("DELETE", "/api/admin/partners/abc", None),
    ]
    for method, path, body in calls:
        response = await client.request(method, path, json=body, headers=auth(someone))
        assert error_code(response, 403) == "operator_only", path
    taken = {"name": "KoReader", "allowed_origins": []}
    response = await client.post("/api/admin/partners", json=taken, headers=auth(operator))
    assert error_code(response, 409) == "partner_name_taken"
    missing = await client.post("/api/admin/partners/nosuch/key", headers=auth(operator))
    assert error_code(missing, 404) == "partner_not_found"


async def test_origins_are_checked(server: Server, client: httpx.AsyncClient) -> None:
    operator = await make_operator(server, client)
    for bad in (
        "http://reader.example",
        "https://reader.example/path",
        "https://reader.example?x=1",
        "ftp://reader.example",
        "https://user@reader.example",
        "https://",
        "https://reader.example:99999",
        "javascript:alert(1)",
        "https://a.example; script-src *",
    ):
        body = {"name": "Bad", "allowed_origins": [bad]}
        response = await client.post("/api/admin/partners", json=body, headers=auth(operator))
        assert error_code(response, 422) == "invalid_origin", bad
    good = await add_partner(
        client,
        operator,
        "Good",
        ["HTTPS://Reader.Example:443/", "http://localhost:5173", "https://b.example:8443"],
    )
    assert good["partner"]["allowed_origins"] == [
        "https://reader.example",
        "http://localhost:5173",
        "https://b.example:8443",
    ]


async def test_content_input_is_checked(server: Server, client: httpx.AsyncClient) -> None:
    _, ko, _ = await two_partners(server, client)
    cases = [
        ("bad id!", {"isbn": ISBN_13}, "invalid_content_id"),
        ("x" * 201, {"isbn": ISBN_13}, "invalid_content_id"),
        ("c1", {"isbn": "978-4-08-872509-4"}, "invalid_isbn"),
        ("c1", {"isbn": "4-08-872509-X"}, "invalid_isbn"),
        ("c1", {"isbn": "12345"}, "invalid_isbn"),
        ("c1", {"work_id": "no spaces"}, "invalid_work_id"),
        ("c1", {"url": "ftp://files.example/book"}, "invalid_url"),
        ("c1", {"url": "javascript:alert(1)"}, "invalid_url"),
        ("c1", {"url": "/relative/path"}, "invalid_url"),
        ("c1", {}, "invalid_work"),
        ("c1", {"isbn": ISBN_13, "url": "https://x.example"}, "invalid_work"),
    ]
    for content_id, work, code in cases:
        response = await put_content(client, ko, content_id, work)
        assert error_code(response, 422) == code, (content_id, work)
    bad_language = await put_content(client, ko, "c1", {"isbn": ISBN_13}, language="english!")
    assert error_code(bad_language, 422) == "invalid_language"
    no_title = await put_content(client, ko, "c1", {"isbn": ISBN_13}, title="  ")
    assert error_code(no_title, 422) == "invalid_title"
    # A valid ISBN-10 whose check digit is X.
    ok = await put_content(client, ko, "c1", {"isbn": "0-8044-2957-X"}, status=201)
    assert ok.json()["work"] == "isbn:9780804429573"


async def test_cli_adds_a_partner_whose_key_works(
    server: Server, client: httpx.AsyncClient
) -> None:
    env = {
        "OPENLINK_DATA_DIR": str(server.settings.data_dir),
        "OPENLINK_DATABASE_URL": server.settings.database_url,
    }
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli_app, ["admin", "partner", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    out = await asyncio.to_thread(
        run, "add", "Webtoon Reader", "--origin", "https://reader.example"
    )
    key = re.search(r"(olp_\S+)", out)
    assert key is not None, out
    made = await put_content(client, key.group(1), "ep-1", {"work_id": "wt:1"}, status=201)
    assert made.json()["room"]["name"] == "One Piece"

    listed = await asyncio.to_thread(run, "list")
    assert "Webtoon Reader" in listed and "partner_webtoon_reader" in listed
    assert "olp_" not in listed
    rotated = await asyncio.to_thread(run, "rotate-key", "Webtoon Reader")
    new_key = re.search(r"(olp_\S+)", rotated)
    assert new_key is not None and new_key.group(1) != key.group(1)
    await asyncio.to_thread(run, "disable", "Webtoon Reader")
    refused = await put_content(client, new_key.group(1), "ep-1", {"work_id": "wt:1"})
    assert error_code(refused, 401) == "bad_partner_key"


async def test_a_lost_race_is_rolled_back_and_retried_onto_the_winners_room(
    server: Server, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite writers take turns, so the race above cannot interleave; here the loser's
    first look-up misses the winner's work, as it would on PostgreSQL, and its insert of
    the same canonical work fails."""
    _, ko, ja = await two_partners(server, client)
    work = {"isbn": ISBN_13}
    winner = (await put_content(client, ko, "w", work, status=201)).json()
    real_get_work = partners_store.get_work
    misses = iter([True])

    async def get_work_missing_once(conn: Any, canonical: str) -> Any:
        return None if next(misses, False) else await real_get_work(conn, canonical)

    monkeypatch.setattr(partners_store, "get_work", get_work_missing_once)
    loser = (await put_content(client, ja, "l", work, status=201)).json()
    assert loser["room"]["id"] == winner["room"]["id"]
    async with server.app.state.ctx.db.read() as conn:
        rooms = (await conn.execute(select(func.count()).select_from(schema.rooms))).scalar()
    assert rooms == 1  # the loser's room went with its rolled-back transaction
