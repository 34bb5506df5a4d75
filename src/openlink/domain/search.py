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
INTEREST_WEIGHT = 1.0
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


def _spaceless(c: str) -> bool:
    """Scripts whose words run together, or take particles without a space (Korean)."""
    cp = ord(c)
    return (
        0xAC00 <= cp <= 0xD7A3  # Hangul syllables
        or 0x1100 <= cp <= 0x11FF
        or 0x3130 <= cp <= 0x318F  # Hangul jamo
        or 0x3040 <= cp <= 0x30FF  # kana
        or 0x31F0 <= cp <= 0x31FF
        or 0x3400 <= cp <= 0x9FFF  # CJK ideographs
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF66 <= cp <= 0xFF9D  # half-width kana
    )


MIN_ALIAS_CHARS = 2


def searchable_text(name: str, description: str, tags: list[str]) -> str:
    """A room's text as keyword search compares it: NFKC, lower case."""
    return unicodedata.normalize("NFKC", f"{name} {description} {' '.join(tags)}").lower()


def short_grams(text: str) -> set[str]:
    """The index entries that serve keyword words of one or two characters in scripts
    without spaces (등산, 読書, 猫), which a trigram index cannot: every pair of adjacent
    characters of such a run, and each run's last character alone. Every character of a
    run then starts some entry, so a one-character word is a prefix lookup."""
    grams: set[str] = set()
    run: list[str] = []
    for c in [*text, " "]:
        if _spaceless(c):
            run.append(c)
            continue
        if run:
            grams.update(run[i] + run[i + 1] for i in range(len(run) - 1))
            grams.add(run[-1])
            run = []
    return grams


def is_short_spaceless(word: str) -> bool:
    """A keyword word the short-gram index serves."""
    return 0 < len(word) < TRIGRAM and all(_spaceless(c) for c in word)


def names_alias(query: str, alias: str) -> bool:
    """Whether ``query`` names ``alias`` (both normalized): the alias appears in it, as a
    whole word, or anywhere when the alias is written in a script without spaces between
    words (so 방탄소년단이 and 大阪美食 name 방탄소년단 and 大阪; ``ai`` is not named by
    ``mountain``)."""
    if len(alias) < MIN_ALIAS_CHARS:
        return False
    start = query.find(alias)
    while start != -1:
        end = start + len(alias)
        before = query[start - 1] if start > 0 else " "
        after = query[end] if end < len(query) else " "
        if (_spaceless(alias[0]) or not before.isalnum()) and (
            _spaceless(alias[-1]) or not after.isalnum()
        ):
            return True
        start = query.find(alias, start + 1)
    return False


def check_members_range(low: int | None, high: int | None) -> None:
    for value in (low, high):
        if value is not None and value < 0:
            raise InvalidInput("Member counts are 0 or more.", code="invalid_members")
    if low is not None and high is not None and low > high:
        raise InvalidInput("min_members is above max_members.", code="invalid_members")


def fuse(
    keyword: list[str], semantic: list[str], interest: list[str] | None = None
) -> dict[str, tuple[float, str]]:
    """Weighted reciprocal rank fusion of ranked lists of room ids: the text matches, the
    nearest meanings, and the rooms tagged with an interest the query names.

    Returns room id -> (score, match) where match is ``keyword`` (text or interest),
    ``semantic`` or ``both``. Ranks, not raw scores, are combined: keyword relevance and
    cosine similarity are on unrelated scales, and a score computed from integer ranks is
    exactly the same on every call, which makes cursors stable. A room in several lists
    outranks one in a single list at the same rank.
    """
    scores: dict[str, float] = {}
    kinds: dict[str, set[str]] = {}
    lists = (
        (keyword, KEYWORD_WEIGHT, "keyword"),
        (interest or [], INTEREST_WEIGHT, "keyword"),
        (semantic, SEMANTIC_WEIGHT, "semantic"),
    )
    for ranked, weight, kind in lists:
        for rank, room_id in enumerate(ranked, start=1):
            scores[room_id] = scores.get(room_id, 0.0) + weight / (RRF_K + rank)
            kinds.setdefault(room_id, set()).add(kind)
    return {
        room_id: (score, "both" if len(kinds[room_id]) > 1 else next(iter(kinds[room_id])))
        for room_id, score in scores.items()
    }


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
