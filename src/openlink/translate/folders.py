"""Model folders: ``<models_dir>/<engine>/<src>-<trg>/``, one per installed pair."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from openlink.translate.base import EngineError, Pair

PAIR_DIR = re.compile(r"^([a-z]{2,3}(?:_[a-z]+)?)-([a-z]{2,3}(?:_[a-z]+)?)$")


def installed_pairs(root: Path, holds_model: Callable[[Path], bool]) -> frozenset[Pair]:
    """The pairs under ``root`` whose folder holds a model. Cheap: nothing is loaded."""
    if not root.is_dir():
        return frozenset()
    found: set[Pair] = set()
    for child in root.iterdir():
        m = PAIR_DIR.match(child.name)
        if m and child.is_dir() and holds_model(child):
            found.add((m.group(1), m.group(2)))
    return frozenset(found)


def pair_folder(root: Path, engine: str, source: str, target: str) -> Path:
    folder = root / f"{source}-{target}"
    if not folder.is_dir():
        raise EngineError(f"no {engine} model for {source}-{target} in {root}")
    return folder
