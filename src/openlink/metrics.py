"""Prometheus metrics, read from the live objects at scrape time.

Nothing here touches the hot path: the hub and the backends keep plain counters, and this
collector turns them into metric families when ``/metrics`` is scraped. Each app has its
own registry (tests build many apps in one process).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Seconds from a message's commit to its arrival at a node through the broker.
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def lag_histogram() -> Histogram:
    return Histogram(
        "openlink_broker_lag_seconds",
        "Time from a new message's commit to its arrival at this node via the broker.",
        buckets=LAG_BUCKETS,
        registry=None,
    )


class HubCollector(Collector):
    """Reads a ``realtime.hub.Hub`` (typed loosely: the hub imports this module)."""

    def __init__(self, hub: Any) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        hub, ctx = self.hub, self.hub.ctx
        yield _gauge("openlink_connections", "Open WebSocket connections.", hub.connections)
        yield _gauge("openlink_rooms_live", "Rooms with at least one socket here.", len(hub.feeds))
        yield _gauge("openlink_draining", "1 while this node drains before stopping.", hub.draining)
        yield _gauge(
            "openlink_gap_pending_events",
            "Events held back waiting for earlier ones, over all rooms.",
            sum(len(f.pending) for f in hub.feeds.values()),
        )
        events = CounterMetricFamily(
            "openlink_broker_events", "Events received from the broker, by type.", labels=["type"]
        )
        for kind, n in sorted(hub.events_in.items()):
            events.add_metric([kind], n)
        yield events
        yield _counter(
            "openlink_deliveries", "Frames written to sockets by room fan-out.", hub.deliveries
        )
        yield _counter(
            "openlink_catchup_fills",
            "Times a room read missed events from the database (gaps and catch-ups).",
            hub.db_fills,
        )
        broker: Any = ctx.broker
        for attr, help_text in (
            ("publish_errors", "Publishes the broker refused (recovered from the database)."),
            ("reconnects", "Times the broker's subscription connection was restored."),
        ):
            if hasattr(broker, attr):
                yield _counter(f"openlink_broker_{attr}", help_text, getattr(broker, attr))
        yield _counter(
            "openlink_feed_open_failures",
            "Rooms whose feed could not be opened here (its sockets were told to resume).",
            hub.feed_failures,
        )
        yield from _services(hub.supervisor)
        yield from hub.lag.collect()
        yield from _translation(ctx.translation.stats())


def _services(supervisor: Any) -> Iterator[Metric]:
    failures = CounterMetricFamily(
        "openlink_task_failures", "Background tasks that failed, by name.", labels=["task"]
    )
    for name, n in sorted(supervisor.failures.items()):
        failures.add_metric([name], n)
    yield failures
    restarts = CounterMetricFamily(
        "openlink_loop_failures",
        "Failures of long-running loops (each restarted).",
        labels=["loop"],
    )
    for name, state in sorted(supervisor.loops.items()):
        restarts.add_metric([name], state.failures)
    yield restarts


def _translation(stats: dict[str, Any]) -> Iterator[Metric]:
    queue = GaugeMetricFamily(
        "openlink_translation_queue",
        "Translations in flight per language pair.",
        labels=["pair"],
    )
    for pair, n in sorted(stats["queues"].items()):
        queue.add_metric([pair], n)
    yield queue
    for name, help_text in (
        ("calls", "Engine calls (two for a route through English)."),
        ("translations", "Translations computed."),
        ("shed", "Translations dropped because a queue was full."),
        ("failures", "Engine failures."),
        ("stored", "Translations stored and published."),
    ):
        yield _counter(f"openlink_translation_{name}", help_text, stats[name])


def _gauge(name: str, help_text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, help_text, value=float(value))


def _counter(name: str, help_text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, help_text, value=float(value))


def registry_for(hub: Any) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(hub))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
