"""Fault injection: the spec syntax, every fault kind over HTTP, same seed same faults."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from replay_helpers import demo_options, serve

from mlbdash.replay.faults import FaultSpecError, parse_fault_spec

FEED = "/v1.1/game/718096/feed/live"


def test_full_spec_parses() -> None:
    spec = parse_fault_spec(
        "latency=50ms,error=0.05:codes=500+503,429=0.02:retry-after=2,reset=0.01,"
        "truncate=0.01,html=0.01,drip=0.01:seconds=3,drift=0.02,outage=@00:40+90s,outage=@2:00+1m"
    )
    assert spec.latency == (0.05, 0.05)
    assert spec.rates == {
        "error": 0.05,
        "429": 0.02,
        "reset": 0.01,
        "truncate": 0.01,
        "html": 0.01,
        "drip": 0.01,
        "drift": 0.02,
    }
    assert spec.error_codes == (500, 503) and spec.retry_after == 2 and spec.drip_seconds == 3
    assert [o.start for o in spec.outages] == [timedelta(minutes=40), timedelta(hours=2)]
    assert [o.duration for o in spec.outages] == [timedelta(seconds=90), timedelta(minutes=1)]
    assert parse_fault_spec("latency=10ms~200ms").latency == (0.01, 0.2)
    assert not parse_fault_spec("").active


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("error=2", "between 0 and 1"),
        ("boom=0.1", "unknown fault 'boom'"),
        ("latency=fast", "bad duration"),
        ("outage=00:40", "outage"),
        ("error=0.1:codes=404", "5xx"),
        ("429=0.1:wait=2", "unknown option"),
        ("error=0.6,reset=0.6", "more than 1"),
        ("reset", "needs a value"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, says: str) -> None:
    with pytest.raises(FaultSpecError, match=says):
        parse_fault_spec(spec)


async def _outcomes(seed: int, spec: str, count: int = 60) -> list[str]:
    outcomes = []
    async with serve(demo_options(faults=parse_fault_spec(spec), seed=seed)) as (_, client, _c):
        for _ in range(count):
            try:
                answer = await client.get(FEED)
                outcomes.append(f"{answer.status_code} {answer.headers.get('X-Replay-Fault')}")
            except httpx.TransportError as exc:
                outcomes.append(type(exc).__name__)
    return outcomes


async def test_same_seed_same_faults_other_seed_other_faults() -> None:
    spec = "error=0.2,429=0.1,reset=0.1,truncate=0.1,html=0.1,drift=0.1"
    first = await _outcomes(7, spec)
    assert first == await _outcomes(7, spec)
    assert first != await _outcomes(8, spec)
    assert sum(1 for o in first if o == "200 None") < len(first)


async def test_each_fault_as_a_client_sees_it() -> None:
    async with serve(demo_options()) as (_, client, _clock):
        clean = (await client.get(FEED)).json()
    checks: list[tuple[str, Callable[[httpx.Response], bool]]] = [
        ("error=1:codes=502", lambda a: a.status_code == 502 and "message" in a.json()),
        ("429=1:retry-after=3", lambda a: a.status_code == 429 and a.headers["Retry-After"] == "3"),
        ("html=1", lambda a: a.status_code in (502, 503) and a.text.startswith("<html>")),
        ("drip=1:seconds=0.2", lambda a: a.status_code == 200 and a.json() == clean),
        ("drift=1", lambda a: a.status_code == 200 and a.json() != clean),
        ("latency=30ms", lambda a: a.status_code == 200 and a.elapsed.total_seconds() >= 0.03),
    ]
    for spec, check in checks:
        async with serve(demo_options(faults=parse_fault_spec(spec))) as (_, client, _c):
            answer = await client.get(FEED)
            assert check(answer), spec
    for spec in ("reset=1", "truncate=1"):
        async with serve(demo_options(faults=parse_fault_spec(spec))) as (_, client, _c):
            with pytest.raises(httpx.TransportError):
                await client.get(FEED)


async def test_outage_window_is_in_virtual_time_and_spares_the_clock() -> None:
    options = demo_options(faults=parse_fault_spec("outage=@00:10+5m"))
    async with serve(options) as (_, client, clock):
        before = await client.get(FEED)
        await clock.advance(11 * 60)
        during = await client.get(FEED)
        during_schedule = await client.get("/v1/schedule")
        clock_answer = await client.get("/../replay/clock")
        await clock.advance(5 * 60)
        after = await client.get(FEED)
    assert before.status_code == 200
    assert during.status_code == 503 and during_schedule.status_code == 503
    assert clock_answer.status_code == 200
    assert after.status_code == 200


async def test_hang_sends_a_body_that_never_ends() -> None:
    spec = parse_fault_spec("hang=1:every=0.01")
    assert spec.rates == {"hang": 1.0} and spec.hang_every_s == 0.01
    async with (
        serve(demo_options(faults=spec)) as (_, client, _c),
        client.stream("GET", FEED) as answer,
    ):
        assert answer.status_code == 200 and answer.headers["X-Replay-Fault"] == "hang"
        # No length promised: the client cannot know the body will never end.
        assert "content-length" not in answer.headers
        sizes = []
        async for chunk in answer.aiter_raw():
            sizes.append(len(chunk))
            if len(sizes) == 20:
                break
    assert sum(sizes) < 100  # a trickle: a byte or so per read


async def test_throttle_window_answers_429_with_retry_after_then_lets_requests_through() -> None:
    spec = parse_fault_spec("429=0:retry-after=15,throttle=@00:01+75s")
    assert spec.throttles[0].start == timedelta(minutes=1)
    options = demo_options(faults=spec)
    async with serve(options) as (_, client, clock):
        before = await client.get(FEED)
        await clock.advance(90)
        during = await client.get(FEED)
        await clock.advance(60)
        after = await client.get(FEED)
    assert before.status_code == 200
    assert during.status_code == 429 and during.headers["Retry-After"] == "15"
    assert after.status_code == 200
