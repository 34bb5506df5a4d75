"""Interests: one topic under many names, in many languages.

An interest has a canonical name and a category; its aliases are the other normalized tags
that name it (등산 · hiking · 登山 · senderismo · 徒步). A room tag or an account interest
that equals an alias means that interest. The canonical name is itself an alias.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openlink.domain.accounts import check_language
from openlink.domain.rooms import TagCategory, normalize_tag
from openlink.errors import InvalidInput

MAX_QUERY_CHARS = 40


@dataclass(frozen=True, slots=True)
class Alias:
    alias: str
    language: str | None


@dataclass(slots=True)
class Interest:
    id: str
    name: str
    category: TagCategory
    created_at: datetime
    aliases: list[Alias] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SeedInterest:
    name: str
    category: TagCategory
    #: Every alias (the canonical name first), normalized, each once.
    aliases: tuple[Alias, ...]


def check_alias(raw: str) -> str:
    """An alias is a tag: the same normalization, so that tags and aliases compare equal."""
    return normalize_tag(raw)


def check_alias_language(raw: str | None) -> str | None:
    return None if raw is None or raw == "" else check_language(raw)


def normalize_query(raw: str) -> str:
    """An autocomplete query in the aliases' form; empty means "no filter"."""
    q = unicodedata.normalize("NFKC", raw).strip().lstrip("#").strip().casefold()
    return " ".join(q.split())[:MAX_QUERY_CHARS]


def parse_seed(data: dict[str, Any]) -> list[SeedInterest]:
    """The shipped seed list (``openlink/data/interests.json``) as normalized entries.

    The canonical name counts as an English alias. A name given twice for one interest is
    kept once, with the first language that named it.
    """
    out = []
    for entry in data["interests"]:
        name = check_alias(entry["name"])
        aliases: dict[str, Alias] = {name: Alias(name, "en")}
        for language, names in entry.get("aliases", {}).items():
            lang = check_alias_language(language)
            for raw in names:
                alias = check_alias(raw)
                aliases.setdefault(alias, Alias(alias, lang))
        out.append(SeedInterest(name, TagCategory(entry["category"]), tuple(aliases.values())))
    return out


def check_seed(seed: list[SeedInterest]) -> None:
    """No alias may name two interests: a tag must mean one thing."""
    owner: dict[str, str] = {}
    for interest in seed:
        for a in interest.aliases:
            if owner.setdefault(a.alias, interest.name) != interest.name:
                raise InvalidInput(
                    f"{a.alias!r} names both {owner[a.alias]!r} and {interest.name!r}.",
                    code="alias_taken",
                )


def interest_view(i: Interest) -> dict[str, Any]:
    return {
        "id": i.id,
        "name": i.name,
        "category": i.category.value,
        "aliases": [{"alias": a.alias, "language": a.language} for a in i.aliases],
    }
