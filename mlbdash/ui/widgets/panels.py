"""The side panels: validation, rate limit, health and alerts. They display what they are given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Sparkline

from mlbdash.ingest.views import AlertRow, BudgetView, CheckRow, FindingRow
from mlbdash.ui import format as fmt
from mlbdash.ui.widgets.keyed import selected_key, sync_rows
from mlbdash.ui.widgets.lines import TextLines

LATEST_FINDINGS = 50
SHORT_SEVERITY = {"error": "err", "warning": "warn", "info": "info"}


class ValidationPanel(Vertical):
    """Counts by severity and rule, then the latest findings, newest first."""

    def compose(self) -> ComposeResult:
        yield TextLines(id="finding-counts")
        table: DataTable[Text] = DataTable(id="findings", cursor_type="row", zebra_stripes=True)
        table.can_focus = False
        yield table

    def on_mount(self) -> None:
        self.border_title = "Validation"
        table = self.query_one("#findings", DataTable)
        table.add_column("Sev", key="severity")
        table.add_column("Game", key="game")
        table.add_column("Rule", key="rule")
        table.add_column("Message", key="message")

    def show(self, findings: Sequence[FindingRow], by_severity: dict[str, int]) -> None:
        # Every finding kept, by severity (the table below lists the latest, with their rule).
        counts = Text(no_wrap=True, overflow="ellipsis")
        counts.append("findings ", style="dim")
        for name in ("error", "warning", "info"):
            counts.append(f"{SHORT_SEVERITY[name]} ", style="dim")
            counts.append(str(by_severity.get(name, 0)), style=fmt.SEVERITY_STYLE[name])
            counts.append("  ")
        self.query_one("#finding-counts", TextLines).show_text(counts)
        # Newest first by id, not by last_seen: a finding seen again must not reshuffle the list.
        latest = sorted(findings, key=lambda f: f.id, reverse=True)
        rows = [
            (
                str(f.id),
                [
                    Text(
                        SHORT_SEVERITY.get(f.severity, f.severity),
                        style=fmt.SEVERITY_STYLE.get(f.severity, ""),
                    ),
                    fmt.plain(f.matchup),
                    fmt.plain(f.rule),
                    fmt.plain(f.message),
                ],
            )
            for f in latest[:LATEST_FINDINGS]
        ]
        sync_rows(self.query_one("#findings", DataTable), rows)


class RateLimitPanel(Vertical):
    """The request budget; requests per second and their latency over the last minute, side
    by side; push-back from the API."""

    def compose(self) -> ComposeResult:
        yield TextLines(id="budget")
        with Horizontal(id="rate-charts"):
            with Vertical(classes="chart"):
                yield TextLines(id="rps-label")
                yield Sparkline([], id="rps", summary_function=max)
            with Vertical(classes="chart"):
                yield TextLines(id="latency-label")
                yield Sparkline([], id="latency", summary_function=max)
        yield TextLines(id="pushback")

    def on_mount(self) -> None:
        self.border_title = "Rate limit"

    def show(
        self,
        budget: BudgetView | None,
        now: datetime,
        reason: str | None = None,
        latency_ms: Sequence[float] = (),
    ) -> None:
        if budget is None:
            self.query_one("#budget", TextLines).show_text(Text("no requests yet", style="dim"))
            self.query_one("#pushback", TextLines).show_text(Text())
            return
        self.query_one("#budget", TextLines).show_text(budget_text(budget))
        series = budget.requests_per_s
        self.query_one("#rps-label", TextLines).show_text(
            chart_label("req/s", series[-1] if series else 0.0, series, "{:.1f}")
        )
        self.query_one("#rps", Sparkline).data = list(series)
        self.query_one("#latency-label", TextLines).show_text(
            chart_label("ms", latency_ms[-1] if latency_ms else 0.0, latency_ms, "{:.0f}")
        )
        self.query_one("#latency", Sparkline).data = list(latency_ms)
        self.query_one("#pushback", TextLines).show_text(pushback_text(budget, now, reason))


def budget_text(budget: BudgetView) -> Text:
    """The limit with its burst (a second can hold up to rate + burst requests, so a peak
    above the rate is allowed), then what is in flight and queued right now."""
    # Short lines: the panel is about 24 columns wide on an 80-column terminal.
    shrunk = budget.rate_per_s < budget.nominal_rate_per_s
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("limit ", style="dim")
    line.append(f"{budget.rate_per_s:g}/s", style="yellow" if shrunk else "")
    if shrunk:
        line.append(f" of {budget.nominal_rate_per_s:g}/s", style="dim")
    elif budget.burst:
        line.append("  burst ", style="dim")
        line.append(str(budget.burst))
    line.append("\nin flight ", style="dim")
    line.append(str(budget.in_use))
    line.append("  queued ", style="dim")
    line.append(str(budget.waiting), style="yellow" if budget.waiting else "")
    return line


def chart_label(name: str, now: float, series: Sequence[float], spec: str) -> Text:
    """``req/s 0.3`` over ``max 13``: the latest value, then the highest of the minute."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{name} ", style="dim")
    text.append(spec.format(now))
    text.append("\nmax ", style="dim")
    text.append(spec.format(max(series, default=0.0)))
    return text


