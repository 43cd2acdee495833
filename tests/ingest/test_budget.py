"""RequestBudget: pauses on push-back, shrinks, recovers step by step, and shows its state."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from api_mock import Recorder

from mlbdash.ingest.budget import RequestBudget
from mlbdash.ingest.events import BudgetChanged
from mlbdash.mlb.clock import ManualClock


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_defaults_and_snapshot() -> None:
    state = RequestBudget(clock=ManualClock()).snapshot()
    assert (state.rate_per_s, state.nominal_rate_per_s, state.burst) == (5.0, 5.0, 10)
    assert (state.in_use, state.waiting, state.paused_until, state.pushbacks) == (0, 0, None, 0)


async def test_slot_counts_callers_in_use() -> None:
    budget = RequestBudget(clock=ManualClock())
    async with budget.slot():
        assert budget.snapshot().in_use == 1
    assert budget.snapshot().in_use == 0


async def test_pushback_pauses_every_caller_until_retry_after() -> None:
    clock = ManualClock()
    sink = Recorder()
    budget = RequestBudget(4.0, 8, clock=clock, sink=sink)
    entered: list[float] = []

    async def caller() -> None:
        async with budget.slot():
            entered.append(clock.monotonic())

    budget.on_pushback(10.0, 429)
    tasks = [asyncio.create_task(caller()) for _ in range(2)]
    await settle()
    state = budget.snapshot()
    assert state.waiting == 2 and entered == []
    assert state.paused_until == clock.now() + timedelta(seconds=10)
    await clock.advance(9)
    assert entered == []
    await clock.advance(1)
    await asyncio.gather(*tasks)
    assert entered == [10.0, 10.0]
    state = budget.snapshot()
    assert state.waiting == 0 and state.wait_seconds_total == 20.0
    assert state.paused_until is None
    [event] = sink.of(BudgetChanged)
    assert event.rate_per_s == 2.0 and event.reason == "HTTP 429, Retry-After 10s"


async def test_rate_halves_per_pushback_down_to_the_floor() -> None:
    clock = ManualClock()
    budget = RequestBudget(4.0, 8, clock=clock, min_rate_per_s=1.0)
    rates = []
    for _ in range(4):
        budget.on_pushback(None, 429)
        rates.append(budget.snapshot().rate_per_s)
        await clock.advance(2)
    assert rates == [2.0, 1.0, 1.0, 1.0]
    assert budget.snapshot().burst == 2  # the burst shrinks with the rate


async def test_simultaneous_pushbacks_shrink_once() -> None:
    budget = RequestBudget(4.0, 8, clock=ManualClock())
    for _ in range(5):
        budget.on_pushback(1.0, 429)
    state = budget.snapshot()
    assert state.rate_per_s == 2.0 and state.pushbacks == 5


async def test_recovers_a_quarter_of_nominal_per_quiet_period() -> None:
    clock = ManualClock()
    sink = Recorder()
    budget = RequestBudget(8.0, 8, clock=clock, sink=sink, recovery_period_s=30.0)
    budget.on_pushback(5.0, 503)
    assert budget.snapshot().rate_per_s == 4.0
    await clock.advance(29)
    assert budget.snapshot().rate_per_s == 4.0
    await clock.advance(1)
    assert budget.snapshot().rate_per_s == 6.0
    await clock.advance(30)
    assert budget.snapshot().rate_per_s == 8.0
    await clock.advance(300)
    assert budget.snapshot().rate_per_s == 8.0
    reasons = [e.reason for e in sink.of(BudgetChanged)]
    assert reasons == ["HTTP 503, Retry-After 5s", "recovering", "recovered"]


async def test_max_concurrency_queues_extra_callers() -> None:
    budget = RequestBudget(100.0, 100, clock=ManualClock(), max_concurrency=1)
    release = asyncio.Event()

    async def holder() -> None:
        async with budget.slot():
            await release.wait()

    first = asyncio.create_task(holder())
    second = asyncio.create_task(holder())
    await settle()
    state = budget.snapshot()
    assert (state.in_use, state.waiting) == (1, 1)
    release.set()
    await asyncio.gather(first, second)
    assert budget.snapshot().in_use == 0


async def test_rate_limit_spaces_requests_past_the_burst_on_the_clock() -> None:
    # 2 slots of burst at 4/s: the first two at once, then one every quarter second of the
    # clock's time (a ManualClock: no real waiting).
    clock = ManualClock()
    budget = RequestBudget(4.0, 2, clock=clock)
    entered: list[float] = []

    async def caller() -> None:
        async with budget.slot():
            entered.append(clock.monotonic())

    tasks = [asyncio.create_task(caller()) for _ in range(5)]
    await settle()
    assert entered == [0.0, 0.0]
    for _ in range(3):
        await clock.advance(0.25)
        await settle()
    assert entered == [0.0, 0.0, 0.25, 0.5, 0.75]
    await asyncio.gather(*tasks)


async def test_the_bucket_counts_real_seconds_on_a_replay_clock() -> None:
    # At speed 600, 1 request per real second is one per 600 clock seconds.
    clock = ManualClock()
    clock.speed = 600.0  # type: ignore[misc]
    budget = RequestBudget(1.0, 1, clock=clock)
    entered: list[float] = []

    async def caller() -> None:
        async with budget.slot():
            entered.append(clock.monotonic())

    tasks = [asyncio.create_task(caller()) for _ in range(2)]
    await settle()
    await clock.advance(599)
    await settle()
    assert entered == [0.0]
    await clock.advance(1)
    await asyncio.gather(*tasks)
    assert entered == [0.0, 600.0]


def test_the_budget_from_settings_counts_in_the_clocks_seconds() -> None:
    # Against a replay at speed 600, 5 requests per virtual second are 3000 per real second;
    # otherwise a replayed game would get a sliver of the polls a real one gets.
    from datetime import UTC, datetime

    from mlbdash.config import Settings
    from mlbdash.ingest.client import MlbApiClient
    from mlbdash.mlb.clock import ScaledClock, SystemClock

    settings = Settings(requests_per_second=5, burst=10)
    replay = MlbApiClient.from_settings(settings, clock=ScaledClock(datetime.now(UTC), 600))
    assert replay.budget.snapshot().rate_per_s == 3000
    live = MlbApiClient.from_settings(settings, clock=SystemClock())
    assert live.budget.snapshot().rate_per_s == 5
