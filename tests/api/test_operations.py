"""Operations endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import Server
from tests.factories import expect, join, make_room, make_user, open_socket, send_message


async def test_ready_until_draining(server: Server, client: httpx.AsyncClient) -> None:
    ready = expect(await client.get("/readyz"), 200)
    checks = {"draining": "ok", "database": "ok", "broker": "ok", "services": "ok"}
    assert ready == {"ready": True, "checks": checks}
    server.app.state.hub.draining = True
    r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["draining"] == "yes"
    # Liveness is not readiness: a draining node is alive.
    assert expect(await client.get("/healthz"), 200)["ok"] is True


async def test_a_failing_background_loop_is_shown_in_readiness(
    server: Server, client: httpx.AsyncClient
) -> None:
    supervisor = server.app.state.supervisor
    failed = asyncio.Event()

    async def flaky() -> None:
        failed.set()
        raise RuntimeError("it fails")

    # Long enough that the loop is still waiting to start again when readiness is asked.
    supervisor.restart_min_s = 3600
    supervisor.run("test.flaky", flaky)
    await failed.wait()
    await asyncio.sleep(0)  # let the failure reach the supervisor
    r = expect(await client.get("/readyz"), 200)
    # Reported, not fatal: chat works without the loop, which comes back by itself.
    assert r["ready"] is True
    assert r["checks"]["services"] == "test.flaky: restarting after 1 failures (RuntimeError)"
    metrics = (await client.get("/metrics")).text
    assert 'openlink_loop_failures_total{loop="test.flaky"} 1.0' in metrics
    await supervisor.cancel("test.flaky")
    assert expect(await client.get("/readyz"), 200)["checks"]["services"] == "ok"


async def test_metrics_count_connections_rooms_and_events(
    server: Server, client: httpx.AsyncClient
) -> None:
    _h, host = await make_user(client)
    _m, member = await make_user(client)
    created = await make_room(client, host)
    await join(client, member, created["room"]["link"])
    sock = await open_socket(server.ws_url, member)
    sent = await send_message(client, host, created["room"]["id"], "counted")
    await sock.next_message(seq=sent["seq"])

    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    lines = dict(
        line.rsplit(" ", 1) for line in r.text.splitlines() if line and not line.startswith("#")
    )
    assert float(lines["openlink_connections"]) == 1
    assert float(lines["openlink_rooms_live"]) == 1
    assert float(lines['openlink_broker_events_total{type="message"}']) >= 1
    assert float(lines["openlink_deliveries_total"]) >= 1
    assert float(lines["openlink_broker_lag_seconds_count"]) >= 1
    assert "openlink_translation_shed_total" in lines
