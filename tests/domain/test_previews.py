"""What a link preview reads: which link of a message, what a page's head says in which
charset, and what its robots.txt allows."""

from __future__ import annotations

import pytest

from openlink.domain.previews import (
    cache_key,
    decode_page,
    first_url,
    parse_oembed,
    parse_page,
    robots_allows,
)


@pytest.mark.parametrize(
    ("body", "url"),
    [
        ("see https://example.com/a?b=1.", "https://example.com/a?b=1"),
        ("(https://example.com/x) and http://other.org", "https://example.com/x"),
        ("HTTPS://Example.com/Path!", "HTTPS://Example.com/Path"),
        ("no link here, www.example.com is not a URL", None),
        ("javascript:alert(1) ftp://example.com/f", None),
        ("https://user:pw@example.com/ then https://ok.example/", "https://ok.example/"),
        ("https://example.com:99999/ bad port", None),
        (None, None),
    ],
)
def test_the_first_http_link_is_the_one_previewed(body: str | None, url: str | None) -> None:
    assert first_url(body) == url


def test_spellings_of_one_address_share_a_cache_key() -> None:
    key = cache_key("https://Example.com/a?b=2&a=1#top")
    assert key == cache_key("https://example.com/a?a=1&b=2&utm_source=feed")
    assert key != cache_key("https://example.com/b?a=1&b=2")
    assert cache_key("https://exa mple.com/") is None


def test_opengraph_wins_then_twitter_then_the_plain_head() -> None:
    html = """<html><head>
      <title> Plain   title </title>
      <meta name="description" content="plain description">
      <meta name="twitter:title" content="Card title">
      <meta property="og:title" content="OG &amp; title">
      <meta property="og:image" content="/img/a.png">
      <meta property="og:site_name" content="Site">
      <link rel="alternate" type="application/json+oembed" href="/oembed?u=1">
    </head><body><meta property="og:description" content="in the body: ignored"></body>"""
    meta = parse_page(html, "https://example.com/post/1")
    assert meta.title == "OG & title"
    assert meta.description == "plain description"
    assert meta.site_name == "Site"
    assert meta.image_url == "https://example.com/img/a.png"
    assert meta.oembed_url == "https://example.com/oembed?u=1"
    plain = parse_page("<title>\n Only\ta  title </title>", "https://example.com/")
    assert (plain.title, plain.description, plain.image_url) == ("Only a title", None, None)


def test_texts_are_cleaned_and_bounded_and_odd_pictures_dropped() -> None:
    long = "word " * 200
    html = (
        f'<meta property="og:title" content="a\x00b\u202e{long}">'
        '<meta property="og:image" content="javascript:alert(1)">'
    )
    meta = parse_page(html, "https://example.com/")
    assert meta.title is not None and len(meta.title) <= 200 and meta.title.endswith("…")
    assert "\x00" not in meta.title and "\u202e" not in meta.title
    assert meta.image_url is None
    assert parse_page("<head></head>", "https://example.com/").empty


@pytest.mark.parametrize(
    ("content_type", "raw", "title"),
    [
        ("text/html; charset=windows-1251", "<title>Луна</title>".encode("cp1251"), "Луна"),
        ("text/html", '<meta charset="shift_jis"><title>月</title>'.encode("shift_jis"), "月"),
        (
            "text/html",
            '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">'
            "<title>달</title>".encode("euc-kr"),
            "달",
        ),
        ("text/html", "<title>Mönd</title>".encode(), "Mönd"),
        ("text/html; charset=no-such-charset", "<title>Mönd</title>".encode(), "Mönd"),
    ],
)
def test_the_charset_comes_from_the_header_or_the_page(
    content_type: str, raw: bytes, title: str
) -> None:
    assert parse_page(decode_page(content_type, raw), "https://example.com/").title == title


def test_a_page_cut_mid_tag_still_gives_what_came_before() -> None:
    html = '<head><meta property="og:title" content="Kept"><meta property="og:desc'
    assert parse_page(html, "https://example.com/").title == "Kept"


def test_oembed_fields_and_bad_answers() -> None:
    meta = parse_oembed(
        b'{"title": "Clip", "provider_name": "Tube", "thumbnail_url": "/t.jpg"}',
        "https://tube.example/oembed",
    )
    assert (meta.title, meta.site_name, meta.image_url) == (
        "Clip",
        "Tube",
        "https://tube.example/t.jpg",
    )
    assert parse_oembed(b"not json", "https://x.example/").empty
    assert parse_oembed(b"[1, 2]", "https://x.example/").empty
    assert parse_oembed(b'{"title": 5}', "https://x.example/").title is None


def test_robots_rules_for_our_agent() -> None:
    rules = "User-agent: OpenLinkBot\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n"
    assert robots_allows(rules, "https://example.com/public")
    assert not robots_allows(rules, "https://example.com/private/x")
    assert robots_allows("", "https://example.com/anything")
    assert not robots_allows("User-agent: *\nDisallow: /\n", "https://example.com/")
