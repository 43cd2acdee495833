"""The side panels: validation, rate limit, health and alerts. They display what they are given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Sparkline

from mlbdash.ingest.views import AlertRow, BudgetView, CheckRow, FindingRow
from mlbdash.ui import format as fmt
from mlbdash.ui.screens.dialogs import DetailsDialog
from mlbdash.ui.widgets.keyed import selected_key, sync_rows
from mlbdash.ui.widgets.lines import TextLines

LATEST_FINDINGS = 50
SHORT_SEVERITY = {"error": "err", "warning": "warn", "info": "info"}
STATUS_MARK = {"ok": "●", "degraded": "▲", "failing": "✖"}
ALERT_MARK = {"firing": "●", "pending": "○", "ack": "✓", "silenced": "-"}


class DetailsTable(DataTable[Text]):
    """A panel's table: rows are cut to fit, Enter shows a row whole (``RowSelected``).

    ``fit`` makes rows no wider than the panel: every heading reads whole, and a cut cell ends
    in an ellipsis instead of mid-word.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Details", tooltip="Show the selected row in full")
    ]

    def __init__(self, *, id: str, show_header: bool = True) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, show_header=show_header)
        self._columns: list[tuple[str, Text]] = []
        self._droppable = True

    MIN_LAST = 8  # fewer columns than this for the last column's text: it goes to the details

    def set_columns(self, columns: Sequence[tuple[str, str]], *, droppable: bool = True) -> None:
        """Show ``columns`` (key, heading); ``fit`` may leave the last one out for room
        (``droppable``), else it only cuts its cells."""
        self._columns = [(key, Text(label)) for key, label in columns]
        self._droppable = droppable
        self._rebuild(None, len(columns))

    def fit(self, rows: list[tuple[str, list[Text]]]) -> list[tuple[str, list[Text]]]:
        """``rows`` made to fit the table's width: the last column's cells cut with an ellipsis
        (never below its heading), or the last column left out (its text is in the details)
        when fewer than ``MIN_LAST`` columns would be left for it.

        The last column gets a fixed width: an auto-sized one keeps the width of the widest
        cell it ever held, so one long message would push it past the panel for good.
        """
        if not rows or not self._columns or self.size.width <= 0:
            return rows
        width = self.size.width
        visible = self.size.height - (1 if self.show_header else 0)
        if len(rows) > visible:
            width -= self.styles.scrollbar_size_vertical
        last = len(self._columns) - 1
        shown = list(self.columns.values())
        others = sum(
            max(
                [shown[i].content_width if i < len(shown) else 0, *(r[1][i].cell_len for r in rows)]
            )
            + 2 * self.cell_padding
            for i in range(last)
        )
        room = width - others - 2 * self.cell_padding
        short = room < max(self.MIN_LAST, self._columns[last][1].cell_len)
        if self._droppable and last > 0 and short:
            if len(shown) != last:
                self._rebuild(None, last)
            return [(key, cells[:last]) for key, cells in rows]
        fixed = max(min(max(r[1][last].cell_len for r in rows), room), 1)
        if len(shown) != last + 1 or shown[last].auto_width or shown[last].width != fixed:
            self._rebuild(fixed, last + 1)
        return [(key, [*cells[:last], _cut(cells[last], fixed)]) for key, cells in rows]

    def _rebuild(self, last_width: int | None, count: int) -> None:
        self.clear(columns=True)
        for i, (key, label) in enumerate(self._columns[:count]):
            fixed = last_width if i == count - 1 else None
            self.add_column(label, key=key, width=fixed)


def _cut(cell: Text, width: int) -> Text:
    if cell.cell_len <= width:
        return cell
    cut = cell.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut


def _columns(
    table: DetailsTable, columns: Sequence[tuple[str, str]], *, droppable: bool = True
) -> None:
    table.set_columns(columns, droppable=droppable)


def _severity(value: str) -> Text:
    return Text(SHORT_SEVERITY.get(value, value), style=fmt.SEVERITY_STYLE.get(value, ""))


