"""The browser app: ``/`` serves ``web/index.html``; its modules, styles and locale files
are static under ``/app/``. No build step: what is in ``web/`` is what the browser gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
#: Scripts and styles from this server only, no inline code, no plugins: user text can
#: never become code. Images come from this server only: avatars and covers are served by
#: it (domain/images.py), so no reader's browser ever asks another site for one.
WEB_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index() -> FileResponse:
    response = FileResponse(WEB_DIR / "index.html", media_type="text/html")
    response.headers["Content-Security-Policy"] = WEB_CSP
    # The shell is tiny and names its modules; always revalidate so updates show at once.
    response.headers["Cache-Control"] = "no-cache"
    return response


class _Revalidated(StaticFiles):
    """Modules load each other by plain paths: without revalidation a browser could mix
    old and new modules after an upgrade. ETags keep the revalidation cheap."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def static_files() -> StaticFiles:
    return _Revalidated(directory=WEB_DIR)
