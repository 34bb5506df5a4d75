"""Fetch a picture a member named by URL, through the guarded fetcher (``net/fetch.py``):
an image type only, refused whole past the byte cap."""

from __future__ import annotations

from openlink.errors import PayloadTooLarge
from openlink.net import fetch as net
from openlink.net.fetch import FetchLimits, Want, fetch, fetch_failed

__all__ = ["FetchLimits", "fetch_image", "too_many_bytes"]

_IMAGE = Want(noun="image", accept="image/*", types=("image/",))


def too_many_bytes(max_bytes: int) -> PayloadTooLarge:
    return net.too_many_bytes("image", max_bytes)


async def fetch_image(url: str, limits: FetchLimits) -> bytes:
    """The body of ``url`` (http or https), if it is an image from a public address."""
    fetched = await fetch(url, limits, _IMAGE)
    if fetched.status != 200:
        raise fetch_failed("image", f"the server answered {fetched.status}")
    return fetched.body
