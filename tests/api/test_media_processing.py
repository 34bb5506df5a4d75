"""Photos, videos and voice messages through the upload route (docs/protocol.md#media):
processed off the event loop, answered ``ready`` or ``pending``, the outcome told to the
uploader's own sockets (``media.ready``, ``media.failed``), attached once ready, served
as the variants processing made. Bad input is refused with its code and stores nothing.
The inputs are made here: pictures with Pillow, clips with PyAV (tests/media/inputs.py)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from PIL import Image

from tests.api.media_helpers import a_room, bare, blob_files
from tests.api.media_processing_helpers import outcome, stored_rows, upload, uploaded_ready
from tests.conftest import Server
from tests.factories import (
    Socket,
    auth,
    error_code,
    expect,
    make_user,
    open_socket,
    send_message,
)
from tests.media.inputs import audio, camera_jpeg, photo, png_header_only, video


async def read(client: httpx.AsyncClient, token: str, view: dict[str, Any], variant: str) -> bytes:
    got = await client.get(view["variants"][variant]["url"], headers=auth(token))
    assert got.status_code == 200, got.text
    return got.content


def media_events(sock: Socket) -> list[dict[str, Any]]:
    return [e for e in sock.events if str(e.get("type", "")).startswith("media.")]


async def test_a_photo_is_processed_attached_and_read_as_webp_thumbnails_without_gps(
    server: Server, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    rid, _, host, member = await a_room(client)
    host_sock = await open_socket(server.ws_url, host)
    member_sock = await open_socket(server.ws_url, member)
    jpeg = camera_jpeg(tmp_path / "IMG_0002.jpg", 800, 600, orientation=6).read_bytes()

    view = await uploaded_ready(client, host_sock, host, rid, jpeg, "image", "IMG_0002.jpg")
    assert view["kind"] == "image" and view["mime"] == "image/jpeg"
    assert (view["width"], view["height"]) == (600, 800)  # turned upright
    assert view["blurhash"]
    sent = await send_message(client, host, rid, "the view", media=[view["id"]])
    event = await member_sock.next_event(
        "message", where=lambda e: e["message"]["seq"] == sent["seq"]
    )
    attached = event["message"]["media"][0]
    assert attached["state"] == "ready"

    thumb = Image.open(io.BytesIO(await read(client, member, attached, "small")))
    assert thumb.format == "WEBP"
    assert max(thumb.size) <= 320
    full = Image.open(io.BytesIO(await read(client, member, attached, "full")))
    assert full.format == "JPEG" and full.size == (600, 800)
    assert not full.getexif().get_ifd(0x8825)  # no GPS position left
    # The outcome went to the uploader's sockets only.
    assert media_events(member_sock) == []


async def test_a_png_keeps_png_and_gets_webp_thumbnails(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, host, member = await a_room(client)
    sock = await open_socket(server.ws_url, host)
    buf = io.BytesIO()
    photo(400, 300).save(buf, "PNG")
    view = await uploaded_ready(client, sock, host, rid, buf.getvalue(), "image", "shot.png")
    sent = await send_message(client, host, rid, "", media=[view["id"]])
    attached = sent["media"][0]
    assert Image.open(io.BytesIO(await read(client, member, attached, "full"))).format == "PNG"
    assert Image.open(io.BytesIO(await read(client, member, attached, "small"))).format == "WEBP"


async def test_a_video_answers_pending_then_is_ready_as_h264_mp4_with_a_poster(
    server: Server, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    rid, _, host, member = await a_room(client)
    sock = await open_socket(server.ws_url, host)
    clip = video(
        tmp_path / "clip.webm", seconds=1.0, width=160, height=120, container="webm", codec="libvpx"
    ).read_bytes()
    answer = expect(await upload(client, host, rid, clip, "video", "clip.webm"), 201)
    # A video never holds the request: processing has not even started its worker.
    assert answer["state"] == "pending" and "variants" not in answer
    early = await client.post(
        f"/api/rooms/{rid}/messages",
        json={"client_id": "too-early", "body": "", "media": [answer["id"]]},
        headers=auth(host),
    )
    assert error_code(early, 409) == "media_not_ready"

    event = await outcome(sock, answer["id"])
    assert event["type"] == "media.ready", event
    view = event["media"]
    assert view["kind"] == "video" and 900 <= view["duration_ms"] <= 1_200
    assert [e["stage"] for e in media_events(sock) if e["type"] == "media.progress"][:1] == [
        "processing"
    ]
    # Sent once ready: the message takes its place in the room now.
    sent = await send_message(client, host, rid, "watch", media=[view["id"]])
    attached = sent["media"][0]
    assert attached["variants"]["video"]["mime"] == "video/mp4"
    mp4 = tmp_path / "served.mp4"
    mp4.write_bytes(await read(client, member, attached, "video"))
    with av.open(str(mp4)) as played:
        assert played.format.name.startswith("mov,mp4")
        assert played.streams.video[0].codec_context.name == "h264"
    poster = Image.open(io.BytesIO(await read(client, member, attached, "poster")))
    assert poster.size[0] > 0


async def test_a_voice_message_is_stored_as_opus_with_a_waveform(
    server: Server, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    rid, _, host, member = await a_room(client)
    sock = await open_socket(server.ws_url, host)
    clip = audio(tmp_path / "memo.m4a", seconds=1.0, container="mp4", codec="aac").read_bytes()
    answer = expect(await upload(client, host, rid, clip, "voice", "memo.m4a"), 201)
    assert answer["state"] == "pending"
    event = await outcome(sock, answer["id"])
    assert event["type"] == "media.ready", event
    view = event["media"]
    assert view["kind"] == "voice" and len(view["waveform"]) == 64
    assert max(view["waveform"]) == 255
    sent = await send_message(client, host, rid, "", media=[view["id"]])
    webm = tmp_path / "served.webm"
    webm.write_bytes(await read(client, member, sent["media"][0], "voice"))
    with av.open(str(webm)) as played:
        assert played.streams.audio[0].codec_context.name == "opus"


@pytest.mark.settings(media_inline_wait_s=60)
async def test_bad_pictures_are_refused_with_their_code_and_nothing_is_stored(
    server: Server, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    rid, _, host, _ = await a_room(client)
    sock = await open_socket(server.ws_url, host)
    bomb = png_header_only(tmp_path / "bomb.png", 30_000, 30_000).read_bytes()
    response = await upload(client, host, rid, bomb, "image", "bomb.png")
    assert error_code(response, 413) == "media_too_large_pixels"

    jpeg = camera_jpeg(tmp_path / "cut.jpg", 640, 480).read_bytes()
    response = await upload(client, host, rid, jpeg[: len(jpeg) // 2], "image", "cut.jpg")
    assert error_code(response, 422) == "media_truncated"

    page = b"<!doctype html><html><script>alert(1)</script></html>"
    response = await upload(client, host, rid, page, "image", "cute.png")
    assert error_code(response, 422) == "media_type_mismatch"

    assert blob_files(server) == []
    assert await stored_rows(server) == 0
    # Refused in the answer: no event says so again.
    assert media_events(sock) == []


@pytest.mark.settings(media_video_max_duration_s=1.0)
async def test_a_video_over_the_length_limit_fails_by_event_and_stores_nothing(
    server: Server, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    rid, _, host, _ = await a_room(client)
    sock = await open_socket(server.ws_url, host)
    clip = video(tmp_path / "long.mp4", seconds=3.0, width=160, height=120, rate=5).read_bytes()
    answer = expect(await upload(client, host, rid, clip, "video", "long.mp4"), 201)
    assert answer["state"] == "pending"
    event = await outcome(sock, answer["id"])
    assert event["type"] == "media.failed"
    assert event["code"] == "media_too_long" and event["message"]
    assert event["media"]["state"] == "failed" and "variants" not in event["media"]
    got = expect(await client.get(f"/api/media/{answer['id']}", headers=auth(host)), 200)
    assert got["state"] == "failed"
    response = await client.post(
        f"/api/rooms/{rid}/messages",
        json={"client_id": "failed", "body": "", "media": [answer["id"]]},
        headers=auth(host),
    )
    assert error_code(response, 409) == "media_not_ready"
    assert blob_files(server) == []


async def test_head_answers_a_reads_headers_without_the_bytes(
    server: Server, client: httpx.AsyncClient
) -> None:
    rid, _, host, member = await a_room(client)
    data = bytes(range(256)) * 40
    uploaded = expect(await upload(client, host, rid, data, "file", "table.bin"), 201)
    sent = await send_message(client, host, rid, "", media=[uploaded["id"]])
    # The bearer-checked path (a signed URL is tested in test_media_urls.py).
    url = bare(sent["media"][0]["variants"]["original"]["url"])
    got = await client.get(url, headers=auth(member))
    head = await client.head(url, headers=auth(member))
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "content-type", "content-disposition", "content-length", "cache-control"):
        assert head.headers[name] == got.headers[name], name
    assert head.headers["content-length"] == str(len(data))
    part = await client.head(url, headers={**auth(member), "Range": "bytes=10-19"})
    assert part.status_code == 206 and part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    assert part.headers["content-length"] == "10"
    etag = got.headers["etag"]
    cached = await client.head(url, headers={**auth(member), "If-None-Match": etag})
    assert cached.status_code == 304
    _, stranger = await make_user(client)
    assert (await client.head(url, headers=auth(stranger))).status_code == 404
