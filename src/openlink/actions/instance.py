"""The instance's secret, and the keys derived from it for each purpose.

The secret is the operator's ``OPENLINK_SECRET_KEY`` (or its file) when set; otherwise a
random one, made by the first node that asks and kept in the database, so that every
node derives the same keys. Each purpose gets its own key (an HMAC of the purpose under
the secret): a value made with one key tells nothing about another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from openlink.actions.context import Context
from openlink.store import instance as store

#: Where the made secret is kept (``instance_secrets.name``).
SECRET_NAME = "secret_key"
#: Purposes, each its own derived key.
IMAGE_IDS = "image-ids"
#: Signatures of media URLs (``domain.media.url_signature``).
MEDIA_URLS = "media-urls"


async def instance_key(ctx: Context, purpose: str) -> bytes:
    """The key for ``purpose``, read once per process."""
    key = ctx.keys.get(purpose)
    if key is None:
        secret = ctx.settings.configured_secret_key() or await _stored_secret(ctx)
        key = hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
        ctx.keys[purpose] = key
    return key


async def _stored_secret(ctx: Context) -> str:
    async with ctx.db.write() as tx:
        return await store.instance_secret(
            tx.conn,
            SECRET_NAME,
            secrets.token_urlsafe(48),
            now=ctx.now(),
        )
