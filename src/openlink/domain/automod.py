"""Automod rules: validation, and the compiled matcher a room's messages are screened by.

Every expression runs on RE2 (``google-re2``): matching is linear in the text whatever
the pattern, so no rule a host writes can stall the server, and RE2's memory budget
(``max_mem``) refuses a pattern that would compile too big. See
docs/decisions/0008-automod-re2.md.

Keyword semantics. The message and the keywords are compared after NFKC, case folding,
and with invisible format characters (zero-width space, soft hyphen, ...) removed, so
``ＳＰＡＭ``, ``Spam`` and ``s\u200bpam`` are all ``spam``. A keyword edge that is a
letter, digit or mark of a script written with spaces between words must stand at a
word boundary: ``spam`` does not match ``spammer``. Scripts written without spaces
(Hangul, kana, CJK ideographs, Thai, Lao, Khmer, Myanmar) match anywhere, and their
characters count as boundaries for the words around them. ``*`` at the start or end of a
keyword lifts that edge's boundary: ``spam*`` matches ``spammer``, ``*coin`` matches
``shitcoin``. White space inside a keyword matches any run of white space.

Regular expressions see the same text as NFKC, format characters removed, but not case
folded (write ``(?i)`` to ignore case).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import re2

from openlink.domain.events import iso
from openlink.domain.governance import TIMEOUT_MAX_S
from openlink.domain.members import Member
from openlink.domain.permissions import Action, Right, Role, actions_of, outranks
from openlink.domain.text import one_line
from openlink.errors import Forbidden, InvalidInput

RULE_NAME_MAX_CHARS = 80
KEYWORD_MAX_CHARS = 60
REGEX_MAX_CHARS = 500
TIMEOUT_MIN_S = 10
EXEMPTABLE_ROLES = (Role.HOST, Role.COHOST)
#: RE2's memory budget for one user expression, and for one keyword rule's program.
REGEX_MAX_MEM = 1 << 20
KEYWORD_RULE_MAX_MEM = 32 << 20


class RuleKind(enum.StrEnum):
    KEYWORD = "keyword"
    REGEX = "regex"


class AutomodAction(enum.StrEnum):
    BLOCK = "block"
    HIDE = "hide"
    TIMEOUT = "timeout"


#: When several rules match, the most severe wins.
SEVERITY = {AutomodAction.TIMEOUT: 0, AutomodAction.BLOCK: 1, AutomodAction.HIDE: 2}


@dataclass(slots=True, frozen=True)
class Verdict:
    action: AutomodAction
    rule_id: str
    rule_name: str
    timeout_s: int | None = None


@dataclass(slots=True, frozen=True)
class Rule:
    id: str
    room_id: str
    name: str
    kind: RuleKind
    patterns: tuple[str, ...]
    action: AutomodAction
    timeout_s: int | None
    exempt_roles: frozenset[Role]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    #: The member who created or last changed the rule; None for rules older than
    #: authors (and not in the audit log), which act as the least a rule may do.
    author: str | None = None

    def verdict(self, action: AutomodAction | None = None) -> Verdict:
        action = action or self.action
        timeout_s = self.timeout_s if action is AutomodAction.TIMEOUT else None
        return Verdict(action, self.id, self.name, timeout_s)


def rule_view(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "kind": rule.kind.value,
        "patterns": list(rule.patterns),
        "action": rule.action.value,
        "timeout_s": rule.timeout_s,
        "exempt_roles": sorted(r.value for r in rule.exempt_roles),
        "enabled": rule.enabled,
        "created_at": iso(rule.created_at),
        "updated_at": iso(rule.updated_at),
        "author": rule.author,
    }


# --- validation -------------------------------------------------------------------------


def _options(max_mem: int) -> re2.Options:
    options = re2.Options()
    options.max_mem = max_mem
    options.never_capture = True
    options.log_errors = False
    return options


def check_rule_name(raw: str) -> str:
    name = one_line(raw, "rule name")
    if not 1 <= len(name) <= RULE_NAME_MAX_CHARS:
        raise InvalidInput(
            f"A rule name is 1 to {RULE_NAME_MAX_CHARS} characters.", code="invalid_rule_name"
        )
    return name


def check_keyword(raw: str) -> str:
    keyword = raw.strip()
    if any(unicodedata.category(c) == "Cc" for c in keyword):
        raise InvalidInput(
            "A keyword cannot hold control characters.", code="invalid_keyword", keyword=raw
        )
    if not 1 <= len(keyword) <= KEYWORD_MAX_CHARS or not fold(keyword).strip("*").strip():
        raise InvalidInput(
            f"A keyword is 1 to {KEYWORD_MAX_CHARS} characters, not only '*'.",
            code="invalid_keyword",
            keyword=raw,
        )
    return keyword


def check_regex(raw: str) -> str:
    if not 1 <= len(raw) <= REGEX_MAX_CHARS:
        raise InvalidInput(
            f"A regular expression is 1 to {REGEX_MAX_CHARS} characters.",
            code="invalid_regex",
            pattern=raw,
        )
    try:
        program = re2.compile(raw, _options(REGEX_MAX_MEM))
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise InvalidInput(
            f"RE2 cannot use this expression ({reason}); backreferences and lookaround "
            "are not supported.",
            code="invalid_regex",
            pattern=raw,
        ) from None
    if program.search("") is not None:
        raise InvalidInput(
            "This expression matches an empty text, so it would match every message.",
            code="invalid_regex",
            pattern=raw,
        )
    return raw


def check_patterns(kind: RuleKind, raw: Sequence[str], max_count: int) -> tuple[str, ...]:
    """A rule's keywords or expressions, validated; duplicates dropped, order kept."""
    if not 1 <= len(raw) <= max_count:
        what = "keywords" if kind is RuleKind.KEYWORD else "regular expressions"
        raise InvalidInput(
            f"A {kind.value} rule has 1 to {max_count} {what}.", code="invalid_patterns"
        )
    check = check_keyword if kind is RuleKind.KEYWORD else check_regex
    patterns = tuple(dict.fromkeys(check(p) for p in raw))
    if kind is RuleKind.KEYWORD:
        try:
            re2.compile(keywords_program(patterns), _options(KEYWORD_RULE_MAX_MEM))
        except re2.error:
            raise InvalidInput(
                "These keywords compile too big: use fewer or shorter ones.",
                code="rule_too_large",
            ) from None
    return patterns


