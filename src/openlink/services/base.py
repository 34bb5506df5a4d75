"""The shape of a service: a name, ``start`` and ``stop``."""

from __future__ import annotations

from typing import Protocol


class Service(Protocol):
    #: Shown in logs.
    name: str

    async def start(self) -> None:
        """Begin the service's work (its loops run under the supervisor)."""
        ...

    async def stop(self) -> None:
        """Stop the loops and wait until they have stopped. Tasks the service spawned
        are drained by the supervisor afterwards."""
        ...
