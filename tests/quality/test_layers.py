"""The layers of docs/architecture.md, checked on the source: every import of ours in
``src/openlink`` (type-only and function-local ones included) goes down the table, no two
packages import each other, and the rules that keep the layers honest hold."""

from __future__ import annotations

import ast
import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openlink

ROOT = Path(openlink.__file__).parent

#: What each package (or top-level module) may import of ours, besides itself and the
#: ``openlink`` package's own ``__init__`` (the version). Mirrors docs/architecture.md.
BASE = {"errors", "config", "clock"}
BACKENDS = {
    *("store", "broker", "presence", "ratelimit", "translate", "embed", "images", "net", "media"),
}
USE_CASES = {"actions", "queries"}
BELOW_APP = {"domain", *BASE, *BACKENDS, *USE_CASES, "services", "realtime", "http", "metrics"}
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    # The npm assets' fetcher runs before anything is installed: the standard library only.
    "webvendor": set(),
    "config": set(),
    # The app's time (``Clock``): asked by every layer that decides by time.
    "clock": set(),
    "logs": set(),
    "metrics": set(),
    # Shared by the Redis implementations of the backends: connection options only.
    "redis_client": set(),
    "domain": {"errors"},
    "store": {"domain", *BASE},
    "broker": {*BASE, "redis_client"},
    "presence": {*BASE, "redis_client"},
    "ratelimit": {*BASE, "redis_client"},
    "translate": {"domain", *BASE},
    "embed": {"domain", *BASE},
    # The database image store is a backend written over the store; avatars share the
    # media pipeline's Pillow checks.
    "images": {"domain", "store", "net", "media", *BASE},
    # The guarded outbound fetcher: address rules from the domain, nothing else.
    "net": {"domain", *BASE},
    # Media blob storage and processing: bytes in, files and metadata out.
    "media": {"domain", *BASE},
    "actions": {"domain", *BASE, *BACKENDS, "queries"},
    "queries": {"domain", *BASE, *BACKENDS, "actions"},
    "services": {"domain", *BASE, *BACKENDS, *USE_CASES},
    "realtime": {"domain", *BASE, *USE_CASES, "services", "metrics"},
    # The web app's routes warn when the npm assets they serve are missing (``webvendor``).
    "http": {"domain", *BASE, *USE_CASES, "metrics", "webvendor"},
    "app": {"domain", *BASE, *BACKENDS, *USE_CASES, "services", "realtime", "http", "metrics"},
    # Entry points: what they start is theirs to import, ``app`` included.
    "demo": {"domain", *BASE, *USE_CASES},
    "cli_models": {*BASE, "translate"},
    "cli": {"app", "bench", "cli_models", "demo", "logs", "webvendor", *BELOW_APP},
    "bench": {"app", "cli", *BELOW_APP},
}
#: The one documented two-way pair: the use cases share their foundation. Queries use the
#: ``Context``, the per-account limits and the instance's derived keys (media URLs are
#: signed as views are read); actions use the access checks. Nothing else crosses.
USE_CASE_CROSSINGS = {
    "queries": {"openlink.actions.context", "openlink.actions.limits", "openlink.actions.instance"},
    "actions": {"openlink.queries.access"},
}
#: The entry points run each other: the CLI's ``bench`` commands start a benchmark, and a
#: benchmark starts its server through the CLI. Neither is imported by anything else.
ENTRY_POINTS = frozenset({"cli", "bench"})
#: Tasks started outside the supervisor, each owned and awaited by the code that starts it.
OWN_TASKS = {
    "openlink.app",  # a shutdown step, awaited for STOP_STEP_S, then left behind
    "openlink.broker.redis",  # the subscription reader, stopped by the broker's stop()
    "openlink.presence.redis",  # the batched writer, stopped by the presence's stop()
    "openlink.realtime.gateway",  # a socket's writer, cancelled when its handler ends
    "openlink.realtime.server",  # a socket's ASGI task, started as uvicorn starts it (in its tasks)
    "openlink.queries.search",  # the vector half of one search, awaited by that search
    "openlink.store.group_commit",  # the WAL syncer and checkpointer, drained by db.close()
    "openlink.services.supervisor",
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (or name within it)
    line: int


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def _sources() -> tuple[tuple[str, ast.Module], ...]:
    """Every module of ours, parsed once for all the checks here."""
    return tuple(
        (_module_name(path), ast.parse(path.read_text(), str(path)))
        for path in sorted(ROOT.rglob("*.py"))
    )


def _imports() -> Iterator[Import]:
    for module, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolve against the importing package
                    package = module.split(".")[: -node.level or None]
                    base = ".".join([*package, *([base] if base else [])])
                for alias in node.names:
                    yield Import(module, f"{base}.{alias.name}", node.lineno)


def _unit(module: str) -> str:
    """The package or top-level module of ``openlink.x.y``: ``x``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "openlink"


@functools.cache
def _ours() -> tuple[Import, ...]:
    found = []
    for imp in _imports():
        if not imp.target.startswith("openlink."):
            continue
        target = imp.target
        name = target.split(".")[1]
        if target.count(".") == 1 and not any((ROOT / n).exists() for n in (name, f"{name}.py")):
            target = "openlink"  # a name from the package itself (__version__)
        found.append(Import(imp.module, target, imp.line))
    return tuple(found)


def test_every_import_goes_down_the_layer_table() -> None:
    wrong = []
    for imp in _ours():
        source, target = _unit(imp.module), _unit(imp.target)
        if source == target or target == "openlink":
            continue
        assert source in ALLOWED, f"{source} is not in the layer table: add it (and to the docs)"
        if target not in ALLOWED[source]:
            wrong.append(f"{imp.module}:{imp.line} imports {imp.target}")
    assert wrong == [], "imports against docs/architecture.md:\n" + "\n".join(wrong)


def test_actions_and_queries_cross_only_where_documented() -> None:
    wrong = []
    for imp in _ours():
        source, target = _unit(imp.module), _unit(imp.target)
        if {source, target} != USE_CASES:
            continue
        allowed = USE_CASE_CROSSINGS[source]
        if not any(imp.target == a or imp.target.startswith(f"{a}.") for a in allowed):
            wrong.append(f"{imp.module}:{imp.line} imports {imp.target}")
    assert wrong == []


def test_no_import_cycles_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for imp in _ours():
        source, target = _unit(imp.module), _unit(imp.target)
        # The use cases count as one layer (see USE_CASE_CROSSINGS).
        source, target = ("use cases" if u in USE_CASES else u for u in (source, target))
        if source != target and target != "openlink":
            edges.setdefault(source, set()).add(target)
    cycles = [
        (a, b)
        for a, b in itertools.combinations(sorted(edges), 2)
        if _reaches(edges, a, b) and _reaches(edges, b, a) and {a, b} != ENTRY_POINTS
    ]
    assert cycles == []


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return False


def test_nothing_but_entry_points_imports_the_app() -> None:
    importers = {_unit(i.module) for i in _ours() if _unit(i.target) == "app"}
    assert importers <= {"cli", "bench"}


def _calls(module_prefix: str) -> Iterator[tuple[str, ast.Call]]:
    for module, tree in _sources():
        if module.startswith(module_prefix):
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    yield module, node


def _called(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def test_actions_publish_only_through_notify() -> None:
    """Publishing after commit is the notify functions' job: no use case publishes."""
    direct = {m for m, call in _calls("openlink.actions") if _called(call) == "publish"}
    assert direct == {"openlink.actions.notify"}


def test_background_tasks_belong_to_the_supervisor() -> None:
    started = {
        m
        for m, call in _calls("openlink")
        if _called(call) in {"create_task", "ensure_future"} and not m.startswith("openlink.bench")
    }
    assert started <= OWN_TASKS, sorted(started - OWN_TASKS)


def test_the_dialect_stays_in_the_store() -> None:
    leaks = [
        f"{imp.module}:{imp.line}"
        for imp in _imports()
        if imp.target.startswith(("sqlalchemy.exc", "sqlalchemy.dialects"))
        and _unit(imp.module) not in {"store"}
    ]
    for module, tree in _sources():
        if _unit(module) in {"actions", "queries", "services", "realtime", "http"}:
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "is_sqlite":
                    leaks.append(f"{module}:{node.lineno} reads is_sqlite")
                if isinstance(node, ast.keyword) and node.arg in {"is_sqlite", "sqlite"}:
                    leaks.append(f"{module}:{node.value.lineno} passes {node.arg}=")
    assert leaks == []
