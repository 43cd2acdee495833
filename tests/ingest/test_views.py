"""The shared rules of the views: what the header and the ``ingest`` progress line name."""

from __future__ import annotations

from mlbdash.ingest.views import CheckRow, api_trouble

API = CheckRow("api_reachable", "failing", "unreachable since 20:18:44 ET (12s)")
SCHEDULE = CheckRow("schedule", "failing", "2024-08-13 never read (2 tries)")


def test_api_trouble_names_each_check_that_is_not_ok_the_api_first() -> None:
    both = "API unreachable since 20:18:44 ET (12s); schedule 2024-08-13 never read (2 tries)"
    assert api_trouble([SCHEDULE, API]) == both
    assert api_trouble([API]) == "API unreachable since 20:18:44 ET (12s)"
    assert api_trouble([SCHEDULE, CheckRow("api_reachable", "ok", "")]) == (
        "schedule 2024-08-13 never read (2 tries)"
    )
    assert (
        api_trouble([CheckRow("api_reachable", "ok", ""), CheckRow("disk", "failing", "")]) is None
    )
