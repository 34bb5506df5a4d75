"""A room's glossary: terms that translation keeps as they are, or renders a fixed way.

Neural engines do not take instructions, so the glossary is applied around them: each term
in the source is swapped for a placeholder the models copy through untouched (``ZQX0``,
``ZQX1``, ...), and after translation each placeholder becomes the term's fixed
translation for the target language, or the term itself. Engines that read instructions
(the OpenAI-compatible one) get the glossary in their prompt instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from openlink.domain.accounts import check_language
from openlink.domain.languages import base_language
from openlink.errors import InvalidInput

MAX_ENTRIES = 200
MAX_TERM_CHARS = 100
_PLACEHOLDER = "ZQX"
_RESTORE = re.compile(_PLACEHOLDER + r"\s?(\d+)")


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    term: str
    #: Target language (primary subtag) -> the fixed rendering. Missing: keep ``term``.
    translations: Mapping[str, str] = field(default_factory=dict)

    def rendering(self, target: str) -> str:
        return self.translations.get(target, self.term)


@dataclass(frozen=True, slots=True)
class Glossary:
    entries: tuple[GlossaryEntry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.entries)

    def matching(self, text: str) -> list[GlossaryEntry]:
        """The entries whose term occurs in ``text``, longest first (so that a longer term
        wins over one it contains)."""
        folded = text.casefold()
        found = [e for e in self.entries if e.term.casefold() in folded]
        return sorted(found, key=lambda e: -len(e.term))


EMPTY = Glossary()


def check_glossary(raw: Sequence[Mapping[str, object]]) -> Glossary:
    """Validate a host's glossary: unique terms, sane lengths, language tags as keys."""
    if len(raw) > MAX_ENTRIES:
        raise InvalidInput(
            f"A glossary holds at most {MAX_ENTRIES} terms.", code="glossary_too_large"
        )
    seen: set[str] = set()
    entries: list[GlossaryEntry] = []
    for item in raw:
        term = str(item.get("term", "")).strip()
        if not term or len(term) > MAX_TERM_CHARS:
            raise InvalidInput(
                f"Each term needs 1 to {MAX_TERM_CHARS} characters.", code="invalid_term"
            )
        if term.casefold() in seen:
            raise InvalidInput(f"The term {term!r} is listed twice.", code="duplicate_term")
        seen.add(term.casefold())
        translations: dict[str, str] = {}
        given = item.get("translations") or {}
        if not isinstance(given, Mapping):
            raise InvalidInput("translations must map languages to text.", code="invalid_term")
        for tag, text in given.items():
            lang = base_language(check_language(str(tag)))
            rendering = str(text).strip()
            if lang is None or not rendering or len(rendering) > MAX_TERM_CHARS:
                raise InvalidInput(
                    f"Each translation needs 1 to {MAX_TERM_CHARS} characters.",
                    code="invalid_term",
                )
            translations[lang] = rendering
        entries.append(GlossaryEntry(term, translations))
    return Glossary(tuple(entries))


def protect(text: str, glossary: Glossary) -> tuple[str, list[GlossaryEntry]]:
    """Swap each glossary term in ``text`` for a numbered placeholder."""
    used: list[GlossaryEntry] = []
    for entry in glossary.matching(text):
        pattern = re.compile(re.escape(entry.term), re.IGNORECASE)
        token = f"{_PLACEHOLDER}{len(used)}"
        text, n = pattern.subn(token, text)
        if n:
            used.append(entry)
    return text, used


def restore(text: str, used: Sequence[GlossaryEntry], target: str) -> str:
    """Put each protected term back, as its fixed rendering for ``target`` or as itself."""
    if not used:
        return text

    def put_back(m: re.Match[str]) -> str:
        i = int(m.group(1))
        return used[i].rendering(target) if i < len(used) else m.group(0)

    return _RESTORE.sub(put_back, text)
