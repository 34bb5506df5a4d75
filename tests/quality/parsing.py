"""Parsing our own source for the checks of its shape."""

from __future__ import annotations

import ast
import gc
from collections.abc import Iterable
from pathlib import Path


def parse_all(paths: Iterable[Path]) -> list[tuple[Path, ast.Module]]:
    """Each file with its syntax tree, parsed with the garbage collector off.

    On CPython 3.11 a collection that runs a finalizer while ``ast.parse`` builds its
    objects (a coroutine a finished test left behind, whose exception is logged: the
    traceback module parses the failing line's source too) fails the outer parse with
    "SystemError: AST constructor recursion depth mismatch"."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [(path, ast.parse(path.read_text(), str(path))) for path in paths]
    finally:
        if enabled:
            gc.enable()
