"""Running an engine off the event loop, with bounded queues that shed rather than wait.

``process`` engines get one worker process per language pair (the translator object
belongs to the thread that built it, and the engines hold the GIL, which would stall the
event loop for the length of every call). Workers run at a lower CPU priority than the
server, so chat keeps the CPU when both want it. ``thread`` engines share a thread pool.

Each pair admits ``queue_max`` calls in flight; one more is shed (:class:`Shed`) instead of
queued: under overload a reader sees the original a little longer, and chat is never
delayed. Pairs the engine lacks are served through English when both legs exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from openlink.domain.glossary import Glossary, GlossaryEntry, protect, restore
from openlink.translate.base import Engine, EngineError, Pair, PairTranslator

log = logging.getLogger("openlink.translate")
PIVOT = "en"


class Shed(Exception):
    """The pair's queue is full: this translation is dropped, the original stands."""


class Unreachable(Exception):
    """The engine has no route between these languages."""


# -- inside a worker ---------------------------------------------------------------------

#: Keyed by engine too: thread engines share the server's process, where one engine's
#: translator must never answer for another's (tests run several).
_loaded: dict[tuple[Engine, Pair], PairTranslator] = {}
_load_lock = threading.Lock()


def _lower_priority(nice: int) -> None:
    if nice > 0 and hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(nice)


def _worker_call(engine: Engine, pair: Pair, text: str, glossary: Glossary) -> str:
    key = (engine, pair)
    translator = _loaded.get(key)
    if translator is None:
        with _load_lock:
            translator = _loaded.get(key)
            if translator is None:
                translator = engine.open(*pair)
                _loaded[key] = translator
    return translator.translate(text, glossary)


# -- in the server -----------------------------------------------------------------------


@dataclass(slots=True)
class Translated:
    text: str
    #: Engine calls it took: 1 direct, 2 through English.
    calls: int


class TranslationPool:
    def __init__(
        self, engine: Engine, *, queue_max: int = 64, threads: int = 4, worker_nice: int = 10
    ) -> None:
        self.engine = engine
        self.queue_max = queue_max
        self.threads = threads
        self.worker_nice = worker_nice
        self._pairs = engine.pairs()
        self._executors: dict[Pair, Executor] = {}
        self._shared: ThreadPoolExecutor | None = None
        self._inflight: Counter[Pair] = Counter()
        self.stats: Counter[str] = Counter()

    @property
    def configured(self) -> bool:
        return bool(self._pairs)

    def pairs(self) -> frozenset[Pair]:
        return self._pairs

    def languages(self) -> frozenset[str]:
        return frozenset(lang for pair in self._pairs for lang in pair)

    def route(self, source: str, target: str) -> list[Pair] | None:
        """The legs from ``source`` to ``target``: direct, or through English."""
        if source == target:
            return []
        if (source, target) in self._pairs:
            return [(source, target)]
        legs = [(source, PIVOT), (PIVOT, target)]
        if PIVOT not in (source, target) and all(leg in self._pairs for leg in legs):
            return legs
        return None

    def can_translate(self, source: str, target: str) -> bool:
        return self.route(source, target) is not None

    def queue_depths(self) -> dict[str, int]:
        return {f"{s}-{t}": n for (s, t), n in self._inflight.items() if n}

    async def translate(
        self, text: str, source: str, target: str, glossary: Glossary
    ) -> Translated:
        """Translate ``text``; :class:`Unreachable` for a pair with no route, :class:`Shed`
        when a leg's queue is full, :class:`EngineError` when the engine fails."""
        legs = self.route(source, target)
        if legs is None:
            raise Unreachable(f"no translation route from {source} to {target}")
        if any(self._inflight[leg] >= self.queue_max for leg in legs):
            self.stats["shed"] += 1
            raise Shed(f"translation queue for {source}-{target} is full")
        for leg in legs:
            self._inflight[leg] += 1
        used: list[GlossaryEntry] = []
        if len(legs) > 1:
            # Through English, the glossary terms travel as placeholders across both legs
            # and come back as the final target's rendering (not English's).
            text, used = protect(text, glossary)
            glossary = Glossary()
        try:
            for leg in legs:
                text = await self._call(leg, text, glossary)
                self.stats["calls"] += 1
            text = restore(text, used, target)
        except EngineError:
            self.stats["failures"] += 1
            raise
        finally:
            for leg in legs:
                self._inflight[leg] -= 1
        self.stats["translations"] += 1
        return Translated(text, len(legs))

    async def _call(self, pair: Pair, text: str, glossary: Glossary) -> str:
        loop = asyncio.get_running_loop()
        executor = self._executor(pair)
        try:
            return await loop.run_in_executor(
                executor, _worker_call, self.engine, pair, text, glossary
            )
        except BrokenProcessPool:
            # The worker died (killed, out of memory): the next call starts a new one.
            self._executors.pop(pair, None)
            executor.shutdown(wait=False, cancel_futures=True)
            raise EngineError(f"the {pair[0]}-{pair[1]} worker stopped") from None
        except EngineError:
            raise
        except Exception as exc:  # an engine's own error type
            raise EngineError(f"{pair[0]}-{pair[1]}: {exc}") from exc

    def _executor(self, pair: Pair) -> Executor:
        if self.engine.execution == "thread":
            if self._shared is None:
                self._shared = ThreadPoolExecutor(self.threads, thread_name_prefix="translate")
            return self._shared
        executor = self._executors.get(pair)
        if executor is None:
            executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
                initargs=(self.worker_nice,),
            )
            self._executors[pair] = executor
        return executor

    def stop(self) -> None:
        """Stop the workers: queued calls are cancelled, running ones finish (a worker
        process that is waited for releases its semaphores and pipes cleanly)."""
        for executor in self._executors.values():
            executor.shutdown(wait=True, cancel_futures=True)
        self._executors.clear()
        if self._shared is not None:
            self._shared.shutdown(wait=False, cancel_futures=True)
            self._shared = None
            with _load_lock:
                for key in [k for k in _loaded if k[0] == self.engine]:
                    del _loaded[key]
