"""The pure rules: names, tags, languages, reactions, bodies, caps and codes."""

from __future__ import annotations

import pytest

from openlink.domain import accounts, messages, rooms
from openlink.domain.members import check_nickname, check_url
from openlink.errors import InvalidInput, OpenLinkError, PayloadTooLarge


def refused(rule: object, *args: object) -> str:
    """The error code a rule refuses its arguments with."""
    with pytest.raises(OpenLinkError) as err:
        rule(*args)  # type: ignore[operator]
    return err.value.code


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("K-Pop", "k-pop"),
        ("#K-Pop", "k-pop"),
        ("  # Seoul   Food  ", "seoul food"),
        ("tab\tand\nnewline", "tab and newline"),
        ("ＢＴＳ", "bts"),  # full-width letters
        ("Straße", "strasse"),  # case folding, not just lower()
        ("ｶﾀｶﾅ", "カタカナ"),  # half-width katakana
        ("서울", "서울"),
        ("x" * 40, "x" * 40),
    ],
)
def test_normalize_tag(raw: str, tag: str) -> None:
    assert rooms.normalize_tag(raw) == tag


@pytest.mark.parametrize("raw", ["", "   ", "#", "# ", "x" * 41])
def test_normalize_tag_refuses(raw: str) -> None:
    assert refused(rooms.normalize_tag, raw) == "invalid_tag"


def test_normalize_tags_keeps_the_first_category_of_a_repeated_name() -> None:
    tags = rooms.normalize_tags([("Go", rooms.TagCategory.HOBBY), ("#go", rooms.TagCategory.PLACE)])
    assert tags == [rooms.Tag("go", rooms.TagCategory.HOBBY)]
    too_many = [(f"t{i}", rooms.TagCategory.HOBBY) for i in range(11)]
    assert refused(rooms.normalize_tags, too_many) == "invalid_tag"


@pytest.mark.parametrize(
    ("raw", "language"),
    [
        ("en", "en"),
        ("KO", "ko"),
        ("pt-br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("sr-Latn", "sr-Latn"),
        ("sl-rozaj", "sl-rozaj"),
    ],
)
def test_check_language_normalises(raw: str, language: str) -> None:
    assert accounts.check_language(raw) == language


@pytest.mark.parametrize("raw", ["", "e", "english", "en_US", "en-", "12", "en-US-x", "ko kr"])
def test_check_language_refuses(raw: str) -> None:
    assert refused(accounts.check_language, raw) == "invalid_language"


@pytest.mark.parametrize("emoji", ["👍", "❤️", "👨‍👩‍👧", "🇰🇷", "😀", "🎉", "👍🏽", "©️"])
def test_check_reaction_accepts_one_emoji(emoji: str) -> None:
    assert messages.check_reaction(emoji) == emoji


@pytest.mark.parametrize("raw", ["a", "", "  ", "hello", "1", "!", "👍 ok", "\u200d", "x👍"])
def test_check_reaction_refuses_what_is_not_an_emoji(raw: str) -> None:
    assert refused(messages.check_reaction, raw) == "invalid_reaction"


@pytest.mark.parametrize("raw", ["👍👍", "👍!", "😀😀😀😀"])
def test_check_reaction_refuses_more_than_one_emoji(raw: str) -> None:
    assert refused(messages.check_reaction, raw) == "invalid_reaction"


@pytest.mark.parametrize("emoji", ["1️⃣", "#️⃣"])
def test_check_reaction_accepts_keycaps(emoji: str) -> None:
    assert messages.check_reaction(emoji) == emoji


def test_check_body() -> None:
    assert messages.check_body("  hi  ", 10) == "hi"
    assert messages.check_body("가" * 10, 10) == "가" * 10
    assert refused(messages.check_body, " \n\t", 10) == "empty_message"
    with pytest.raises(PayloadTooLarge) as err:
        messages.check_body("x" * 11, 10)
    assert err.value.code == "message_too_long"
    assert err.value.details == {"max_chars": 10}


@pytest.mark.parametrize("client_id", ["a", "0f8e-uuid", "A.b:c_d-e", "x" * 64])
def test_check_client_id_accepts(client_id: str) -> None:
    assert messages.check_client_id(client_id) == client_id


@pytest.mark.parametrize("client_id", ["", "x" * 65, "has space", "ä", "a/b", "\n"])
def test_check_client_id_refuses(client_id: str) -> None:
    assert refused(messages.check_client_id, client_id) == "invalid_client_id"


@pytest.mark.parametrize(
    ("rule", "raw", "code"),
    [
        (messages.check_client_id, "a\n", "invalid_client_id"),
        (accounts.check_language, "en\n", "invalid_language"),
    ],
    ids=["client_id", "language"],
)
def test_a_trailing_newline_is_refused(rule: object, raw: str, code: str) -> None:
    assert refused(rule, raw) == code


def test_check_mentions_drops_duplicates_and_caps_the_count() -> None:
    assert messages.check_mentions(["a", "b", "a"]) == ["a", "b"]
    assert len(messages.check_mentions([f"m{i}" for i in range(50)] * 2)) == 50
    assert refused(messages.check_mentions, [f"m{i}" for i in range(51)]) == "too_many_mentions"


@pytest.mark.parametrize(
    ("raw", "username"), [("alice", "alice"), ("  Bob_99 ", "bob_99"), ("abc", "abc")]
)
def test_check_username(raw: str, username: str) -> None:
    assert accounts.check_username(raw) == username


@pytest.mark.parametrize("raw", ["ab", "x" * 33, "has space", "dash-ed", "ünï", ""])
def test_check_username_refuses(raw: str) -> None:
    assert refused(accounts.check_username, raw) == "invalid_username"


def test_passwords_display_names_and_interests() -> None:
    assert refused(accounts.check_password, "1234567") == "weak_password"
    assert accounts.check_password("12345678") == "12345678"
    assert refused(accounts.check_password, "x" * 257) == "weak_password"
    assert accounts.check_display_name("  Ann   Lee ") == "Ann Lee"
    assert refused(accounts.check_display_name, "x" * 41) == "invalid_display_name"
    assert accounts.check_interests(["#Go", "go", "Chess"]) == ["go", "chess"]
    assert refused(accounts.check_interests, [f"i{n}" for n in range(31)]) == "too_many_interests"


def test_member_caps_and_participation_codes() -> None:
    assert rooms.check_member_cap(2, 1500) == 2
    assert rooms.check_member_cap(1500, 1500) == 1500
    for cap in (1, 1501):
        assert refused(rooms.check_member_cap, cap, 1500) == "invalid_member_cap"
    assert rooms.check_participation_code("  abcd ") == "abcd"
    for code in ("abc", "   abc  ", "x" * 33):
        assert refused(rooms.check_participation_code, code) == "invalid_participation_code"


def test_nicknames_and_urls() -> None:
    assert check_nickname("  Night   Owl ") == "Night Owl"
    assert refused(check_nickname, "  ") == "invalid_nickname"
    assert refused(check_nickname, "x" * 41) == "invalid_nickname"
    assert check_url(None, "avatar") is None
    assert check_url("", "avatar") is None
    for url in ("https://a.example/x.png", "http://a.example", "/static/a.png"):
        assert check_url(url, "avatar") == url
    for url in ("javascript:alert(1)", "ftp://a", "data:image/png;base64,xx", "x" * 2049):
        assert refused(check_url, url, "avatar") == "invalid_url"


def test_errors_are_invalid_input_unless_too_large() -> None:
    with pytest.raises(InvalidInput):
        rooms.normalize_tag("")
    assert PayloadTooLarge.status == 413
    assert InvalidInput.status == 422
