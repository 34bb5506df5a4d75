"""Automatic translation: engines behind one contract (``base.py``), a pool that runs them
off the event loop (``pool.py``), language detection (``detect.py``) and a registry.

``OPENLINK_TRANSLATOR`` picks the engine: ``none`` (default), ``fxtranslate``,
``ctranslate2`` or ``openai``. Engine modules are imported only when chosen, so their
packages stay optional.
"""

from __future__ import annotations

from collections.abc import Callable

from openlink.config import Settings
from openlink.translate.base import Engine, EngineError, Pair, PairTranslator
from openlink.translate.none import NoneEngine


def _fxtranslate(settings: Settings) -> Engine:
    from openlink.translate.fxtranslate import FxTranslateEngine

    return FxTranslateEngine(settings.effective_models_dir())


def _ctranslate2(settings: Settings) -> Engine:
    from openlink.translate.ctranslate2 import CTranslate2Engine

    return CTranslate2Engine(settings.effective_models_dir(), threads=settings.ctranslate2_threads)


def _openai(settings: Settings) -> Engine:
    from openlink.translate.openai import OpenAIEngine

    return OpenAIEngine.from_settings(settings)


def _none(_settings: Settings) -> Engine:
    return NoneEngine()


ENGINES: dict[str, Callable[[Settings], Engine]] = {
    "none": _none,
    "fxtranslate": _fxtranslate,
    "ctranslate2": _ctranslate2,
    "openai": _openai,
}


def create(settings: Settings) -> Engine:
    """The engine named by ``settings.translator``; a clear error for an unknown name."""
    try:
        factory = ENGINES[settings.translator]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise ValueError(
            f"unknown translator {settings.translator!r} (OPENLINK_TRANSLATOR): use one of {known}"
        ) from None
    return factory(settings)


__all__ = ["ENGINES", "Engine", "EngineError", "Pair", "PairTranslator", "create"]