def check_action(action: AutomodAction, timeout_s: int | None) -> int | None:
    """The rule's time-out: required for ``timeout``, absent otherwise."""
    if action is not AutomodAction.TIMEOUT:
        if timeout_s is not None:
            raise InvalidInput("Only a timeout rule has a timeout_s.", code="invalid_timeout")
        return None
    if timeout_s is None or not TIMEOUT_MIN_S <= timeout_s <= TIMEOUT_MAX_S:
        raise InvalidInput(
            f"A timeout rule's timeout_s is {TIMEOUT_MIN_S} seconds to "
            f"{TIMEOUT_MAX_S // 86_400} days.",
            code="invalid_timeout",
        )
    return timeout_s


def check_exempt_roles(raw: Iterable[str]) -> frozenset[Role]:
    roles = set()
    for name in raw:
        if name not in EXEMPTABLE_ROLES:
            raise InvalidInput("Exempt roles are 'host' and 'cohost'.", code="invalid_exempt_roles")
        roles.add(Role(name))
    return frozenset(roles)


# --- authority --------------------------------------------------------------------------

#: The action each rule action needs its author to be allowed directly.
_NEEDS = {AutomodAction.TIMEOUT: Action.TIMEOUT, AutomodAction.HIDE: Action.HIDE_MESSAGE}
#: A rule whose author left, or no longer holds the automod right, keeps the least
#: authority a rule author has: a co-host with the automod right alone (block members).
_FLOOR = (Role.COHOST, frozenset({Right.AUTOMOD}))


def check_rule_action(role: Role, rights: frozenset[Right], action: AutomodAction) -> None:
    """A rule may do only what its author may do directly: a time-out rule needs the
    ``timeout`` right, a hiding rule the ``hide`` right."""
    needed = _NEEDS.get(action)
    if needed is not None and needed not in actions_of(role, rights):
        raise Forbidden(
            f"A {action.value} rule needs the right to {action.value} members yourself.",
            code="automod_action_not_permitted",
            action=action.value,
        )


def authority(author: Member | None) -> tuple[Role, frozenset[Right]]:
    """The role and rights a rule acts with: its author's as they are now."""
    if author is None or not author.active:
        return _FLOOR
    if Action.MANAGE_AUTOMOD not in actions_of(author.role, author.rights):
        return _FLOOR
    return author.role, author.rights


def verdict_for(rule: Rule, author: Member | None, sender: Member) -> Verdict | None:
    """What ``rule`` (which matched) does to ``sender``'s message: no more than its author
    could do to the sender directly. Never anything to the host; to a co-host only by a
    host's rule; a time-out or hide the author may not order becomes a block."""
    role, rights = authority(author)
    if not outranks(role, sender.role) or (author is not None and author.id == sender.id):
        return None
    action = rule.action
    needed = _NEEDS.get(action)
    if needed is not None and needed not in actions_of(role, rights):
        action = AutomodAction.BLOCK
    return rule.verdict(action)


def winning(verdicts: Iterable[Verdict | None]) -> Verdict | None:
    """The most severe verdict; among equals the first given."""
    found = [v for v in verdicts if v is not None]
    return min(found, key=lambda v: SEVERITY[v.action]) if found else None


# --- matching ---------------------------------------------------------------------------

# Invisible characters people slip between letters to dodge filters.
_FORMAT_CHARS = re.compile("[\u00ad\u034f\u061c\u180e\u200b-\u200f\u2060-\u2064\ufeff]")
_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_UNSPACED_CHAR = re2.compile(f"[{_UNSPACED}]", _options(REGEX_MAX_MEM))
# Consumes the neighbour: the matcher only asks "does it match", never where.
_BEFORE = rf"(?:^|[^\pL\pN\pM_]|[{_UNSPACED}])"
_AFTER = rf"(?:[^\pL\pN\pM_]|[{_UNSPACED}]|$)"


