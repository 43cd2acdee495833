"""The Prometheus exporter, scraped over loopback the way a Prometheus server would."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from monitor_helpers import game_updated, request

from mlbdash.ingest.events import IssueFound, WorkerStopped
from mlbdash.ingest.monitor import Monitor, serve_prometheus
from mlbdash.mlb.clock import ManualClock

START = datetime(2024, 6, 12, 4, 0, tzinfo=UTC)


async def test_scrape_reads_the_live_metrics() -> None:
    clock = ManualClock(START)
    monitor = Monitor(clock, lambda _e: None)
    for _ in range(3):
        monitor.handle(request(clock.now(), kind="feed", latency_s=0.25))
    monitor.handle(request(clock.now(), kind="diff_patch", status=429, error="HTTP 429"))
    monitor.handle(game_updated(clock.now(), game_pk=746139, lag_s=7))
    monitor.handle(
        IssueFound(clock.now(), 746139, "r", "error", "consistency", "p", "m", 1, new=True)
    )
    monitor.handle(WorkerStopped(clock.now(), "validator", "crashed"))
    monitor.evaluate()
    server = await serve_prometheus(
        monitor.metrics, 0, health=monitor.health(), alerts=monitor.alerts
    )
    async with server, httpx.AsyncClient() as client:
        assert server.host == "127.0.0.1" and server.port > 0
        response = await client.get(f"http://127.0.0.1:{server.port}/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        lines = set(text.splitlines())
        assert 'mlbdash_requests_total{kind="feed",source="wire",status="200"} 3.0' in lines
        assert 'mlbdash_throttled_total{kind="diff_patch"} 1.0' in lines
        assert 'mlbdash_request_errors_total{kind="diff_patch"} 1.0' in lines
        assert 'mlbdash_request_latency_seconds{kind="feed",quantile="0.5"} 0.25' in lines
        assert 'mlbdash_freshness_lag_seconds{game_pk="746139"} 7.0' in lines
        assert 'mlbdash_findings_total{severity="error"} 1.0' in lines
        assert "mlbdash_live_games 1.0" in lines
        assert 'mlbdash_health_check_status{check="workers"} 2.0' in lines
        assert 'mlbdash_alerts{rule="worker_crashed",state="firing"} 1.0' in lines
        # Counted after the first scrape: the collector reads the metrics at scrape time.
        monitor.handle(request(clock.now(), kind="feed"))
        again = (await client.get(f"http://127.0.0.1:{server.port}/metrics")).text
        assert 'mlbdash_requests_total{kind="feed",source="wire",status="200"} 4.0' in again
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{server.port}/metrics")


async def test_a_port_in_use_is_an_oserror() -> None:
    clock = ManualClock(START)
    monitor = Monitor(clock, lambda _e: None)
    async with await serve_prometheus(monitor.metrics, 0) as first:
        with pytest.raises(OSError):
            await serve_prometheus(monitor.metrics, first.port)
