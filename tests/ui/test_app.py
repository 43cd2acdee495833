"""Keyboard flows through the dashboard, driven by Pilot against the fake source."""

from __future__ import annotations

import csv
import html
import re
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.text import Text
from textual.widgets import DataTable, Input, TabbedContent

from mlbdash.errors import MlbdashError
from mlbdash.ingest import events as ev
from mlbdash.ingest.views import GameRow
from mlbdash.ui.app import MlbdashApp
from mlbdash.ui.format import PUSH_MARK
from mlbdash.ui.screens.dashboard import DashboardScreen
from mlbdash.ui.screens.detail import GameDetailScreen
from mlbdash.ui.screens.dialogs import ConfirmDialog, ExportDialog
from mlbdash.ui.screens.help import HelpScreen
from mlbdash.ui.widgets.feedtree import FeedTree
from mlbdash.ui.widgets.games import GamesTable

from .conftest import settle
from .fakes import NOW, FakeSource


def _matchups(app: MlbdashApp) -> list[str]:
    table = app.dashboard.query_one(GamesTable)
    return [str(table.get_row(row.key)[0]) for row in table.ordered_rows]


def _notes(app: MlbdashApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_dashboard_lists_every_game_in_schedule_order(app: MlbdashApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert _matchups(app) == [
            "TEX @ COL",
            "BOS @ NYY",
            "SEA @ MIN",
            "CWS @ HOU",
            "TEX @ LAD",
            "HOU @ TOR",
            "TOR @ AZ",
            "PHI @ CIN",
            "MIN @ TOR",
        ]
        table = app.dashboard.query_one(GamesTable)
        row = [str(cell) for cell in table.get_row("746139")]
        assert row == ["TEX @ LAD", "In Progress", "2-14", "▲7 2 out", "8s", "190", "176/2", "2"]
        postponed = [str(cell) for cell in table.get_row("661333")]
        assert postponed[1] == "Postponed: Inclement Weather"


async def test_pipeline_runs_in_a_worker_following_new_dates(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test() as pilot:
        await settle(pilot)
        assert source.run_calls == [{"until_done": False, "duration_s": None, "follow": True}]
        assert source.sinks, "the app subscribes to events"
    assert source.sinks == [], "the app unsubscribes on exit"


async def test_enter_opens_detail_and_escape_restores_the_cursor(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j", "j")
        table = app.dashboard.query_one(GamesTable)
        assert table.selected_game_pk == 746139
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, GameDetailScreen)
        assert detail.game_pk == 746139
        assert source.detail_calls == [746139]
        linescore = detail.query_one("#linescore", DataTable)
        assert [str(c) for c in linescore.get_row("home")][:5] == ["LAD", "3", "0", "0", "3"]
        assert "Batter Timeout." in str(detail.query_one("#current-play").render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert table.selected_game_pk == 746139
        assert table.cursor_row == 4
        assert app.focused is table


async def test_detail_feed_tree_builds_nodes_only_when_expanded(app: MlbdashApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)
        await pilot.press("4")
        tree = app.screen.query_one(FeedTree)
        top = [str(child.label).split()[0].rstrip(":") for child in tree.root.children]
        assert top == ["copyright", "gamePk", "link", "metaData", "gameData", "liveData"]
        live = tree.root.children[-1]
        assert len(live.children) == 0, "nothing below liveData until it is opened"
        live.expand()
        await pilot.pause()
        assert [str(c.label).split()[0].rstrip(":") for c in live.children] == [
            "plays",
            "linescore",
            "boxscore",
            "leaders",
        ]


async def test_detail_regroups_when_the_terminal_narrows(app: MlbdashApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.tab_count == 2, "wide: timeline and polls sit beside the findings"
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        tabs = app.screen.query_one(TabbedContent)
        assert tabs.tab_count == 4
        assert app.screen.query_one("#game-findings", DataTable).row_count == 2
        assert app.screen.query_one("#polls", DataTable).row_count == 12
        await pilot.press("3")
        assert tabs.active == "tab-polls"
        assert app.focused is app.screen.query_one("#polls", DataTable)


async def test_review_a_finding_from_the_detail_screen(app: MlbdashApp, source: FakeSource) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert source.reviews == [(2, "acknowledged")]
        findings = app.screen.query_one("#game-findings", DataTable)
        assert str(findings.get_row("2")[1]) == "acknowledged"
        assert "Finding 2 marked acknowledged" in _notes(app)


async def test_filter_by_team_then_escape_shows_all_games(app: MlbdashApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        box = app.dashboard.query_one("#filter", Input)
        assert box.display and app.focused is box
        await pilot.press("t", "o", "r")
        await pilot.pause()
        assert _matchups(app) == ["HOU @ TOR", "TOR @ AZ", "MIN @ TOR"]
        await pilot.press("enter")
        assert isinstance(app.focused, GamesTable)
        await pilot.press("slash", "backspace", "backspace", "backspace", *"postponed")
        await pilot.pause()
        assert _matchups(app) == ["BOS @ NYY", "SEA @ MIN"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(_matchups(app)) == 9
        assert not box.display
        assert isinstance(app.focused, GamesTable)


async def test_export_writes_csv_and_asks_before_overwriting(
    app: MlbdashApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    expected = tmp_path / "mlbdash-validation-20250827-191331-ET.csv"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        assert app.screen.query_one(Input).value == "mlbdash-validation-20250827-191331-ET.csv"
        await pilot.press("enter")
        await settle(pilot)
        with expected.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["rule"] for r in rows][:2] == ["linescore-runs-sum", "timecode-went-back"]
        assert f"Wrote 5 findings to {expected}" in _notes(app)

        expected.write_text("keep me", encoding="utf-8")
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert expected.read_text(encoding="utf-8") == "keep me"
        assert "Export cancelled: file not overwritten" in _notes(app)

        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert expected.read_text(encoding="utf-8").startswith("id,game_pk,severity")


async def test_export_error_is_a_notification(
    app: MlbdashApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        box = app.screen.query_one(Input)
        box.value = str(tmp_path / "missing-folder" / "report.csv")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert any(n.startswith("Export failed:") for n in _notes(app))


async def test_escape_cancels_export(
    app: MlbdashApp, source: FakeSource, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert _files(tmp_path) == []


async def test_acknowledge_the_selected_alert(app: MlbdashApp, source: FakeSource) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        alerts = app.dashboard.query_one("#alerts", DataTable)
        # State marks: ● firing, ○ pending, ✓ acknowledged, - silenced (the words in the details).
        assert [str(alerts.get_row(r.key)[0]) for r in alerts.ordered_rows] == [
            "●",
            "●",
            "○",
        ], "resolved alerts are not listed"
        alerts.focus()
        await pilot.press("down")
        await pilot.press("a")
        await settle(pilot)
        assert source.acknowledged == [2]
        assert str(alerts.get_row("2")[0]) == "✓"
        assert "Acknowledged alert throttled" in _notes(app)


async def test_silence_the_selected_alert_for_an_hour(app: MlbdashApp, source: FakeSource) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        until = NOW + timedelta(hours=1)
        assert source.silenced == [(1, until)]
        alerts = app.dashboard.query_one("#alerts", DataTable)
        assert str(alerts.get_row("1")[0]) == "-"
        assert "Silenced alert stale_live_game until 20:13:31 ET" in _notes(app)


async def test_quit_waits_for_the_pipeline_run_to_unwind(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert source.run_cancelled
    assert app.return_code == 0


async def test_refresh_key_asks_the_pipeline_to_poll_now(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert source.refreshes == 1
        assert any(n.startswith("Refreshed") for n in _notes(app))


async def test_help_lists_every_key(app: MlbdashApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-box Static").render())
        for key, label in [
            ("/", "Filter games"),
            ("e", "Export the validation report"),
            ("a", "Acknowledge the selected alert"),
            ("r", "Poll the schedule and live games now"),
            ("q", "Stop the pipeline and leave"),
            ("j/k", "Next / previous game"),
            ("⏎", "Open the selected game"),
            ("esc", "Back to the dashboard"),
            ("d", "Mark the selected finding resolved"),
        ]:
            assert any(
                line.split()[:1] == key.split()[:1] and label in line for line in text.splitlines()
            ), (key, label)
        # Then what each mark on the screens means, wrapped under its own column.
        lines = text.splitlines()
        words = " ".join(text.split())
        for marks, meaning in [
            ("P", "told of new versions by its push socket"),
            ("● ▲ ✖", "check ok / degraded / failing"),
            ("● ○ ✓ -", "alert firing / pending"),
            ("▌ ▌ ▌", "version strip"),
            ("▲7 ▼7", "top / bottom of the 7th"),
            ("err warn info", "finding severity"),
            ("API ms", "how fast the API answers"),
            ("waited", "the budget's queue, a Retry-After pause"),
        ]:
            assert any(line.split()[: len(marks.split())] == marks.split() for line in lines)
            assert meaning in words, meaning
        assert max(len(line) for line in lines) <= 2 + 14 + 50
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_command_palette_offers_the_actions(app: MlbdashApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in [
            "Refresh now",
            "Help",
            "Filter games",
            "Export validation report",
            "Acknowledge alert",
            "Open game",
        ]:
            assert title in titles


async def test_events_update_rows_in_place_without_moving_the_cursor(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.dashboard.query_one(GamesTable)
        await pilot.press("j", "j", "j", "j", "j", "j", "j")
        assert table.selected_game_pk == 776792
        for outs, score in ((0, 4), (1, 5), (2, 6)):
            source.emit(
                ev.GameUpdated(
                    at=NOW,
                    row=replace(
                        source.games[746139],
                        away_score=score,
                        home_score=14,
                        inning=7,
                        inning_half="Bottom",
                        outs=outs,
                        timecode="20240612_041302",
                        last_update_at=NOW,
                        versions=179,
                        polls=191,
                        diff_updates=177,
                        full_updates=2,
                        findings=2,
                    ),
                    update="diff",
                )
            )
        await pilot.pause()
        row = [str(c) for c in table.get_row("746139")]
        assert row[2:5] == ["6-14", "▼7 2 out", "0s"]
        assert table.selected_game_pk == 776792
        assert table.cursor_row == 7


async def test_findings_and_alerts_panels_follow_new_issues(
    app: MlbdashApp, source: FakeSource
) -> None:
    app.review_refresh_s = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        findings = app.dashboard.query_one("#findings", DataTable)
        assert findings.row_count == 5
        newest = replace(source.findings[0], id=6, rule="score-went-down", last_seen=NOW)
        source.findings = (*source.findings, newest)
        for _ in range(3):
            source.emit(
                ev.IssueFound(
                    NOW, 746139, "score-went-down", "error", "consistency", "", "", 1, True
                )
            )
        await pilot.pause()
        await pilot.pause()
        assert findings.row_count == 6
        assert str(findings.get_row_at(0)[2]) == "score-went-down", "newest first"
        counts = str(app.dashboard.query_one("#finding-counts").render())
        assert counts.startswith("err 2")


async def test_a_game_told_of_by_push_is_marked_its_socket_counted_and_its_screen_says_why(
    app: MlbdashApp, source: FakeSource
) -> None:
    source.budget = replace(source.budget, push_sockets=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.dashboard.query_one(GamesTable)
        budget = app.dashboard.query_one("#budget")

        def polls_cell() -> str:
            return str(table.get_row("746139")[5])

        assert not polls_cell().endswith(PUSH_MARK)
        assert "push sockets 0" in str(budget.render())
        source.emit(ev.PushChanged(NOW, 746139, True, "push socket connected"))
        await pilot.pause()
        assert polls_cell().endswith(PUSH_MARK)
        assert "push sockets 1" in str(budget.render())
        # The socket closes: polling alone again.
        source.emit(ev.PushChanged(NOW, 746139, False, "push socket closed"))
        await pilot.pause()
        assert not polls_cell().endswith(PUSH_MARK)
        assert "push sockets 0" in str(budget.render())

        # The game's screen says how it is followed, and why, as push changes come.
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, GameDetailScreen) and detail.game_pk == 746139

        def about() -> str:
            return str(detail.query_one("#detail-about").render())

        assert "followed by polling since 19:13:31 ET: push socket closed" in about()
        source.emit(ev.PushChanged(NOW, 746139, True, "push socket connected"))
        await pilot.pause()
        assert "followed by push since 19:13:31 ET" in about()
        lost = "push socket silent for 60 s while the game went on"
        source.emit(ev.PushChanged(NOW, 746139, False, lost))
        await pilot.pause()
        assert f"followed by polling since 19:13:31 ET: {lost}" in about()


async def test_a_game_leaving_the_filter_leaves_the_table(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"progress", "enter")
        assert _matchups(app) == ["TEX @ COL", "TEX @ LAD", "PHI @ CIN", "MIN @ TOR"]
        source.emit(ev.GameStateChanged(NOW, 776792, "live", "final", "Final", "feed"))
        await pilot.pause()
        assert _matchups(app) == ["TEX @ COL", "TEX @ LAD", "MIN @ TOR"]
        source.emit(ev.GameStateChanged(NOW, 633860, "live", "delayed", "Delayed: Rain", "feed"))
        await pilot.pause()
        assert _matchups(app) == ["TEX @ LAD", "MIN @ TOR"]
        await pilot.press("escape")
        table = app.dashboard.query_one(GamesTable)
        assert str(table.get_row("633860")[1]) == "Delayed: Rain"


def _new_game(pk: int, official_date: str) -> ev.GameUpdated:
    row = GameRow(pk, official_date, "SEA", "OAK", "scheduled", "Scheduled", polls=1)
    return ev.GameUpdated(at=NOW, row=row, update="none")


async def test_cursor_stays_on_top_until_moved_then_follows_its_game(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.dashboard.query_one(GamesTable)
        source.emit(_new_game(1, "2020-01-01"))
        await pilot.pause()
        assert _matchups(app)[0] == "SEA @ OAK"
        assert table.cursor_row == 0, "untouched: the top row stays selected"
        await pilot.press("j", "k")
        assert table.selected_game_pk == 1
        await pilot.press("j")
        assert table.selected_game_pk == 633860
        source.emit(_new_game(2, "2019-01-01"))
        await pilot.pause()
        assert table.selected_game_pk == 633860 and table.cursor_row == 2


async def test_game_events_are_painted_together_at_the_refresh_interval(
    source: FakeSource,
) -> None:
    app = MlbdashApp(source, clock=source.clock)
    app.dashboard.games_refresh_s = 3600  # the timer never fires in this test
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.dashboard.query_one(GamesTable)
        source.emit(_new_game(1, "2020-01-01"))
        source.emit(ev.GameStateChanged(NOW, 776792, "live", "final", "Final", "feed"))
        await pilot.pause()
        assert "SEA @ OAK" not in _matchups(app)
        assert str(table.get_row("776792")[1]) == "In Progress"
        app.dashboard.flush_games()
        await pilot.pause()
        assert _matchups(app)[0] == "SEA @ OAK"
        assert str(table.get_row("776792")[1]) == "Final"


async def test_runtime_failure_is_shown_not_raised(source: FakeSource) -> None:
    source.run_error = MlbdashError("cannot reach http://127.0.0.1:8765/api: connection refused")
    app = MlbdashApp(source, clock=source.clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.pause()
        assert any("The pipeline stopped: cannot reach" in n for n in _notes(app))
        header = str(app.dashboard.query_one("#header").render())
        assert "failing" in header and "pipeline stopped" in header
        assert app.is_running


async def test_api_strings_are_shown_as_text_not_markup() -> None:
    base = FakeSource().games[746139]
    odd = replace(
        base, away="[bold]X", home="[red]Y[/red]", detailed_state="Delayed: [Rain]", reason=None
    )
    source = FakeSource(games=[odd])
    app = MlbdashApp(source, clock=source.clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.dashboard.query_one(GamesTable)
        cells = table.get_row("746139")
        assert all(isinstance(c, Text) for c in cells)
        assert [c.plain for c in cells[:2]] == ["[bold]X @ [red]Y[/red]", "Delayed: [Rain]"]
        assert "[bold]X @ [red]Y[/red]" in _screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert "[bold]X @ [red]Y[/red]" in _screen_text(app)
        assert "Delayed: [Rain]" in _screen_text(app)


async def test_notifications_show_api_text_literally() -> None:
    source = FakeSource()
    source.alerts = tuple(replace(a, rule=f"[bold]{a.rule}") for a in source.alerts)
    app = MlbdashApp(source, clock=source.clock)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.pause()
        assert "Acknowledged alert [bold]stale_live_game" in _screen_text(app)


async def test_crashed_workers_are_reported_once_a_minute(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _ in range(3):
            source.emit(ev.WorkerStopped(NOW, "feed:746139", "internal error: KeyError: 'x'"))
        source.emit(ev.WorkerStopped(NOW, "monitor", None))
        await pilot.pause()
        crashes = [n for n in _notes(app) if "stopped" in n]
        assert crashes == ["feed:746139 stopped: internal error: KeyError: 'x'"]


def _screen_text(app: MlbdashApp) -> str:
    """The characters on screen: the SVG screenshot without its tags."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def _files(folder: Path) -> list[Path]:
    return list(folder.iterdir())


async def test_rate_panel_shows_requests_per_second_the_apis_answer_time_and_waits_apart(
    app: MlbdashApp, source: FakeSource
) -> None:
    def finished(
        latency_s: float, server_s: float | None = None, *, cache_hit: bool = False
    ) -> ev.RequestFinished:
        return ev.RequestFinished(
            NOW, "feed", "/feed", 200, latency_s, 10, 10, cache_hit, server_s=server_s
        )

    def sampled(at: datetime) -> ev.MetricsSampled:
        return ev.MetricsSampled(at, 0.1, 5.0, 5.0, 0, 0, None, 0, 0, 0, 1.0, 0.0)

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        source.emit(sampled(NOW))
        for event in (
            finished(0.1, 0.1),
            finished(0.3, 0.3),
            finished(9.7, 0.2),  # 9.5 s waiting for the budget (a Retry-After pause)
            finished(5.0),  # no answer: no answer time
            finished(0.0, cache_hit=True),
        ):
            source.emit(event)
        # Two clock seconds later: four wire requests (the cache hit costs nothing) in 2 s.
        source.emit(sampled(NOW + timedelta(seconds=2)))
        await settle(pilot)
        rate = str(app.dashboard.query_one("#rps-label").render())
        latency = str(app.dashboard.query_one("#latency-label").render())
        budget = str(app.dashboard.query_one("#budget").render())
        assert rate.splitlines()[0] == "req/s 2.0"
        assert latency.splitlines()[0] == "API ms 200"  # not the 9.7 s the caller waited
        assert "in flight 0  queued 0  waited 9.5s" in budget


async def test_rows_keep_their_places_until_the_user_sorts_again(
    app: MlbdashApp, source: FakeSource
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.dashboard.query_one(GamesTable)
        app.dashboard.action_sort_games("state")
        await settle(pilot)
        order = _matchups(app)
        assert order[:4] == ["TEX @ COL", "TEX @ LAD", "PHI @ CIN", "MIN @ TOR"]  # live first
        await pilot.press("j", "j", "j")
        assert table.selected_game_pk == 776567
        # TEX @ COL ends: under the state sort it would go below the live games, but rows
        # move only when asked, so the cursor's game stays where the user left it.
        source.emit(ev.GameStateChanged(NOW, 633860, "live", "final", "Final", "feed"))
        source.games[633860] = replace(source.games[633860], state="final")
        await pilot.pause()
        app.dashboard.reconcile()
        await pilot.pause()
        assert _matchups(app) == order
        assert table.selected_game_pk == 776567 and table.cursor_row == 3
        app.dashboard.action_sort_games("state")
        await settle(pilot)
        assert _matchups(app)[:3] == ["TEX @ LAD", "PHI @ CIN", "MIN @ TOR"]
        assert table.selected_game_pk == 776567, "the cursor follows its game"


async def test_screenshot_key_saves_an_svg_in_the_configured_folder_and_says_where(
    source: FakeSource, tmp_path: Path
) -> None:
    app = MlbdashApp(source, clock=source.clock, screenshot_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        saved = tmp_path / "mlbdash-20250827-191331-ET.svg"
        assert saved.read_text(encoding="utf-8").startswith("<svg")
        assert f"Saved {saved}" in _notes(app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert titles.count("Screenshot") == 1, "the palette's Screenshot is ours"


async def test_screenshot_into_a_missing_folder_says_why_it_failed(
    source: FakeSource, tmp_path: Path
) -> None:
    app = MlbdashApp(source, clock=source.clock, screenshot_dir=tmp_path / "missing")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.action_screenshot()
        await pilot.pause()
        [note] = _notes(app)
        assert note.startswith(f"Screenshot not saved: {tmp_path / 'missing'}")
        assert note.endswith("No such file or directory")


async def test_game_screen_times_are_in_league_time(app: MlbdashApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "j", "j", "j", "enter")
        await settle(pilot)
        polls = app.screen.query_one("#polls", DataTable)
        # The fake's newest poll is at 23:13:23 UTC: 19:13:23 Eastern (daylight time).
        assert str(polls.get_row_at(0)[0]) == "19:13:23"
        timeline = app.screen.query_one("#timeline", DataTable)
        assert str(timeline.get_row_at(0)[0]).endswith(" ET")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_enter_on_a_side_panel_row_shows_its_whole_text(
    app: MlbdashApp, size: tuple[int, int]
) -> None:
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.dashboard.query_one("#alerts", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        body = str(app.screen.query_one("#details-body").render())
        assert "Message: TEX @ COL: no new version for 4m" in body
        await pilot.press("escape")
        app.dashboard.query_one("#checks", DataTable).focus()
        await pilot.press("down", "enter")
        await settle(pilot)
        body = str(app.screen.query_one("#details-body").render())
        assert "Reason: 0.4% of requests in 5 min" in body
        await pilot.press("escape")
        app.dashboard.query_one("#findings", DataTable).focus()
        await pilot.press("enter")
        await settle(pilot)
        body = str(app.screen.query_one("#details-body").render())
        assert "Message: schedule and feed scores differ" in body
        assert "Expected: 1" in body and "Actual: 0" in body


async def test_at_80_columns_panels_keep_whole_names_and_the_footer_keeps_quit(
    app: MlbdashApp,
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        checks = app.dashboard.query_one("#checks", DataTable)
        assert [str(checks.get_row_at(i)[1]) for i in range(3)] == ["api", "error_rate", "database"]
        findings = app.dashboard.query_one("#findings", DataTable)
        assert [str(c.label) for c in findings.ordered_columns] == ["Sev", "Rule"]
        screen = app.export_screenshot()
        assert "Quit" in html.unescape(re.sub(r"<[^>]+>", "", screen))


async def test_filter_matches_abbreviation_club_name_and_state_or_says_none_match(
    app: MlbdashApp,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        note = app.dashboard.query_one("#games-empty")
        for needle, expected in (
            ("nyy", ["BOS @ NYY"]),
            ("Red Sox", ["BOS @ NYY"]),
            ("dodgers", ["TEX @ LAD"]),
            ("final", ["CWS @ HOU", "HOU @ TOR", "TOR @ AZ"]),
        ):
            app.dashboard.action_filter()
            app.dashboard.query_one("#filter", Input).value = needle
            await pilot.pause()
            assert _matchups(app) == expected, needle
            assert not note.display
        app.dashboard.query_one("#filter", Input).value = "Expos"
        await pilot.pause()
        assert _matchups(app) == []
        assert note.display
        assert str(note.render()).startswith("No games match 'Expos'")


async def test_resized_to_80_columns_the_footer_drops_the_palette_hint_and_keeps_quit(
    app: MlbdashApp,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        text = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot()))
        assert "Quit" in text and "palette" not in text
