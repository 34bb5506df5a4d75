"""Every UI string the app asks for exists in English, and Korean and Japanese have the
same strings as English (plural forms aside: those languages have one form)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

WEB = Path(__file__).resolve().parents[2] / "src" / "openlink" / "web"
PLURAL = {"zero", "one", "two", "few", "many", "other"}


def keys(d: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted keys; {"one": ..., "other": ...} is one key with its plural forms."""
    out: set[str] = set()
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and not set(v) <= PLURAL:
            out |= keys(v, key)
        else:
            out.add(key)
    return out


def strings(lang: str) -> set[str]:
    return keys(json.loads((WEB / "locales" / f"{lang}.json").read_text("utf-8")))


def test_every_key_the_app_uses_is_translated() -> None:
    used: set[str] = set()
    for path in (WEB / "js").rglob("*.js"):  # the host tools' too: one i18n for the app
        used |= set(re.findall(r'\bt\(\s*"([a-z_]+(?:\.[a-z_]+)+)"', path.read_text("utf-8")))
    en = strings("en")
    assert used, "no t(...) calls found"
    assert sorted(used - en) == []
    for lang in ("ko", "ja"):
        assert sorted(en ^ strings(lang)) == [], lang
