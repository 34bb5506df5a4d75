"""Cross-language discovery quality: the ``openlink bench discovery`` fixture on the real
test server. The fixture and the embedder are deterministic, so the figures are too: this
guards the ranking's behaviour (a change that loses the right room fails here), not timing.
"""

from __future__ import annotations

import httpx
import pytest

from openlink.bench.discovery import TARGET_MRR, TARGET_TOP1, evaluate, load_fixture


def test_the_fixture_is_what_the_check_promises() -> None:
    fixture = load_fixture()
    languages = {r.language for r in fixture.rooms}
    assert len(fixture.rooms) >= 44
    assert len(fixture.queries) >= 64
    assert languages == {"ko", "ja", "en", "es", "zh"}
    pairs = {(q.language, fixture.room(q.target).language) for q in fixture.queries}
    assert len(pairs) == 20  # every direction between the five languages


@pytest.mark.long
async def test_cross_language_search_finds_the_right_room(client: httpx.AsyncClient) -> None:
    report = await evaluate(client)

    misses = "\n".join(report.lines())
    assert report.total.queries == len(load_fixture().queries)
    assert report.total.top1 >= TARGET_TOP1, misses
    assert report.total.mrr >= TARGET_MRR, misses
