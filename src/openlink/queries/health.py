"""Is this node fit to take traffic?"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from openlink.actions.context import Context

CHECK_TIMEOUT_S = 2.0


async def readiness(
    ctx: Context, *, draining: bool, services: dict[str, str] | None = None
) -> tuple[bool, dict[str, str]]:
    """Each check's verdict (``ok`` or why not), and whether all passed. ``services`` is
    the supervisor's view of the long-running loops (``ok`` or ``restarting ...``)."""
    checks: dict[str, str] = {"draining": "yes" if draining else "ok"}
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), ctx.db.read() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    broker: Any = ctx.broker
    connected = getattr(broker, "connected", True)
    checks["broker"] = "ok" if connected else "disconnected"
    troubled = {name: state for name, state in (services or {}).items() if state != "ok"}
    checks["services"] = "; ".join(f"{n}: {s}" for n, s in troubled.items()) or "ok"
    # Only the database decides: a node without its broker still serves every request and
    # catches its rooms up from the database, and failing readiness on every node at once
    # (they share the broker) would leave the load balancer with nowhere to send anyone.
    # A loop that is restarting is reported, not fatal, for the same reason: chat works
    # without presence counts or a fresh search index, and the loop comes back by itself.
    ready = not draining and checks["database"] == "ok"
    return ready, checks
