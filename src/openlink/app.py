"""``create_app(settings)``: the one place where concrete backends are chosen and wired."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from argon2 import PasswordHasher
from fastapi import APIRouter, FastAPI
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from openlink import __version__, broker, embed, presence, ratelimit, translate
from openlink.actions.activity import do_prune_activity
from openlink.actions.context import Context
from openlink.actions.instance import IMAGE_IDS, instance_key
from openlink.actions.interests import do_seed_interests
from openlink.clock import Clock, SystemClock
from openlink.config import Settings
from openlink.domain.discovery import hour_bucket
from openlink.embed.vectors import SearchIndex
from openlink.http import (
    accounts,
    apidocs,
    automod,
    bot,
    clips,
    discovery,
    errors,
    images,
    media,
    messages,
    moderation,
    operations,
    partners,
    reports,
    rooms,
    search,
    translation,
    web,
)
from openlink.http.errors import error_response
from openlink.http.security import SecurityHeaders, cors_options
from openlink.images import create as create_image_store
from openlink.media import storage as media_storage
from openlink.media.process import MediaPool
from openlink.metrics import registry_for
from openlink.realtime.gateway import websocket_endpoint
from openlink.realtime.hub import Hub
from openlink.services.base import Service
from openlink.services.bot import BotScheduler
from openlink.services.indexer import Indexer
from openlink.services.media import MediaService
from openlink.services.media_gc import MediaCollector
from openlink.services.supervisor import Supervisor
from openlink.services.translation import TranslationService
from openlink.store.db import Database
from openlink.store.migrate import upgrade_async
from openlink.translate.pool import TranslationPool

log = logging.getLogger("openlink")
MAX_BODY_BYTES = 1 << 20
MULTIPART_MARGIN = 64 << 10
WS_PATH = "/ws"


def build_context(
    settings: Settings,
    supervisor: Supervisor | None = None,
    *,
    clock: Clock | None = None,
    media_pool: MediaPool | None = None,
) -> Context:
    """The ``Context`` with the backends ``settings`` name, on ``clock`` (the machine's
    unless a test brings one it can move). ``media_pool``: media workers the caller owns
    and stops (the tests share theirs between servers), else the server's own."""
    settings.prepare()
    clock = clock or SystemClock()
    db = Database(settings.effective_database_url(), sqlite_synchronous=settings.sqlite_synchronous)
    supervisor = supervisor or Supervisor()
    translation = TranslationService(
        TranslationPool(
            translate.create(settings),
            queue_max=settings.translate_queue_max,
            threads=settings.translate_threads,
            worker_nice=settings.translate_worker_nice,
        ),
        supervisor,
    )
    ctx = Context(
        settings=settings,
        db=db,
        broker=broker.create(settings),
        presence=presence.create(settings),
        limiter=ratelimit.create(
            settings.limits_url,
            connect_timeout_s=settings.redis_connect_timeout_s,
            socket_timeout_s=settings.redis_socket_timeout_s,
            retry_after_s=settings.redis_retry_after_s,
            prefix=settings.redis_prefix,
            clock=clock,
        ),
        passwords=PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        ),
        search=SearchIndex.create(embed.create(settings.embedder)),
        translation=translation,
        images=create_image_store(db, clock),
        blobs=media_storage.create(settings),
        tasks=supervisor,
        media=MediaService(settings, supervisor, media_pool),
        clock=clock,
    )
    translation.bind(ctx)
    return ctx


