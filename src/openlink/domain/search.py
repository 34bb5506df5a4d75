"""Room search rules: query words, filters, the fusion of keyword and semantic ranks,
and opaque cursors. Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import json
import unicodedata
from dataclasses import dataclass

from openlink.errors import InvalidInput

MAX_QUERY_CHARS = 200
MAX_WORDS = 8
#: Trigram indexes find substrings of 3 characters or more; shorter words (등산, 読書)
#: are matched by a scan of the indexed text instead.
TRIGRAM = 3
#: Reciprocal rank fusion: rank r in a list adds weight / (RRF_K + r) to a room's score.
RRF_K = 60
KEYWORD_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.0
#: How many candidates each list contributes before fusion: also the deepest page.
CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class SearchFilters:
    tag: str | None = None
    language: str | None = None
    min_members: int | None = None
    max_members: int | None = None


def normalize_query(q: str | None) -> str:
    """NFKC, lower case, white space collapsed; refuses what no room could match."""
    q = q or ""
    if len(q) > MAX_QUERY_CHARS:
        raise InvalidInput(
            f"A search query is at most {MAX_QUERY_CHARS} characters.", code="invalid_query"
        )
    if any(unicodedata.category(c) == "Cc" and not c.isspace() for c in q):
        raise InvalidInput(
            "A search query cannot contain control characters.", code="invalid_query"
        )
    return " ".join(unicodedata.normalize("NFKC", q).lower().split())


def query_words(q: str) -> list[str]:
    """The words every keyword match must contain (as substrings), longest first.

    A leading ``#`` is dropped (``#hiking`` searches tags and text alike)."""
    words = []
    for raw in q.split():
        word = raw.lstrip("#")
        if word and word not in words:
            words.append(word)
    return sorted(words, key=len, reverse=True)[:MAX_WORDS]


def check_members_range(low: int | None, high: int | None) -> None:
    for value in (low, high):
        if value is not None and value < 0:
            raise InvalidInput("Member counts are 0 or more.", code="invalid_members")
    if low is not None and high is not None and low > high:
        raise InvalidInput("min_members is above max_members.", code="invalid_members")


def fuse(keyword: list[str], semantic: list[str]) -> dict[str, tuple[float, str]]:
    """Weighted reciprocal rank fusion of two ranked lists of room ids.

    Returns room id -> (score, match) where match is ``keyword``, ``semantic`` or
    ``both``. Ranks, not raw scores, are combined: keyword relevance and cosine similarity
    are on unrelated scales, and a score computed from integer ranks is exactly the same on
    every call, which makes cursors stable. A room in both lists outranks one in a single
    list at the same rank.
    """
    out: dict[str, tuple[float, str]] = {}
    for rank, room_id in enumerate(keyword, start=1):
        out[room_id] = (KEYWORD_WEIGHT / (RRF_K + rank), "keyword")
    for rank, room_id in enumerate(semantic, start=1):
        add = SEMANTIC_WEIGHT / (RRF_K + rank)
        if room_id in out:
            out[room_id] = (out[room_id][0] + add, "both")
        else:
            out[room_id] = (add, "semantic")
    return out


def params_digest(*parts: object) -> str:
    """A short fingerprint of a search's parameters: a cursor is only valid for them."""
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def encode_cursor(digest: str, key: list[float | int | str]) -> str:
    raw = json.dumps({"p": digest, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, digest: str) -> list[float | int | str]:
    """The sort key of the last result of the previous page."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        key = data["k"]
        ok = data["p"] == digest and isinstance(key, list) and len(key) == 2
    except (ValueError, TypeError, KeyError):
        ok = False
    if not ok:
        raise InvalidInput(
            "This cursor is not one this search returned (or the parameters changed).",
            code="invalid_cursor",
        )
    return key