def pushback_text(budget: BudgetView, now: datetime, reason: str | None) -> Text:
    shrunk = budget.rate_per_s < budget.nominal_rate_per_s
    push = Text(no_wrap=True, overflow="ellipsis")
    push.append("429s ", style="dim")
    push.append(str(budget.throttled_total), style="bold red" if budget.throttled_total else "")
    push.append("  retries ", style="dim")
    push.append(str(budget.retries_total), style="yellow" if budget.retries_total else "")
    push.append("  err ", style="dim")
    push.append(str(budget.errors_total), style="red" if budget.errors_total else "")
    push.append("\n")
    if budget.paused_until is not None and budget.paused_until > now:
        wait = int((budget.paused_until - now).total_seconds())
        push.append(f"backoff: paused {wait}s", style="bold yellow")
    elif shrunk:
        push.append("backoff: limit reduced", style="yellow")
    else:
        push.append("no backoff", style="green")
    if reason and (shrunk or budget.paused_until is not None):
        push.append(f" ({reason})", style="dim")
    return push


class HealthPanel(Vertical):
    """Checks with their status, then alerts that are pending or firing."""

    def compose(self) -> ComposeResult:
        checks: DataTable[Text] = DataTable(id="checks", cursor_type="none", show_header=False)
        checks.can_focus = False
        yield checks
        yield DataTable(id="alerts", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.border_title = "Health & alerts"
        checks = self.query_one("#checks", DataTable)
        checks.add_column("Status", key="status")
        checks.add_column("Check", key="check")
        checks.add_column("Reason", key="reason")
        alerts = self.query_one("#alerts", DataTable)
        alerts.add_column("Alert", key="state")
        alerts.add_column("Rule", key="rule")
        alerts.add_column("Message", key="message")

    def show(self, checks: Iterable[CheckRow], alerts: Iterable[AlertRow], now: datetime) -> None:
        sync_rows(
            self.query_one("#checks", DataTable),
            [
                (c.name, [fmt.status(c.status), fmt.plain(c.name), fmt.plain(c.reason, "dim")])
                for c in checks
            ],
        )
        active = [a for a in alerts if a.state != "resolved"]
        active.sort(key=lambda a: (a.state != "firing", a.since, a.id))
        rows = []
        for alert in active:
            silenced = alert.silenced_until is not None and alert.silenced_until > now
            label = "silenced" if silenced else "ack" if alert.acknowledged else alert.state
            quiet = silenced or alert.acknowledged
            style = "dim" if quiet else fmt.ALERT_STYLE.get(alert.state, "")
            rows.append(
                (
                    str(alert.id),
                    [
                        Text(label, style=style),
                        fmt.plain(alert.rule),
                        fmt.plain(alert.message),
                    ],
                )
            )
        table = self.query_one("#alerts", DataTable)
        sync_rows(table, rows)
        subtitle = f"{sum(a.state == 'firing' for a in active)} firing"
        if self.border_subtitle != subtitle:  # setting it repaints the whole panel
            self.border_subtitle = subtitle

    @property
    def selected_alert_id(self) -> int | None:
        key = selected_key(self.query_one("#alerts", DataTable))
        return None if key is None else int(key)
