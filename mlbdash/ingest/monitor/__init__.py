"""Monitoring of the ingest pipeline: health checks, rolling metrics, alerts, SLA, Prometheus.

No textual here: the dashboard reads ``Monitor`` and the events it emits.
"""

from mlbdash.ingest.monitor.alerts import FIRING, PENDING, RESOLVED, Alert, AlertBook
from mlbdash.ingest.monitor.health import (
    DEGRADED,
    FAILING,
    OK,
    CheckResult,
    DatabaseProbe,
    DiskUsage,
    Health,
    HealthThresholds,
    LoopLagProbe,
)
from mlbdash.ingest.monitor.metrics import WINDOWS, BudgetState, Latency, Metrics, MetricsSnapshot
from mlbdash.ingest.monitor.monitor import CoverageSource, Monitor, MonitorSettings
from mlbdash.ingest.monitor.prometheus import PrometheusServer, serve_prometheus
from mlbdash.ingest.monitor.rules import AlertRule, Condition, GameCoverage, default_rules
from mlbdash.ingest.monitor.sla import SlaReport

__all__ = [
    "DEGRADED",
    "FAILING",
    "FIRING",
    "OK",
    "PENDING",
    "RESOLVED",
    "WINDOWS",
    "Alert",
    "AlertBook",
    "AlertRule",
    "BudgetState",
    "CheckResult",
    "Condition",
    "CoverageSource",
    "DatabaseProbe",
    "DiskUsage",
    "GameCoverage",
    "Health",
    "HealthThresholds",
    "Latency",
    "LoopLagProbe",
    "Metrics",
    "MetricsSnapshot",
    "Monitor",
    "MonitorSettings",
    "PrometheusServer",
    "SlaReport",
    "default_rules",
    "serve_prometheus",
]