def clean(text: str) -> str:
    """What regular expressions see: NFKC, format characters removed."""
    if text.isascii():  # most chat: nothing to normalize or remove
        return text
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _FORMAT_CHARS.sub("", text)


def fold(text: str) -> str:
    """What keywords are compared on: :func:`clean`, then case folded."""
    return clean(text).casefold()


def _needs_boundary(char: str) -> bool:
    word = char == "_" or unicodedata.category(char)[0] in "LNM"
    return word and _UNSPACED_CHAR.fullmatch(char) is None


def keyword_fragment(keyword: str) -> tuple[bool, str, bool]:
    """(boundary before, the expression, boundary after) for one keyword."""
    folded = fold(keyword)
    prefix, suffix = folded.startswith("*"), folded.endswith("*")
    core = folded.strip("*").strip()
    body = r"[\s\pZ]+".join(re2.escape(word) for word in core.split())
    return (not prefix and _needs_boundary(core[0]), body, not suffix and _needs_boundary(core[-1]))


def keywords_program(keywords: Iterable[str]) -> str:
    """One expression for a whole keyword rule: an alternation per kind of edge."""
    groups: dict[tuple[bool, bool], list[str]] = {}
    for keyword in keywords:
        before, body, after = keyword_fragment(keyword)
        groups.setdefault((before, after), []).append(body)
    parts = []
    for (before, after), bodies in sorted(groups.items()):
        alternation = "(?:" + "|".join(sorted(set(bodies))) + ")"
        parts.append((_BEFORE if before else "") + alternation + (_AFTER if after else ""))
    return "|".join(parts)


class _Program:
    """One RE2 set: every expression maps to the index of the rule it belongs to."""

    __slots__ = ("owners", "rules_set")

    def __init__(self, entries: Sequence[tuple[str, int]], max_mem: int) -> None:
        self.rules_set = re2.Set.SearchSet(_options(max_mem))
        self.owners = [owner for _, owner in entries]
        for expression, _ in entries:
            self.rules_set.Add(expression)
        self.rules_set.Compile()

    def matched(self, text: bytes) -> list[int]:
        # The stubs say bool; RE2::Set answers with the indices of the matching entries.
        hits = cast("list[int] | None", self.rules_set.Match(text))
        return [self.owners[i] for i in hits] if hits else []


@dataclass(slots=True)
class Matcher:
    """A room's enabled rules, most severe first, compiled into two RE2 sets: one for
    the keyword rules (on the folded text), one for the expressions (on the clean text).
    One pass of each over a message answers every rule at once."""

    rules: tuple[Rule, ...]
    keywords: list[_Program]
    regexes: list[_Program]

    def match(self, body: str, role: Role) -> Rule | None:
        """The most severe rule ``body`` sent by a member with ``role`` matches, or None."""
        found = self.matches(body, role)
        return found[0] if found else None

    def matches(self, body: str, role: Role) -> list[Rule]:
        """Every rule ``body`` sent by a member with ``role`` matches, most severe first
        (the oldest first among equals). The host is never screened."""
        if not self.rules or role is Role.HOST:
            return []
        cleaned = clean(body)
        hits: list[int] = []
        if self.keywords:
            folded = cleaned.casefold().encode()
            for program in self.keywords:
                hits += program.matched(folded)
        if self.regexes:
            raw = cleaned.encode()
            for program in self.regexes:
                hits += program.matched(raw)
        return [self.rules[i] for i in sorted(set(hits)) if role not in self.rules[i].exempt_roles]


def _order(rule: Rule) -> tuple[int, datetime, str]:
    return SEVERITY[rule.action], rule.created_at, rule.id


def _programs(entries: list[tuple[str, int]], max_mem: int) -> list[_Program]:
    if not entries:
        return []
    try:
        return [_Program(entries, max_mem * (len(entries) + 1))]
    except re2.error:
        # Too big as one set (rules were checked one by one): one set per rule instead.
        by_rule: dict[int, list[tuple[str, int]]] = {}
        for entry in entries:
            by_rule.setdefault(entry[1], []).append(entry)
        return [_Program(group, max_mem * (len(group) + 1)) for group in by_rule.values()]


def compile_rules(rules: Iterable[Rule]) -> Matcher:
    ordered = tuple(sorted((r for r in rules if r.enabled), key=_order))
    keywords = [
        (keywords_program(r.patterns), i)
        for i, r in enumerate(ordered)
        if r.kind is RuleKind.KEYWORD
    ]
    regexes = [
        (p, i) for i, r in enumerate(ordered) if r.kind is RuleKind.REGEX for p in r.patterns
    ]
    return Matcher(
        rules=ordered,
        keywords=_programs(keywords, KEYWORD_RULE_MAX_MEM),
        regexes=_programs(regexes, REGEX_MAX_MEM),
    )
