"""The translation contract.

An :class:`Engine` is a configured translation backend: it says which language pairs it
has and how its calls must run, and it opens a :class:`PairTranslator` for one pair inside
the worker that will use it. Engines are plain picklable objects (settings and paths, no
loaded models), because process-run engines are shipped to a worker process and loaded
there.

Languages are primary subtags (``en``, ``ko``, ``pt``). A pair an engine lacks may still
be served through English (``ko -> en -> ja``): routing is the pool's job, not the engine's.
"""

from __future__ import annotations

from typing import Literal, Protocol

from openlink.domain.glossary import Glossary

Pair = tuple[str, str]
#: ``process``: CPU-bound engines that hold the GIL get one worker process per pair, at a
#: lower CPU priority than the event loop. ``thread``: engines that wait on the network
#: share a thread pool.
Execution = Literal["process", "thread"]


class EngineError(Exception):
    """An engine could not translate (model failed to load, endpoint refused...)."""


class PairTranslator(Protocol):
    def translate(self, text: str, glossary: Glossary) -> str:
        """Translate ``text`` (any length, any number of sentences) for this pair.

        ``glossary`` terms must come out kept as they are or as their fixed rendering for
        the target language. Raises :class:`EngineError` on failure. Called from one
        worker only, never concurrently, unless the engine's execution is ``thread``: then
        it must be thread-safe.
        """
        ...


class Engine(Protocol):
    @property
    def name(self) -> str:
        """The name in ``OPENLINK_TRANSLATOR`` and in the API (``fxtranslate``...)."""
        ...

    @property
    def execution(self) -> Execution: ...

    def pairs(self) -> frozenset[Pair]:
        """The direct (source, target) pairs this engine has. Cheap: no model is loaded."""
        ...

    def open(self, source: str, target: str) -> PairTranslator:
        """Load what ``source -> target`` needs. Runs in the worker that will call it; may
        take seconds. Raises :class:`EngineError` when the pair's files do not load."""
        ...

    def describe(self) -> dict[str, object]:
        """Operator-facing facts (model folder, endpoint, model names), for the API and
        the startup log. Never secrets."""
        ...
