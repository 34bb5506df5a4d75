"""An event is announced for a change that committed: a ``notify_*`` call on a
transaction that has already ended is a programming error, not a silent no-op."""

from __future__ import annotations

import pytest

from openlink.actions.notify import notify_user, user_channel
from openlink.store.db import Tx, TxClosed
from tests.conftest import Server


class Boom(Exception):
    pass


def recorded(server: Server) -> list[tuple[str, bytes]]:
    """What the server's broker publishes from now on."""
    broker = server.app.state.hub.ctx.broker
    published: list[tuple[str, bytes]] = []
    publish = broker.publish

    async def record(channel: str, data: bytes) -> None:
        published.append((channel, data))
        await publish(channel, data)

    broker.publish = record
    return published


async def test_notify_inside_the_transaction_publishes_after_its_commit(server: Server) -> None:
    ctx = server.app.state.hub.ctx
    published = recorded(server)
    async with ctx.db.write() as tx:
        notify_user(ctx, tx, 7, {"type": "report"})
        assert tx.state == "open" and published == []
    assert tx.state == "committed"
    assert published == [(user_channel(7), b'{"type":"report"}')]


async def test_notify_on_a_committed_transaction_refuses(server: Server) -> None:
    ctx = server.app.state.hub.ctx
    published = recorded(server)
    async with ctx.db.write() as tx:
        pass
    with pytest.raises(TxClosed, match="committed"):
        notify_user(ctx, tx, 7, {"type": "report"})
    assert published == []


async def test_notify_on_a_rolled_back_transaction_refuses(server: Server) -> None:
    ctx = server.app.state.hub.ctx
    published = recorded(server)
    kept: list[Tx] = []
    with pytest.raises(Boom):
        async with ctx.db.write() as tx:
            kept.append(tx)
            notify_user(ctx, tx, 7, {"type": "report"})
            raise Boom
    assert kept[0].state == "rolled back"
    with pytest.raises(TxClosed, match="rolled back"):
        notify_user(ctx, kept[0], 7, {"type": "report"})
    assert published == []  # neither the rolled-back change nor the late call announced


async def test_notify_without_a_transaction_refuses(server: Server) -> None:
    ctx = server.app.state.hub.ctx
    async with ctx.db.read() as conn:
        with pytest.raises(TypeError, match="open Tx"):
            notify_user(ctx, conn, 7, {"type": "report"})  # type: ignore[arg-type]
