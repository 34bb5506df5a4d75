"""The test suite's own shape: no module of ``tests/`` imports a test module (``test_*.py``).

A helper that two test modules share lives in a helper module (``tests/factories.py``,
``tests/api/media_helpers.py``, ...) and a shared fixture in the nearest ``conftest.py``:
importing a test module runs its module-level code (skips, markers, fixtures) a second
time in another module's namespace, and leaves the helper's home unclear."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _module_name(path: Path) -> str:
    parts = path.relative_to(TESTS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(module: str, tree: ast.Module) -> Iterator[tuple[int, list[str]]]:
    """Each import (function-local ones included) with the modules it may name: for
    ``from a.b import c`` both ``a.b`` and ``a.b.c`` (``c`` may be a module)."""
    package = module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                yield node.lineno, [".".join(parts[: i + 1]) for i in range(len(parts))]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                up = package[: len(package) - (node.level - 1)]
                base = ".".join([*up, *([base] if base else [])])
            yield node.lineno, [base, *(f"{base}.{alias.name}" for alias in node.names)]


def imports_of_test_modules(module: str, tree: ast.Module, test_modules: set[str]) -> list[str]:
    """Where ``module`` imports one of ``test_modules``: ``module:line imports target``."""
    return [
        f"{module}:{line} imports {target}"
        for line, targets in sorted(_imported(module, tree))
        for target in targets
        if target in test_modules and target != module
    ]


def test_no_module_of_the_tests_imports_a_test_module() -> None:
    sources = {
        _module_name(path): (path, ast.parse(path.read_text(), str(path)))
        for path in sorted(TESTS.rglob("*.py"))
    }
    test_modules = {name for name, (path, _) in sources.items() if path.name.startswith("test_")}
    assert "tests.api.test_media" in test_modules  # the walk found the suite
    wrong = [
        found
        for module, (_, tree) in sources.items()
        for found in imports_of_test_modules(module, tree, test_modules)
    ]
    assert wrong == [], "move the shared helper out of the test module:\n" + "\n".join(wrong)


def test_every_spelling_of_importing_a_test_module_is_caught() -> None:
    test_modules = {"tests.api.test_media", "tests.contract.test_broker"}
    source = """
from tests.api.test_media import a_room
from tests.api import test_media
import tests.api.test_media
from .test_media import bare
from ..contract.test_broker import Inbox
def later():
    from tests.api.test_media import upload
from tests.api.media_helpers import a_room
from tests import factories
"""
    found = imports_of_test_modules("tests.api.test_other", ast.parse(source), test_modules)
    assert [line.split(" imports ")[0] for line in found] == [
        f"tests.api.test_other:{n}" for n in (2, 3, 4, 5, 6, 8)
    ]
