"""``create_app(settings)``: the one place where concrete backends are chosen and wired."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from argon2 import PasswordHasher
from fastapi import FastAPI
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import WebSocketRoute

from openlink import __version__, broker
from openlink.actions.context import Context
from openlink.config import Settings
from openlink.http import accounts, errors, messages, rooms
from openlink.http.errors import error_response
from openlink.realtime.gateway import websocket_endpoint
from openlink.realtime.hub import Hub
from openlink.store.db import Database
from openlink.store.migrate import upgrade_async

log = logging.getLogger("openlink")
MAX_BODY_BYTES = 1 << 20


def build_context(settings: Settings) -> Context:
    settings.prepare()
    return Context(
        settings=settings,
        db=Database(settings.effective_database_url()),
        broker=broker.create(settings),
        passwords=PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        ),
    )


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = settings or Settings()
    ctx = build_context(settings)
    hub = Hub(ctx)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade_async(settings.effective_database_url())
        await hub.start()
        log.info(
            "openlink %s: database=%s broker=%s",
            __version__,
            ctx.db.engine.url.render_as_string(hide_password=True),
            ctx.broker.name,
        )
        try:
            yield
        finally:
            await hub.stop()
            await ctx.db.dispose()

    app = FastAPI(
        title="OpenLink",
        version=__version__,
        lifespan=lifespan,
        description="Interest-based open chat. Errors are "
        '`{"error": {"code": "...", "message": "..."}}`; see docs/protocol.md.',
    )
    app.state.ctx = ctx
    app.state.hub = hub
    errors.install(app)
    app.add_middleware(BodyLimit)
    for module in (accounts, rooms, messages):
        app.include_router(module.router)
    app.router.routes.append(WebSocketRoute("/ws", websocket_endpoint))

    @app.get("/healthz", tags=["operations"], summary="Liveness")
    async def healthz() -> dict[str, object]:
        return {"ok": True, "connections": hub.connections, "rooms_live": len(hub.feeds)}

    return app


class BodyLimit(BaseHTTPMiddleware):
    """Refuse bodies over 1 MiB by their declared length before reading them."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return error_response(413, "too_large", "The request body is larger than 1 MiB.")
        return await call_next(request)
