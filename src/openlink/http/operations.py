"""Operations: liveness, readiness, Prometheus metrics, and what the instance is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from openlink.http.deps import CtxDep
from openlink.metrics import CONTENT_TYPE, render
from openlink.queries.health import readiness
from openlink.queries.instance import instance

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz(request: Request) -> dict[str, object]:
    hub = request.app.state.hub
    return {"ok": True, "connections": hub.connections, "rooms_live": len(hub.feeds)}


@router.get(
    "/readyz",
    summary="Readiness: database reachable, not draining (503 otherwise); broker and "
    "background services reported",
    responses={503: {"description": "Not ready: take this node out of the load balancer."}},
)
async def readyz(ctx: CtxDep, request: Request) -> Any:
    state = request.app.state
    ready, checks = await readiness(
        ctx, draining=state.hub.draining, services=state.supervisor.status()
    )
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(render(request.app.state.metrics), media_type=CONTENT_TYPE)


@router.get(
    "/api/instance",
    tags=["instance"],
    summary="The instance: name, version, demo accounts (when seeded), translation languages",
)
async def instance_info(ctx: CtxDep) -> dict[str, Any]:
    return instance(ctx)
