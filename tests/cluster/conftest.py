"""Three real ``openlink serve`` nodes on one PostgreSQL database and one Redis.

Per test module: a fresh PostgreSQL database (on the server of
``OPENLINK_TEST_DATABASE_URL``, else 127.0.0.1:5432; dropped at the end), a redis-server of
our own (``tests/fakes/redis_server.py``: a test may SIGKILL and restart it), the
migrations applied once, then the nodes, each on its own port with logs in the module's
temporary folder. A test may kill a node or Redis; the ``cluster`` fixture brings
everything back before the next test. The module is skipped, saying why, when
redis-server is not installed or PostgreSQL does not answer.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from openlink.bench.cluster import (
    DEFAULT_POSTGRES,
    Database,
    NodeProcess,
    migrate,
    node_env,
    stop_all,
    wait_ready,
)
from tests.fakes.redis_server import REDIS_SERVER, OwnRedis

NODES = 3

#: Everything a node needs beyond PostgreSQL and Redis (node_env sets those, the cheap
#: argon2, OPENLINK_EMBEDDER=none and OPENLINK_SIGNUPS_PER_ADDRESS=0).
NODE_SETTINGS = {
    # Every node checks its live rooms and its accounts against the database this often:
    # the safety net for events Redis lost.
    "OPENLINK_CATCHUP_INTERVAL_S": "0.5",
    "OPENLINK_ACCOUNT_RECHECK_INTERVAL_S": "0.5",
    # Tests send bursts from members who have just joined.
    "OPENLINK_FLOOD_MEMBER_MESSAGES": "0",
    "OPENLINK_FLOOD_ROOM_MESSAGES": "0",
    "OPENLINK_FLOOD_PROBATION_MESSAGES": "0",
    "OPENLINK_DEFAULT_PROBATION_S": "0",
    "OPENLINK_PRESENCE_INTERVAL_S": "0.2",
    "OPENLINK_DRAIN_S": "0.5",
    "OPENLINK_LOG_LEVEL": "warning",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: several server processes on PostgreSQL and Redis (tests/cluster)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.cluster)


def postgres_server() -> str:
    """The PostgreSQL server to create databases on: CI's per-run database names it."""
    url = os.environ.get("OPENLINK_TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else DEFAULT_POSTGRES


@dataclass
class Cluster:
    nodes: list[NodeProcess]
    redis: OwnRedis
    database: Database

    @property
    def ports(self) -> list[int]:
        return [n.port for n in self.nodes]

    def urls(self) -> list[str]:
        return [n.base_url for n in self.nodes]

    def restore(self) -> None:
        """Restart what a test killed: Redis first (nodes need it to start), then nodes."""
        if self.redis.proc is None or self.redis.proc.poll() is not None:
            self.redis.start()
        dead = [n for n in self.nodes if not n.alive]
        for node in dead:
            node.start()
        wait_ready(self.nodes)


def _database(server: str) -> Database:
    from sqlalchemy.engine import make_url

    try:
        import asyncpg  # noqa: F401
    except ImportError:
        pytest.skip("asyncpg is not installed (pip install -e '.[dev]')")
    try:
        return Database.create(server, "openlink_cluster")
    except (OSError, TimeoutError) as exc:
        where = make_url(server)
        pytest.skip(f"PostgreSQL is not reachable at {where.host}:{where.port or 5432}: {exc!r}")


@pytest.fixture(scope="module")
def cluster_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    database = _database(postgres_server())
    folder = tmp_path_factory.mktemp("cluster")
    redis = OwnRedis(folder)
    nodes: list[NodeProcess] = []
    try:
        redis.start()
        base = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINK_")}
        env = node_env(base, database_url=database.url, redis_url=redis.url, extra=NODE_SETTINGS)
        migrate(env)
        nodes.extend(NodeProcess(i, env, folder) for i in range(NODES))
        for node in nodes:
            node.start()
        wait_ready(nodes)
        yield Cluster(nodes, redis, database)
    finally:
        stop_all(nodes)
        redis.kill()
        database.drop()


@pytest.fixture
def cluster(cluster_module: Cluster) -> Cluster:
    """The module's cluster, every node and Redis up and ready."""
    cluster_module.restore()
    return cluster_module
