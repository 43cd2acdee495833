"""Clones a day or more apart are listed on later league dates: a month from a few games."""

from __future__ import annotations

from typing import Any

from replay_helpers import demo_options, serve


def _dates(answer: dict[str, Any]) -> dict[str, list[int]]:
    return {d["date"]: [g["gamePk"] for g in d["games"]] for d in answer["dates"]}


async def test_a_day_of_stagger_lists_each_clone_on_its_own_date() -> None:
    async with serve(demo_options(clones=3, clone_stagger=86400)) as (_server, client, clock):
        await clock.advance(3 * 86400 + 6 * 3600)
        answer = (
            await client.get(
                "/v1/schedule", params={"startDate": "2026-11-25", "endDate": "2026-11-29"}
            )
        ).json()
        feed = (await client.get("/v1.1/game/9000002/feed/live")).json()
    by_date = _dates(answer)
    clones = {day: [pk for pk in pks if pk >= 9_000_000] for day, pks in by_date.items()}
    assert clones["2026-11-26"] == [9_000_000]
    assert clones["2026-11-27"] == [9_000_001]
    assert clones["2026-11-28"] == [9_000_002]
    (entry,) = [g for d in answer["dates"] for g in d["games"] if g["gamePk"] == 9_000_002]
    assert entry["officialDate"] == "2026-11-28"
    assert feed["gameData"]["datetime"]["officialDate"] == "2026-11-28"
