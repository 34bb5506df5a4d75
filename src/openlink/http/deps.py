"""Request dependencies: the context and the signed-in account."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from openlink.actions.accounts import access_user_by_token
from openlink.actions.context import Context
from openlink.domain.accounts import User
from openlink.domain.text import ID_PATTERN
from openlink.errors import Unauthenticated

_bearer = HTTPBearer(auto_error=False, description="An opaque token from sign-up or sign-in.")


def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def bearer_token(
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthenticated("Send 'Authorization: Bearer <token>'.", code="unauthenticated")
    return creds.credentials


def client_address(request: Request) -> str | None:
    """The client's address as every per-address limit counts it (see
    :func:`address_key`). Behind a reverse proxy this is the proxy's address unless
    uvicorn trusts its X-Forwarded-For (``FORWARDED_ALLOW_IPS``); see docs/operations.md."""
    return address_key(request.client.host) if request.client else None


def address_key(host: str) -> str:
    """An IPv4 address as it is; an IPv6 address as the /64 it belongs to, because one
    subscriber or server usually holds a whole /64 and could count as 2^64 clients
    otherwise; an IPv4 address written as IPv6 (``::ffff:a.b.c.d``) as IPv4."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an IP address (a Unix socket's peer, a test transport)
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return f"{ipaddress.IPv6Address(int(ip) >> 64 << 64)}/64"


async def current_user(
    ctx: Annotated[Context, Depends(get_ctx)], token: Annotated[str, Depends(bearer_token)]
) -> User:
    return await access_user_by_token(ctx, token)


async def optional_user(
    ctx: Annotated[Context, Depends(get_ctx)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    if creds is None:
        return None
    return await access_user_by_token(ctx, creds.credentials)


CtxDep = Annotated[Context, Depends(get_ctx)]
UserDep = Annotated[User, Depends(current_user)]
MaybeUserDep = Annotated[User | None, Depends(optional_user)]
TokenDep = Annotated[str, Depends(bearer_token)]
AddressDep = Annotated[str | None, Depends(client_address)]

# Ids in paths: malformed ones are refused at the edge (422) before any query runs.
RoomId = Annotated[str, Path(pattern=ID_PATTERN, description="A room id.")]
ProfileId = Annotated[str, Path(pattern=ID_PATTERN, description="An open profile id.")]
LinkCode = Annotated[str, Path(pattern=ID_PATTERN, description="A link code.")]
MemberId = Annotated[str, Path(pattern=ID_PATTERN, description="A member id.")]
