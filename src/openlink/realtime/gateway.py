"""The WebSocket endpoint: authenticate, attach every room, then serve client ops.

Order on connect: hello (token + resume points) -> subscribe the account's channel ->
read its rooms -> ``ready`` -> per room, catch up from the database and go live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect

from openlink.actions import accounts, messages
from openlink.actions.notify import publish_ephemeral
from openlink.domain.accounts import User
from openlink.domain.ids import hash_token
from openlink.domain.languages import base_language
from openlink.errors import OpenLinkError
from openlink.queries.access import room_not_found
from openlink.realtime.conn import (
    CLOSE_AUTH,
    CLOSE_PROTOCOL,
    Conn,
    QueueConn,
    TransportConn,
)
from openlink.realtime.frames import Frame
from openlink.realtime.hub import Hub
from openlink.realtime.protocol import Hello, Ping, Read, Send, Typing, client_op, hello_op
from openlink.realtime.server import TRANSPORT_EXTENSION

log = logging.getLogger("openlink.gateway")
HELLO_TIMEOUT_S = 10.0
TYPING_EVERY_S = 3.0


def error_frame(code: str, message: str, ref: str | None = None) -> Frame:
    event: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if ref is not None:
        event["ref"] = ref
    return Frame.of(event)


async def websocket_endpoint(ws: WebSocket) -> None:
    hub: Hub = ws.app.state.hub
    await ws.accept()
    hello = await _read_hello(ws)
    if hello is None:
        return
    try:
        session = await accounts.access_session_by_token(hub.ctx, hello.token)
    except OpenLinkError as exc:
        await ws.send_text(error_frame(exc.code, exc.message).payload.decode())
        await ws.close(CLOSE_AUTH, exc.code)
        return
    user = session.user
    conn, writer = _make_conn(ws, hub, user, hash_token(hello.token))
    conn.language = base_language(user.language)
    conn.access_rev = session.access_rev
    await hub.connect(conn, session.expires_at)
    try:
        conn.cork()  # ready and each room's first frames leave together
        try:
            rooms = await _ready(hub, conn, user)
            hub.mark_ready(conn)
            for room_id, last in rooms.items():
                since = min(hello.since.get(room_id, last), last)
                await hub.attach(conn, room_id, since)
        finally:
            conn.uncork()
        await _serve(ws, hub, conn, user)
    except WebSocketDisconnect:
        pass
    finally:
        await hub.disconnect(conn)
        if writer is not None:
            writer.cancel()


async def _read_hello(ws: WebSocket) -> Hello | None:
    try:
        # A timeout scope, not wait_for: that runs the read as a task of its own.
        async with asyncio.timeout(HELLO_TIMEOUT_S):
            raw = await ws.receive_text()
        return hello_op.validate_json(raw)
    except (TimeoutError, ValidationError, KeyError, WebSocketDisconnect):
        with contextlib.suppress(Exception):
            await ws.send_text(
                error_frame("bad_hello", 'Send {"op":"hello","token":...} first.').payload.decode()
            )
            await ws.close(CLOSE_PROTOCOL, "bad_hello")
        return None


def _make_conn(
    ws: WebSocket, hub: Hub, user: User, token_hash: str
) -> tuple[Conn, asyncio.Task[None] | None]:
    max_bytes = hub.ctx.settings.ws_max_outbound_bytes

    async def closing(code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await ws.close(code, reason)

    def close(code: int, reason: str) -> None:
        hub.supervisor.spawn(closing(code, reason), name="ws.close")

    fast = ws.scope.get("extensions", {}).get(TRANSPORT_EXTENSION)
    if fast is not None:
        fast_conn = TransportConn(
            user.id, close, fast["transport"], fast["writable"], max_bytes, token_hash
        )
        fast["on_shutdown"].append(fast_conn.stop_writing)
        return fast_conn, None
    conn = QueueConn(user.id, close, max_bytes, token_hash)
    writer = asyncio.get_running_loop().create_task(conn.run_writer(ws.send_text))
    return conn, writer


async def _ready(hub: Hub, conn: Conn, user: User) -> dict[str, int]:
    from openlink.queries.rooms import my_rooms

    rooms = await my_rooms(hub.ctx, user)
    for r in rooms:
        conn.rooms[r["id"]] = r["me"]["id"]
        conn.sizes[r["id"]] = r["member_count"]
    conn.send(
        Frame.of(
            {
                "type": "ready",
                "user": {
                    "id": user.id,
                    "display_name": user.display_name,
                    "language": user.language,
                },
                "rooms": rooms,
                "heartbeat_s": hub.ctx.settings.ws_ping_interval_s,
            }
        )
    )
    return {r["id"]: r["last_seq"] for r in rooms}


async def _serve(ws: WebSocket, hub: Hub, conn: Conn, user: User) -> None:
    while True:
        raw = await ws.receive_text()
        try:
            op = client_op.validate_json(raw)
        except ValidationError as exc:
            conn.send(_invalid_op(raw, exc))
            continue
        try:
            await _handle(hub, conn, user, op)
        except OpenLinkError as exc:
            conn.send(_op_error(op, exc.to_dict()))
        except Exception:
            # A bug must not take the socket down with it: the client gets an error for
            # this op and the connection stays usable.
            log.exception("op %s failed", op.op)
            conn.send(
                _op_error(
                    op, {"code": "internal_error", "message": "Something went wrong on our side."}
                )
            )


def _op_error(op: Send | Typing | Read | Ping, error: dict[str, Any]) -> Frame:
    event: dict[str, Any] = {"type": "error", **error}
    if isinstance(op, Send):
        event["ref"] = op.client_id
    if isinstance(op, Send | Typing | Read):
        event["room"] = op.room
    return Frame.of(event)


def _invalid_op(raw: str, exc: ValidationError) -> Frame:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return error_frame("invalid_json", "The frame is not valid JSON.")
    ref = parsed.get("client_id") if isinstance(parsed, dict) else None
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    if first.get("type") == "union_tag_invalid" or where == "":
        return error_frame(
            "unknown_op", "Unknown or missing op.", ref if isinstance(ref, str) else None
        )
    return error_frame(
        "invalid_input", f"{where}: {first.get('msg')}", ref if isinstance(ref, str) else None
    )


async def _handle(hub: Hub, conn: Conn, user: User, op: Send | Typing | Read | Ping) -> None:
    ctx = hub.ctx
    if isinstance(op, Send):
        sent = await messages.do_send_message(
            ctx,
            user,
            op.room,
            client_id=op.client_id,
            body=op.body,
            reply_to=op.reply_to,
            mentions=op.mentions,
            media_ids=op.media,
        )
        conn.send(
            Frame.of(
                {
                    "type": "ack",
                    "ref": op.client_id,
                    "room": op.room,
                    "seq": sent.message.seq,
                    "duplicate": not sent.created,
                }
            )
        )
    elif isinstance(op, Typing):
        await _typing(hub, conn, user, op.room)
    elif isinstance(op, Read):
        marker = await messages.do_mark_read(ctx, user, op.room, op.seq)
        conn.send(Frame.of({"type": "read", "room": op.room, "seq": marker}))
    else:
        conn.send(Frame.of({"type": "pong", "ref": op.ref, "t": ctx.now().timestamp()}))


async def _typing(hub: Hub, conn: Conn, user: User, room_id: str) -> None:
    if room_id not in conn.rooms:
        raise room_not_found()
    now = hub.ctx.clock.monotonic()
    if now - conn.typing_at.get(room_id, 0.0) < TYPING_EVERY_S:
        return  # at most one typing event per socket and room every few seconds
    conn.typing_at[room_id] = now
    if conn.sizes.get(room_id, 0) > hub.ctx.settings.typing_max_members:
        return  # large rooms: typing indicators are noise and cost N deliveries each
    member_id = await messages.check_can_type(hub.ctx, user, room_id)
    await publish_ephemeral(
        hub.ctx, room_id, {"type": "typing", "room": room_id, "member": member_id}
    )
