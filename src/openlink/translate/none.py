"""``none``: no engine configured. It has no pairs, so nothing is ever translated; the API
says so plainly and clients show originals with their detected language."""

from __future__ import annotations

from dataclasses import dataclass

from openlink.translate.base import EngineError, Execution, Pair, PairTranslator


@dataclass(frozen=True, slots=True)
class NoneEngine:
    name: str = "none"
    execution: Execution = "thread"

    def pairs(self) -> frozenset[Pair]:
        return frozenset()

    def open(self, source: str, target: str) -> PairTranslator:
        raise EngineError("No translation engine is configured (OPENLINK_TRANSLATOR=none).")

    def describe(self) -> dict[str, object]:
        return {}
