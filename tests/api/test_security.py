"""Sign-in and sign-up throttling, security headers, and CORS."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re

import httpx
import pytest

from openlink.ratelimit import Rate
from tests.conftest import Server
from tests.factories import PASSWORD, error_code, expect, make_user, throttled
from tests.fakes.clock import OffsetClock

WRONG = "not the password"


async def sign_in(
    client: httpx.AsyncClient,
    username: str,
    password: str,
    *,
    address: str | None = None,
    device: str | None = None,
) -> httpx.Response:
    """Sign in, from ``address`` (the test server trusts X-Forwarded-For from loopback)."""
    body = {"username": username, "password": password}
    if device is not None:
        body["device"] = device
    headers = {"X-Forwarded-For": address} if address else {}
    return await client.post("/api/sessions", json=body, headers=headers)


@pytest.mark.settings(login_addresses_per_account=3, login_window_s=600)
async def test_failed_sign_ins_from_many_addresses_lock_the_account_until_the_window_passes(
    client: httpx.AsyncClient, clock: OffsetClock
) -> None:
    user, _ = await make_user(client)
    for i in range(3):
        assert error_code(
            await sign_in(client, user["username"], WRONG, address=f"10.8.0.{i}"), 401
        ) == ("bad_credentials")
    # Locked for new addresses: even the right password is refused, whatever the
    # spelling of the name.
    wait = throttled(
        await sign_in(client, " " + user["username"].upper(), PASSWORD, address="10.8.1.1"),
        "too_many_sign_in_attempts",
        600,
    )
    clock.advance(wait - 5)
    assert error_code(
        await sign_in(client, user["username"], PASSWORD, address="10.8.1.1"), 429
    ) == ("too_many_sign_in_attempts")
    clock.advance(5.05)
    expect(await sign_in(client, user["username"], PASSWORD, address="10.8.1.1"), 200)


async def test_one_address_cannot_lock_the_owner_out_of_a_new_browser(
    client: httpx.AsyncClient,
) -> None:
    """With the shipped defaults: an address guessing at an account is held by its pair
    limit and counts once on the account, so the owner's right password from anywhere
    else goes through, also from a browser that holds no device token."""
    user, _ = await make_user(client)
    name = user["username"]
    for _ in range(10):
        error_code(await sign_in(client, name, WRONG, address="203.0.113.66"), 401)
    throttled(
        await sign_in(client, name, WRONG, address="203.0.113.66"), "too_many_sign_in_attempts", 900
    )
    expect(await sign_in(client, name, PASSWORD, address="198.51.100.7"), 200)


@pytest.mark.settings(login_addresses_per_account=2, login_window_s=60)
async def test_the_browser_that_signed_up_is_a_known_device(client: httpx.AsyncClient) -> None:
    signed_up = await client.post(
        "/api/accounts",
        json={"username": "fresh_one", "password": PASSWORD, "display_name": "Fresh"},
    )
    device = expect(signed_up, 201)["device"]
    for i in range(2):
        error_code(await sign_in(client, "fresh_one", WRONG, address=f"10.7.0.{i}"), 401)
    throttled(
        await sign_in(client, "fresh_one", PASSWORD, address="10.7.1.1"),
        "too_many_sign_in_attempts",
        60,
    )
    expect(await sign_in(client, "fresh_one", PASSWORD, address="10.7.1.1", device=device), 200)


@pytest.mark.settings(login_failures_per_pair=3, login_window_s=60)
async def test_a_success_clears_the_failures_from_that_address(client: httpx.AsyncClient) -> None:
    user, _ = await make_user(client)
    for _ in range(2):
        error_code(await sign_in(client, user["username"], WRONG), 401)
    expect(await sign_in(client, user["username"], PASSWORD), 200)
    for _ in range(2):
        error_code(await sign_in(client, user["username"], WRONG), 401)
    expect(await sign_in(client, user["username"], PASSWORD), 200)


@pytest.mark.settings(
    login_addresses_per_account=100,
    login_failures_per_pair=3,
    login_failures_per_address=100,
    login_window_s=60,
)
async def test_an_attacker_cannot_lock_the_owner_out_from_another_address(
    client: httpx.AsyncClient,
) -> None:
    user, _ = await make_user(client)
    name = user["username"]
    for _ in range(3):
        error_code(await sign_in(client, name, WRONG, address="10.9.0.1"), 401)
    # The attacker's address is throttled for this account, the right password included...
    for password in (WRONG, PASSWORD):
        throttled(
            await sign_in(client, name, password, address="10.9.0.1"),
            "too_many_sign_in_attempts",
            60,
        )
    # ...but not for other accounts,
    other, _ = await make_user(client)
    expect(await sign_in(client, other["username"], PASSWORD, address="10.9.0.1"), 200)
    # and the owner, from their own address, signs in.
    expect(await sign_in(client, name, PASSWORD, address="10.9.0.2"), 200)


@pytest.mark.settings(
    login_addresses_per_account=3,
    login_failures_per_pair=100,
    login_failures_per_address=100,
    login_window_s=60,
)
async def test_a_known_device_signs_in_while_the_account_is_under_attack(
    client: httpx.AsyncClient,
) -> None:
    user, _ = await make_user(client)
    name = user["username"]
    first = expect(await sign_in(client, name, PASSWORD, address="10.9.1.1"), 200)
    device = first["device"]
    other, _ = await make_user(client)
    other_device = expect(await sign_in(client, other["username"], PASSWORD), 200)["device"]

    # Guesses spread over many addresses use up the account's allowance...
    for i in range(3):
        error_code(await sign_in(client, name, WRONG, address=f"10.9.2.{i}"), 401)
    # ...so a device that never signed in to it is refused, right password or not,
    for token in (None, other_device, device[:-4] + "AAAA", "garbage"):
        throttled(
            await sign_in(client, name, PASSWORD, address="10.9.3.1", device=token),
            "too_many_sign_in_attempts",
            60,
        )
    # while the owner's device signs in from wherever it is now.
    again = expect(await sign_in(client, name, PASSWORD, address="10.9.4.1", device=device), 200)
    assert again["user"]["username"] == name
    expect(await sign_in(client, name, PASSWORD, address="10.9.4.2", device=again["device"]), 200)


@pytest.mark.settings(
    login_failures_per_pair=3, login_addresses_per_account=1000, login_failures_per_address=1000
)
@pytest.mark.usefixtures("production_hashing")
async def test_wrong_passwords_sent_at_once_cannot_overshoot_the_limit(
    client: httpx.AsyncClient,
) -> None:
    user, _ = await make_user(client)
    answers = await asyncio.gather(
        *(sign_in(client, user["username"], f"guess {i}", address="203.0.113.9") for i in range(20))
    )
    # Each 401 cost an argon2 verification; the rest were refused before any.
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [401] * 3 + [429] * 17, statuses


@pytest.mark.settings(
    login_failures_per_address=2, login_failures_per_pair=2, login_addresses_per_account=1
)
async def test_successful_sign_ins_count_against_no_limit(client: httpx.AsyncClient) -> None:
    """Only failures count: a busy address of honest people is not throttled by its
    successes, although each attempt holds its place on the counts while it is verified."""
    user, _ = await make_user(client)
    for i in range(5):
        expect(await sign_in(client, user["username"], PASSWORD, address="10.5.0.1"), 200)
        expect(await sign_in(client, user["username"], PASSWORD, address=f"10.5.1.{i}"), 200)


@pytest.mark.settings(login_addresses_per_account=2, login_window_s=60)
async def test_unknown_usernames_lock_like_real_ones(client: httpx.AsyncClient) -> None:
    other, _ = await make_user(client)
    for i in range(2):
        assert (
            error_code(await sign_in(client, "nobody_here", WRONG, address=f"10.6.0.{i}"), 401)
            == "bad_credentials"
        )
    throttled(
        await sign_in(client, "nobody_here", WRONG, address="10.6.1.1"),
        "too_many_sign_in_attempts",
        60,
    )
    # Another account is not affected.
    expect(await sign_in(client, other["username"], PASSWORD), 200)


@pytest.mark.settings(login_failures_per_address=3, login_window_s=60)
async def test_failures_from_one_address_lock_every_account_for_it(
    client: httpx.AsyncClient, server: Server
) -> None:
    user, _ = await make_user(client)
    for name in ("guess_a", "guess_b", "guess_c"):
        error_code(await sign_in(client, name, WRONG), 401)
    throttled(await sign_in(client, user["username"], PASSWORD), "too_many_sign_in_attempts", 60)
    # Resetting the address's counter (what the window passing does) lets it in again.
    await server.app.state.ctx.limiter.reset("sign-in:address:127.0.0.1", Rate(3, 60))
    expect(await sign_in(client, user["username"], PASSWORD), 200)


@pytest.mark.settings(
    login_addresses_per_account=1000,
    login_failures_per_pair=3,
    login_failures_per_address=1000,
    login_window_s=60,
)
async def test_an_ipv6_client_counts_as_its_whole_64(client: httpx.AsyncClient) -> None:
    user, _ = await make_user(client)
    name = user["username"]
    # One /64 holds 2^64 addresses: guessing from a new one each time changes nothing.
    answers = [
        (await sign_in(client, name, WRONG, address=f"2001:db8:1:2::{i + 1:x}")).status_code
        for i in range(6)
    ]
    assert answers == [401, 401, 401, 429, 429, 429]
    throttled(
        await sign_in(client, name, PASSWORD, address="2001:db8:1:2:ffff::9"),
        "too_many_sign_in_attempts",
        60,
    )
    # The next /64 is somebody else.
    expect(await sign_in(client, name, PASSWORD, address="2001:db8:1:3::1"), 200)


@pytest.mark.settings(
    login_addresses_per_account=1000,
    login_failures_per_pair=2,
    login_failures_per_address=1000,
    login_window_s=60,
)
async def test_an_ipv4_address_written_as_ipv6_is_that_ipv4_address(
    client: httpx.AsyncClient,
) -> None:
    user, _ = await make_user(client)
    name = user["username"]
    error_code(await sign_in(client, name, WRONG, address="203.0.113.7"), 401)
    error_code(await sign_in(client, name, WRONG, address="::ffff:203.0.113.7"), 401)
    for address in ("203.0.113.7", "::ffff:cb00:7107"):
        throttled(
            await sign_in(client, name, PASSWORD, address=address), "too_many_sign_in_attempts", 60
        )
    # IPv4 addresses are counted one by one: the neighbour is not held back.
    expect(await sign_in(client, name, PASSWORD, address="203.0.113.8"), 200)


@pytest.mark.settings(signups_per_address=2, signup_window_s=60)
async def test_sign_ups_per_address_are_limited(client: httpx.AsyncClient) -> None:
    await make_user(client)
    await make_user(client)
    response = await client.post(
        "/api/accounts",
        json={"username": "third_one", "password": PASSWORD, "display_name": "Third"},
    )
    throttled(response, "too_many_sign_ups", 60)


COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"


def assert_common(response: httpx.Response) -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (response.url, name)


async def test_api_responses_and_errors_carry_the_security_headers(
    client: httpx.AsyncClient,
) -> None:
    _, token = await make_user(client)
    responses = [
        await client.get("/api/me", headers={"Authorization": f"Bearer {token}"}),
        await client.get("/api/me"),  # 401
        await client.get("/api/no-such-route"),  # 404
        await client.post("/api/accounts", content=b"{", headers={"content-type": "x"}),
        await client.post("/api/accounts", content=b"x" * (2 << 20)),  # 413, before routing
    ]
    assert [r.status_code for r in responses][:3] == [200, 401, 404]
    for response in responses:
        assert_common(response)
        assert response.headers["content-security-policy"] == API_CSP
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
    health = await client.get("/healthz")
    assert_common(health)
    assert health.headers["content-security-policy"] == API_CSP
    assert "cache-control" not in health.headers


async def test_a_500_carries_the_security_headers(server: Server) -> None:
    @server.app.get("/api/test-boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get("/api/test-boom")
    assert error_code(response, 500) == "internal_error"
    assert_common(response)
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_get_a_policy_that_lets_them_run(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert_common(response)
    csp = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["x-frame-options"] == "DENY"
    scripts = directives["script-src"].split()
    assert "'unsafe-inline'" not in scripts
    # Scripts come from this server, every inline one by its hash: nothing from another
    # origin, so the pages work without internet (the assets ship in a package).
    assert "https:" not in csp and "http:" not in csp
    assert "'self'" in scripts
    html = response.text
    assert "https://" not in html and "http://" not in html and "//cdn" not in html
    assets = re.findall(r'<(?:script|link)[^>]*\b(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 2, html
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), asset
        assert (await client.get(asset)).status_code == 200, asset
    for body in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in scripts
    assert directives["connect-src"] == "'self'"  # the page fetches /openapi.json


async def test_a_route_that_sets_its_own_policy_keeps_it(server: Server) -> None:
    from starlette.responses import HTMLResponse

    @server.app.get("/test-widget")
    async def widget() -> HTMLResponse:
        return HTMLResponse(
            "<p>hi</p>",
            headers={"Content-Security-Policy": "frame-ancestors https://example.org"},
        )

    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get("/test-widget")
    assert response.headers["content-security-policy"] == "frame-ancestors https://example.org"
    assert "x-frame-options" not in response.headers
    assert_common(response)


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.mark.settings(cors_origins=["https://chat.example.org"])
async def test_cors_answers_only_the_listed_origins(client: httpx.AsyncClient) -> None:
    ok = await client.options(
        "/api/rooms", headers={"Origin": "https://chat.example.org", **PREFLIGHT}
    )
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://chat.example.org"
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in ok.headers
    other = await client.options(
        "/api/rooms", headers={"Origin": "https://evil.example.net", **PREFLIGHT}
    )
    assert "access-control-allow-origin" not in other.headers
    simple = await client.get("/healthz", headers={"Origin": "https://chat.example.org"})
    assert simple.headers["access-control-allow-origin"] == "https://chat.example.org"
    refused = await client.get("/healthz", headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in refused.headers


async def test_no_cross_origin_access_by_default(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://chat.example.org"}
    responses = [
        await client.options("/api/rooms", headers={**origin, **PREFLIGHT}),
        await client.get("/healthz", headers=origin),
        await client.post("/api/sessions", json={"username": "x", "password": "y"}, headers=origin),
    ]
    for response in responses:
        assert not any(h.startswith("access-control-") for h in response.headers), response


async def test_only_the_app_page_may_use_the_microphone(client: httpx.AsyncClient) -> None:
    # The app records voice messages; no API answer, and no camera anywhere.
    page = await client.get("/")
    assert page.headers["permissions-policy"] == "camera=(), microphone=(self), geolocation=()"
    assert "media-src 'self' blob:;" in page.headers["content-security-policy"]
    assert_common(await client.get("/api/instance"))
