"""The version strip and the runs-by-inning chart: what each mark and bar says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mlbdash.ingest.views import InningLine, Linescore, VersionMark
from mlbdash.ui.widgets.runs import NO_RUNS, bar, runs_chart
from mlbdash.ui.widgets.versions import KIND_STYLE, MARK, legend, mark_kind, strip_lines

T0 = datetime(2025, 8, 27, 23, 0, tzinfo=UTC)


def _versions(kinds: str) -> tuple[VersionMark, ...]:
    """``f`` whole feed, ``d`` diff, ``x`` diff with a finding."""
    return tuple(
        VersionMark(
            timecode=f"20250827_23{i:04d}",
            stored_at=T0 + timedelta(seconds=10 * i),
            kind="full" if kind == "f" else "diff",
            findings=int(kind == "x"),
        )
        for i, kind in enumerate(kinds)
    )


def test_each_version_is_one_mark_coloured_by_how_it_came() -> None:
    versions = _versions("fddxd")
    [line] = strip_lines(versions, width=20)
    assert line.plain == MARK * 5
    styles = [str(span.style) for span in line.spans]
    assert styles == [
        KIND_STYLE["full"],
        KIND_STYLE["diff"],
        KIND_STYLE["diff"],
        KIND_STYLE["finding"],
        KIND_STYLE["diff"],
    ]
    assert [mark_kind(v) for v in versions] == ["full", "diff", "diff", "finding", "diff"]


def test_marks_wrap_and_a_long_game_keeps_its_newest_versions() -> None:
    lines = strip_lines(_versions("d" * 25), width=10, max_lines=4)
    assert [line.plain for line in lines] == [MARK * 10, MARK * 10, MARK * 5]
    lines = strip_lines(_versions("f" + "d" * 49), width=10, max_lines=4)
    assert lines[0].plain == "… 20 earlier versions not shown"
    assert [line.plain for line in lines[1:]] == [MARK * 10] * 3


def test_the_selected_version_is_highlighted() -> None:
    [line] = strip_lines(_versions("fdd"), width=10, selected=1)
    assert "reverse" in str(line.spans[1].style)
    assert "reverse" not in str(line.spans[0].style)


def test_legend_counts_each_kind_and_spans_the_stored_times_in_league_time() -> None:
    text = legend(_versions("fddx")).plain
    assert "diff 2" in text and "whole feed 1" in text and "finding 1" in text
    # 23:00:00 and 23:00:30 UTC are 19:00 Eastern (daylight time in August).
    assert "19:00:00 → 19:00:30" in text


def test_runs_bar_is_as_tall_as_the_inning_against_the_biggest() -> None:
    assert bar(0, 4) == NO_RUNS
    assert bar(None, 4) == " "
    assert bar(4, 4) == "█"
    assert bar(1, 4) < bar(2, 4) < bar(4, 4)


def test_runs_chart_has_a_row_per_team_and_blanks_for_innings_to_come() -> None:
    innings = (InningLine(1, 0, 2), InningLine(2, 3, None))
    line = Linescore(innings, 3, 4, 0, 2, 3, 1)
    lines = runs_chart(line, "TEX", "LAD").plain.splitlines()
    assert lines[0].split() == ["runs", *[str(n) for n in range(1, 10)]]
    assert lines[1].split() == ["TEX", NO_RUNS, "█"]
    assert lines[2].split()[:2] == ["LAD", bar(2, 3)]
    assert runs_chart(None, "TEX", "LAD").plain == "no runs by inning yet"
