"""The one owner of background tasks: named, logged when they fail, drained on shutdown.

Two kinds of work run here:

* **Tasks** (:meth:`Supervisor.spawn`): one-shot work a request or an event starts and
  nobody awaits (a bot's answer, a live translation, a socket's close). A failure is
  logged with the task's name and counted; nothing is retried, because each such piece of
  work has its own recovery (the database is the source of truth, clients resume).
* **Loops** (:meth:`Supervisor.run`): a service's body that should run until the process
  stops (the presence ticker, the catch-up, the bot scheduler, the indexer). One that
  raises is logged and started again after a backoff; while it waits, :meth:`status`
  says so, and readiness reports it.

:meth:`Supervisor.stop` cancels the loops, gives the tasks under way a grace period to
finish (they may still publish what they committed), then cancels the rest and waits
for every one of them, so nothing outlives the database and broker it uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("openlink.services")

#: A loop that failed waits this long before it starts again, doubling up to the maximum.
RESTART_MIN_S = 0.5
RESTART_MAX_S = 30.0
#: How long shutdown waits for the tasks under way before it cancels them.
DRAIN_GRACE_S = 5.0


@dataclass(slots=True)
class LoopState:
    """What readiness shows of one loop."""

    failures: int = 0
    last_error: str | None = None
    #: True while the loop waits to be started again after a failure.
    restarting: bool = False

    def describe(self) -> str:
        if self.restarting:
            return f"restarting after {self.failures} failures ({self.last_error})"
        return "ok"


class Supervisor:
    def __init__(
        self, *, restart_min_s: float = RESTART_MIN_S, restart_max_s: float = RESTART_MAX_S
    ) -> None:
        self.restart_min_s = restart_min_s
        self.restart_max_s = restart_max_s
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: dict[str, asyncio.Task[None]] = {}
        self.loops: dict[str, LoopState] = {}
        #: Failures of one-shot tasks, by name (metrics).
        self.failures: Counter[str] = Counter()
        self.stopped = False

    # -- one-shot tasks -----------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any] | None:
        """Run ``coro`` as a task of its own; a failure is logged under ``name``.

        Refused (``None``, the coroutine closed unrun) once the supervisor has stopped:
        nothing may start after the database and broker are gone."""
        if self.stopped:
            coro.close()
            log.warning("task %s refused: the process is stopping", name)
            return None
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.failures[task.get_name()] += 1
            log.error("task %s failed", task.get_name(), exc_info=exc)

    async def settle(self, prefix: str = "", timeout: float = DRAIN_GRACE_S) -> None:  # noqa: ASYNC109
        """Wait until no task whose name starts with ``prefix`` is running (including
        those they start meanwhile), or ``timeout`` passed (shutdown, tests)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while running := [t for t in self._tasks if t.get_name().startswith(prefix)]:
                    await asyncio.wait(running)

    def running(self, prefix: str = "") -> int:
        return sum(1 for t in self._tasks if t.get_name().startswith(prefix))

    async def cancel_tasks(self, prefix: str) -> None:
        """Cancel the tasks whose name starts with ``prefix`` and wait for them: for a
        service whose work in flight is worth nothing once it stops (a catch-up, a
        translation nobody will read)."""
        doomed = [t for t in self._tasks if t.get_name().startswith(prefix)]
        for task in doomed:
            task.cancel()
        await asyncio.gather(*doomed, return_exceptions=True)

    # -- loops --------------------------------------------------------------------

    def run(self, name: str, body: Callable[[], Awaitable[None]]) -> None:
        """Keep ``body`` running until :meth:`cancel` or :meth:`stop`: started again after a
        backoff when it raises. A body that returns is done and not started again."""
        if name in self._loops:
            raise RuntimeError(f"a loop named {name} runs already")
        state = self.loops[name] = LoopState()
        task = asyncio.get_running_loop().create_task(self._keep(name, body, state), name=name)
        self._loops[name] = task
        task.add_done_callback(lambda _t: self._loops.pop(name, None))

    async def _keep(self, name: str, body: Callable[[], Awaitable[None]], state: LoopState) -> None:
        delay = self.restart_min_s
        while True:
            try:
                await body()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                state.failures += 1
                state.last_error = type(exc).__name__
                state.restarting = True
                log.exception("%s failed; starting it again in %.1f s", name, delay)
            await asyncio.sleep(delay)
            state.restarting = False
            delay = min(delay * 2, self.restart_max_s)

    async def cancel(self, name: str) -> None:
        """Stop the loop ``name`` and wait until it has stopped."""
        task = self._loops.pop(name, None)
        self.loops.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def status(self) -> dict[str, str]:
        """Each loop's state: ``ok``, or why it is waiting to start again."""
        return {name: state.describe() for name, state in sorted(self.loops.items())}

    # -- shutdown -----------------------------------------------------------------

    async def stop(self, grace: float = DRAIN_GRACE_S) -> None:
        """Cancel the loops, let the tasks under way finish within ``grace``, cancel the
        rest, and wait for all of them. Spawning is refused from then on."""
        for name in list(self._loops):
            await self.cancel(name)
        await self.settle(timeout=grace)
        self.stopped = True
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("cancelled %d background tasks at shutdown", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)
