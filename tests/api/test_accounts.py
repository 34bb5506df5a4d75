"""Accounts: sign-up, sign-in, sign-out, token expiry, the profile and saved open profiles."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import PASSWORD, auth, error_code, expect, make_user, upload_picture


async def test_sign_up_returns_the_account_and_a_working_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/accounts",
        json={
            "username": "  Mina_01 ",
            "password": PASSWORD,
            "display_name": "  Mina   Park ",
            "language": "ko",
            "interests": ["#K-Pop", "k-pop", "Hiking"],
        },
    )
    body = expect(response, 201)
    user = body["user"]
    assert user["username"] == "mina_01"
    assert user["display_name"] == "Mina Park"
    assert user["language"] == "ko"
    assert user["interests"] == ["k-pop", "hiking"]
    assert user["created_at"].endswith("Z")
    me = expect(await client.get("/api/me", headers=auth(body["token"])), 200)
    assert me == user


async def test_sign_in_issues_a_new_token_and_both_work(client: httpx.AsyncClient) -> None:
    user, first = await make_user(client, "hana")
    response = await client.post("/api/sessions", json={"username": "HANA", "password": PASSWORD})
    body = expect(response, 200)
    assert body["user"]["id"] == user["id"]
    assert body["token"] != first
    for token in (first, body["token"]):
        assert expect(await client.get("/api/me", headers=auth(token)), 200)["id"] == user["id"]


@pytest.mark.parametrize("username", ["hana", "nobody_here"])
async def test_a_wrong_password_or_unknown_user_is_bad_credentials(
    client: httpx.AsyncClient, username: str
) -> None:
    await make_user(client, "hana")
    response = await client.post(
        "/api/sessions", json={"username": username, "password": "not the password"}
    )
    assert error_code(response, 401) == "bad_credentials"


async def test_a_taken_username_is_refused_whatever_its_case(client: httpx.AsyncClient) -> None:
    await make_user(client, "hana")
    response = await client.post(
        "/api/accounts",
        json={"username": "Hana", "password": PASSWORD, "display_name": "Another Hana"},
    )
    assert error_code(response, 409) == "username_taken"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("username", "ab", "invalid_username"),
        ("username", "has space", "invalid_username"),
        ("password", "short", "weak_password"),
        ("display_name", "   ", "invalid_display_name"),
        ("language", "english!", "invalid_language"),
        ("language", "e", "invalid_language"),
    ],
)
async def test_sign_up_rules(client: httpx.AsyncClient, field: str, value: str, code: str) -> None:
    body = {"username": "valid_name", "password": PASSWORD, "display_name": "Valid", field: value}
    assert error_code(await client.post("/api/accounts", json=body), 422) == code


async def test_sign_out_revokes_only_that_token(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client, "hana")
    other = expect(
        await client.post("/api/sessions", json={"username": "hana", "password": PASSWORD}), 200
    )["token"]
    response = await client.delete("/api/sessions/current", headers=auth(token))
    assert response.status_code == 204
    assert error_code(await client.get("/api/me", headers=auth(token)), 401) == "bad_token"
    assert (
        error_code(await client.delete("/api/sessions/current", headers=auth(token)), 401)
        == "bad_token"
    )
    expect(await client.get("/api/me", headers=auth(other)), 200)


@pytest.mark.settings(token_ttl_days=1e-9)  # about 86 microseconds
async def test_an_expired_token_is_refused(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client, "hana")
    assert error_code(await client.get("/api/me", headers=auth(token)), 401) == "bad_token"
    signed_in = expect(
        await client.post("/api/sessions", json={"username": "hana", "password": PASSWORD}), 200
    )
    response = await client.get("/api/me", headers=auth(signed_in["token"]))
    assert error_code(response, 401) == "bad_token"


async def test_patch_me_changes_only_what_is_given(client: httpx.AsyncClient) -> None:
    user, token = await make_user(client, "hana", language="en")
    response = await client.patch(
        "/api/me", json={"display_name": " Hana  Lee ", "language": "pt-br"}, headers=auth(token)
    )
    me = expect(response, 200)
    assert me["display_name"] == "Hana Lee"
    assert me["language"] == "pt-BR"
    assert me["username"] == user["username"]
    me = expect(
        await client.patch(
            "/api/me", json={"interests": ["ＢＴＳ", "#Seoul  Food"]}, headers=auth(token)
        ),
        200,
    )
    assert me["interests"] == ["bts", "seoul food"]
    assert me["display_name"] == "Hana Lee"
    assert me["language"] == "pt-BR"
    me = expect(
        await client.patch("/api/me", json={"language": "zh-hant-tw"}, headers=auth(token)), 200
    )
    assert me["language"] == "zh-Hant-TW"
    assert expect(await client.get("/api/me", headers=auth(token)), 200) == me


async def test_patch_me_with_an_invalid_language_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    _, token = await make_user(client, "hana", language="ja")
    response = await client.patch(
        "/api/me", json={"display_name": "New Name", "language": "xx_YY"}, headers=auth(token)
    )
    assert error_code(response, 422) == "invalid_language"
    me = expect(await client.get("/api/me", headers=auth(token)), 200)
    assert me["language"] == "ja"
    assert me["display_name"] != "New Name"


async def test_at_most_three_open_profiles(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    made = []
    for nickname in ("Moon", "Star", "Comet"):
        response = await client.post(
            "/api/me/open-profiles", json={"nickname": nickname}, headers=auth(token)
        )
        made.append(expect(response, 201))
    response = await client.post(
        "/api/me/open-profiles", json={"nickname": "Sun"}, headers=auth(token)
    )
    assert error_code(response, 409) == "open_profile_limit"
    listing = expect(await client.get("/api/me/open-profiles", headers=auth(token)), 200)
    assert listing["limit"] == 3
    assert [p["nickname"] for p in listing["open_profiles"]] == ["Moon", "Star", "Comet"]

    response = await client.delete(f"/api/me/open-profiles/{made[0]['id']}", headers=auth(token))
    assert response.status_code == 204
    response = await client.post(
        "/api/me/open-profiles", json={"nickname": "Sun"}, headers=auth(token)
    )
    expect(response, 201)


async def test_open_profiles_can_be_changed_and_are_private_to_their_owner(
    client: httpx.AsyncClient,
) -> None:
    _, owner = await make_user(client)
    _, other = await make_user(client)
    moon = await upload_picture(client, owner)
    profile = expect(
        await client.post(
            "/api/me/open-profiles",
            json={"nickname": "Moon", "avatar_url": moon},
            headers=auth(owner),
        ),
        201,
    )
    path = f"/api/me/open-profiles/{profile['id']}"
    changed = expect(
        await client.patch(path, json={"nickname": " New   Moon "}, headers=auth(owner)), 200
    )
    assert changed["nickname"] == "New Moon"
    assert changed["avatar_url"] == moon
    removed = expect(await client.patch(path, json={"avatar_url": ""}, headers=auth(owner)), 200)
    assert removed["avatar_url"] is None

    for response in (
        await client.patch(path, json={"nickname": "Mine now"}, headers=auth(other)),
        await client.delete(path, headers=auth(other)),
    ):
        assert error_code(response, 404) == "open_profile_not_found"
    assert (
        expect(await client.get("/api/me/open-profiles", headers=auth(other)), 200)["open_profiles"]
        == []
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"nickname": "   "}, "invalid_nickname"),
        ({"nickname": "x" * 41}, "invalid_nickname"),
        ({"nickname": "Moon", "avatar_url": "javascript:alert(1)"}, "invalid_url"),
    ],
)
async def test_open_profile_rules(client: httpx.AsyncClient, body: dict, code: str) -> None:
    _, token = await make_user(client)
    response = await client.post("/api/me/open-profiles", json=body, headers=auth(token))
    assert error_code(response, 422) == code


async def test_a_language_with_a_trailing_newline_is_refused(client: httpx.AsyncClient) -> None:
    _, token = await make_user(client)
    response = await client.patch("/api/me", json={"language": "ko\n"}, headers=auth(token))
    assert error_code(response, 422) == "invalid_language"
