"""Search rules that need no server: which interests a query names, and rank fusion."""

from __future__ import annotations

import pytest

from openlink.domain.search import fuse, names_alias


@pytest.mark.parametrize(
    ("query", "alias"),
    [
        ("방탄소년단 팬들 모여라", "방탄소년단"),
        ("방탄소년단이 좋아요", "방탄소년단"),  # a particle right after the name
        ("大阪美食推荐", "大阪"),
        ("セブチ好きな人集まれ", "セブチ"),
        ("fans de seventeen", "seventeen"),
        ("pan de masa madre", "masa madre"),
        ("bts", "bts"),
    ],
)
def test_a_query_names_an_alias(query: str, alias: str) -> None:
    assert names_alias(query, alias)


@pytest.mark.parametrize(
    ("query", "alias"),
    [
        ("mountain trails", "ai"),  # inside a word of a spaced script
        ("subtsukuri", "bts"),
        ("chess", "c"),  # too short to mean anything
        ("등산", "등산 모임"),
    ],
)
def test_a_query_does_not_name_an_alias(query: str, alias: str) -> None:
    assert not names_alias(query, alias)


def test_fusion_prefers_rooms_several_lists_agree_on() -> None:
    fused = fuse(keyword=["a", "b"], semantic=["c", "b"], interest=["b"])
    ranked = sorted(fused, key=lambda room: -fused[room][0])
    assert ranked[0] == "b"
    assert fused["b"][1] == "both"
    assert fused["a"][1] == "keyword"
    assert fused["c"][1] == "semantic"
    # Integer ranks only: the same lists give the same scores, so cursors stay valid.
    assert fuse(["a", "b"], ["c", "b"], ["b"]) == fused
