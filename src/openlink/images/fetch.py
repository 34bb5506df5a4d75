"""Fetch a picture a member named by URL, without letting the URL reach inside.

The server fetches on a member's behalf, so a URL must never make it talk to itself or to
its private network (SSRF). The host is resolved here and every address it resolves to is
checked (``domain.images.address_refused``); the connection then goes to the checked
address itself, with the name kept for the Host header and TLS (SNI and certificate), so
a second resolution cannot swap in another address. Redirects are followed by hand, each
hop checked the same way. The whole fetch has one deadline and a byte cap, counted on the
bytes as they arrive: the body is asked for and accepted only unencoded (``identity``), so
a small compressed answer cannot inflate into a large one in the server's memory.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from openlink.domain.images import IPAddress, IPNetwork, address_refused
from openlink.errors import InvalidInput, PayloadTooLarge

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int
    timeout_s: float
    max_redirects: int
    #: Networks allowed although not public (an intranet image host; tests on loopback).
    allowed: tuple[IPNetwork, ...] = ()


def fetch_failed(why: str) -> InvalidInput:
    return InvalidInput(f"The image could not be fetched: {why}.", code="image_fetch_failed")


def too_many_bytes(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The image is larger than {max_bytes} bytes.", code="image_too_large", max_bytes=max_bytes
    )


async def fetch_image(url: str, limits: FetchLimits) -> bytes:
    """The body of ``url`` (http or https), if it is an image from a public address."""
    try:
        async with (
            asyncio.timeout(limits.timeout_s),
            httpx.AsyncClient(
                # No proxy from the environment: it would resolve names itself, unchecked.
                trust_env=False,
                follow_redirects=False,
                timeout=limits.timeout_s,
            ) as client,
        ):
            return await _follow(client, httpx.URL(url), limits)
    except TimeoutError:
        raise fetch_failed(f"no answer within {limits.timeout_s:g} s") from None
    except (httpx.InvalidURL, UnicodeError):
        # A malformed international name (``xn--``) fails only when the host is read.
        raise fetch_failed("the address is not a valid URL") from None
    except httpx.HTTPError as exc:
        raise fetch_failed(type(exc).__name__) from None


async def _follow(client: httpx.AsyncClient, url: httpx.URL, limits: FetchLimits) -> bytes:
    for _ in range(limits.max_redirects + 1):
        if url.scheme not in _DEFAULT_PORTS or not url.host:
            raise fetch_failed("only http and https addresses can be fetched")
        port = url.port or _DEFAULT_PORTS[url.scheme]
        address = await _resolve(url.host, port, limits.allowed)
        request = client.build_request(
            "GET",
            url.copy_with(host=str(address)),
            headers={
                "Host": url.netloc.decode("ascii"),
                "Accept": "image/*",
                "Accept-Encoding": "identity",
            },
            extensions={"sni_hostname": url.host},
        )
        response = await client.send(request, stream=True)
        try:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                url = url.join(location)
                continue
            if response.status_code != 200:
                raise fetch_failed(f"the server answered {response.status_code}")
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if not kind.startswith("image/"):
                raise InvalidInput(
                    f"The address does not serve an image (it serves {kind or 'no type'}).",
                    code="image_unsupported",
                )
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                raise fetch_failed(f"the server sent it encoded ({encoding[:20]}), not as is")
            return await _read_capped(response, limits.max_bytes)
        finally:
            await response.aclose()
    raise fetch_failed(f"more than {limits.max_redirects} redirects")


async def _resolve(host: str, port: int, allowed: tuple[IPNetwork, ...]) -> IPAddress:
    """One address to connect to; refused if any address of the name is not public."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise fetch_failed(f"{host} does not resolve") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]
    if not addresses or any(address_refused(a, allowed) for a in addresses):
        raise InvalidInput(
            f"{host} is not a public internet address; images are only fetched from those.",
            code="image_address_refused",
        )
    return addresses[0]


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise too_many_bytes(max_bytes)
    body = bytearray()
    # Raw: what came over the wire, never inflated by a decoder.
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > max_bytes:
            raise too_many_bytes(max_bytes)
    return bytes(body)
