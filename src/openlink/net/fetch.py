"""Fetch what a member named by URL, without letting the URL reach inside.

The server fetches on a member's behalf (an avatar, a link's preview), so a URL must never
make it talk to itself or to its private network (SSRF). The host is resolved here and
every address it resolves to is checked (``domain.images.address_refused``); the
connection then goes to the checked address itself, with the name kept for the Host
header and TLS (SNI and certificate), so a second resolution cannot swap in another
address. Redirects are followed by hand, each hop checked the same way. The whole fetch
has one deadline and a byte cap, counted on the bytes as they arrive: the body is asked
for and accepted only unencoded (``identity``), so a small compressed answer cannot
inflate into a large one in the server's memory.

What differs between callers is said by a :class:`Want`: what to ask for, which types
to accept, what to call the thing in errors, and whether a body over the cap is refused
(a picture) or cut (a page, whose head is all a preview reads).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from openlink.domain.images import IPAddress, IPNetwork, address_refused
from openlink.errors import InvalidInput, PayloadTooLarge

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ARTICLE = {"image": "an image"}


@dataclass(frozen=True, slots=True)
class FetchLimits:
    max_bytes: int
    timeout_s: float
    max_redirects: int
    #: Networks allowed although not public (an intranet host; tests on loopback).
    allowed: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, slots=True)
class Want:
    #: What the fetched thing is called in errors and their codes (``image_fetch_failed``).
    noun: str
    #: The ``Accept`` header.
    accept: str
    #: Content types (lower case prefixes) a 200 answer may have; anything else is refused.
    types: tuple[str, ...]
    #: Past the byte cap, keep the first ``max_bytes`` instead of refusing the answer.
    truncate: bool = False
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    #: Where the answer came from, after redirects.
    url: str
    status: int
    #: The ``Content-Type`` header as sent (parameters included), or empty.
    content_type: str
    #: Empty unless the status is 200.
    body: bytes
    truncated: bool = False

    @property
    def kind(self) -> str:
        return media_type(self.content_type)


def media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def fetch_failed(noun: str, why: str) -> InvalidInput:
    return InvalidInput(f"The {noun} could not be fetched: {why}.", code=f"{noun}_fetch_failed")


def too_many_bytes(noun: str, max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The {noun} is larger than {max_bytes} bytes.",
        code=f"{noun}_too_large",
        max_bytes=max_bytes,
    )


def _refused(noun: str, host: str) -> InvalidInput:
    return InvalidInput(
        f"{host} is not a public internet address; {noun}s are only fetched from those.",
        code=f"{noun}_address_refused",
    )


async def _system_lookup(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


#: How names are resolved: once per hop, and the answer is what the connection uses.
#: Tests put a resolver of their own here to play a DNS that changes its answers.
lookup: Callable[[str, int], Awaitable[list[str]]] = _system_lookup


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context for every fetch: httpx makes one per client otherwise,
    loading the CA bundle each time (about 25 ms of CPU per preview)."""
    return httpx.create_ssl_context()


async def fetch(url: str, limits: FetchLimits, want: Want) -> Fetched:
    """The answer to a GET of ``url`` (http or https) from public addresses only.

    A final status other than 200 is returned with an empty body, for the caller to judge.
    Raises ``{noun}_fetch_failed`` (no answer in time, too many redirects, a bad URL, an
    encoded body), ``{noun}_address_refused``, ``{noun}_unsupported`` (a 200 of a type not
    wanted) and ``{noun}_too_large`` (over the cap, unless ``want.truncate``)."""
    try:
        async with (
            asyncio.timeout(limits.timeout_s),
            httpx.AsyncClient(
                # No proxy from the environment: it would resolve names itself, unchecked.
                trust_env=False,
                verify=_tls(),
                follow_redirects=False,
                timeout=limits.timeout_s,
            ) as client,
        ):
            return await _follow(client, httpx.URL(url), limits, want)
    except TimeoutError:
        raise fetch_failed(want.noun, f"no answer within {limits.timeout_s:g} s") from None
    except (httpx.InvalidURL, UnicodeError):
        # A malformed international name (``xn--``) fails only when the host is read.
        raise fetch_failed(want.noun, "the address is not a valid URL") from None
    except httpx.HTTPError as exc:
        raise fetch_failed(want.noun, type(exc).__name__) from None


async def _follow(
    client: httpx.AsyncClient, url: httpx.URL, limits: FetchLimits, want: Want
) -> Fetched:
    for _ in range(limits.max_redirects + 1):
        if url.scheme not in _DEFAULT_PORTS or not url.host:
            raise fetch_failed(want.noun, "only http and https addresses can be fetched")
        port = url.port or _DEFAULT_PORTS[url.scheme]
        address = await _resolve(url.host, port, limits.allowed, want.noun)
        headers = {
            "Host": url.netloc.decode("ascii"),
            "Accept": want.accept,
            "Accept-Encoding": "identity",
        }
        if want.user_agent:
            headers["User-Agent"] = want.user_agent
        request = client.build_request(
            "GET",
            url.copy_with(host=str(address)),
            headers=headers,
            extensions={"sni_hostname": url.host},
        )
        response = await client.send(request, stream=True)
        try:
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                url = url.join(location)
                continue
            content_type = response.headers.get("content-type", "")
            if response.status_code != 200:
                return Fetched(str(url), response.status_code, content_type, b"")
            _check_answer(response, want)
            body, truncated = await _read_capped(response, limits.max_bytes, want)
            return Fetched(str(url), 200, content_type, body, truncated)
        finally:
            await response.aclose()
    raise fetch_failed(want.noun, f"more than {limits.max_redirects} redirects")


def _check_answer(response: httpx.Response, want: Want) -> None:
    kind = media_type(response.headers.get("content-type", ""))
    if not kind.startswith(want.types):
        article = _ARTICLE.get(want.noun, f"a {want.noun}")
        raise InvalidInput(
            f"The address does not serve {article} (it serves {kind[:60] or 'no type'}).",
            code=f"{want.noun}_unsupported",
        )
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise fetch_failed(want.noun, f"the server sent it encoded ({encoding[:20]}), not as is")


async def _resolve(host: str, port: int, allowed: tuple[IPNetwork, ...], noun: str) -> IPAddress:
    """One address to connect to; refused if any address of the name is not public."""
    try:
        found = await lookup(host, port)
    except (socket.gaierror, UnicodeError):
        raise fetch_failed(noun, f"{host} does not resolve") from None
    addresses = [ipaddress.ip_address(a.partition("%")[0]) for a in found]
    if not addresses or any(address_refused(a, allowed) for a in addresses):
        raise _refused(noun, host)
    return addresses[0]


async def _read_capped(response: httpx.Response, max_bytes: int, want: Want) -> tuple[bytes, bool]:
    length = response.headers.get("content-length", "")
    if not want.truncate and length.isdigit() and int(length) > max_bytes:
        raise too_many_bytes(want.noun, max_bytes)
    body = bytearray()
    # Raw: what came over the wire, never inflated by a decoder.
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > max_bytes:
            if not want.truncate:
                raise too_many_bytes(want.noun, max_bytes)
            # Stop reading: closing the response drops the rest unread.
            return bytes(body[:max_bytes]), True
    return bytes(body), False
