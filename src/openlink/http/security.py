"""Security headers on every HTTP response, and the CORS options for listed origins.

Headers are defaults: a route that set one itself keeps its value. A route that sets its
own ``Content-Security-Policy`` owns framing too (an embeddable page says
``frame-ancestors https://example.org``), so ``X-Frame-Options`` is then left to it.
WebSocket scopes pass through untouched.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI (/docs) and ReDoc (/redoc) load their bundles from this server
# (http/apidocs.py). Inline scripts are allowed by hash, computed from the page itself, so
# no 'unsafe-inline' for scripts; both set inline styles, which are allowed.
_DOCS_CSP = (
    "default-src 'none'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src blob:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.I)

_DEFAULTS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
#: Responses under /api carry private data: no cache may keep them.
_API_DEFAULTS = (*_DEFAULTS, ("Cache-Control", "no-store"))


def docs_csp(html: bytes) -> str:
    """The docs pages' policy: this server, plus the hash of each inline script in ``html``."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(html)
    ]
    return _DOCS_CSP.format(scripts=" ".join(["'self'", *hashes]))


def _apply(message: Message, defaults: tuple[tuple[str, str], ...], csp: str) -> None:
    headers = MutableHeaders(scope=message)
    for name, value in defaults:
        headers.setdefault(name, value)
    if "content-security-policy" not in headers:
        headers["Content-Security-Policy"] = csp
        headers.setdefault("X-Frame-Options", "DENY")


class SecurityHeaders:
    """Add the security headers (see the module docstring) to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in DOCS_PATHS:
            await self._docs(scope, receive, send)
            return
        defaults = _API_DEFAULTS if path.startswith("/api/") else _DEFAULTS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                _apply(message, defaults, API_CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The policy depends on the page's inline scripts, so the (small, generated) page
        # is held until it is complete.
        start: Message | None = None
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            _apply(start, _DEFAULTS, docs_csp(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, hold)


def cors_options(origins: list[str]) -> dict[str, Any]:
    """CORSMiddleware options for exactly ``origins``: bearer tokens, so no credentials."""
    return {
        "allow_origins": origins,
        "allow_credentials": False,
        "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": ["Authorization", "Content-Type"],
        "expose_headers": ["Retry-After"],
        "max_age": 600,
    }