class ValidationPanel(Vertical):
    """Counts by severity, then the latest findings, newest first; Enter shows one whole.

    On a narrow screen the table keeps severity and rule (the game and the message are in the
    details), so no heading is cut; a panel under ``MESSAGE_FROM`` columns leaves the message
    to the details too, so the rule reads whole.
    """

    WIDE = (("severity", "Sev"), ("game", "Game"), ("rule", "Rule"), ("message", "Message"))
    MIDDLE = WIDE[:3]  # a panel too slim for a readable message keeps the rule whole instead
    NARROW = (("severity", "Sev"), ("rule", "Rule"))
    MESSAGE_FROM = 64  # panel columns from which the message gets a column of its own

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.narrow = False
        self._findings: dict[str, FindingRow] = {}
        self._shown: tuple[Sequence[FindingRow], dict[str, int]] = ((), {})
        self._layout: tuple[tuple[str, str], ...] = self.MIDDLE

    def compose(self) -> ComposeResult:
        yield TextLines(id="finding-counts")
        yield DetailsTable(id="findings")

    def on_mount(self) -> None:
        self.border_title = "Validation"
        _columns(self.query_one("#findings", DetailsTable), self._layout, droppable=False)

    def set_narrow(self, narrow: bool) -> None:
        if narrow == self.narrow:
            return
        self.narrow = narrow
        self.show(*self._shown)

    def _set_layout(self) -> None:
        layout: tuple[tuple[str, str], ...]
        if self.narrow:
            layout = self.NARROW
        else:
            layout = self.WIDE if self.size.width >= self.MESSAGE_FROM else self.MIDDLE
        if layout != self._layout:
            self._layout = layout
            _columns(self.query_one("#findings", DetailsTable), layout, droppable=False)

    def show(self, findings: Sequence[FindingRow], by_severity: dict[str, int]) -> None:
        self._shown = (findings, by_severity)
        self._set_layout()
        # Every finding kept, by severity (the table below lists the latest, with their rule;
        # those no longer open are dimmed, their status in the details).
        counts = Text(no_wrap=True, overflow="ellipsis")
        for name in ("error", "warning", "info"):
            counts.append(f"{SHORT_SEVERITY[name]} ", style="dim")
            counts.append(str(by_severity.get(name, 0)), style=fmt.SEVERITY_STYLE[name])
            counts.append("  ")
        self.query_one("#finding-counts", TextLines).show_text(counts)
        # Newest first by id, not by last_seen: a finding seen again must not reshuffle the list.
        latest = sorted(findings, key=lambda f: f.id, reverse=True)[:LATEST_FINDINGS]
        self._findings = {str(f.id): f for f in latest}
        rows = []
        for f in latest:
            cells = [_severity(f.severity), fmt.plain(f.matchup), fmt.plain(f.rule)]
            cells += [fmt.plain(f.message)]
            if f.status != "open":
                cells = [
                    Text(cell.plain, style="dim strike" if i == 2 else "dim")
                    for i, cell in enumerate(cells)
                ]
            rows.append((str(f.id), [cells[i] for i in self._cells()]))
        table = self.query_one("#findings", DetailsTable)
        sync_rows(table, table.fit(rows))

    def _cells(self) -> tuple[int, ...]:
        if self._layout is self.NARROW:
            return (0, 2)
        return tuple(range(len(self._layout)))

    def on_resize(self) -> None:
        self.show(*self._shown)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        finding = self._findings.get(str(event.row_key.value))
        if finding is None:
            return
        fields = [
            ("Severity", _severity(finding.severity)),
            ("Game", fmt.plain(finding.matchup)),
            ("Rule", fmt.plain(finding.rule)),
            ("Message", fmt.plain(finding.message)),
            ("Path", fmt.plain(finding.path)),
            ("Expected", fmt.plain(finding.expected)),
            ("Actual", fmt.plain(finding.actual)),
            ("Status", fmt.plain(finding.status)),
            ("Seen", Text(f"{finding.occurrences} times")),
        ]
        if finding.correction:
            fields.append(("Corrected", fmt.plain(finding.correction)))
        self.app.push_screen(DetailsDialog(f"Finding {finding.id}", fields))


