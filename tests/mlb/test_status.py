from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import load_fixture

from mlbdash.mlb.status import (
    Lifecycle,
    classify_game_status,
    classify_status,
    is_live,
    is_pregame,
    is_terminal,
    status_list,
)

ALL = load_fixture("other/gamestatus_all.json")


def test_bundled_list_is_the_real_one() -> None:
    assert status_list() == ALL
    assert len(ALL) == 201


@pytest.mark.parametrize("entry", ALL, ids=lambda e: e["statusCode"])
def test_every_real_status_is_known(entry: dict[str, str]) -> None:
    info = classify_status(
        entry["abstractGameState"],
        entry["codedGameState"],
        entry["statusCode"],
        entry["detailedState"],
        entry.get("reason"),
    )
    assert info.known
    assert info.reason == entry.get("reason")
    # Only MLB's own "Other" statuses (X Unknown, W Writing) carry no game state.
    if entry["abstractGameState"] == "Other":
        assert info.lifecycle is Lifecycle.unknown
    else:
        assert info.lifecycle is not Lifecycle.unknown


def _lifecycle_of(code: str) -> Lifecycle:
    entry = next(e for e in ALL if e["statusCode"] == code)
    return classify_status(
        entry["abstractGameState"], entry["codedGameState"], code, entry["detailedState"]
    ).lifecycle


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("S", Lifecycle.scheduled),
        ("P", Lifecycle.pregame),
        ("PR", Lifecycle.delayed_start),
        ("PO", Lifecycle.delayed_start),
        ("PW", Lifecycle.warmup),
        ("I", Lifecycle.live),
        ("IO", Lifecycle.delayed),
        ("IR", Lifecycle.delayed),
        ("IZ", Lifecycle.delayed),
        ("IH", Lifecycle.review),
        ("MX", Lifecycle.review),
        ("MJ", Lifecycle.review),
        ("NX", Lifecycle.review),
        ("NJ", Lifecycle.review),
        ("T", Lifecycle.suspended),
        ("TO", Lifecycle.suspended),
        ("U", Lifecycle.suspended),
        ("UZ", Lifecycle.suspended),
        ("F", Lifecycle.final),
        ("FT", Lifecycle.final),
        ("O", Lifecycle.final),
        ("OO", Lifecycle.final),
        ("OM", Lifecycle.final),
        ("DO", Lifecycle.postponed),
        ("DI", Lifecycle.postponed),
        ("CO", Lifecycle.cancelled),
        ("CR", Lifecycle.cancelled),
        ("QO", Lifecycle.forfeit),
        ("RO", Lifecycle.forfeit),
        ("X", Lifecycle.unknown),
        ("W", Lifecycle.unknown),
    ],
)
def test_spot_checks(code: str, expected: Lifecycle) -> None:
    assert _lifecycle_of(code) is expected


def test_counts_per_lifecycle() -> None:
    counts: dict[Lifecycle, int] = {}
    for e in ALL:
        lc = _lifecycle_of(e["statusCode"])
        counts[lc] = counts.get(lc, 0) + 1
    assert counts == {
        Lifecycle.scheduled: 1,
        Lifecycle.pregame: 1,
        Lifecycle.delayed_start: 15,
        Lifecycle.warmup: 1,
        Lifecycle.live: 1,
        Lifecycle.delayed: 16,
        Lifecycle.review: 47,
        Lifecycle.suspended: 33,
        Lifecycle.final: 36,
        Lifecycle.postponed: 14,
        Lifecycle.cancelled: 14,
        Lifecycle.forfeit: 20,
        Lifecycle.unknown: 2,
    }


def test_unknown_code_is_reported_not_raised() -> None:
    info = classify_status("Live", "Z", "ZQ", "Something New")
    assert info.lifecycle is Lifecycle.unknown
    assert not info.known
    assert info.status_code == "ZQ"
    assert info.detailed_state == "Something New"


def test_unknown_code_in_a_single_meaning_coded_state_keeps_its_lifecycle() -> None:
    info = classify_status("Final", "D", "DH", "Postponed: Heat")
    assert info.lifecycle is Lifecycle.postponed
    assert not info.known


def test_unknown_code_in_an_overloaded_coded_state_is_unknown() -> None:
    # "I" covers live, delayed and instant replay: a new I-code could be any of them.
    assert classify_status("Live", "I", "IK", "Delayed: Heat").lifecycle is Lifecycle.unknown


def test_missing_everything() -> None:
    info = classify_status(None, None, None, None)
    assert (info.lifecycle, info.known) == (Lifecycle.unknown, False)
    assert classify_game_status(None) == info


def test_suspended_is_not_live_though_mlb_says_live() -> None:
    assert _lifecycle_of("T") is Lifecycle.suspended
    assert not is_live(Lifecycle.suspended)
    assert not is_terminal(Lifecycle.suspended)


def test_helpers_partition_the_lifecycle() -> None:
    for lc in Lifecycle:
        groups = [is_pregame(lc), is_live(lc), is_terminal(lc)]
        if lc in (Lifecycle.suspended, Lifecycle.unknown):
            assert groups == [False, False, False]
        else:
            assert groups.count(True) == 1, lc
    assert is_terminal(Lifecycle.postponed)
    assert is_terminal(Lifecycle.cancelled)
    assert is_live(Lifecycle.warmup)
    assert is_pregame(Lifecycle.delayed_start)


def test_no_file_is_read_at_import() -> None:
    code = "import mlbdash.mlb.status as s\nprint(s._load_list.cache_info().currsize)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
