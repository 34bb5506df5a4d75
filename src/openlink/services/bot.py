"""The host bot's scheduler: posts the scheduled notices that are due, every tick."""

from __future__ import annotations

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
        #: Ticks completed since start (tests wait on it after moving the clock).
        self.ticks = 0

    async def start(self) -> None:
        self.supervisor.run(LOOP, self._run)

    async def stop(self) -> None:
        await self.supervisor.cancel(LOOP)
        # Answers under way finish while the database and broker are still there.
        await self.supervisor.settle(bot.ANSWER_TASK)

    async def _run(self) -> None:
        # A failing tick propagates: the supervisor logs it and starts the loop again.
        while True:
            await self.ctx.clock.sleep(self.ctx.settings.bot_tick_s)
            await bot.tick(self.ctx)
            self.ticks += 1
