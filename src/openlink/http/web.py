"""The browser app: ``/`` serves ``web/index.html``; its modules, styles and locale files
are static under ``/app/``. No build step: what is in ``web/`` is what the browser gets."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
#: npm packages, one folder per exact version (``openlink assets fetch``): what is under a
#: versioned folder never changes, so browsers keep it for a year without asking again.
#: ``manifest.json`` beside them says which versions are there, and is revalidated.
VENDOR_FOLDER = "vendor"
VENDOR_MANIFEST = os.path.join(VENDOR_FOLDER, "manifest.json")
IMMUTABLE = "public, max-age=31536000, immutable"
log = logging.getLogger(__name__)
#: Scripts and styles from this server only, no inline code, no plugins: user text can
#: never become code. Images come from this server only: avatars and covers are served by
#: it (domain/images.py), so no reader's browser ever asks another site for one.
WEB_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index() -> FileResponse:
    response = FileResponse(WEB_DIR / "index.html", media_type="text/html")
    response.headers["Content-Security-Policy"] = WEB_CSP
    # The app records voice messages: the microphone for this page only, nothing else.
    response.headers["Permissions-Policy"] = "camera=(), microphone=(self), geolocation=()"
    # The shell is tiny and names its modules; always revalidate so updates show at once.
    response.headers["Cache-Control"] = "no-cache"
    return response


class _Revalidated(StaticFiles):
    """Modules load each other by plain paths: without revalidation a browser could mix
    old and new modules after an upgrade. ETags keep the revalidation cheap."""

    def file_response(self, full_path: Any, stat_result: Any, scope: Any, *args: Any) -> Response:
        response = super().file_response(full_path, stat_result, scope, *args)
        path = self.get_path(scope)  # normalised, relative to web/
        versioned = path.startswith(VENDOR_FOLDER + os.sep) and path != VENDOR_MANIFEST
        response.headers["Cache-Control"] = IMMUTABLE if versioned else "no-cache"
        return response


def static_files() -> StaticFiles:
    return _Revalidated(directory=WEB_DIR)


def warn_if_vendor_missing() -> None:
    """Say at startup which npm packages are missing: the app runs without them (the emoji
    picker says it is unavailable), and never falls back to a CDN."""
    from openlink import webvendor

    try:
        missing = webvendor.missing()
    except webvendor.AssetsError as exc:
        log.warning("web vendor lock unreadable: %s", exc)
        return
    if missing:
        log.warning(
            "web assets missing: %s; the emoji picker is unavailable until "
            "`openlink assets fetch` installs them",
            ", ".join(missing),
        )
