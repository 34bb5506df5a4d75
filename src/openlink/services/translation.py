"""The translation pipeline: once per (message, language) present, stored, published.

The send path only detects the language (tens of microseconds) and, after commit, hands
the message to :meth:`TranslationService.submit`. That asks presence which languages the
room's connected readers read and starts one translation per language the message is not
in. The original has gone out already and is never held back: translations are computed
in the pool's workers, written in small batches and published as ``message.translated``,
which the hub delivers to that language's readers only.

Every (room, seq, rev, language) is translated at most once per process: a second request
for it (a reader asking on demand while the live one runs) waits for the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any

from openlink.actions.context import Context
from openlink.actions.notify import notify_translated
from openlink.actions.translation import not_configured, translatable
from openlink.domain.glossary import Glossary
from openlink.domain.messages import Message
from openlink.services.supervisor import Supervisor
from openlink.store import translations as store
from openlink.store.translations import StoredTranslation
from openlink.translate.base import EngineError
from openlink.translate.detect import LanguageDetector
from openlink.translate.pool import Shed, TranslationPool, Unreachable

log = logging.getLogger("openlink.translate")

_Key = tuple[str, int, int, str]  # room, seq, rev, target language
#: The prefix of this service's task names under the supervisor.
TASKS = "translate."


class TranslationService:
    """This process's translation state: the pool, the detector and what is in flight.
    With the ``none`` engine it detects languages and translates nothing."""

    name = "translation"

    def __init__(
        self,
        pool: TranslationPool,
        supervisor: Supervisor,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.pool = pool
        self.supervisor = supervisor
        self.detector = detector or LanguageDetector()
        self.glossaries: dict[str, tuple[int, Glossary]] = {}
        self.inflight: dict[_Key, asyncio.Future[StoredTranslation | None]] = {}
        self.pending: list[tuple[StoredTranslation, asyncio.Future[bool]]] = []
        self.writing = False
        self.counts: Counter[str] = Counter()
        self._ctx: Context | None = None

    def bind(self, ctx: Context) -> None:
        """The context is built around this service; it is handed back once built."""
        self._ctx = ctx

    @property
    def ctx(self) -> Context:
        assert self._ctx is not None, "TranslationService.bind was not called"
        return self._ctx

    @property
    def engine(self) -> str:
        return self.pool.engine.name

    @property
    def configured(self) -> bool:
        return self.pool.configured

    async def start(self) -> None:
        # The detector's model loads in about a second: not on the first message.
        await asyncio.to_thread(self.detector.load)

    async def stop(self) -> None:
        """Translations under way are dropped (readers have the originals), then the
        workers go."""
        await self.supervisor.cancel_tasks(TASKS)
        await asyncio.to_thread(self.pool.stop)

    # -- the contract -------------------------------------------------------------

    def detect(self, body: str, room_language: str | None) -> str | None:
        try:
            return self.detector.detect(body, room_language)
        except Exception:  # detection must never cost a message
            log.exception("language detection failed")
            return None

    def can_translate(self, source: str, target: str) -> bool:
        return self.pool.can_translate(source, target)

    def submit(self, message: Message, *, glossary_rev: int) -> None:
        if not self.configured or not translatable(message):
            return
        self.supervisor.spawn(self._submit(message, glossary_rev), name=TASKS + "languages")

    async def _submit(self, message: Message, glossary_rev: int) -> None:
        source = message.lang
        assert source is not None
        for target in await self.ctx.presence.reading_languages(message.room_id):
            if target != source and self.pool.can_translate(source, target):
                self.supervisor.spawn(
                    self._live(message, target, glossary_rev), name=TASKS + "live"
                )

    async def _live(self, m: Message, target: str, glossary_rev: int) -> None:
        """A translation nobody waits for: readers keep the original when it fails."""
        with contextlib.suppress(Shed, EngineError, Unreachable):  # counted and logged already
            await self.translate(m, target, glossary_rev)

    async def translate_text(self, text: str, source: str, target: str) -> str:
        return (await self.pool.translate(text, source, target, Glossary())).text

    async def translate(
        self, message: Message, target: str, glossary_rev: int
    ) -> StoredTranslation | None:
        m = message
        key = (m.room_id, m.seq, m.rev, target)
        running = self.inflight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[StoredTranslation | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.inflight[key] = future
        try:
            result = await self._compute(m, target, glossary_rev)
            future.set_result(result)
            return result
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: callers that wait get it, nobody else logs it
            raise
        finally:
            del self.inflight[key]

    async def _compute(
        self, m: Message, target: str, glossary_rev: int
    ) -> StoredTranslation | None:
        assert m.lang is not None and m.body is not None
        glossary = await self._glossary(m.room_id, glossary_rev)
        try:
            done = await self.pool.translate(m.body, m.lang, target, glossary)
        except Shed:
            self.counts["shed"] += 1
            raise
        except EngineError as exc:
            log.warning("translation %s->%s failed: %s", m.lang, target, exc)
            raise
        stored = StoredTranslation(
            m.room_id, m.seq, m.rev, m.lang, target, done.text, self.engine, self.ctx.now(),
            source=m.body,
        )  # fmt: skip
        return stored if await self._write(stored) else None

    async def _glossary(self, room_id: str, rev: int) -> Glossary:
        if rev == 0:
            return Glossary()
        cached = self.glossaries.get(room_id)
        if cached is not None and cached[0] == rev:
            return cached[1]
        async with self.ctx.db.read() as conn:
            glossary = await store.glossary(conn, room_id)
        self.glossaries[room_id] = (rev, glossary)
        return glossary

    def glossary_changed(self, room_id: str, rev: int, glossary: Glossary) -> None:
        self.glossaries[room_id] = (rev, glossary)

    # -- batched writes, then notify ----------------------------------------------

    async def _write(self, stored: StoredTranslation) -> bool:
        """Queue ``stored`` for the next batch write; True once it is stored and published,
        False if the message changed meanwhile (the translation was stale)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending.append((stored, done))
        if not self.writing:
            self.writing = True
            if self.supervisor.spawn(self._writer(), name=TASKS + "writer") is None:
                self.writing = False
                self.pending.remove((stored, done))
                raise EngineError("the server is stopping")
        return await done

    async def _writer(self) -> None:
        try:
            while self.pending:
                await asyncio.sleep(0)  # let what finishes together be written together
                batch, self.pending = self.pending, []
                await self._write_batch(batch)
        finally:
            self.writing = False
            for _, done in self.pending:  # cancelled at shutdown: nobody waits forever
                done.cancel()

    async def _write_batch(
        self, batch: list[tuple[StoredTranslation, asyncio.Future[bool]]]
    ) -> None:
        try:
            async with self.ctx.db.write() as tx:
                saved = await store.save(tx.conn, [s for s, _ in batch])
                for s in saved:
                    notify_translated(self.ctx, tx, s)
        except Exception as exc:
            log.exception("storing %d translations failed", len(batch))
            for _, done in batch:
                if not done.done():
                    done.set_exception(EngineError(f"storing the translation failed: {exc}"))
                    done.exception()
            return
        kept = {(s.room_id, s.seq, s.lang) for s in saved}
        self.counts["stored"] += len(saved)
        for s, done in batch:
            if not done.done():
                done.set_result((s.room_id, s.seq, s.lang) in kept)

    # -- what it can do -----------------------------------------------------------

    def info(self) -> dict[str, Any]:
        if not self.configured:
            return {
                "engine": self.engine,
                "configured": False,
                "message": not_configured().message,
                "languages": [],
                "pairs": [],
            }
        return {
            "engine": self.engine,
            "configured": True,
            "languages": sorted(self.pool.languages()),
            "pairs": sorted([list(p) for p in self.pool.pairs()]),
            "pivot": "en",
        }

    def stats(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "configured": self.configured,
            "calls": self.pool.stats["calls"],
            "translations": self.pool.stats["translations"],
            "stored": self.counts["stored"],
            "shed": self.pool.stats["shed"],
            "failures": self.pool.stats["failures"],
            "in_flight": len(self.inflight),
            "queues": self.pool.queue_depths(),
        }
