"""``--metrics-port``: the monitor's numbers in the Prometheus text format, on loopback.

A custom collector reads the live ``Metrics`` (and health and alerts when given) at scrape
time, so nothing is counted twice. The server runs on the monitor's own event loop (aiohttp),
which keeps every read of the metrics on the thread that writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from mlbdash.ingest.monitor.alerts import AlertBook
from mlbdash.ingest.monitor.health import FAILING, OK, Health
from mlbdash.ingest.monitor.metrics import Metrics

PREFIX = "mlbdash_"
LATENCY_WINDOW_S = 300.0
_STATUS_VALUE = {OK: 0.0, "degraded": 1.0, FAILING: 2.0}

# (metric name in Metrics, exposed name, help, label names)
_COUNTERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "requests",
        "requests",
        "Logical requests by kind, HTTP status and source",
        ("kind", "status", "source"),
    ),
    ("errors", "request_errors", "Failed requests over the wire", ("kind",)),
    ("bytes_wire", "bytes_wire", "Bytes received over the wire", ("kind",)),
    ("bytes_decoded", "bytes_decoded", "Bytes after decompression", ("kind",)),
    ("cache_hits", "cache_hits", "Requests answered from the cache", ("kind",)),
    ("retries", "retries", "Failed attempts that were retried", ("kind",)),
    ("throttled", "throttled", "429 Too Many Requests answers", ("kind",)),
    ("gave_up", "gave_up", "Requests abandoned after all retries", ("kind",)),
    ("updates", "game_updates", "Game polls by outcome (full, diff, none)", ("update",)),
    ("refetches", "feed_refetches", "Merged feeds dropped and fetched whole again", ()),
    ("findings", "findings", "New validation findings by severity", ("severity",)),
)


class MonitorCollector(Collector):
    def __init__(
        self, metrics: Metrics, health: Health | None = None, alerts: AlertBook | None = None
    ) -> None:
        self.metrics = metrics
        self.health = health
        self.alerts = alerts

    def collect(self) -> Iterator[Metric]:
        totals = self.metrics.windows.totals()
        for source, name, doc, label_names in _COUNTERS:
            family = CounterMetricFamily(PREFIX + name, doc, labels=label_names)
            for (series, pairs), value in sorted(totals.items()):
                if series == source:
                    values = dict(pairs)
                    family.add_metric([values.get(n, "") for n in label_names], value)
            yield family
        yield from self._window_gauges()
        if self.health is not None:
            checks = GaugeMetricFamily(
                PREFIX + "health_check_status",
                "Health checks: 0 ok, 1 degraded, 2 failing",
                labels=("check",),
            )
            for check in self.health.checks():
                checks.add_metric([check.name], _STATUS_VALUE[check.status])
            yield checks
        if self.alerts is not None:
            open_alerts = GaugeMetricFamily(
                PREFIX + "alerts", "Open alerts by rule and state", labels=("rule", "state")
            )
            counts: dict[tuple[str, str], int] = {}
            for alert in self.alerts.open_alerts():
                ident = (alert.rule, alert.state)
                counts[ident] = counts.get(ident, 0) + 1
            for (rule, state), n in sorted(counts.items()):
                open_alerts.add_metric([rule, state], n)
            yield open_alerts

    def _window_gauges(self) -> Iterator[Metric]:
        snap = self.metrics.snapshot(LATENCY_WINDOW_S)
        latency = GaugeMetricFamily(
            PREFIX + "request_latency_seconds",
            "Request latency quantiles over the last 5 minutes",
            labels=("kind", "quantile"),
        )
        for kind, lat in sorted(snap.latency_by_kind.items()):
            for q, v in (("0.5", lat.p50_s), ("0.95", lat.p95_s), ("0.99", lat.p99_s)):
                latency.add_metric([kind, q], v)
        yield latency
        lag = GaugeMetricFamily(
            PREFIX + "freshness_lag_seconds",
            "Seconds from a live game's server timecode to when its version was stored",
            labels=("game_pk",),
        )
        for game_pk, value in sorted(snap.freshness_lag_by_game.items()):
            lag.add_metric([str(game_pk)], value)
        yield lag
        yield GaugeMetricFamily(PREFIX + "live_games", "Games live now", value=snap.live_games)
        yield GaugeMetricFamily(
            PREFIX + "budget_waiting", "Requests queued for the budget", value=snap.budget_waiting
        )
        yield GaugeMetricFamily(
            PREFIX + "budget_in_use", "Requests holding a budget slot", value=snap.budget_in_use
        )
        if snap.budget_rate_per_s is not None:
            yield GaugeMetricFamily(
                PREFIX + "budget_rate_per_second",
                "Requests per second the budget allows now",
                value=snap.budget_rate_per_s,
            )
        if snap.budget_nominal_per_s is not None:
            yield GaugeMetricFamily(
                PREFIX + "budget_nominal_rate_per_second",
                "Requests per second the budget allows when unthrottled",
                value=snap.budget_nominal_per_s,
            )


@dataclass
class PrometheusServer:
    """A running exporter; ``close()`` (or leaving ``async with``) stops it."""

    runner: web.AppRunner
    host: str
    port: int

    async def close(self) -> None:
        await self.runner.cleanup()

    async def __aenter__(self) -> PrometheusServer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def serve_prometheus(
    metrics: Metrics,
    port: int,
    host: str = "127.0.0.1",
    *,
    health: Health | None = None,
    alerts: AlertBook | None = None,
) -> PrometheusServer:
    """Serve ``GET /metrics`` on ``host:port`` (port 0 picks a free one; see ``.port``).

    Raises OSError when the port cannot be bound.
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitorCollector(metrics, health, alerts))

    async def scrape(_request: web.Request) -> web.Response:
        body = generate_latest(registry)
        return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})

    app = web.Application()
    app.router.add_get("/metrics", scrape)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple):
            bound = int(address[1])
            break
    return PrometheusServer(runner, host, bound)
