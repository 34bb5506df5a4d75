"""The host bot's scheduler: posts the scheduled notices that are due, every tick."""

from __future__ import annotations

import asyncio

from openlink.actions import bot
from openlink.actions.context import Context
from openlink.services.supervisor import Supervisor

LOOP = "bot.scheduler"


class BotScheduler:
    """Runs :func:`openlink.actions.bot.tick` every ``settings.bot_tick_s`` until stopped."""

    name = "bot"

    def __init__(self, ctx: Context, supervisor: Supervisor) -> None:
        self.ctx = ctx
        self.supervisor = supervisor

    async def start(self) -> None:
        self.supervisor.run(LOOP, self._run)

    async def stop(self) -> None:
        await self.supervisor.cancel(LOOP)
        # Answers under way finish while the database and broker are still there.
        await self.supervisor.settle(bot.ANSWER_TASK)

    async def _run(self) -> None:
        # A failing tick propagates: the supervisor logs it and starts the loop again.
        while True:
            await asyncio.sleep(self.ctx.settings.bot_tick_s)
            await bot.tick(self.ctx)
