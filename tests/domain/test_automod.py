"""Automod matching semantics and rule validation (pure: no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from openlink.domain.automod import (
    AutomodAction,
    Rule,
    RuleKind,
    check_action,
    check_exempt_roles,
    check_patterns,
    check_regex,
    compile_rules,
)
from openlink.domain.permissions import Role
from openlink.errors import InvalidInput

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rule(
    patterns: list[str],
    *,
    kind: RuleKind = RuleKind.KEYWORD,
    action: AutomodAction = AutomodAction.BLOCK,
    id: str = "r1",
    age: int = 0,
    exempt: frozenset[Role] = frozenset({Role.HOST, Role.COHOST}),
    enabled: bool = True,
) -> Rule:
    created = T0 + timedelta(seconds=age)
    return Rule(
        id=id,
        room_id="room",
        name=f"rule {id}",
        kind=kind,
        patterns=tuple(patterns),
        action=action,
        timeout_s=60 if action is AutomodAction.TIMEOUT else None,
        exempt_roles=exempt,
        enabled=enabled,
        created_at=created,
        updated_at=created,
    )


def matches(patterns: list[str], text: str, kind: RuleKind = RuleKind.KEYWORD) -> bool:
    return compile_rules([rule(patterns, kind=kind)]).match(text, Role.MEMBER) is not None


@pytest.mark.parametrize(
    ("keyword", "text", "expected"),
    [
        # Latin: whole words only.
        ("spam", "buy spam now", True),
        ("spam", "spam", True),
        ("spam", "SPAM!!", True),
        ("spam", "spammer", False),
        ("spam", "antispam", False),
        ("spam", "spam_bot", False),
        ("café", "un café noir", True),
        ("café", "cafés", False),
        ("дурак", "ты дурак!", True),
        ("дурак", "дураки", False),
        # Wildcards lift one edge.
        ("spam*", "spammer", True),
        ("spam*", "antispam", False),
        ("*coin", "shitcoin", True),
        ("*coin", "coins", False),
        ("*spam*", "antispammer", True),
        # Scripts without spaces between words: anywhere.
        ("스팸", "이건스팸이다", True),
        ("バカ", "おまえはバカだ", True),
        ("傻瓜", "你是傻瓜吗", True),
        ("โง่", "คุณโง่มาก", True),
        # ...and their letters count as boundaries for a Latin word beside them.
        ("spam", "买spam吗", True),
        # NFKC and case folding.
        ("spam", "ＳＰＡＭ", True),
        ("strasse", "STRAẞE", True),
        ("straße", "strasse", True),
        ("ﬁne", "fine", True),
        # Invisible characters slipped in between letters are ignored.
        ("spam", "s\u200bp\u00ada\u2060m", True),
        # White space inside a keyword matches any run of it.
        ("free money", "FREE \n  money", True),
        ("free money", "freemoney", False),
        # Punctuation edges need no boundary; letter edges do.
        ("c++", "i write c++ daily", True),
        ("c++", "abc++", False),
        ("$$$", "win$$$now", True),
        # Regex metacharacters in keywords are literal.
        ("a.b", "axb", False),
        ("a.b", "see a.b here", True),
    ],
)
def test_keyword_semantics(keyword: str, text: str, expected: bool) -> None:
    assert matches([keyword], text) is expected


def test_many_keywords_in_one_rule() -> None:
    keywords = [f"word{i}" for i in range(1_000)]
    assert matches(keywords, "this has word999 in it")
    assert not matches(keywords, "this has word1000 in it")


def test_regex_sees_nfkc_text_with_its_case() -> None:
    assert matches([r"bit\.ly/\w+"], "see ｂｉｔ.ｌｙ/abc", kind=RuleKind.REGEX)
    assert not matches([r"bit\.ly/\w+"], "see BIT.LY/abc", kind=RuleKind.REGEX)
    assert matches([r"(?i)bit\.ly/\w+"], "see BIT.LY/abc", kind=RuleKind.REGEX)


def test_a_catastrophic_pattern_is_linear_on_re2() -> None:
    # Exponential on a backtracking engine; RE2 answers in one pass.
    check_regex("(a+)+$")
    text = "a" * 100_000 + "!"
    assert not matches(["(a+)+$"], text, kind=RuleKind.REGEX)
    assert matches(["(a+)+$"], "a" * 100_000, kind=RuleKind.REGEX)
    assert matches(["(x+x+)+y"], "x" * 50_000 + "y", kind=RuleKind.REGEX)


@pytest.mark.parametrize(
    "pattern",
    [
        r"(\w+) \1",  # backreference
        r"foo(?=bar)",  # lookahead
        r"(?<!x)y",  # lookbehind
        r"end\Z",  # Python's \Z
        r"a++",  # possessive
        r"(?>atomic)",
        r"[unclosed",
        "x" * 501,
        r"a*",  # matches the empty text, so every message
        r"\pL{1000}",  # too big for RE2's memory budget
    ],
)
def test_regexes_re2_cannot_run_are_refused(pattern: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_regex(pattern)
    assert refused.value.code == "invalid_regex"
    assert refused.value.details == {"pattern": pattern}


@pytest.mark.parametrize(
    ("keywords", "code"),
    [
        ([], "invalid_patterns"),
        ([f"k{i}" for i in range(11)], "invalid_patterns"),
        (["x" * 61], "invalid_keyword"),
        (["  "], "invalid_keyword"),
        (["**"], "invalid_keyword"),
        (["bad\x07bell"], "invalid_keyword"),
        (["tab\there"], "invalid_keyword"),
    ],
)
def test_keyword_lists_are_checked(keywords: list[str], code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_patterns(RuleKind.KEYWORD, keywords, max_count=10)
    assert refused.value.code == code


def test_keywords_are_trimmed_and_deduplicated() -> None:
    assert check_patterns(RuleKind.KEYWORD, [" spam ", "spam", "eggs"], 10) == ("spam", "eggs")


def test_actions_and_exemptions_are_checked() -> None:
    assert check_action(AutomodAction.TIMEOUT, 10) == 10
    assert check_action(AutomodAction.BLOCK, None) is None
    for action, seconds in [
        (AutomodAction.TIMEOUT, None),
        (AutomodAction.TIMEOUT, 9),
        (AutomodAction.TIMEOUT, 28 * 86_400 + 1),
        (AutomodAction.HIDE, 60),
    ]:
        with pytest.raises(InvalidInput) as refused:
            check_action(action, seconds)
        assert refused.value.code == "invalid_timeout"
    assert check_exempt_roles(["cohost"]) == {Role.COHOST}
    with pytest.raises(InvalidInput):
        check_exempt_roles(["member"])


def test_the_most_severe_rule_wins_then_the_oldest() -> None:
    rules = [
        rule(["bad"], id="hide", action=AutomodAction.HIDE, age=0),
        rule(["bad"], id="block-new", action=AutomodAction.BLOCK, age=2),
        rule(["bad"], id="block-old", action=AutomodAction.BLOCK, age=1),
        rule(["worse"], id="timeout", action=AutomodAction.TIMEOUT, age=3),
    ]
    matcher = compile_rules(rules)
    assert (hit := matcher.match("bad", Role.MEMBER)) and hit.id == "block-old"
    assert (hit := matcher.match("bad and worse", Role.MEMBER)) and hit.id == "timeout"
    assert matcher.match("fine", Role.MEMBER) is None


def test_exempt_roles_and_disabled_rules_are_skipped() -> None:
    matcher = compile_rules(
        [
            rule(["bad"], id="members-only", action=AutomodAction.BLOCK),
            rule(["bad"], id="everyone", action=AutomodAction.HIDE, exempt=frozenset()),
            rule(["bad"], id="off", action=AutomodAction.TIMEOUT, enabled=False),
        ]
    )
    assert (hit := matcher.match("bad", Role.MEMBER)) and hit.id == "members-only"
    assert (hit := matcher.match("bad", Role.COHOST)) and hit.id == "everyone"
    cohost_exempt = compile_rules([rule(["bad"], exempt=frozenset({Role.COHOST}))])
    assert cohost_exempt.match("bad", Role.COHOST) is None
    assert cohost_exempt.match("bad", Role.MEMBER) is not None
    # The host is never screened, whatever a rule's exempt roles say.
    assert matcher.matches("bad", Role.HOST) == []
    assert cohost_exempt.match("bad", Role.HOST) is None


def test_keyword_and_regex_rules_mix() -> None:
    matcher = compile_rules(
        [
            rule(["spam"], id="kw", action=AutomodAction.HIDE),
            rule([r"\d{3}-\d{4}"], id="rx", kind=RuleKind.REGEX, action=AutomodAction.BLOCK),
        ]
    )
    assert (hit := matcher.match("call 555-1234", Role.MEMBER)) and hit.id == "rx"
    assert (hit := matcher.match("Spam", Role.MEMBER)) and hit.id == "kw"
    assert (hit := matcher.match("spam 555-1234", Role.MEMBER)) and hit.id == "rx"
