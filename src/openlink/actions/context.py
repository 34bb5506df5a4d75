"""What every use case needs, built once by ``app.create_app`` and passed down.

Every field is always set: a backend that is not configured is an implementation that
says so (the ``none`` translation engine, the ``none`` embedder), never ``None``. The two
contracts below are implemented in ``openlink.services``, which sits above the use cases:
they name what a use case may ask of long-running work, and nothing more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from argon2 import PasswordHasher

from openlink.broker.base import Broker
from openlink.clock import Clock, SystemClock
from openlink.config import Settings
from openlink.domain.glossary import Glossary
from openlink.domain.messages import Message
from openlink.embed.vectors import SearchIndex
from openlink.images import ImageStore
from openlink.media.process import Processed
from openlink.media.storage import BlobStore
from openlink.presence import Presence
from openlink.ratelimit import RateLimiter
from openlink.store.db import Database
from openlink.store.translations import StoredTranslation


class Spawner(Protocol):
    """Where work that nobody awaits is started (``services.supervisor.Supervisor``)."""

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any] | None:
        """Run ``coro`` as a named task; its failure is logged, it is drained at shutdown.
        ``None`` when the process is stopping (the coroutine is closed unrun)."""
        ...


class Translations(Protocol):
    """Detection and translation (``services.translation.TranslationService``)."""

    @property
    def configured(self) -> bool:
        """An engine is configured (the ``none`` engine is not)."""
        ...

    def detect(self, body: str, room_language: str | None) -> str | None:
        """The language of ``body`` by its text and the room's language only."""
        ...

    def can_translate(self, source: str, target: str) -> bool: ...

    def submit(self, message: Message, *, glossary_rev: int) -> None:
        """After commit: translate ``message`` for the languages its room's readers read,
        in the background; each result is stored and published as it comes."""
        ...

    async def translate(
        self, message: Message, target: str, glossary_rev: int
    ) -> StoredTranslation | None:
        """Translate, store and publish once per (message, rev, language) in this process:
        concurrent callers share one call. ``None`` if the message changed meanwhile.
        Raises the pool's ``Shed``/``Unreachable`` or ``EngineError``."""
        ...

    async def translate_text(self, text: str, source: str, target: str) -> str:
        """Translate a short text that belongs to no room (a clip's caption), stored
        nowhere. Raises the pool's ``Shed``/``Unreachable`` or ``EngineError``."""
        ...

    def glossary_changed(self, room_id: str, rev: int, glossary: Glossary) -> None: ...

    def info(self) -> dict[str, Any]:
        """What this server can translate, for clients and operators."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counters since start: calls, stored, shed, failures, queue depths."""
        ...


class MediaWork(Protocol):
    """Processing uploads off the event loop (``services.media.MediaService``)."""

    async def process(self, kind_hint: str, src_path: Path, workdir: Path) -> Processed:
        """Check and process the upload at ``src_path`` in the worker pool
        (``media.process.process``); raises ``MediaRefused`` or ``MediaBusy``."""
        ...


@dataclass(slots=True, kw_only=True)
class Context:
    settings: Settings
    db: Database
    broker: Broker
    limiter: RateLimiter
    #: Which languages each room's connected readers read.
    presence: Presence
    #: Room search's embedder, vectors and indexing queue.
    search: SearchIndex
    #: Detection and translation (with the ``none`` engine: detection only).
    translation: Translations
    #: Where avatars and covers are kept.
    images: ImageStore
    #: Where media bytes are kept (media/storage: the local filesystem or S3).
    blobs: BlobStore
    #: The owner of background tasks.
    tasks: Spawner
    #: Where uploads are processed: the media worker pool.
    media: MediaWork
    #: The app's time: wall time, elapsed time, sleeps and timers (``openlink/clock.py``).
    clock: Clock = field(default_factory=SystemClock)
    passwords: PasswordHasher = field(default_factory=PasswordHasher)
    #: Keys derived from the instance's secret, by purpose (``actions/instance.py``).
    keys: dict[str, bytes] = field(default_factory=dict)
    #: Link-preview fetches under way in this process, by URL key (``actions/previews``).
    preview_flights: dict[str, asyncio.Lock] = field(default_factory=dict)

    def now(self) -> datetime:
        """The wall time on the app's clock, timezone-aware UTC."""
        return self.clock.now()