class RateLimitPanel(Vertical):
    """The request budget, with the longest wait before an answered request's answering
    attempt in the last minute; requests per second and the API's answer time (that attempt
    alone) over the last minute, side by side; push-back from the API."""

    narrow = False  # an 80-column screen: the budget's lines say less (see ``budget_text``)

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
        waited_ms: Sequence[float] = (),
    ) -> None:
        if budget is None:
            self.query_one("#budget", TextLines).show_text(Text("no requests yet", style="dim"))
            self.query_one("#pushback", TextLines).show_text(Text())
            return
        waited = max(waited_ms, default=0.0) / 1000.0
        self.query_one("#budget", TextLines).show_text(
            budget_text(budget, waited, narrow=self.narrow)
        )
        series = budget.requests_per_s
        self.query_one("#rps-label", TextLines).show_text(
            chart_label("req/s", series[-1] if series else 0.0, series, "{:.1f}")
        )
        self.query_one("#rps", Sparkline).data = list(series)
        self.query_one("#latency-label", TextLines).show_text(
            chart_label("API ms", latency_ms[-1] if latency_ms else 0.0, latency_ms, "{:.0f}")
        )
        self.query_one("#latency", Sparkline).data = list(latency_ms)
        self.query_one("#pushback", TextLines).show_text(pushback_text(budget, now, reason))


def budget_text(budget: BudgetView, waited_s: float = 0.0, *, narrow: bool = False) -> Text:
    """The limit with its burst (a second can hold up to rate + burst requests, so a peak
    above the rate is allowed), then what is in flight and queued right now, and the longest
    a request answered in the last minute waited for its answering attempt (``waited_s``:
    the budget's queue, a Retry-After pause, earlier attempts; ``narrow`` leaves out what is in
    flight to make room)."""
    # Short lines: the panel is about 24 columns wide on an 80-column terminal.
    shrunk = budget.rate_per_s < budget.nominal_rate_per_s
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("limit ", style="dim")
    line.append(f"{_rate(budget.rate_per_s)}/s", style="yellow" if shrunk else "")
    if shrunk:
        line.append(f" of {_rate(budget.nominal_rate_per_s)}/s", style="dim")
    elif budget.burst:
        line.append("  burst ", style="dim")
        line.append(str(budget.burst))
    line.append("\n")
    if not narrow:
        line.append("in flight ", style="dim")
        line.append(str(budget.in_use))
        line.append("  ")
    line.append("queued ", style="dim")
    line.append(str(budget.waiting), style="yellow" if budget.waiting else "")
    line.append("  waited ", style="dim")
    line.append(_seconds(waited_s), style="yellow" if waited_s >= 1.0 else "")
    if budget.push_sockets is not None:
        line.append("\npush sockets ", style="dim")
        line.append(str(budget.push_sockets), style="cyan" if budget.push_sockets else "")
    return line


def _seconds(value: float) -> str:
    """``0.2s``, ``9.6s``, ``15s``: a tenth under ten seconds, whole seconds above."""
    return f"{value:.1f}s" if value < 10 else f"{value:.0f}s"


