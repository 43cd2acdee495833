"""Shared helpers for the client tests: a respx router as the transport, an event recorder."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import respx

from mlbdash.ingest.budget import RequestBudget
from mlbdash.ingest.cache import ResponseCache
from mlbdash.ingest.client import MlbApiClient
from mlbdash.ingest.events import Event
from mlbdash.ingest.retry import RetryPolicy, no_wait
from mlbdash.mlb.clock import ManualClock

BASE = "https://statsapi.test/api"
JSON = "application/json;charset=UTF-8"


class Recorder:
    """An EventSink that keeps every event, with a filter by type."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def json_response(body: bytes, *, status: int = 200, gz: bool = True, **headers: str) -> Any:
    """A response as statsapi sends it: gzip on the wire, JSON content type."""
    hdrs = {"content-type": JSON, **{k.replace("_", "-"): v for k, v in headers.items()}}
    if gz:
        hdrs["content-encoding"] = "gzip"
        body = gzip.compress(body)
    return httpx.Response(status, content=body, headers=hdrs)


def router_transport(router: respx.MockRouter) -> httpx.AsyncBaseTransport:
    """A transport answering from ``router`` (unmatched requests fail the test).

    respx pre-reads (and so decodes) each response; the answer is rebuilt from its original,
    re-iterable byte stream so the client sees the raw gzip bytes a server would send.
    """

    async def handle(request: httpx.Request) -> httpx.Response:
        mocked = await router.async_handler(request)
        return httpx.Response(mocked.status_code, headers=mocked.headers, stream=mocked.stream)

    return httpx.MockTransport(handle)


def new_router() -> respx.MockRouter:
    return respx.MockRouter(base_url=BASE, assert_all_mocked=True, assert_all_called=False)


@asynccontextmanager
async def make_client(
    router: respx.MockRouter,
    *,
    clock: ManualClock | None = None,
    sink: Recorder | None = None,
    retry: RetryPolicy | None = None,
    budget: RequestBudget | None = None,
    cache: ResponseCache | None = None,
    max_body_bytes: int = 25_000_000,
) -> AsyncIterator[MlbApiClient]:
    clock = clock or ManualClock()
    sink = sink if sink is not None else Recorder()
    async with MlbApiClient(
        BASE,
        clock=clock,
        sink=sink,
        budget=budget or RequestBudget(100.0, 100, clock=clock, sink=sink),
        retry=retry or RetryPolicy(attempts=4, sleep=no_wait, jitter_s=0.0),
        cache=cache,
        transport=router_transport(router),
        max_body_bytes=max_body_bytes,
    ) as client:
        yield client
