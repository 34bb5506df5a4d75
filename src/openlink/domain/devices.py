"""Known devices for sign-in: proof that a browser or app signed in to an account before.

After a successful sign-in the server hands out a device token; a later sign-in that
presents it is from a known device, and the per-account limit on failed sign-ins (which
anyone can run up for any account) does not apply to it (decision 0009). The token is an
HMAC keyed with the account's password hash, a secret only the server holds, over the
account id and its device epoch, so nothing is stored: a new password, a re-hash with new
argon2 settings, or a new epoch ("sign out everywhere") forgets every device.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

MAX_TOKEN_CHARS = 200
_LABEL = b"openlink-device:"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(password_hash: str, user_id: int, epoch: int, nonce: bytes) -> bytes:
    message = _LABEL + f"{user_id}:{epoch}:".encode() + nonce
    return hmac.new(password_hash.encode(), message, hashlib.sha256).digest()


def new_device_token(password_hash: str, user_id: int, epoch: int) -> str:
    nonce = secrets.token_bytes(12)
    return f"{_b64(nonce)}.{_b64(_mac(password_hash, user_id, epoch, nonce))}"


def is_device_of(token: str | None, password_hash: str, user_id: int, epoch: int) -> bool:
    """Whether ``token`` was handed out for this account under its current password and
    device epoch."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return False
    nonce_text, _, mac_text = token.partition(".")
    try:
        nonce, mac = _unb64(nonce_text), _unb64(mac_text)
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(mac, _mac(password_hash, user_id, epoch, nonce))
