"""What every use case needs, built once by ``app.create_app`` and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from argon2 import PasswordHasher

from openlink.broker.base import Broker
from openlink.config import Settings
from openlink.embed.vectors import SearchIndex
from openlink.images import ImageStore
from openlink.presence import MemoryPresence, Presence
from openlink.ratelimit import RateLimiter
from openlink.store.db import Database

if TYPE_CHECKING:
    from openlink.actions.translation import Translations


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Context:
    settings: Settings
    db: Database
    broker: Broker
    limiter: RateLimiter
    passwords: PasswordHasher = field(default_factory=PasswordHasher)
    #: Room search's embedder, vectors and indexing queue (None: no indexing at all).
    search: SearchIndex | None = None
    #: Which languages each room's connected readers read.
    presence: Presence = field(default_factory=MemoryPresence)
    #: Detection and translation (None: neither, as in some tests and tools).
    translation: Translations | None = None
    #: Where avatars and covers are kept (None only in tools that serve no images).
    images: ImageStore | None = None
    #: Keys derived from the instance's secret, by purpose (``actions/instance.py``).
    keys: dict[str, bytes] = field(default_factory=dict)

    @staticmethod
    def now() -> datetime:
        return utcnow()
