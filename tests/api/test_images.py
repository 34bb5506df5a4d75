"""Avatars and covers are served by the instance: a picture named by URL is fetched once,
checked and re-encoded; no view ever carries another site's address (docs/protocol.md,
Images). The pictures come from a real HTTP server on 127.0.0.1, which the fetch guard
refuses unless a test allows loopback with ``image_fetch_allow_networks``."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from openlink.images.normalize import normalize
from tests.conftest import Server
from tests.factories import auth, error_code, expect, join, make_room, make_user, picture
from tests.fakes import FakeImageServer, fake_image_server

LOOPBACK_ALLOWED = pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"])
IMAGE_PATH = "/api/images/"


@pytest.fixture
def fake() -> Iterator[FakeImageServer]:
    with fake_image_server() as server:
        yield server


async def open_profile(
    client: httpx.AsyncClient, token: str, avatar_url: str | None, status: int = 201
) -> Any:
    response = await client.post(
        "/api/me/open-profiles",
        json={"nickname": "Moon", "avatar_url": avatar_url},
        headers=auth(token),
    )
    return expect(response, status) if status < 400 else response


async def served(client: httpx.AsyncClient, path: str) -> Image.Image:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    return Image.open(io.BytesIO(response.content))


@LOOPBACK_ALLOWED
async def test_an_avatar_url_is_fetched_once_and_every_view_carries_the_instance_path(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    external = fake.serve("/moon.png", picture((64, 32)))

    saved = await open_profile(client, guest, external)
    path = saved["avatar_url"]
    assert path.startswith(IMAGE_PATH) and fake.url not in path
    assert fake.requests == [("/moon.png", fake.url.removeprefix("http://"))]
    image = await served(client, path)
    assert image.format == "WEBP" and image.size == (64, 32)

    joined = await join(
        client, guest, room["link"], profile={"kind": "open", "open_profile_id": saved["id"]}
    )
    assert joined["me"]["avatar_url"] == path
    # A typed-in URL at join time is fetched and stored the same way.
    _, other = await make_user(client)
    typed = await join(
        client,
        other,
        room["link"],
        profile={"kind": "open", "nickname": "Sun", "avatar_url": external},
    )
    assert typed["me"]["avatar_url"] == path  # the same picture is the same image
    members = await client.get(f"/api/rooms/{room['id']}/members", headers=auth(host))
    assert fake.url not in members.text and "moon.png" not in members.text
    assert {m["avatar_url"] for m in expect(members, 200)["members"]} == {None, path}


@LOOPBACK_ALLOWED
async def test_a_room_cover_is_served_by_the_instance_also_on_its_link_card(
    server: Server, client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    _, host = await make_user(client)
    made = await make_room(client, host, cover_url=fake.serve("/cover.png", picture((300, 100))))
    cover = made["room"]["cover_url"]
    assert cover.startswith(IMAGE_PATH)
    assert (await served(client, cover)).size == (300, 100)
    room_id = made["room"]["id"]
    wide = fake.serve("/wide.jpg", picture((2000, 500), "JPEG"), content_type="image/jpeg")
    patched = expect(
        await client.patch(f"/api/rooms/{room_id}", json={"cover_url": wide}, headers=auth(host)),
        200,
    )
    # Scaled down to the longest side allowed (1024 by default), keeping the shape.
    assert (await served(client, patched["cover_url"])).size == (1024, 256)
    view = expect(await client.get(f"/api/rooms/{room_id}"), 200)
    assert view["cover_url"] == patched["cover_url"]
    card = await client.get(made["room"]["link"], headers={"Accept": "text/html"})
    assert f'content="{server.url}{patched["cover_url"]}"' in card.text
    assert fake.url not in card.text


@LOOPBACK_ALLOWED
async def test_only_someone_who_may_change_the_cover_makes_the_server_fetch_one(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    _, host = await make_user(client)
    _, guest = await make_user(client)
    room = (await make_room(client, host))["room"]
    await join(client, guest, room["link"])
    url = fake.serve("/cover.png", picture())
    response = await client.patch(
        f"/api/rooms/{room['id']}", json={"cover_url": url}, headers=auth(guest)
    )
    assert error_code(response, 403) == "not_permitted"
    assert fake.requests == []


@LOOPBACK_ALLOWED
async def test_metadata_is_stripped_and_the_picture_turned_upright(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x013B] = "Secret Photographer"  # Artist
    exif[0x010F] = "SpyCam"  # Make
    jpeg = picture((80, 40), "JPEG", exif=exif.tobytes())
    assert b"Secret Photographer" in jpeg
    _, token = await make_user(client)
    saved = await open_profile(
        client, token, fake.serve("/me.jpg", jpeg, content_type="image/jpeg")
    )
    raw = (await client.get(saved["avatar_url"])).content
    assert b"Secret Photographer" not in raw and b"SpyCam" not in raw and b"Exif" not in raw
    image = Image.open(io.BytesIO(raw))
    assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
    assert image.size == (40, 80)


async def test_a_stored_image_is_served_with_headers_that_keep_it_an_image(
    client: httpx.AsyncClient,
) -> None:
    _, token = await make_user(client)
    uploaded = expect(
        await client.post(
            "/api/images",
            content=picture((10, 10), "GIF"),
            headers={**auth(token), "Content-Type": "image/gif"},
        ),
        201,
    )
    assert uploaded["url"] == IMAGE_PATH + uploaded["id"]
    assert (uploaded["width"], uploaded["height"]) == (10, 10)
    response = await client.get(uploaded["url"])  # no token: <img> sends none
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp

    assert error_code(await client.get(IMAGE_PATH + "0" * 64), 404) == "image_not_found"
    assert error_code(await client.get(IMAGE_PATH + "not-an-id"), 422) == "invalid_input"


async def test_an_uploaded_picture_can_be_an_avatar_and_only_stored_ones_can(
    client: httpx.AsyncClient,
) -> None:
    _, token = await make_user(client)
    upload = await client.post("/api/images", content=picture(), headers=auth(token))
    path = expect(upload, 201)["url"]
    assert (await open_profile(client, token, path))["avatar_url"] == path

    unknown = await open_profile(client, token, IMAGE_PATH + "0" * 64, 422)
    assert error_code(unknown, 422) == "image_not_found"
    for other in ("/img/moon.png", "/api/me", "javascript:alert(1)"):
        assert error_code(await open_profile(client, token, other, 422), 422) == "invalid_url"
    anonymous = await client.post("/api/images", content=picture())
    assert error_code(anonymous, 401) == "unauthenticated"
    garbage = await client.post("/api/images", content=b"GIF89a not really", headers=auth(token))
    assert error_code(garbage, 422) == "image_unsupported"


async def test_an_image_id_cannot_be_computed_without_the_instances_key(
    client: httpx.AsyncClient,
) -> None:
    """``GET /api/images/{id}`` needs no account. Were the id the plain hash of the stored
    bytes, anyone holding a copy of a picture could normalize it with the same open code,
    compute its id and ask whether anyone here stored it (on a saved profile shown
    nowhere, say). The id is keyed with the instance's secret; the same picture is still
    stored once."""
    _, owner = await make_user(client)
    private = picture((48, 48), color="#123456")
    stored = expect(await client.post("/api/images", content=private, headers=auth(owner)), 201)
    again = expect(await client.post("/api/images", content=private, headers=auth(owner)), 201)
    assert again["id"] == stored["id"]

    offline = normalize(private, key=b"a guess", max_pixels=25_000_000, max_side=1024)
    kept = await client.get(stored["url"])
    assert kept.content == offline.data  # the outsider has the very bytes stored here
    for guess in (hashlib.sha256(offline.data).hexdigest(), offline.id):
        response = await client.get(IMAGE_PATH + guess)
        assert error_code(response, 404) == "image_not_found"


@pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"], image_max_bytes=4096)
@pytest.mark.parametrize("declared", [True, False])
async def test_a_picture_over_the_byte_limit_is_refused_while_it_downloads(
    client: httpx.AsyncClient, fake: FakeImageServer, declared: bool
) -> None:
    _, token = await make_user(client)
    big = picture((1, 1)) + b"\0" * 8192
    url = fake.serve("/big.png", big, length=declared)
    assert error_code(await open_profile(client, token, url, 413), 413) == "image_too_large"
    upload = await client.post("/api/images", content=big, headers=auth(token))
    assert error_code(upload, 413) == "too_large"


def gzip_of_zeros(size: int) -> bytes:
    """A gzip stream that inflates to ``size`` zero bytes (about size / 1000 bytes)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    return b"".join(packer.compress(block) for _ in range(size >> 20)) + packer.flush()


@pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"], image_max_bytes=1024)
async def test_a_compressed_answer_is_refused_unread_so_it_cannot_inflate_past_the_cap(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    """A 64 KiB read of gzip'd zeros would inflate to 64 MiB before any cap is looked at:
    the fetch asks for the picture as is, and refuses it in any other encoding."""
    _, token = await make_user(client)
    bomb = gzip_of_zeros(64 << 20)
    assert len(bomb) < 100_000
    headers = {"Content-Type": "image/png", "Content-Encoding": "gzip"}
    url = fake.route("/bomb.png", bomb, headers, length=False)
    tracemalloc.start()
    try:
        response = await open_profile(client, token, url, 422)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error_code(response, 422) == "image_fetch_failed"
    assert "gzip" in response.json()["error"]["message"]
    assert fake.headers[-1]["accept-encoding"] == "identity"
    # The cap is 1 KiB; the server may use a few MiB for everything else meanwhile.
    assert peak < 8 << 20, f"peak {peak >> 20} MiB while fetching a picture capped at 1 KiB"


@pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"], image_max_pixels=1_000_000)
async def test_a_picture_with_too_many_pixels_is_refused_before_it_is_decoded(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    _, token = await make_user(client)
    bomb = picture((2000, 2000), "PNG", mode="1")  # a few hundred bytes, 4 million pixels
    assert len(bomb) < 10_000
    response = await open_profile(client, token, fake.serve("/bomb.png", bomb), 413)
    assert error_code(response, 413) == "image_too_large"
    upload = await client.post("/api/images", content=bomb, headers=auth(token))
    assert error_code(upload, 413) == "image_too_large"


@LOOPBACK_ALLOWED
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>hello</body></html>", "text/html"),
        (b"\x89PNG\r\n\x1a\n but then nothing", "image/png"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
        ),
        (picture(fmt="BMP"), "image/bmp"),
    ],
)
async def test_what_is_not_a_supported_picture_is_refused(
    client: httpx.AsyncClient, fake: FakeImageServer, body: bytes, content_type: str
) -> None:
    _, token = await make_user(client)
    url = fake.serve("/thing", body, content_type=content_type)
    assert error_code(await open_profile(client, token, url, 422), 422) == "image_unsupported"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://", "image_fetch_failed"),
        ("https://", "image_fetch_failed"),
        ("http://[::1", "image_fetch_failed"),
        ("http://xn--/x.png", "image_fetch_failed"),  # a malformed international name
        ("http://☃.invalid/x.png", "image_fetch_failed"),
        ("http://a..b/x.png", "image_fetch_failed"),
        ("http://" + "a" * 300 + ".com/x.png", "image_fetch_failed"),
        ("http://example.com:99999/x.png", "image_fetch_failed"),
        ("http://%zz/", "image_fetch_failed"),
        ("http://[fe80::1%25eth0]/x", "image_fetch_failed"),
        ("http://[::ffff:127.0.0.1]/a.png", "image_address_refused"),
        ("http://user:pw@127.0.0.1/x", "image_address_refused"),
        ("http://0x7f.1/x", "image_address_refused"),
        ("ftp://example.com/x.png", "invalid_url"),
        ("/api/images/" + "g" * 64, "invalid_url"),
        ("/api/images/../../etc/passwd", "invalid_url"),
        ("/api/images/" + "0" * 64, "image_not_found"),
    ],
)
async def test_an_odd_picture_address_is_a_clear_error(
    client: httpx.AsyncClient, url: str, code: str
) -> None:
    _, token = await make_user(client)
    assert error_code(await open_profile(client, token, url, 422), 422) == code


