"""Canonical works: every spelling of one work folds to one string."""

from __future__ import annotations

import pytest

from openlink.domain.partners import canonical_isbn, canonical_url
from openlink.errors import InvalidInput


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (
            "HTTPS://Comics.Example.com:443/series/42/?utm_source=x&id=7&fbclid=abc#top",
            "https://comics.example.com/series/42?id=7",
        ),
        ("https://ex.example/café", "https://ex.example/caf%C3%A9"),
        ("https://ex.example/caf%c3%a9", "https://ex.example/caf%C3%A9"),
        ("https://BÜCHER.example/a", "https://xn--bcher-kva.example/a"),
        ("https://ex.example/a/./b/../c/", "https://ex.example/a/c"),
        ("https://ex.example/?q=a%20b&UTM_Medium=m&Gclid=1", "https://ex.example/?q=a+b"),
        ("https://ex.example/?q=あ", "https://ex.example/?q=%E3%81%82"),
        ("http://[::1]:80/x", "http://[::1]/x"),
        ("https://ex.example:8443", "https://ex.example:8443/"),
        # An escaped slash is not a path separator: it stays escaped.
        ("https://ex.example/a%2Fb", "https://ex.example/a%2Fb"),
    ],
)
def test_canonical_url(raw: str, canonical: str) -> None:
    assert canonical_url(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "ftp://files.example/book",
        "javascript:alert(1)",
        "/relative/path",
        "https://",
        "https://user:pw@ex.example/",
        "https://ex.example:99999/",
        "https://ex.example/a b",
        "https://ex.example/" + "a" * 400,
    ],
)
def test_canonical_url_refuses(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        canonical_url(raw)
    assert exc.value.code == "invalid_url"


@pytest.mark.parametrize(
    ("raw", "isbn13"),
    [
        ("4-08-872509-3", "9784088725093"),
        ("978 4 08 872509 3", "9784088725093"),
        ("0-8044-2957-x", "9780804429573"),
        ("979-10-90636-07-1", "9791090636071"),
    ],
)
def test_canonical_isbn(raw: str, isbn13: str) -> None:
    assert canonical_isbn(raw) == isbn13


@pytest.mark.parametrize(
    "raw", ["978-4-08-872509-4", "4-08-872509-X", "12345", "9771234567898", "4X08872509", ""]
)
def test_canonical_isbn_refuses(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        canonical_isbn(raw)
    assert exc.value.code == "invalid_isbn"
