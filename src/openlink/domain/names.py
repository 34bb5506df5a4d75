"""Names people show each other (nicknames, display names): visible, in reading order,
and not a look-alike of a room's host or co-hosts.

Look-alikes are found with Unicode's confusable skeletons (UTS #39, section 4), computed
by ICU's spoof checker: two names are confusable when their skeletons are equal, so
``Ηost`` (with a Greek capital eta), ``Host`` with a zero-width space inside, ``HOST``
and ``Host`` are the same name, and so are ``rnodern`` and ``modern``. Skeletons do not
fold compatibility forms, so names are NFKC-normalized first (fullwidth ``Ｈｏｓｔ``),
and small capitals (``ʜᴏꜱᴛ``), which have no compatibility mapping, are folded to
their letters. See docs/decisions/0016-confusable-nicknames.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import icu

from openlink.errors import Conflict, InvalidInput

# Embeddings, overrides and isolates: they reorder the text around them, so a name could
# make the room's UI (or the message after it) read differently than it is stored.
_BIDI_FORMATTING = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Blank, but neither white space nor default-ignorable for Unicode.
_BLANK = frozenset("\u2800")
_checker = icu.SpoofChecker()
# "LATIN LETTER SMALL CAPITAL R" (and its Greek, Cyrillic and capital forms) -> the
# small letter of the same name: derived from the character names, not typed by hand.
_SMALL_CAPITAL = re.compile(
    r"(\w+) (?:CAPITAL )?(?:LETTER SMALL CAPITAL|SMALL CAPITAL LETTER) (.+)"
)


def _small_capitals() -> dict[int, str]:
    fold: dict[int, str] = {}
    for char in icu.UnicodeSet("[[:Ll:][:Lu:]]"):  # cased letters: a few thousand
        named = _SMALL_CAPITAL.fullmatch(unicodedata.name(char, ""))
        if named is None:
            continue
        try:
            fold[ord(char)] = unicodedata.lookup(f"{named[1]} SMALL LETTER {named[2]}")
        except KeyError:  # no such letter (a small capital of a ligature, say)
            continue
    return fold


_SMALL_CAPITALS = _small_capitals()


def _invisible(char: str) -> bool:
    return (
        char.isspace()
        or char in _BLANK
        or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp")
        or icu.Char.hasBinaryProperty(char, icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT)
    )


def check_visible(name: str, what: str, code: str) -> str:
    """Refuse a name with bidirectional overrides, or with nothing visible in it once
    invisible characters (zero-width, fillers, bidi marks) are set aside."""
    if _BIDI_FORMATTING.search(name):
        raise InvalidInput(
            f"A {what} cannot hold bidirectional override or isolate characters.", code=code
        )
    if all(_invisible(c) for c in name):
        raise InvalidInput(f"A {what} needs at least one visible character.", code=code)
    return name


def skeleton(name: str) -> str:
    """The name's confusable skeleton, case-insensitive: compatibility forms and small
    capitals folded first, then the skeleton again after case folding, so that ``HOST``,
    ``Ηοst``, ``Ｈｏｓｔ`` and ``ʜᴏꜱᴛ`` meet ``host``."""
    folded = unicodedata.normalize("NFKC", name).translate(_SMALL_CAPITALS)
    once = str(_checker.getSkeleton(0, folded)).casefold().translate(_SMALL_CAPITALS)
    return str(_checker.getSkeleton(0, once))


def confusable_with(name: str, others: Iterable[tuple[str, str]]) -> list[str]:
    """The ids among ``others`` (id, name) whose name is confusable with ``name``."""
    mine = skeleton(name)
    return [other_id for other_id, other in others if skeleton(other) == mine]


def check_not_impersonating(nickname: str, moderators: Iterable[tuple[str, str]]) -> None:
    """A newcomer's nickname must not look like the host's or a co-host's."""
    if confusable_with(nickname, moderators):
        raise Conflict(
            "This nickname looks like the host's or a co-host's in this room: choose another.",
            code="nickname_confusable",
        )


def check_promotable(nickname: str, members: Iterable[tuple[str, str]]) -> None:
    """A member becoming host or co-host must not share a look-alike nickname with anyone
    else in the room: members who would now pass for them are named, for the host to act
    on (kick them, or choose someone else)."""
    found = confusable_with(nickname, members)
    if found:
        raise Conflict(
            "Other members' nicknames look like this member's: they could pass for a "
            "moderator. Resolve that first.",
            code="nickname_confusable",
            members=sorted(found),
        )
