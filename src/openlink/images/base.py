"""The image store contract."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from openlink.domain.images import Image


class ImageStore(Protocol):
    name: str

    async def put(self, image: Image, *, previews_only: bool = False) -> None:
        """Keep ``image`` under its id. Idempotent: the id is a keyed hash of the bytes,
        so putting it again changes nothing but the time it was last put. Once this
        returns, every process gets it. ``previews_only``: put for a link preview, so it
        may be deleted once no preview and no message shows it; put once without, it is
        kept for good."""
        ...

    async def collect(self, touched_before: datetime, limit: int) -> int:
        """Delete up to ``limit`` pictures put only for link previews, not put since
        ``touched_before``, that no cached preview and no message shows; how many."""
        ...

    async def get(self, image_id: str) -> Image | None:
        """The image with this id, or None if none was put."""
        ...

    async def exists(self, image_id: str) -> bool:
        """Whether :meth:`get` would find the image, without reading its bytes."""
        ...