def create_app(
    settings: Settings | None = None,
    *,
    migrate: bool = True,
    clock: Clock | None = None,
    media_pool: MediaPool | None = None,
) -> FastAPI:
    settings = settings or Settings()
    supervisor = Supervisor()
    ctx = build_context(settings, supervisor, clock=clock, media_pool=media_pool)
    hub = Hub(ctx, supervisor)
    indexer = Indexer(ctx, supervisor)
    translator = ctx.translation
    assert isinstance(translator, TranslationService)
    # Started in this order, stopped in reverse; then the supervisor drains what is left.
    scheduler = BotScheduler(ctx, supervisor)
    collector = MediaCollector(ctx, supervisor)
    processor = ctx.media
    assert isinstance(processor, MediaService)
    # The media service stops first: its jobs store blobs, which the collector closes.
    services = (hub, scheduler, indexer, translator, collector, processor)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade_async(settings.effective_database_url())
        await do_seed_interests(ctx)
        # Made (or read) now: a bad OPENLINK_SECRET_KEY_FILE stops the start, not a request.
        await instance_key(ctx, IMAGE_IDS)
        await do_prune_activity(ctx, hour_bucket(ctx.now()))
        await ctx.presence.start()
        for service in services:
            await service.start()
        log.info(
            "openlink %s: database=%s broker=%s presence=%s limits=%s embedder=%s "
            "translator=%s (%d pairs) media=%s",
            __version__,
            ctx.db.engine.url.render_as_string(hide_password=True),
            ctx.broker.name,
            ctx.presence.name,
            ctx.limiter.name,
            indexer.index.embedder.model_id,
            translator.engine,
            len(translator.pool.pairs()),
            ctx.blobs.name,
        )
        try:
            yield
        finally:
            await _stop(ctx, supervisor, services)

    app = OpenLinkApp(
        title="OpenLink",
        version=__version__,
        lifespan=lifespan,
        # /docs and /redoc come from http/apidocs.py, with their assets served locally.
        docs_url=None,
        redoc_url=None,
        description="Interest-based open chat. Errors are "
        '`{"error": {"code": "...", "message": "..."}}`; see docs/protocol.md.',
    )
    app.state.ctx = ctx
    app.state.hub = hub
    app.state.indexer = indexer
    app.state.bot = scheduler
    app.state.supervisor = supervisor
    app.state.media_collector = collector
    app.state.media = processor
    app.state.metrics = registry_for(hub)
    errors.install(app)
    # Pictures are uploaded whole; every other body stays small.
    app.add_middleware(
        BodyLimit,
        larger={
            images.UPLOAD_PATH: settings.image_max_bytes,
            # The media route counts the file itself as it reads; the margin is a
            # multipart envelope's.
            media.UPLOAD_PATH: settings.media_max_bytes + MULTIPART_MARGIN,
        },
        codes={media.UPLOAD_PATH: "media_too_large"},
    )
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, **cors_options(settings.cors_origins))
    for module in (
        accounts,
        rooms,
        messages,
        moderation,
        automod,
        reports,
        bot,
        discovery,
        search,
        partners,
        translation,
        operations,
        images,
        media,
        clips,
        apidocs,
    ):
        add_routes(app, module.router)
    app.mount(apidocs.ASSETS_PATH, apidocs.assets(), name="docs-assets")
    add_routes(app, web.router)
    app.mount("/app", web.static_files(), name="web")
    web.warn_if_vendor_missing()

    return app


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Serve ``router``'s routes from ``app``: the routes themselves, as ``@app.get``
    would add them, not an inclusion of the router.

    The module routers carry no prefix, tags or dependencies of their own beyond what their
    routes already hold, so including them would add nothing but a per-app copy of every
    route that FastAPI makes at the app's first requests (it analyses each endpoint's
    signature again: about 0.1 s of CPU per app). One app per process pays that once; the
    test suite builds an app per test. Routes hold no state of an app: several apps of one
    process share them. (FastAPI's ``dependency_overrides`` is not used here; shared
    routes would not see an app's overrides.)
    """
    app.router.routes.extend(router.routes)


async def _stop(ctx: Context, supervisor: Supervisor, services: tuple[Service, ...]) -> None:
    """Services stop their loops in reverse order; the tasks under way get a grace period
    to finish while the broker and database are still there; then the backends go. Each
    step is bounded (``STOP_STEP_S``): a backend that hangs while it closes (a Redis
    connection that never answers) is left behind with an error in the log, and the
    process still stops."""
    for service in reversed(services):
        await _bounded(service.name, service.stop())
    await _bounded("the background tasks", supervisor.stop())
    await _bounded("the broker", ctx.broker.stop())
    await _bounded("presence", ctx.presence.stop())
    await _bounded("the rate limiter", ctx.limiter.stop())
    await _bounded("the database", ctx.db.dispose())


#: The longest one step of the shutdown may take (the supervisor's grace is shorter).
STOP_STEP_S = 15.0


async def _bounded(what: str, stop: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(stop, name=f"stop {what}")
    done, _ = await asyncio.wait({task}, timeout=STOP_STEP_S)
    if not done:
        # Not awaited after the cancel: a step that ignores it must not hold the rest.
        task.cancel()
        where = io.StringIO()
        task.print_stack(file=where)
        log.error(
            "stopping %s took over %.0f s; left behind:\n%s", what, STOP_STEP_S, where.getvalue()
        )
        return
    exc = task.exception()
    if exc is not None:
        log.error("stopping %s failed", what, exc_info=exc)


class OpenLinkApp(FastAPI):
    """The app, with ``/ws`` handed straight to the gateway.

    A WebSocket lives for hours; through the middleware stack and router it would hold a
    dozen coroutine frames for its whole life, about a quarter of an idle socket's memory.
    The gateway needs none of them: it authenticates in-band and answers its own errors.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == WS_PATH:
            scope["app"] = self
            await websocket_endpoint(WebSocket(scope, receive, send))
            return
        await super().__call__(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        # Outside the framework's error middleware, so that a 500 carries the headers too.
        return SecurityHeaders(super().build_middleware_stack())


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY_BYTES,
        larger: dict[str, int] | None = None,
        codes: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        #: Paths whose bodies may be larger than ``limit``.
        self.larger = larger or {}
        #: The error code of a path's refusal, when not ``too_large``.
        self.codes = codes or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.limit)
        headers = dict(scope.get("headers", ()))
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # An HTTPException passes through the framework's body parsing and
                    # reaches the error handler as a 413.
                    raise HTTPException(413, f"The request body is larger than {limit} bytes.")
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        code = self.codes.get(scope["path"], "too_large")
        response = error_response(413, code, f"The request body is larger than {limit} bytes.")
        await response(scope, receive, send)
