"""Images the instance serves itself (avatars, covers): where their bytes are kept
(``base.py``: the contract; ``database.py``: in the database, the default), how a picture
named by URL is fetched without reaching inside the server's network (``fetch.py``), and
how it is decoded, checked and re-encoded (``normalize.py``)."""

from __future__ import annotations

from openlink.clock import Clock
from openlink.images.base import ImageStore
from openlink.images.database import DatabaseImageStore
from openlink.store.db import Database

__all__ = ["DatabaseImageStore", "ImageStore", "create"]


def create(db: Database, clock: Clock) -> ImageStore:
    """The image store. Only the database keeps images today; object storage would slot
    in here, chosen by a setting."""
    return DatabaseImageStore(db, clock)
