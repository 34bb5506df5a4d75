"""Images the instance serves itself: avatars and covers.

A picture a member shows to others is never a link to another site, or every reader's
browser would tell that site its address. The server fetches the picture once, when it is
set, and serves its own copy from :data:`IMAGE_PATH`; views carry that path.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

from openlink.errors import InvalidInput

#: Where the instance serves an image; the rest of the path is the image's id.
IMAGE_PATH = "/api/images/"
#: An id is the HMAC-SHA-256 of the stored (re-encoded) bytes, in hex (:func:`image_id`).
IMAGE_ID_PATTERN = r"^[0-9a-f]{64}$"
_IMAGE_REF = re.compile(re.escape(IMAGE_PATH) + r"([0-9a-f]{64})")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: NAT64 (RFC 6052): a gateway on the server's network would connect to the IPv4 inside.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: The only IPv6 block assigned for global unicast (RFC 4291). Everything outside it is
#: local, deprecated or reserved, including blocks that Python's flags let through
#: (the site-local fec0::/10).
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")


@dataclass(frozen=True, slots=True)
class Image:
    id: str
    content_type: str
    width: int
    height: int
    data: bytes


def image_id(key: bytes, data: bytes) -> str:
    """The id of stored bytes, keyed with the instance's image key: the same picture gets
    the same id here (it is stored once), but nobody without the key can compute the id
    of a picture they hold and ask whether this instance stores it."""
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def image_path(image_id: str) -> str:
    return IMAGE_PATH + image_id


def image_id_of(ref: str) -> str | None:
    """The id in an instance image path, or None if ``ref`` is not one."""
    match = _IMAGE_REF.fullmatch(ref)
    return match.group(1) if match else None


def check_image_ref(raw: str | None, what: str) -> str | None:
    """An avatar or cover as stored: none, or an image this instance serves."""
    if raw is None or raw == "":
        return None
    if image_id_of(raw) is None:
        raise InvalidInput(
            f"The {what} must be an image this server stores ({IMAGE_PATH}…).",
            code="invalid_url",
        )
    return raw


def address_refused(address: IPAddress, allowed: Iterable[IPNetwork] = ()) -> bool:
    """Whether the server must not connect to ``address`` to fetch an image: anything
    but a public unicast address (loopback, private, link-local, shared, multicast,
    reserved, unspecified, documentation, any IPv6 outside global unicast), also when
    written as IPv4 inside IPv6. ``allowed`` networks are exceptions an operator (or a
    test) opted into."""
    if any(address in network for network in allowed):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refused(embedded, allowed)
        if address not in _GLOBAL_UNICAST:
            return True
    return (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )
