"""Reading a stored image (avatar or cover) to serve it."""

from __future__ import annotations

from openlink.actions.context import Context
from openlink.domain.images import Image
from openlink.errors import NotFound


async def get_image(ctx: Context, image_id: str) -> Image:
    image = await ctx.images.get(image_id)
    if image is None:
        raise NotFound("No such image.", code="image_not_found")
    return image