@pytest.mark.parametrize(
    "body", [b"", b"\x00" * 10, b"GIF89a", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"<svg/>"]
)
async def test_an_odd_upload_is_a_clear_error(client: httpx.AsyncClient, body: bytes) -> None:
    _, token = await make_user(client)
    upload = await client.post("/api/images", content=body, headers=auth(token))
    assert error_code(upload, 422) == "image_unsupported"


@LOOPBACK_ALLOWED
async def test_a_redirect_to_a_malformed_international_name_is_a_clear_error(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    _, token = await make_user(client)
    hop = fake.redirect("/hop", "http://xn--/x.png")
    assert error_code(await open_profile(client, token, hop, 422), 422) == "image_fetch_failed"


@LOOPBACK_ALLOWED
async def test_an_unreachable_or_failing_address_is_a_clear_error(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    _, token = await make_user(client)
    missing = await open_profile(client, token, fake.url + "/nothing-here.png", 422)
    assert error_code(missing, 422) == "image_fetch_failed"
    fake.redirect("/loop", fake.url + "/loop")
    looping = await open_profile(client, token, fake.url + "/loop", 422)
    assert error_code(looping, 422) == "image_fetch_failed"
    # The missing picture, then the loop: the first try and three redirects followed.
    assert len(fake.requests) == 1 + 4


async def test_loopback_private_and_link_local_addresses_are_refused_by_default(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    _, token = await make_user(client)
    port = fake.url.rpartition(":")[2]
    fake.serve("/moon.png", picture())
    for url in (
        f"http://127.0.0.1:{port}/moon.png",
        f"http://localhost:{port}/moon.png",  # a name that resolves to loopback
        f"http://[::1]:{port}/moon.png",
        f"http://[::ffff:127.0.0.1]:{port}/moon.png",
        f"http://2130706433:{port}/moon.png",  # 127.0.0.1 written as one number
        "http://10.1.2.3/a.png",
        "http://192.168.0.1/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/a.png",
        "http://0.0.0.0/a.png",
    ):
        response = await open_profile(client, token, url, 422)
        assert error_code(response, 422) == "image_address_refused", url
    assert fake.requests == []  # refused before any connection


@LOOPBACK_ALLOWED
async def test_a_redirect_to_a_refused_address_is_refused(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    _, token = await make_user(client)
    port = fake.url.rpartition(":")[2]
    fake.serve("/moon.png", picture())
    hops = [
        fake.redirect("/metadata", "http://169.254.169.254/latest/meta-data/"),
        # Also loopback, but not the one address this test allows.
        fake.redirect("/other-loopback", f"http://127.0.0.2:{port}/moon.png"),
        fake.redirect("/private", "http://10.0.0.1/moon.png"),
    ]
    for url in hops:
        response = await open_profile(client, token, url, 422)
        assert error_code(response, 422) == "image_address_refused", url
    assert [path for path, _ in fake.requests] == ["/metadata", "/other-loopback", "/private"]
    # A redirect between allowed addresses is followed.
    fine = await open_profile(client, token, fake.redirect("/ok", "/moon.png"))
    assert fine["avatar_url"].startswith(IMAGE_PATH)


@pytest.mark.settings(image_fetch_allow_networks=["127.0.0.1/32"], images_per_account=2)
async def test_new_pictures_are_limited_per_account(
    client: httpx.AsyncClient, fake: FakeImageServer
) -> None:
    _, token = await make_user(client)
    _, other = await make_user(client)
    url = fake.serve("/moon.png", picture())
    await open_profile(client, token, url)
    await client.post("/api/images", content=picture(), headers=auth(token))
    third = await open_profile(client, token, url, 429)
    assert error_code(third, 429) == "too_many_images"
    assert int(third.headers["retry-after"]) > 0
    await open_profile(client, other, url)  # another account has its own allowance


async def test_the_web_app_loads_images_from_this_server_only(client: httpx.AsyncClient) -> None:
    csp = (await client.get("/")).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["img-src"] == "'self' data: blob:"
