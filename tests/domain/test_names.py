"""Confusable skeletons of names (domain/names.py): compatibility forms and small
capitals meet the letters they look like; different names stay different."""

from __future__ import annotations

import unicodedata

import pytest

from openlink.domain.names import skeleton


@pytest.mark.parametrize(
    ("name", "same_as"),
    [
        ("Ｈｏｓｔ", "host"),  # fullwidth
        ("ʜᴏꜱᴛ", "host"),  # small capitals, from three blocks
        ("ᴴᵒˢᵗ", "host"),  # modifier letters
        ("ɢʀᴇᴀᴛ ᴋɪɴɢ", "Great King"),
        ("\ua7ae\u0274", "in"),  # a capital small capital I, a small capital N
        ("ﬁsh", "fish"),  # a ligature
        ("Ｍᴏderator", "Moderator"),  # mixed
    ],
)
def test_look_alike_forms_share_the_skeleton(name: str, same_as: str) -> None:
    assert skeleton(name) == skeleton(same_as)


@pytest.mark.parametrize(
    ("name", "other"),
    [("Moderator", "Mediator"), ("Host", "Hosts"), ("민지", "민주"), ("ʜᴏꜱᴛ", "ʜᴏꜱᴇ")],
)
def test_different_names_stay_different(name: str, other: str) -> None:
    assert skeleton(name) != skeleton(other)


def test_every_latin_small_capital_letter_is_folded() -> None:
    """The fold comes from the character names, so every "LATIN LETTER SMALL CAPITAL X"
    of a basic letter meets X, including ones no test lists."""
    small_capitals = [
        chr(cp)
        for cp in range(0x250, 0x1E000)
        if (name := unicodedata.name(chr(cp), "")).startswith("LATIN LETTER SMALL CAPITAL ")
        and len(name) == len("LATIN LETTER SMALL CAPITAL X")
    ]
    assert len(small_capitals) >= 20
    for char in small_capitals:
        letter = unicodedata.name(char)[-1].lower()
        assert skeleton(char) == skeleton(letter), (char, letter)
