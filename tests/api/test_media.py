"""Media in chat, storage and serving (docs/protocol.md#media): uploads are streamed with
their size cap, deduplicated by content, attached to messages by their uploader only,
served only to those who may read the room, by range, and never rendered as a page.
The whole path runs on the local filesystem and once more on S3 (moto on loopback)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from openlink.actions.media import do_collect
from openlink.store import media as media_store
from openlink.store.schema import media as media_table
from openlink.store.schema import media_variants as variants_table
from tests.api.media_helpers import DATA, a_room, bare, blob_files, upload
from tests.conftest import Server, TestDatabase, http_client, running_server
from tests.factories import (
    auth,
    error_code,
    expect,
    join,
    make_room,
    make_user,
    open_socket,
    send_message,
)
from tests.s3server import S3Server

HTML = b"<html><script>alert(document.cookie)</script></html>"


def original(view: dict[str, Any]) -> str:
    return bare(view["variants"]["original"]["url"])


def incoming_files(server: Server) -> list[Path]:
    return [p for p in (server.settings.effective_media_dir() / "incoming").rglob("*")]


async def test_a_file_sent_in_a_message_reaches_a_member_who_downloads_it(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, host, member = await a_room(client)
    sock = await open_socket(server.ws_url, member)
    uploaded = await upload(client, host, rid, name="../../etc/Report 2026.pdf")
    assert uploaded["state"] == "ready"
    assert uploaded["kind"] == "file"
    assert uploaded["size"] == len(DATA)
    assert uploaded["name"] == "Report 2026.pdf"  # no folders
    sent = await send_message(client, host, rid, "the report", media=[uploaded["id"]])
    assert [m["id"] for m in sent["media"]] == [uploaded["id"]]
    event = await sock.next_event("message", where=lambda e: e["message"]["seq"] == sent["seq"])
    attached = event["message"]["media"][0]
    assert attached["member"] == sent["member"]
    url = original(attached)
    assert bare(url) == f"/api/media/{uploaded['id']}/original"

    got = await client.get(url, headers=auth(member))
    assert got.status_code == 200
    assert got.content == DATA
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "Report 2026.pdf" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["etag"] == f'"{hashlib.sha256(DATA).hexdigest()}"'
    assert got.headers["cache-control"].split(", ") == [
        "private",
        f"max-age={server.settings.media_cache_max_age_s}",
        "immutable",
    ]
    assert got.headers["accept-ranges"] == "bytes"
    # In history too, for a member who was not connected.
    page = expect(await client.get(f"/api/rooms/{rid}/messages", headers=auth(member)), 200)
    assert page["messages"][-1]["media"] == sent["media"]


async def test_a_message_may_be_media_alone(client: httpx.AsyncClient) -> None:
    rid, _, host, _ = await a_room(client)
    uploaded = await upload(client, host, rid)
    sent = await send_message(client, host, rid, "", media=[uploaded["id"]])
    assert sent["body"] == "" and len(sent["media"]) == 1
    # Without media an empty message is still refused.
    response = await client.post(
        f"/api/rooms/{rid}/messages", json={"client_id": "e", "body": " "}, headers=auth(host)
    )
    assert error_code(response, 422) == "empty_message"


async def test_a_websocket_send_attaches_media(server: Server, client: httpx.AsyncClient) -> None:
    rid, _, host, member = await a_room(client)
    uploaded = await upload(client, host, rid)
    sock = await open_socket(server.ws_url, host)
    ack = await sock.send_and_ack(rid, "", media=[uploaded["id"]])
    event = await sock.next_event("message", where=lambda e: e["message"]["seq"] == ack["seq"])
    assert [m["id"] for m in event["message"]["media"]] == [uploaded["id"]]
    url = original(uploaded)
    assert (await client.get(url, headers=auth(member))).content == DATA


async def test_bytes_that_are_not_what_the_upload_says_are_refused_and_not_stored(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, host, _ = await a_room(client)
    response = await client.post(
        "/api/media", params={"room": rid, "kind": "image"}, content=HTML, headers=auth(host)
    )
    assert 400 <= response.status_code < 500
    error_code(response, response.status_code)
    assert blob_files(server) == []
    assert incoming_files(server) == []


async def test_a_multipart_upload_streams_the_file_field(client: httpx.AsyncClient) -> None:
    rid, _, host, _ = await a_room(client)
    files = {"file": ("holiday.mov", DATA, "video/quicktime")}
    response = await client.post(
        "/api/media", params={"room": rid}, files=files, data={"note": "x"}, headers=auth(host)
    )
    uploaded = expect(response, 201)
    assert uploaded["name"] == "holiday.mov"
    assert uploaded["size"] == len(DATA)
    got = await client.get(original(uploaded), headers=auth(host))
    assert got.content == DATA
    no_file = await client.post(
        "/api/media",
        params={"room": rid},
        data={"other": "x"},
        files={"f": ("a", b"b")},
        headers=auth(host),
    )
    assert error_code(no_file, 422) == "invalid_multipart"


async def test_byte_ranges_conditional_reads_and_a_range_past_the_end(
    client: httpx.AsyncClient,
) -> None:
    rid, _, host, _ = await a_room(client)
    url = original(await upload(client, host, rid))
    size = len(DATA)

    part = await client.get(url, headers={**auth(host), "Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == DATA[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.headers["content-length"] == "100"
    tail = await client.get(url, headers={**auth(host), "Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == DATA[-10:]
    open_ended = await client.get(url, headers={**auth(host), "Range": f"bytes={size - 5}-"})
    assert open_ended.content == DATA[-5:]
    clipped = await client.get(
        url, headers={**auth(host), "Range": f"bytes={size - 3}-{size + 50}"}
    )
    assert clipped.status_code == 206 and clipped.content == DATA[-3:]

    past = await client.get(url, headers={**auth(host), "Range": f"bytes={size}-"})
    assert error_code(past, 416) == "range_not_satisfiable"
    assert past.headers["content-range"] == f"bytes */{size}"

    whole = await client.get(url, headers=auth(host))
    etag = whole.headers["etag"]
    cached = await client.get(url, headers={**auth(host), "If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""
    # If-Range with another validator: the whole, not a part of something else.
    stale = await client.get(
        url, headers={**auth(host), "Range": "bytes=0-9", "If-Range": '"other"'}
    )
    assert stale.status_code == 200 and stale.content == DATA


async def test_user_bytes_are_never_served_as_a_page(client: httpx.AsyncClient) -> None:
    rid, _, host, _ = await a_room(client)
    for name in ("cat.png", "page.html", "logo.svg"):
        url = original(await upload(client, host, rid, HTML, name=name))
        got = await client.get(url, headers=auth(host))
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.headers["content-disposition"].startswith("attachment")
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in got.headers["content-security-policy"]


async def test_an_upload_not_yet_attached_is_its_uploaders_alone(
    client: httpx.AsyncClient,
) -> None:
    rid, _, host, member = await a_room(client)
    _, outsider = await make_user(client)
    uploaded = await upload(client, host, rid)
    url = original(uploaded)
    for token in (member, outsider):
        assert error_code(await client.get(url, headers=auth(token)), 404) == "media_not_found"
        meta = await client.get(f"/api/media/{uploaded['id']}", headers=auth(token))
        assert error_code(meta, 404) == "media_not_found"
    assert (await client.get(url, headers=auth(host))).status_code == 200

    await send_message(client, host, rid, "here", media=[uploaded["id"]])
    assert (await client.get(url, headers=auth(member))).status_code == 200
    # Attached, it is the room's: not for someone outside it, nor without an account.
    assert error_code(await client.get(url, headers=auth(outsider)), 404) == "media_not_found"
    assert error_code(await client.get(url), 401) == "unauthenticated"


async def test_a_member_who_left_no_longer_reads_the_rooms_media(
    client: httpx.AsyncClient,
) -> None:
    rid, _, host, member = await a_room(client)
    uploaded = await upload(client, host, rid)
    await send_message(client, host, rid, "here", media=[uploaded["id"]])
    url = original(uploaded)
    assert (await client.get(url, headers=auth(member))).status_code == 200
    left = await client.post(f"/api/rooms/{rid}/leave", headers=auth(member))
    assert left.status_code == 204
    assert error_code(await client.get(url, headers=auth(member)), 404) == "media_not_found"


async def test_attaching_is_for_the_uploader_in_the_room_uploaded_to(
    client: httpx.AsyncClient,
) -> None:
    rid, _, host, member = await a_room(client)
    other_room = (await make_room(client, host))["room"]["id"]
    theirs = await upload(client, host, rid)

    stolen = await client.post(
        f"/api/rooms/{rid}/messages",
        json={"client_id": "s1", "body": "mine now", "media": [theirs["id"]]},
        headers=auth(member),
    )
    assert error_code(stolen, 404) == "media_not_found"
    unknown = await client.post(
        f"/api/rooms/{rid}/messages",
        json={"client_id": "s2", "body": "x", "media": ["nosuchmedia"]},
        headers=auth(member),
    )
    assert error_code(unknown, 404) == "media_not_found"
    elsewhere = await client.post(
        f"/api/rooms/{other_room}/messages",
        json={"client_id": "s3", "body": "x", "media": [theirs["id"]]},
        headers=auth(host),
    )
    assert error_code(elsewhere, 422) == "media_wrong_room"
    page = expect(await client.get(f"/api/rooms/{rid}/messages", headers=auth(host)), 200)
    assert all("media" not in m for m in page["messages"])  # nothing was sent

    await send_message(client, host, rid, "first", media=[theirs["id"]])
    again = await client.post(
        f"/api/rooms/{rid}/messages",
        json={"client_id": "s4", "body": "again", "media": [theirs["id"]]},
        headers=auth(host),
    )
    assert error_code(again, 409) == "media_attached"


async def test_unknown_media_is_not_found(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    for path in ("/api/media/nosuchmedia", "/api/media/nosuchmedia/original"):
        assert error_code(await client.get(path, headers=auth(token)), 404) == "media_not_found"


async def test_an_upload_to_a_room_one_cannot_post_in_stores_nothing(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, host, member = await a_room(client)
    _, outsider = await make_user(client)
    response = await upload(client, outsider, rid, status=404)
    assert error_code(response, 404) == "room_not_found"
    member_id = next(
        m["id"]
        for m in expect(await client.get(f"/api/rooms/{rid}/members", headers=auth(host)), 200)[
            "members"
        ]
        if m["role"] == "member"
    )
    path = f"/api/rooms/{rid}/members/{member_id}/timeout"
    expect(await client.post(path, json={"duration_s": 600}, headers=auth(host)), 200)
    response = await upload(client, member, rid, status=403)
    assert error_code(response, 403) == "timed_out"
    assert blob_files(server) == []


async def test_newcomers_on_probation_share_no_files(client: httpx.AsyncClient) -> None:
    _, host = await make_user(client)
    _, newcomer = await make_user(client)
    room = (await make_room(client, host))["room"]
    patch = {"probation_s": 600}
    expect(await client.patch(f"/api/rooms/{room['id']}", json=patch, headers=auth(host)), 200)
    await join(client, newcomer, room["link"])
    refused = await upload(client, newcomer, room["id"], status=403)
    assert error_code(refused, 403) == "probation_no_media"
    assert refused.json()["error"]["details"]["retry_after_s"] > 0
    await upload(client, host, room["id"])


@pytest.mark.settings(media_max_bytes=4096)
async def test_an_oversized_file_is_refused_while_it_streams_and_nothing_is_stored(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, host, _ = await a_room(client)
    declared = await upload(client, host, rid, os.urandom(5000), status=413)
    assert error_code(declared, 413) == "media_too_large"
    far_over = await upload(client, host, rid, os.urandom(200_000), status=413)
    assert error_code(far_over, 413) == "media_too_large"

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(5):
            yield os.urandom(1000)

    streamed = await client.post(
        "/api/media", params={"room": rid}, content=chunked(), headers=auth(host)
    )
    assert error_code(streamed, 413) == "media_too_large"
    big_form = await client.post(
        "/api/media",
        params={"room": rid},
        files={"file": ("big.bin", os.urandom(5000))},
        headers=auth(host),
    )
    assert error_code(big_form, 413) == "media_too_large"
    assert blob_files(server) == []
    assert incoming_files(server) == []
    # Exactly at the limit is fine.
    await upload(client, host, rid, os.urandom(4096))


@pytest.mark.settings(media_account_quota_bytes=5000, media_room_quota_bytes=6000)
async def test_quotas_per_account_and_per_room(client: httpx.AsyncClient) -> None:
    rid, _, host, member = await a_room(client)
    await upload(client, host, rid, os.urandom(3000))
    over = await upload(client, host, rid, os.urandom(3000), status=413)
    assert error_code(over, 413) == "account_media_quota"
    await upload(client, member, rid, os.urandom(2500))
    full = await upload(client, member, rid, os.urandom(600), status=413)
    assert error_code(full, 413) == "room_media_quota"


@pytest.mark.settings(media_uploads_per_account=2, media_uploads_window_s=3600)
async def test_uploads_are_rate_limited_per_account(client: httpx.AsyncClient) -> None:
    rid, _, host, member = await a_room(client)
    await upload(client, host, rid, b"one")
    await upload(client, host, rid, b"two")
    third = await upload(client, host, rid, b"three", status=429)
    assert error_code(third, 429) == "media_rate_limited"
    assert "retry-after" in third.headers
    await upload(client, member, rid, b"another account")


async def test_the_same_bytes_are_stored_once(server: Server, client: httpx.AsyncClient) -> None:
    rid, _, host, member = await a_room(client)
    first = await upload(client, host, rid)
    second = await upload(client, member, rid)
    assert first["id"] != second["id"]
    assert len(blob_files(server)) == 1


async def test_edit_replaces_attachments_and_delete_takes_them_away(
    client: httpx.AsyncClient,
) -> None:
    rid, _, host, member = await a_room(client)
    a = await upload(client, host, rid, b"first file")
    b = await upload(client, host, rid, b"second file")
    sent = await send_message(client, host, rid, "files", media=[a["id"]])
    path = f"/api/rooms/{rid}/messages/{sent['seq']}"
    edited = expect(
        await client.patch(path, json={"body": "files", "media": [b["id"]]}, headers=auth(host)),
        200,
    )
    assert [m["id"] for m in edited["media"]] == [b["id"]]
    url_a, url_b = (original(x) for x in (a, b))
    assert error_code(await client.get(url_a, headers=auth(member)), 404) == "media_not_found"
    assert (await client.get(url_b, headers=auth(member))).content == b"second file"
    # An edit of the text alone keeps the attachments.
    kept = expect(await client.patch(path, json={"body": "the files"}, headers=auth(host)), 200)
    assert [m["id"] for m in kept["media"]] == [b["id"]]
    # Another's upload cannot come in through an edit either.
    theirs = await upload(client, member, rid, b"theirs")
    stolen = await client.patch(
        path, json={"body": "x", "media": [theirs["id"]]}, headers=auth(host)
    )
    assert error_code(stolen, 404) == "media_not_found"

    deleted = await client.delete(path, headers=auth(host))
    assert "media" not in deleted.json()
    assert error_code(await client.get(url_b, headers=auth(member)), 404) == "media_not_found"


async def test_hidden_messages_hide_their_media_from_all_but_reviewers(
    client: httpx.AsyncClient,
) -> None:
    rid, link, host, member = await a_room(client)
    _, witness = await make_user(client)
    await join(client, witness, link)
    uploaded = await upload(client, member, rid)
    sent = await send_message(client, member, rid, "look", media=[uploaded["id"]])
    path = f"/api/rooms/{rid}/messages/{sent['seq']}/hide"
    hidden = expect(await client.post(path, json={}, headers=auth(host)), 200)
    assert "media" not in hidden
    url = original(uploaded)
    for token in (witness, member):
        assert error_code(await client.get(url, headers=auth(token)), 404) == "media_not_found"
    # The host reviews what was hidden: the text and the attachments.
    review = expect(
        await client.get(f"/api/rooms/{rid}/messages/{sent['seq']}/review", headers=auth(host)),
        200,
    )
    assert [m["id"] for m in review["media"]] == [uploaded["id"]]
    assert (await client.get(url, headers=auth(host))).content == DATA


async def test_the_collector_forgets_orphan_uploads_and_deletes_unused_blobs(
    server: Server, client: httpx.AsyncClient
) -> None:
    ctx = server.app.state.ctx
    rid, _, host, member = await a_room(client)
    orphan = await upload(client, host, rid, b"never sent")
    shared_bytes = b"sent and also left lying around"
    sent = await upload(client, host, rid, shared_bytes)
    lying = await upload(client, member, rid, shared_bytes)
    await send_message(client, host, rid, "kept", media=[sent["id"]])
    assert len(blob_files(server)) == 2

    # Within a day nothing goes.
    done = await do_collect(ctx, ctx.now() + timedelta(hours=23))
    assert (done.uploads, done.blobs) == (0, 0)

    later = ctx.now() + timedelta(days=1, hours=2)
    done = await do_collect(ctx, later)
    assert (done.uploads, done.blobs) == (2, 1)
    for uploaded, token in ((orphan, host), (lying, member)):
        meta = await client.get(f"/api/media/{uploaded['id']}", headers=auth(token))
        assert error_code(meta, 404) == "media_not_found"
    # The blob the sent message shares is kept; the orphan's alone is gone.
    assert [p.read_bytes() for p in blob_files(server)] == [shared_bytes]
    url = original(sent)
    assert (await client.get(url, headers=auth(member))).content == shared_bytes
    # Deleting the message frees the last blob.
    path = f"/api/rooms/{rid}/messages/{(await last_seq(client, host, rid))}"
    assert (await client.delete(path, headers=auth(host))).status_code == 200
    await do_collect(ctx, later + timedelta(hours=2))
    assert blob_files(server) == []


async def last_seq(client: httpx.AsyncClient, token: str, rid: str) -> int:
    page = expect(await client.get(f"/api/rooms/{rid}/messages", headers=auth(token)), 200)
    return int(page["messages"][-1]["seq"])


async def test_a_blob_being_collected_is_not_reused_until_it_is_gone(
    server: Server, client: httpx.AsyncClient
) -> None:
    """The collector marks a blob, deletes its bytes, then forgets it. Meanwhile an upload
    of the same bytes may not link to it (it waits); once it is gone, the upload stores
    the bytes again."""
    ctx = server.app.state.ctx
    rid, _, host, _ = await a_room(client)
    first = await upload(client, host, rid, b"same bytes")
    key = (
        next(iter(blob_files(server)))
        .relative_to(server.settings.effective_media_dir() / "blobs")
        .as_posix()
    )
    async with ctx.db.write() as tx:
        await media_store.delete_media(tx.conn, [first["id"]])
    async with ctx.db.write() as tx:
        marked = await media_store.mark_unused_blobs(tx.conn, ctx.now() + timedelta(days=1), 10)
    assert marked == [key]
    async with ctx.db.write() as tx:
        assert not await media_store.touch_blob(tx.conn, key, 10, ctx.now())
    await ctx.blobs.delete(key)
    async with ctx.db.write() as tx:
        await media_store.forget_blobs(tx.conn, marked)
    again = await upload(client, host, rid, b"same bytes")
    got = await client.get(original(again), headers=auth(host))
    assert got.content == b"same bytes"


# -- the same path on S3 ---------------------------------------------------------------


@pytest.fixture
async def s3_client(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    test_database: TestDatabase,
    s3_server: S3Server,
) -> AsyncIterator[tuple[Server, httpx.AsyncClient]]:
    bucket = s3_server.new_bucket()
    own = request.node.get_closest_marker("settings")
    values = {**(own.kwargs if own else {}), **s3_server.settings(bucket)}
    request.node.add_marker(pytest.mark.settings(**values), append=False)
    async with (
        running_server(request, tmp_path, test_database) as server,
        http_client(server) as client,
    ):
        yield server, client


async def test_on_s3_upload_send_read_by_range_and_collect(
    s3_client: tuple[Server, httpx.AsyncClient],
) -> None:
    server, client = s3_client
    ctx = server.app.state.ctx
    assert ctx.blobs.name == "s3"
    rid, _, host, member = await a_room(client)
    uploaded = await upload(client, host, rid)
    await upload(client, host, rid, b"orphan on s3")
    await send_message(client, host, rid, "on s3", media=[uploaded["id"]])
    url = original(uploaded)
    got = await client.get(url, headers=auth(member))
    assert got.status_code == 200 and got.content == DATA
    assert got.headers["content-disposition"].startswith("attachment")
    part = await client.get(url, headers={**auth(member), "Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == DATA[1000:2000]
    past = await client.get(url, headers={**auth(member), "Range": f"bytes={len(DATA)}-"})
    assert error_code(past, 416) == "range_not_satisfiable"
    assert blob_files(server) == []  # nothing on the local disk

    orphan_key = f"sha256/{hashlib.sha256(b'orphan on s3').hexdigest()[:2]}/" + (
        hashlib.sha256(b"orphan on s3").hexdigest()
    )
    assert await ctx.blobs.exists(orphan_key)
    done = await do_collect(ctx, ctx.now() + timedelta(days=2))
    assert (done.uploads, done.blobs) == (1, 1)
    assert not await ctx.blobs.exists(orphan_key)
    assert (await client.get(url, headers=auth(member))).content == DATA


async def test_fuzzed_uploads_and_reads_get_4xx_or_success_never_5xx(
    server: Server, client: httpx.AsyncClient
) -> None:
    """A bounded, seeded fuzz of the upload and read routes: random bodies, content
    types, multipart envelopes (truncated, wrong boundary, no file), query values and
    Range headers. Every answer is a success or a 4xx with a code; nothing half-stored."""
    import random

    rng = random.Random(1414)
    rid, _, host, _ = await a_room(client)
    good = await upload(client, host, rid, b"0123456789" * 10)
    url = original(good)
    envelope = (
        b'--BOUND\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\nDATA\r\n--BOUND--\r\n"
    )
    statuses: list[int] = []
    for _ in range(60):
        cut = rng.randrange(len(envelope) + 1)
        body = rng.choice([envelope, envelope[:cut], os.urandom(rng.randrange(0, 300)), b""])
        content_type = rng.choice(
            [
                "multipart/form-data; boundary=BOUND",
                "multipart/form-data; boundary=OTHER",
                "multipart/form-data",
                "application/octet-stream",
                "text/html",
                "",
            ]
        )
        params = {
            "room": rng.choice([rid, "nosuchroom", "BAD!", ""]),
            "kind": rng.choice(["file", "image", "video", "voice", "zip", ""]),
            "name": rng.choice(["a.txt", "", "\x00bad", "x" * 2000, "../../x"]),
        }
        headers = {**auth(host), "Content-Type": content_type} if content_type else auth(host)
        r = await client.post("/api/media", params=params, content=body, headers=headers)
        statuses.append(r.status_code)
        assert r.status_code < 500, (params, content_type, body[:80], r.text)
        if r.status_code >= 400:
            error_code(r, r.status_code)
        start, end = rng.randrange(-5, 120), rng.randrange(-5, 120)
        spec = rng.choice([f"bytes={start}-{end}", f"bytes=-{end}", f"bytes={start}-", "x", ""])
        r = await client.get(url, headers={**auth(host), "Range": spec})
        assert r.status_code in (200, 206, 416), (spec, r.status_code, r.text)
    assert 201 in statuses and any(400 <= s < 500 for s in statuses)
    assert incoming_files(server) == []


@pytest.mark.settings(media_s3_redirect=True, media_url_ttl_s=60)
async def test_on_s3_pictures_may_redirect_to_a_presigned_url_files_never(
    s3_client: tuple[Server, httpx.AsyncClient],
) -> None:
    server, client = s3_client
    ctx = server.app.state.ctx
    rid, _, host, member = await a_room(client)
    file = await upload(client, host, rid, b"a file stays behind the server")
    picture = await upload(client, host, rid, b"pretend picture bytes")
    # Until processing lands, a picture variant is made by hand: the route decides by kind
    # and type, which processing will set.
    async with ctx.db.write() as tx:
        await tx.conn.execute(
            media_table.update().where(media_table.c.id == picture["id"]).values(kind="image")
        )
        await tx.conn.execute(
            variants_table.update()
            .where(variants_table.c.media_id == picture["id"])
            .values(mime="image/png")
        )
    await send_message(client, host, rid, "both", media=[file["id"], picture["id"]])

    streamed = await client.get(original(file), headers=auth(member))
    assert streamed.status_code == 200
    assert streamed.headers["content-disposition"].startswith("attachment")
    redirected = await client.get(original(picture), headers=auth(member))
    assert redirected.status_code == 302
    assert redirected.headers["cache-control"] == "no-store"
    location = redirected.headers["location"]
    assert location.startswith(s3_endpoint(server)) and "X-Amz-Expires=60" in location
    async with httpx.AsyncClient() as anyone:
        assert (await anyone.get(location)).content == b"pretend picture bytes"
    # The room check comes first: an outsider gets no URL.
    _, outsider = await make_user(client)
    denied = await client.get(original(picture), headers=auth(outsider))
    assert error_code(denied, 404) == "media_not_found"


def s3_endpoint(server: Server) -> str:
    return server.settings.media_s3_endpoint
