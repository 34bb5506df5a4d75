"""Signed media URLs (docs/protocol.md#media): every Media view a reader receives carries
URLs a browser can load in ``<img src>`` or ``<video src>`` without a bearer header,
the same for every reader within an hour, refused once expired or altered."""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import httpx

from openlink.domain.media import URL_BUCKET_S, URL_HOURS_AHEAD
from openlink.store import messages as messages_store
from tests.api.media_helpers import a_room, bare, upload
from tests.conftest import Server
from tests.factories import auth, error_code, expect, open_socket, send_message
from tests.fakes.clock import OffsetClock

DATA = os.urandom(100_000)


def url_of(view: dict[str, object]) -> str:
    variants = view["variants"]
    assert isinstance(variants, dict)
    url = variants["original"]["url"]
    assert isinstance(url, str)
    return url


async def test_a_signed_url_reads_without_a_token_and_by_range(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, host, member = await a_room(client)
    sock = await open_socket(server.ws_url, member)
    uploaded = await upload(client, host, rid, DATA)
    sent = await send_message(client, host, rid, "", media=[uploaded["id"]])
    event = await sock.next_event("message", where=lambda e: e["message"]["seq"] == sent["seq"])
    url = url_of(event["message"]["media"][0])
    query = parse_qs(urlsplit(url).query)
    assert set(query) == {"e", "s"}

    whole = await client.get(url)
    assert whole.status_code == 200 and whole.content == DATA
    assert whole.headers["cache-control"].startswith("private,")
    part = await client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == DATA[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(DATA)}"
    # The bearer-checked read is still there, without a signature.
    assert error_code(await client.get(bare(url)), 401) == "unauthenticated"
    assert (await client.get(bare(url), headers=auth(member))).content == DATA


async def test_every_reader_gets_the_same_url_in_every_view(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, host, member = await a_room(client)
    uploaded = await upload(client, host, rid, DATA)
    sent = await send_message(client, host, rid, "x", media=[uploaded["id"]])
    urls = {url_of(sent["media"][0])}
    for token in (host, member):
        page = expect(await client.get(f"/api/rooms/{rid}/messages", headers=auth(token)), 200)
        urls.add(url_of(page["messages"][-1]["media"][0]))
        got = expect(await client.get(f"/api/media/{uploaded['id']}", headers=auth(token)), 200)
        urls.add(url_of(got))
        rooms = expect(await client.get("/api/rooms", headers=auth(token)), 200)["rooms"]
        last = next(r["last_message"] for r in rooms if r["id"] == rid)
        urls.add(url_of(last["media"][0]))
        # A socket that resumes from before the message gets it from the database.
        sock = await open_socket(server.ws_url, token, since={rid: 0})
        event = await sock.next_event("message", where=lambda e: e["message"]["seq"] == sent["seq"])
        urls.add(url_of(event["message"]["media"][0]))
    assert len(urls) == 1, urls
    # Stored unsigned: the signature is added on the way out, so it can change.
    ctx = server.app.state.ctx
    async with ctx.db.read() as conn:
        stored = await messages_store.get_message(conn, rid, sent["seq"])
    assert stored is not None
    assert stored.media[0]["variants"]["original"]["url"] == bare(url_of(sent["media"][0]))


async def test_a_signed_url_expires_and_the_view_gives_a_fresh_one(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    rid, _, host, member = await a_room(client)
    uploaded = await upload(client, host, rid, DATA)
    sent = await send_message(client, host, rid, "", media=[uploaded["id"]])
    url = url_of(sent["media"][0])
    expiry = int(parse_qs(urlsplit(url).query)["e"][0])
    now = clock.now().timestamp()
    assert (URL_HOURS_AHEAD - 1) * URL_BUCKET_S < expiry - now <= URL_HOURS_AHEAD * URL_BUCKET_S
    assert (await client.get(url)).status_code == 200
    clock.advance(expiry - now + 1)
    assert error_code(await client.get(url), 403) == "media_url_expired"
    page = expect(await client.get(f"/api/rooms/{rid}/messages", headers=auth(member)), 200)
    fresh = url_of(page["messages"][-1]["media"][0])
    assert fresh != url
    assert (await client.get(fresh)).content == DATA


async def test_an_altered_url_is_refused(client: httpx.AsyncClient) -> None:
    rid, _, host, _ = await a_room(client)
    a = await upload(client, host, rid, DATA)
    b = await upload(client, host, rid, b"other bytes")
    await send_message(client, host, rid, "", media=[a["id"], b["id"]])
    url_a, url_b = url_of(a), url_of(b)
    path, _, query = url_a.partition("?")
    q = parse_qs(query)
    e, s = q["e"][0], q["s"][0]
    later = f"{path}?e={int(e) + URL_BUCKET_S}&s={s}"
    flipped = f"{path}?e={e}&s={('A' if s[0] != 'A' else 'B') + s[1:]}"
    other = f"{bare(url_b)}?e={e}&s={s}"  # a's signature on b
    for bad in (later, flipped, other):
        assert error_code(await client.get(bad), 403) == "media_url_invalid", bad
    assert error_code(await client.get(f"{path}?e={e}&s=short"), 422) == "invalid_input"


async def test_a_signed_url_stops_working_when_its_message_goes(
    client: httpx.AsyncClient,
) -> None:
    rid, _, host, _ = await a_room(client)
    uploaded = await upload(client, host, rid, DATA)
    sent = await send_message(client, host, rid, "", media=[uploaded["id"]])
    url = url_of(sent["media"][0])
    assert (await client.get(url)).status_code == 200
    path = f"/api/rooms/{rid}/messages/{sent['seq']}"
    expect(await client.post(f"{path}/hide", json={}, headers=auth(host)), 200)
    assert error_code(await client.get(url), 404) == "media_not_found"
    expect(await client.delete(f"{path}/hide", headers=auth(host)), 200)
    assert (await client.get(url)).status_code == 200
    expect(await client.delete(path, headers=auth(host)), 200)
    assert error_code(await client.get(url), 404) == "media_not_found"


async def test_head_takes_a_signed_url_too(client: httpx.AsyncClient) -> None:
    rid, _, host, _ = await a_room(client)
    uploaded = await upload(client, host, rid, DATA)
    sent = await send_message(client, host, rid, "", media=[uploaded["id"]])
    url = url_of(sent["media"][0])
    head = await client.head(url, headers={"Range": "bytes=0-9"})
    assert head.status_code == 206 and head.content == b""
    assert head.headers["content-range"] == f"bytes 0-9/{len(DATA)}"
    assert (await client.head(bare(url))).status_code == 401
