"""The members of ``openlink bench fanout`` in this process, or spread over several.

One Python process tops out near 100k frames per CPU-second, below what the server can
deliver. With ``--client-procs N`` the members are dealt round-robin to N worker
processes (so the senders are spread too), each running its own :class:`Run` on its own
event loop. The parent steers them over a pipe (connect, send, report, close), and reads
their running counts from shared memory, which costs the workers no message per event.
Reports are plain data and histograms, merged exactly by the parent.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
from collections.abc import Sequence
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any, Protocol

import psutil  # type: ignore[import-untyped]

from openlink.bench.common import BenchError, cpu_s, new_loop, pin_process
from openlink.bench.fanout_client import Counts, Plan, Run

#: How often a worker publishes its counts (the parent polls at the same pace).
PUBLISH_S = 0.02
_FIELDS = len(Counts._fields)


class Clients(Protocol):
    """The members, wherever they run."""

    async def connect(self, warm: int = 0) -> None:
        """Connect every member (again: each resumes from what it holds); ``warm``: only
        that many, closed again at once."""

    def counts(self) -> Counts: ...

    async def start_sending(self, start_at: float) -> None: ...

    async def sends_reports(self) -> list[dict[str, Any]]: ...

    async def receipts_reports(self, sent_by_seq: dict[int, float]) -> list[dict[str, Any]]: ...

    async def close(self) -> None: ...

    def cpu_s(self) -> float:
        """CPU seconds of the processes that run the members."""

    def stop(self) -> None: ...


class LocalClients:
    """Every member in this process, on this event loop."""

    def __init__(self, plan: Plan) -> None:
        self.run = Run(plan)
        self._me = psutil.Process()

    async def connect(self, warm: int = 0) -> None:
        await self.run.connect(warm)

    def counts(self) -> Counts:
        return self.run.counts()

    async def start_sending(self, start_at: float) -> None:
        self.run.start_sending(start_at)

    async def sends_reports(self) -> list[dict[str, Any]]:
        return [self.run.sends_report()]

    async def receipts_reports(self, sent_by_seq: dict[int, float]) -> list[dict[str, Any]]:
        return [self.run.receipts_report(sent_by_seq)]

    async def close(self) -> None:
        await self.run.close()

    def cpu_s(self) -> float:
        return cpu_s(self._me)

    def stop(self) -> None:
        pass


class ProcClients:
    """The members dealt round-robin to ``procs`` worker processes."""

    def __init__(self, plan: Plan, procs: int, cpus: Sequence[int] | None) -> None:
        ctx = mp.get_context("spawn")
        self._shared = ctx.Array("q", procs * _FIELDS, lock=False)
        self._pipes: list[Connection] = []
        self._procs: list[mp.process.BaseProcess] = []
        per_proc = max(1, plan.connect_concurrency // procs)
        for w in range(procs):
            mine = replace(plan, members=plan.members[w::procs], connect_concurrency=per_proc)
            parent, child = ctx.Pipe()
            proc = ctx.Process(
                target=_worker, args=(mine, child, self._shared, w), daemon=True, name=f"fo{w}"
            )
            proc.start()
            child.close()
            if cpus and proc.pid is not None:
                pin_process(proc.pid, cpus)
            self._pipes.append(parent)
            self._procs.append(proc)
        self._ps = [psutil.Process(p.pid) for p in self._procs]

    async def _all(self, *command: Any) -> list[Any]:
        """Send ``command`` to every worker; their replies, in order."""
        for pipe in self._pipes:
            pipe.send(command)
        replies = await asyncio.gather(*(asyncio.to_thread(p.recv) for p in self._pipes))
        for reply in replies:
            if isinstance(reply, BaseException):
                raise BenchError(f"a load generator process failed: {reply!r}")
        return list(replies)

    async def connect(self, warm: int = 0) -> None:
        if warm:  # from one worker: enough to warm the server up
            self._pipes[0].send(("connect", warm))
            reply = await asyncio.to_thread(self._pipes[0].recv)
            if isinstance(reply, BaseException):
                raise BenchError(f"a load generator process failed: {reply!r}")
            return
        await self._all("connect", 0)

    def counts(self) -> Counts:
        shared = self._shared
        return Counts(
            *(sum(shared[w * _FIELDS + f] for w in range(len(self._procs))) for f in range(_FIELDS))
        )

    async def start_sending(self, start_at: float) -> None:
        await self._all("send", start_at)

    async def sends_reports(self) -> list[dict[str, Any]]:
        return await self._all("sends")

    async def receipts_reports(self, sent_by_seq: dict[int, float]) -> list[dict[str, Any]]:
        return await self._all("receipts", sent_by_seq)

    async def close(self) -> None:
        await self._all("close")

    def cpu_s(self) -> float:
        return sum(cpu_s(p) for p in self._ps)

    def stop(self) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):
                pipe.send(("quit",))
        for proc in self._procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()


def _worker(plan: Plan, pipe: Connection, shared: Any, w: int) -> None:
    """A worker process: one :class:`Run` on its own loop, steered over ``pipe``."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        runner.run(_serve(plan, pipe, shared, w))


async def _serve(plan: Plan, pipe: Connection, shared: Any, w: int) -> None:
    run = Run(plan)
    base = w * _FIELDS

    async def publish() -> None:
        while True:
            for f, value in enumerate(run.counts()):
                shared[base + f] = value
            await asyncio.sleep(PUBLISH_S)

    publisher = asyncio.get_running_loop().create_task(publish())
    try:
        while True:
            command = await asyncio.to_thread(pipe.recv)
            if command[0] == "quit":
                return
            try:
                reply = await _do(run, command)
            except Exception as exc:  # told to the parent, which stops the run
                reply = BenchError(f"worker {w} (pid {os.getpid()}): {exc!r}")
            for f, value in enumerate(run.counts()):
                shared[base + f] = value
            pipe.send(reply)
    finally:
        publisher.cancel()
        await run.close()


async def _do(run: Run, command: tuple[Any, ...]) -> Any:
    op = command[0]
    if op == "connect":
        await run.connect(command[1])
        return None
    if op == "send":
        run.start_sending(command[1])
        return None
    if op == "sends":
        return run.sends_report()
    if op == "receipts":
        return run.receipts_report(command[1])
    if op == "close":
        await run.close()
        return None
    raise ValueError(f"unknown command {op!r}")
