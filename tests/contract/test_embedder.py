"""The contract every embedder keeps: shape, unit rows, determinism, a model id."""

from __future__ import annotations

import numpy as np
import pytest

from openlink import embed
from openlink.embed.base import Embedder

TEXTS = ["주말 등산 모임", "読書会", "weekend hiking club", "", "周末一起去爬山"]


@pytest.fixture(params=sorted(embed.EMBEDDERS))
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return embed.create(request.param)


def test_shape_and_dtype(embedder: Embedder) -> None:
    out = embedder.encode(TEXTS)
    assert out.shape == (len(TEXTS), embedder.dim)
    assert out.dtype == np.float32
    assert embedder.encode([]).shape == (0, embedder.dim)


def test_rows_are_unit_vectors(embedder: Embedder) -> None:
    if embedder.dim == 0:
        pytest.skip("no vectors: semantic search is off")
    norms = np.linalg.norm(embedder.encode(TEXTS[:3] + TEXTS[4:]), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)


def test_deterministic_whatever_the_batch(embedder: Embedder) -> None:
    alone = embedder.encode([TEXTS[0]])
    batched = embedder.encode(TEXTS)
    again = embedder.encode(TEXTS)
    assert np.array_equal(batched, again)
    assert np.allclose(alone[0], batched[0], atol=1e-5)


def test_model_id_names_the_model(embedder: Embedder) -> None:
    assert embedder.model_id and len(embedder.model_id) <= 64
    assert embedder.name in embed.EMBEDDERS
    assert embed.create(embedder.name).model_id == embedder.model_id


def test_meaning_crosses_languages() -> None:
    use = embed.create("use")
    a, b, c = use.encode(["weekend hiking club", "주말 등산 모임", "stock market investing"])
    assert float(a @ b) > float(a @ c)


def test_unknown_embedder_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown embedder"):
        embed.create("word2vec")