def _rate(per_s: float) -> str:
    """Two significant figures under 10 (a halved budget reads 0.62/s, not 0.625/s), whole
    numbers above (a replay at speed 600 allows 3000/s)."""
    return f"{per_s:.0f}" if per_s >= 10 else f"{per_s:.2g}"


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
    """Checks with their status, then alerts that are pending or firing; Enter shows one whole.

    Checks show a status mark (● ok, ▲ degraded, ✖ failing), alerts a state mark (● firing,
    ○ pending, ✓ acknowledged, - silenced), then the name and as much of the reason or message
    as fits; on a narrow screen only the names, so no name is cut. Enter shows it all.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.narrow = False
        self._checks: dict[str, CheckRow] = {}
        self._alerts: dict[str, AlertRow] = {}
        self._shown: tuple[Sequence[CheckRow], Sequence[AlertRow], datetime | None] = (
            (),
            (),
            None,
        )

    def compose(self) -> ComposeResult:
        yield DetailsTable(id="checks", show_header=False)
        yield DetailsTable(id="alerts")

    def on_mount(self) -> None:
        self.border_title = "Health & alerts"
        self._add_columns()

    def _add_columns(self) -> None:
        checks = [("status", ""), ("check", "Check")]
        alerts = [("state", ""), ("rule", "Alert")]  # a state mark needs no heading
        if not self.narrow:
            checks.append(("reason", "Reason"))
            alerts.append(("message", "Message"))
        _columns(self.query_one("#checks", DetailsTable), checks)
        _columns(self.query_one("#alerts", DetailsTable), alerts)

    def set_narrow(self, narrow: bool) -> None:
        if narrow == self.narrow:
            return
        self.narrow = narrow
        self._add_columns()
        checks, alerts, now = self._shown
        if now is not None:
            self.show(checks, alerts, now)

    def show(self, checks: Iterable[CheckRow], alerts: Iterable[AlertRow], now: datetime) -> None:
        checks = list(checks)
        alerts = list(alerts)
        self._shown = (checks, alerts, now)
        self._checks = {c.name: c for c in checks}
        check_rows = []
        for c in checks:
            # A mark, not the word: a third of a 120-column screen has room for the name and
            # some of the reason only so (the status word is in the details).
            status = Text(STATUS_MARK.get(c.status, "?"), style=fmt.STATUS_STYLE.get(c.status, ""))
            cells = [status, fmt.plain(c.name)]
            if not self.narrow:
                cells.append(fmt.plain(c.reason, "dim"))
            check_rows.append((c.name, cells))
        checks_table = self.query_one("#checks", DetailsTable)
        sync_rows(checks_table, checks_table.fit(check_rows))
        active = [a for a in alerts if a.state != "resolved"]
        active.sort(key=lambda a: (a.state != "firing", a.since, a.id))
        self._alerts = {str(a.id): a for a in active}
        rows = []
        for alert in active:
            label, style = _alert_state(alert, now)
            # A mark, so the rule's name and some of the message fit; the state is in the details.
            cells = [Text(ALERT_MARK.get(label, label[:1]), style=style), fmt.plain(alert.rule)]
            if not self.narrow:
                cells.append(fmt.plain(alert.message))
            rows.append((str(alert.id), cells))
        table = self.query_one("#alerts", DetailsTable)
        sync_rows(table, table.fit(rows))
        subtitle = f"{sum(a.state == 'firing' for a in active)} firing"
        if self.border_subtitle != subtitle:  # setting it repaints the whole panel
            self.border_subtitle = subtitle

    def on_resize(self) -> None:
        checks, alerts, now = self._shown
        if now is not None:
            self.show(checks, alerts, now)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = str(event.row_key.value)
        if event.data_table.id == "checks":
            check = self._checks.get(key)
            if check is not None:
                fields = [("Status", fmt.status(check.status)), ("Reason", fmt.plain(check.reason))]
                self.app.push_screen(DetailsDialog(f"Health check {check.name}", fields))
            return
        alert = self._alerts.get(key)
        now = self._shown[2]
        if alert is None or now is None:
            return
        label, style = _alert_state(alert, now)
        fields = [
            ("State", Text(label, style=style)),
            ("Severity", fmt.plain(alert.severity)),
            ("Message", fmt.plain(alert.message)),
            ("About", fmt.plain(alert.key or "the whole pipeline")),
        ]
        self.app.push_screen(DetailsDialog(f"Alert {alert.rule}", fields))

    @property
    def selected_alert_id(self) -> int | None:
        key = selected_key(self.query_one("#alerts", DataTable))
        return None if key is None else int(key)


def _alert_state(alert: AlertRow, now: datetime) -> tuple[str, str]:
    silenced = alert.silenced_until is not None and alert.silenced_until > now
    label = "silenced" if silenced else "ack" if alert.acknowledged else alert.state
    quiet = silenced or alert.acknowledged
    return label, "dim" if quiet else fmt.ALERT_STYLE.get(alert.state, "")
