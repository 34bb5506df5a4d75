"""Accounts: sign-up, sessions, the profile and saved open profiles."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response

from openlink.actions import accounts
from openlink.domain.accounts import OpenProfile, User
from openlink.domain.events import iso
from openlink.http.deps import CtxDep, ProfileId, TokenDep, UserDep, client_address
from openlink.http.schemas import (
    OpenProfileIn,
    OpenProfilePatch,
    PasswordChange,
    ProfileUpdate,
    SignIn,
    SignUp,
)
from openlink.queries import accounts as queries

router = APIRouter(prefix="/api", tags=["accounts"])


def me_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "language": user.language,
        "interests": user.interests,
        "created_at": iso(user.created_at),
    }


def profile_view(p: OpenProfile) -> dict[str, Any]:
    view = asdict(p)
    view["created_at"] = iso(p.created_at)
    return view


@router.post("/accounts", status_code=201, summary="Sign up")
async def sign_up(ctx: CtxDep, body: SignUp, request: Request) -> dict[str, Any]:
    user, token, device = await accounts.do_sign_up(
        ctx, **body.model_dump(), address=client_address(request)
    )
    return {"user": me_view(user), "token": token, "device": device}


@router.post("/sessions", summary="Sign in: returns a bearer token")
async def sign_in(ctx: CtxDep, body: SignIn, request: Request) -> dict[str, Any]:
    user, token, device = await accounts.do_sign_in(
        ctx,
        username=body.username,
        password=body.password,
        address=client_address(request),
        device=body.device,
    )
    return {"user": me_view(user), "token": token, "device": device}


@router.delete("/sessions/current", status_code=204, summary="Sign out: revoke this token")
async def sign_out(ctx: CtxDep, user: UserDep, token: TokenDep) -> Response:
    await accounts.do_sign_out(ctx, user, token)
    return Response(status_code=204)


@router.post(
    "/me/sessions/revoke",
    status_code=204,
    summary="Sign out everywhere: revoke every token of the account, this one included",
)
async def sign_out_everywhere(ctx: CtxDep, user: UserDep) -> Response:
    await accounts.do_sign_out_everywhere(ctx, user)
    return Response(status_code=204)


@router.post(
    "/me/password",
    summary="Change the password; every other token is revoked, this one stays; "
    "returns this browser's new device token",
)
async def change_password(
    ctx: CtxDep, user: UserDep, token: TokenDep, body: PasswordChange
) -> dict[str, Any]:
    device = await accounts.do_change_password(
        ctx,
        user,
        token,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return {"device": device}


@router.get("/me", summary="My account")
async def get_me(user: UserDep) -> dict[str, Any]:
    return me_view(user)


@router.patch("/me", summary="Change display name, reading language or interests")
async def patch_me(ctx: CtxDep, user: UserDep, body: ProfileUpdate) -> dict[str, Any]:
    updated = await accounts.do_update_profile(ctx, user, **body.model_dump())
    return me_view(updated)


@router.get("/me/open-profiles", summary="My saved open profiles")
async def list_open_profiles(ctx: CtxDep, user: UserDep) -> dict[str, Any]:
    profiles = await queries.my_open_profiles(ctx, user)
    return {
        "open_profiles": [profile_view(p) for p in profiles],
        "limit": ctx.settings.max_open_profiles,
    }


@router.post("/me/open-profiles", status_code=201, summary="Save an open profile")
async def create_open_profile(ctx: CtxDep, user: UserDep, body: OpenProfileIn) -> dict[str, Any]:
    p = await accounts.do_create_open_profile(
        ctx, user, nickname=body.nickname, avatar_url=body.avatar_url
    )
    return profile_view(p)


@router.patch("/me/open-profiles/{profile_id}", summary="Change a saved open profile")
async def patch_open_profile(
    ctx: CtxDep, user: UserDep, profile_id: ProfileId, body: OpenProfilePatch
) -> dict[str, Any]:
    p = await accounts.do_update_open_profile(
        ctx, user, profile_id, nickname=body.nickname, avatar_url=body.avatar_url
    )
    return profile_view(p)


@router.delete(
    "/me/open-profiles/{profile_id}", status_code=204, summary="Delete a saved open profile"
)
async def delete_open_profile(ctx: CtxDep, user: UserDep, profile_id: ProfileId) -> Response:
    await accounts.do_delete_open_profile(ctx, user, profile_id)
    return Response(status_code=204)
