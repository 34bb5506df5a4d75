"""Languages as translation sees them, and the script rules that settle detection early.

Accounts and rooms carry BCP 47 tags (``pt-BR``, ``zh-Hant``); engines and detectors speak
in primary language subtags (``pt``, ``zh``). :func:`base_language` maps one to the other.
"""

from __future__ import annotations

import re
import unicodedata

#: Hangul syllables and jamo.
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
#: Hiragana and katakana (CJK ideographs alone could be Chinese or Japanese).
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_LETTERS = re.compile(r"\w", re.UNICODE)
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\S+")

#: Lines with fewer letters than this are "very short": the detector's guess on them is
#: weak, so the room's language is preferred when the detector allows it.
SHORT_LINE_LETTERS = 16


def base_language(tag: str | None) -> str | None:
    """``pt-BR`` -> ``pt``; ``None`` and empty stay ``None``."""
    if not tag:
        return None
    return tag.split("-", 1)[0].split("_", 1)[0].lower() or None


def script_language(text: str) -> str | None:
    """A language settled by the script alone: kana means Japanese (even mixed with kanji),
    Hangul means Korean. ``None`` when the script does not decide."""
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    return None


def detection_text(text: str) -> str:
    """The part of a message that says something about its language: no links, no
    mentions, one line (the detector wants a single line)."""
    text = _MENTION.sub(" ", _URL.sub(" ", text))
    return " ".join(unicodedata.normalize("NFKC", text).split())


def letter_count(text: str) -> int:
    return sum(1 for ch in _LETTERS.findall(text) if not ch.isdigit() and ch != "_")
