"""Random identifiers: unguessable, URL-safe, and never derived from an account."""

from __future__ import annotations

import hashlib
import secrets

_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789"  # no l, 0, 1: easy to read aloud


def new_id(n: int = 16) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def new_link_code() -> str:
    return new_id(10)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
