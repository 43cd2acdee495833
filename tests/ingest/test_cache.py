"""ResponseCache: TTL by kind, LRU bounds, validators and coalescing."""

from __future__ import annotations

import asyncio

import pytest

from mlbdash.ingest.cache import CachedResponse, ResponseCache
from mlbdash.mlb.clock import ManualClock


def entry(size: int, **kw: str) -> CachedResponse:
    return CachedResponse(data={"n": size}, status=200, bytes_decoded=size, stored_at=0.0, **kw)


async def test_fresh_until_the_kind_ttl() -> None:
    clock = ManualClock()
    cache = ResponseCache(clock=clock)
    cache.store("schedule", "u", entry(10))
    assert cache.fresh("schedule", "u") is not None
    await clock.advance(10)
    assert cache.fresh("schedule", "u") is None
    assert cache.stale("u") is not None


def test_feeds_and_diffs_are_not_stored() -> None:
    cache = ResponseCache(clock=ManualClock())
    for kind in ("feed", "diff_patch", "timestamps"):
        cache.store(kind, kind, entry(10))
    assert len(cache) == 0


def test_reference_data_lasts_a_day() -> None:
    cache = ResponseCache()
    assert cache.ttl_s("teams") == cache.ttl_s("game_status") == 86_400.0
    assert 5 <= cache.ttl_s("schedule") <= 15


def test_lru_bounds_entries_and_bytes() -> None:
    cache = ResponseCache(clock=ManualClock(), max_entries=3, max_bytes=100)
    for key in "abc":
        cache.store("teams", key, entry(10))
    assert cache.fresh("teams", "a") is not None  # a is now the most recent
    cache.store("teams", "d", entry(10))
    assert cache.stale("b") is None and cache.stale("a") is not None
    cache.store("teams", "big", entry(90))
    assert cache.bytes_held <= 100
    assert cache.stale("big") is not None
    cache.store("teams", "huge", entry(1000))
    assert cache.stale("huge") is None


def test_conditional_headers_only_with_validators() -> None:
    cache = ResponseCache(clock=ManualClock())
    cache.store("teams", "plain", entry(1))
    cache.store("teams", "tagged", entry(1, etag='"x"', last_modified="Tue, 01 Jul 2025"))
    assert cache.conditional_headers("plain") == {}
    assert cache.conditional_headers("missing") == {}
    assert cache.conditional_headers("tagged") == {
        "If-None-Match": '"x"',
        "If-Modified-Since": "Tue, 01 Jul 2025",
    }


async def test_revalidated_entry_is_fresh_again() -> None:
    clock = ManualClock()
    cache = ResponseCache(clock=clock, ttls_s={"teams": 5.0})
    cache.store("teams", "u", entry(1, etag='"x"'))
    await clock.advance(6)
    assert cache.fresh("teams", "u") is None
    assert cache.revalidated("u") is not None
    assert cache.fresh("teams", "u") is not None
    assert cache.revalidated("nope") is None


async def test_coalesce_shares_one_call() -> None:
    cache = ResponseCache()
    calls = 0
    gate = asyncio.Event()

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    tasks = [asyncio.create_task(cache.coalesce("k", fetch)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*tasks) == [(42, False), (42, True), (42, True)]
    assert calls == 1
    assert await cache.coalesce("k", fetch) == (42, False)  # nothing in flight any more
    assert calls == 2


async def test_coalesce_shares_the_leaders_failure() -> None:
    cache = ResponseCache()
    gate = asyncio.Event()

    async def fetch() -> int:
        await gate.wait()
        raise ValueError("boom")

    tasks = [asyncio.create_task(cache.coalesce("k", fetch)) for _ in range(2)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results)


async def test_lone_leader_failure_is_just_raised() -> None:
    async def fetch() -> int:
        raise ValueError("boom")

    with pytest.raises(ValueError):
        await ResponseCache().coalesce("k", fetch)
