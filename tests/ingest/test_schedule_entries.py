"""Schedule entries keep each club's name beside its label, for the dashboard's filter."""

from __future__ import annotations

from conftest import load_fixture

from mlbdash.ingest.scheduler.entries import entries_by_date, parse_schedule


def test_entries_carry_the_club_names_of_a_real_schedule() -> None:
    schedule = parse_schedule(load_fixture("schedule/schedule_2022-04-07_2postponed.json"))
    entries = [e for day in entries_by_date(schedule).values() for e in day]
    by_pk = {e.game_pk: e for e in entries}
    assert (by_pk[661333].away_name, by_pk[661333].home_name) == (
        "Boston Red Sox",
        "New York Yankees",
    )
    assert all(e.away_name and e.home_name for e in entries)
