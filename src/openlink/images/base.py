"""The image store contract."""

from __future__ import annotations

from typing import Protocol

from openlink.domain.images import Image


class ImageStore(Protocol):
    name: str

    async def put(self, image: Image) -> None:
        """Keep ``image`` under its id. Idempotent: the id is a keyed hash of the bytes,
        so putting it again changes nothing. Once this returns, every process gets it."""
        ...

    async def get(self, image_id: str) -> Image | None:
        """The image with this id, or None if none was put."""
        ...

    async def exists(self, image_id: str) -> bool:
        """Whether :meth:`get` would find the image, without reading its bytes."""
        ...
