"""Images the instance serves (avatars and covers), and uploading one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from openlink.actions import images
from openlink.domain.images import IMAGE_ID_PATTERN, Image, image_path
from openlink.http.deps import CtxDep, UserDep
from openlink.queries import images as queries

UPLOAD_PATH = "/api/images"
router = APIRouter(prefix=UPLOAD_PATH, tags=["images"])

ImageId = Annotated[str, Path(pattern=IMAGE_ID_PATTERN, description="An image id.")]
#: Stored bytes never change under an id (it is their keyed hash): any cache may keep them.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Opened on its own, an image runs nothing and loads nothing.
IMAGE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def image_view(image: Image) -> dict[str, Any]:
    return {
        "id": image.id,
        "url": image_path(image.id),
        "content_type": image.content_type,
        "width": image.width,
        "height": image.height,
    }


@router.post(
    "",
    status_code=201,
    summary="Upload a picture (the raw bytes of a JPEG, PNG, GIF or WebP) to use as an "
    "avatar or cover",
)
async def upload_image(ctx: CtxDep, user: UserDep, request: Request) -> dict[str, Any]:
    return image_view(await images.do_upload_image(ctx, user, await request.body()))


@router.get("/{image_id}", summary="A stored picture", response_class=Response)
async def get_image(ctx: CtxDep, image_id: ImageId) -> Response:
    image = await queries.get_image(ctx, image_id)
    headers = {
        "Cache-Control": IMMUTABLE,
        "Content-Security-Policy": IMAGE_CSP,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(image.data, media_type=image.content_type, headers=headers)
