"""MlbApiClient: every request mlbdash makes to the MLB Stats API goes through here.

One ``httpx.AsyncClient`` (made in ``__aenter__`` on the running loop) with gzip, timeouts and
connection reuse; a shared ``RequestBudget``; a ``RetryPolicy``; a ``ResponseCache`` that also
coalesces identical concurrent requests. Bodies are read as a stream and decompressed here, so
the size cap holds for both the bytes on the wire and the decoded bytes without ever holding an
oversize body in memory. Every logical request ends in exactly one ``RequestFinished`` event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from mlbdash import __version__
from mlbdash.config import DEFAULT_API_URL, Settings
from mlbdash.ingest.budget import RequestBudget
from mlbdash.ingest.cache import CachedResponse, ResponseCache
from mlbdash.ingest.causes import transport_cause
from mlbdash.ingest.errors import (
    ApiError,
    BadResponse,
    BodyTooLarge,
    HttpStatusError,
    NotFound,
    RedirectLoop,
    RequestAborted,
    RequestFailed,
    TransportFailure,
)
from mlbdash.ingest.events import EventSink, RequestFinished, discard
from mlbdash.ingest.retry import RetryPolicy, call_with_retries, parse_retry_after
from mlbdash.mlb.clock import Clock, SystemClock
from mlbdash.mlb.feed import LiveFeed
from mlbdash.mlb.patch import DiffAnswerShape, DiffShapeError, classify_diff_answer, copy_json
from mlbdash.mlb.schedule import Schedule

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

MAX_REDIRECTS = 5


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    """A decoded answer and how it was obtained."""

    data: T
    kind: str
    url: str
    status: int
    bytes_wire: int  # bytes received for this caller (0 from cache or when coalesced)
    bytes_decoded: int
    latency_s: float
    from_cache: bool = False
    coalesced: bool = False
    not_modified: bool = False
    retries: int = 0
    # The answering attempt alone, from the budget letting it go to the whole body: the API's
    # answer time, without the waits before it (None from cache).
    server_s: float | None = None


@dataclass(frozen=True, slots=True)
class DiffPatchAnswer:
    """A diffPatch answer: ``blocks`` when shape is "blocks", ``feed`` when "full", else empty."""

    shape: DiffAnswerShape
    blocks: list[Any]
    feed: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class _Exchange:
    """What one successful HTTP exchange produced."""

    data: Any
    status: int
    bytes_wire: int
    bytes_decoded: int
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    server_s: float = 0.0  # from the budget letting the request go to the whole body


def _csv(values: Iterable[object]) -> str:
    return ",".join(str(v) for v in values)


class MlbApiClient:
    """Typed access to the MLB Stats API. Use as ``async with MlbApiClient(...) as client:``."""

    def __init__(
        self,
        base_url: str = DEFAULT_API_URL,
        *,
        clock: Clock | None = None,
        sink: EventSink = discard,
        budget: RequestBudget | None = None,
        retry: RetryPolicy | None = None,
        cache: ResponseCache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 20.0,
        deadline_s: float = 30.0,
        max_body_bytes: int = 25_000_000,
        user_agent: str = f"mlbdash/{__version__}",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock: Clock = clock or SystemClock()
        self._sink = sink
        self.budget = budget if budget is not None else RequestBudget(clock=self.clock, sink=sink)
        self.retry = retry if retry is not None else RetryPolicy()
        self.cache = cache if cache is not None else ResponseCache(clock=self.clock)
        self._transport = transport
        self._timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
        self.deadline_s = deadline_s
        self.max_body_bytes = max_body_bytes
        self.user_agent = user_agent
        self._http: httpx.AsyncClient | None = None
        # Done once abort_requests() is called: every request waiting on the network or on a
        # retry's backoff ends at once with RequestAborted (made on the running loop).
        self._aborted: asyncio.Future[None] | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        sink: EventSink = discard,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
    ) -> MlbApiClient:
        """A client with the budget, timeouts, size cap and retry limits from Settings.

        The budget is counted in the clock's seconds: against a replay server running at speed X
        it allows X times as many real requests, so a replayed game costs the same requests per
        game-hour as a real one (on the wall clock, speed is 1 and nothing changes).
        """
        clock = clock or SystemClock()
        budget = RequestBudget(
            settings.requests_per_second * clock.speed,
            max(settings.burst, round(settings.burst * clock.speed)),
            max_concurrency=settings.max_concurrency,
            clock=clock,
            sink=sink,
        )
        policy = retry or RetryPolicy(
            attempts=settings.retry_attempts, max_elapsed_s=settings.retry_max_elapsed_s
        )
        return cls(
            settings.api_url,
            clock=clock,
            sink=sink,
            budget=budget,
            retry=policy,
            transport=transport,
            connect_timeout_s=settings.connect_timeout_s,
            read_timeout_s=settings.read_timeout_s,
            deadline_s=settings.request_deadline_s,
            max_body_bytes=settings.max_body_bytes,
        )

    async def __aenter__(self) -> Self:
        self._aborted = asyncio.get_running_loop().create_future()
        self._http = httpx.AsyncClient(
            transport=self._transport,
            timeout=self._timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            headers={
                "User-Agent": self.user_agent,
                "Accept": "application/json",
                "Accept-Encoding": "gzip",
            },
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def abort_requests(self) -> None:
        """End every request in flight (and refuse new ones) with ``RequestAborted``.

        Only network waits and retry backoffs are cut: a caller's own work (a database write)
        is never interrupted, so a run that stops finishes or rolls back what it was writing.
        """
        if self._aborted is not None and not self._aborted.done():
            self._aborted.set_result(None)

    @property
    def aborted(self) -> bool:
        """The run is stopping: requests are no longer sent (``abort_requests``)."""
        return self._aborted is not None and self._aborted.done()

    async def _unless_aborted(self, url: str, work: Callable[[], Awaitable[T]]) -> T:
        aborted = self._aborted
        if aborted is None:
            return await work()
        if aborted.done():
            raise RequestAborted(url, "not sent: the run is stopping")
        task = asyncio.ensure_future(work())
        try:
            await asyncio.wait((task, aborted), return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if aborted.done() and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ApiError):
                await task
            raise RequestAborted(url, "stopped waiting: the run is stopping")
        if task.cancelled() and aborted.done():
            raise RequestAborted(url, "stopped waiting: the run is stopping")
        return task.result()

    # -- typed endpoints ---------------------------------------------------------------------

    async def schedule(
        self,
        *,
        date: date | str | None = None,
        start_date: date | str | None = None,
        end_date: date | str | None = None,
        sport_ids: Sequence[int] = (1,),
        team_ids: Sequence[int] = (),
        game_pks: Sequence[int] = (),
        game_types: Sequence[str] = (),
        hydrate: Sequence[str] = (),
    ) -> Fetched[Schedule]:
        """``v1/schedule`` for one date or a range (dates as ``YYYY-MM-DD``), parsed."""
        params: dict[str, str] = {}
        if sport_ids:
            params["sportId"] = _csv(sport_ids)
        if date is not None:
            params["date"] = str(date)
        if start_date is not None:
            params["startDate"] = str(start_date)
        if end_date is not None:
            params["endDate"] = str(end_date)
        if team_ids:
            params["teamId"] = _csv(team_ids)
        if game_pks:
            params["gamePks"] = _csv(game_pks)
        if game_types:
            params["gameTypes"] = _csv(game_types)
        if hydrate:
            params["hydrate"] = _csv(hydrate)
        fetched = await self.get_json("schedule", "v1/schedule", params)
        return _parsed(Schedule, self._expect_object(fetched))

    async def feed(
        self,
        game_pk: int,
        timecode: str | None = None,
        *,
        fields: Iterable[str] | None = None,
    ) -> Fetched[dict[str, Any]]:
        """The whole live feed (GUMBO), a raw dict the caller owns; ``timecode``: a past version;
        ``fields``: only the keys so named (``mlb.fields``), not the whole feed."""
        params = {"timecode": timecode} if timecode else {}
        if fields is not None:
            params["fields"] = ",".join(sorted(fields))
        fetched = await self.get_json("feed", f"v1.1/game/{game_pk}/feed/live", params)
        return self._expect_object(fetched)

    async def diff_patch(
        self, game_pk: int, start_timecode: str, end_timecode: str | None = None
    ) -> Fetched[DiffPatchAnswer]:
        """What changed in a game's feed since ``start_timecode``, in one of three shapes."""
        params = {"startTimecode": start_timecode}
        if end_timecode:
            params["endTimecode"] = end_timecode
        fetched = await self.get_json(
            "diff_patch", f"v1.1/game/{game_pk}/feed/live/diffPatch", params
        )
        try:
            shape = classify_diff_answer(fetched.data)
        except DiffShapeError as exc:
            raise BadResponse(fetched.url, str(exc)) from None
        answer = DiffPatchAnswer(
            shape=shape,
            blocks=fetched.data if shape == "blocks" else [],
            feed=fetched.data if shape == "full" else None,
        )
        return replace(fetched, data=answer)

    async def timestamps(self, game_pk: int) -> list[str]:
        """Every version (timecode) of a game's feed, oldest first."""
        fetched = await self.get_json("timestamps", f"v1.1/game/{game_pk}/feed/live/timestamps")
        data = fetched.data
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            raise BadResponse(fetched.url, "timestamps: expected a list of timecodes")
        return data

    async def game_changes(
        self,
        updated_since: datetime,
        *,
        sport_id: int = 1,
        season: int | None = None,
        game_types: Sequence[str] = (),
    ) -> Fetched[Schedule]:
        """``v1/game/changes``: games updated since an instant, as a Schedule."""
        if updated_since.tzinfo is None:
            raise ValueError("updated_since must be timezone-aware")
        params = {"updatedSince": updated_since.isoformat(), "sportId": str(sport_id)}
        if season is not None:
            params["season"] = str(season)
        if game_types:
            params["gameType"] = _csv(game_types)
        fetched = await self.get_json("game_changes", "v1/game/changes", params)
        return _parsed(Schedule, self._expect_object(fetched))

    async def game_status(self) -> list[dict[str, Any]]:
        """``v1/gameStatus``: every status MLB knows (about 200), raw."""
        fetched = await self.get_json("game_status", "v1/gameStatus")
        data = fetched.data
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise BadResponse(fetched.url, "gameStatus: expected a list of statuses")
        return data

    async def teams(self, sport_id: int = 1) -> list[dict[str, Any]]:
        """``v1/teams?sportId=``: the teams of a sport, raw."""
        fetched = await self.get_json("teams", "v1/teams", {"sportId": str(sport_id)})
        teams = fetched.data.get("teams") if isinstance(fetched.data, dict) else None
        if not isinstance(teams, list):
            raise BadResponse(fetched.url, "teams: expected an object with a 'teams' list")
        return teams

    # -- the generic request -----------------------------------------------------------------

    def url_for(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """The full URL (also the cache and coalescing key); params sorted for a stable key."""
        url = httpx.URL(f"{self.base_url}/{path.lstrip('/')}")
        if params:
            url = url.copy_with(params=sorted(params.items()))
        return str(url)

    async def get_json(
        self, kind: str, path: str, params: Mapping[str, str] | None = None
    ) -> Fetched[Any]:
        """GET a JSON answer through cache, coalescing, budget and retries.

        Raises an ``ApiError`` subclass on failure. Cached data is shared (read-only); data of
        kinds that are not cached belongs to the caller (coalesced followers get their own copy).
        """
        url = self.url_for(path, params)
        started = self.clock.monotonic()
        entry = self.cache.fresh(kind, url)
        if entry is not None:
            fetched: Fetched[Any] = Fetched(
                data=entry.data,
                kind=kind,
                url=url,
                status=entry.status,
                bytes_wire=0,
                bytes_decoded=entry.bytes_decoded,
                latency_s=self.clock.monotonic() - started,
                from_cache=True,
            )
            self._finished(fetched)
            return fetched

        async def over_the_wire() -> tuple[_Exchange, int]:
            return await call_with_retries(
                lambda: self._exchange(kind, url),
                policy=self.retry,
                kind=kind,
                url=url,
                clock=self.clock,
                sink=self._sink,
            )

        try:
            (exchange, retries), coalesced = await self._unless_aborted(
                url, lambda: self.cache.coalesce(url, over_the_wire)
            )
        except ApiError as exc:
            # The log keeps the cause; how many attempts it took is in ``retries``.
            self._failed(kind, url, started, exc.cause, exc)
            raise
        except Exception as exc:
            # A bug of ours on this answer: the request still failed, and the request log
            # says so and why (the caller's crash handling counts it as an internal error).
            reason = f"internal error: {type(exc).__name__}: {str(exc)[:200]}"
            self._failed(kind, url, started, reason, None)
            raise
        data = exchange.data
        if coalesced and not self.cache.cacheable(kind):
            data = copy_json(data)
        fetched = Fetched(
            data=data,
            kind=kind,
            url=url,
            status=exchange.status,
            bytes_wire=0 if coalesced else exchange.bytes_wire,
            bytes_decoded=exchange.bytes_decoded,
            latency_s=self.clock.monotonic() - started,
            coalesced=coalesced,
            not_modified=exchange.not_modified,
            retries=retries,
            server_s=exchange.server_s,
        )
        self._finished(fetched)
        return fetched

    def _failed(
        self,
        kind: str,
        url: str,
        started: float,
        reason: str,
        exc: ApiError | None,
    ) -> None:
        self._sink(
            RequestFinished(
                at=self.clock.now(),
                kind=kind,
                url=url,
                status=exc.status if exc is not None else None,
                latency_s=self.clock.monotonic() - started,
                bytes_wire=0,
                bytes_decoded=0,
                retries=exc.attempts - 1 if isinstance(exc, RequestFailed) else 0,
                error=reason,
                internal=exc is None or isinstance(exc, RequestAborted),
            )
        )

    def _finished(self, fetched: Fetched[Any]) -> None:
        self._sink(
            RequestFinished(
                at=self.clock.now(),
                kind=fetched.kind,
                url=fetched.url,
                status=fetched.status,
                latency_s=fetched.latency_s,
                bytes_wire=fetched.bytes_wire,
                bytes_decoded=fetched.bytes_decoded,
                cache_hit=fetched.from_cache,
                coalesced=fetched.coalesced,
                not_modified=fetched.not_modified,
                retries=fetched.retries,
                server_s=fetched.server_s,
            )
        )

    @staticmethod
    def _expect_object(fetched: Fetched[Any]) -> Fetched[dict[str, Any]]:
        if not isinstance(fetched.data, dict):
            raise BadResponse(
                fetched.url, f"expected a JSON object, got {type(fetched.data).__name__}"
            )
        return fetched

    async def _exchange(self, kind: str, url: str) -> _Exchange:
        """One HTTP exchange inside a budget slot: status checks, streamed body, JSON decode."""
        if self._http is None:
            raise RuntimeError("MlbApiClient used outside 'async with'")
        headers = self.cache.conditional_headers(url) if self.cache.cacheable(kind) else {}
        async with self.budget.slot():
            began = self.clock.monotonic()
            try:
                # httpx's timeouts are per read: a body that sends a byte now and then would
                # hold this game's poll for ever. The deadline covers the whole exchange.
                async with asyncio.timeout(self.deadline_s):
                    async with self._http.stream("GET", url, headers=headers) as response:
                        exchange = await self._read(kind, url, response, bool(headers))
                return replace(exchange, server_s=self.clock.monotonic() - began)
            except TimeoutError:
                raise TransportFailure(
                    url, f"no whole answer within the {self.deadline_s:g} s deadline"
                ) from None
            except httpx.TooManyRedirects:
                raise RedirectLoop(
                    url, f"redirect loop (more than {MAX_REDIRECTS} redirects)"
                ) from None
            except httpx.TransportError as exc:
                raise TransportFailure(url, transport_cause(exc, url)) from None

    async def _read(
        self, kind: str, url: str, response: httpx.Response, conditional: bool
    ) -> _Exchange:
        status = response.status_code
        if status == 304 and conditional:
            entry = self.cache.revalidated(url)
            if entry is None:
                # Evicted while we asked; the next attempt goes without validators.
                raise TransportFailure(url, "304 for an answer no longer cached")
            return _Exchange(entry.data, entry.status, 0, entry.bytes_decoded, not_modified=True)
        if status >= 400:
            self._on_error_status(url, response)
        try:
            if status >= 300:
                raise BadResponse(url, f"unexpected HTTP {status}")
            content_type = response.headers.get("content-type", "").lower()
            if content_type and "json" not in content_type:
                if "html" in content_type:
                    raise BadResponse(url, "HTML page instead of JSON")
                raise BadResponse(url, f"content type {content_type.split(';')[0]!r}, not JSON")
            body, wire = await self._read_body(url, response)
            data = _decode_json(url, body)
        except BadResponse as exc:
            exc.status = status  # the server answered: it is reachable, the answer is bad
            raise
        exchange = _Exchange(
            data,
            status,
            wire,
            len(body),
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )
        if self.cache.cacheable(kind):
            self.cache.store(
                kind,
                url,
                CachedResponse(
                    data=data,
                    status=status,
                    bytes_decoded=len(body),
                    stored_at=self.clock.monotonic(),
                    etag=exchange.etag,
                    last_modified=exchange.last_modified,
                ),
            )
        return exchange

    def _on_error_status(self, url: str, response: httpx.Response) -> None:
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.now())
        if status == 429 or (status == 503 and retry_after is not None):
            self.budget.on_pushback(retry_after, status)
        if status == 404:
            raise NotFound(url)
        raise HttpStatusError(url, status, retry_after_s=retry_after)

    async def _read_body(self, url: str, response: httpx.Response) -> tuple[bytes, int]:
        """The decoded body and the wire byte count, stopping as soon as either passes the cap."""
        cap = self.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise BodyTooLarge(url, f"body of {int(declared)} bytes over the {cap}-byte cap")
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("identity", "gzip", ""):
            raise BadResponse(url, f"unsupported content encoding {encoding!r}")
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
        parts: list[bytes] = []
        decoded = 0
        wire = 0
        try:
            async for chunk in response.aiter_raw():
                wire += len(chunk)
                if wire > cap:
                    raise BodyTooLarge(url, f"body over the {cap}-byte cap on the wire")
                if inflater is None:
                    out = chunk
                else:
                    # max_length bounds what one small gzip chunk may expand to (gzip bombs).
                    out = inflater.decompress(chunk, cap - decoded + 1)
                    if inflater.unconsumed_tail:
                        raise BodyTooLarge(url, f"body over the {cap}-byte cap decoded")
                decoded += len(out)
                if decoded > cap:
                    raise BodyTooLarge(url, f"body over the {cap}-byte cap decoded")
                parts.append(out)
            if inflater is not None:
                if not inflater.eof:
                    raise BadResponse(url, "truncated gzip body", retryable=True)
                parts.append(inflater.flush())
        except zlib.error:
            raise BadResponse(url, "corrupt gzip body", retryable=True) from None
        return b"".join(parts), wire


def parse_live_feed(fetched: Fetched[dict[str, Any]]) -> LiveFeed:
    """The LiveFeed model of a fetched raw feed; ``BadResponse`` if it does not fit at all."""
    return _parsed(LiveFeed, fetched).data


def _parsed(model: type[M], fetched: Fetched[Any]) -> Fetched[M]:
    try:
        parsed = model.model_validate(fetched.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        raise BadResponse(fetched.url, f"{model.__name__}: {where}: {first['msg']}") from None
    return replace(fetched, data=parsed)


def _decode_json(url: str, body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadResponse(url, f"invalid UTF-8 at byte {exc.start}") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise BadResponse(url, "empty body", retryable=True)
    try:
        return json.loads(text)
    except RecursionError:
        # json's C decoder recurses once per nesting level; a hostile body must not crash us.
        raise BadResponse(url, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        # The text ended while a value was still open (an unterminated string reports where
        # the string began; a cut "true" or number fails a few characters from the end).
        if exc.msg.startswith("Unterminated string") or exc.pos >= len(text.rstrip()) - 8:
            raise BadResponse(url, "truncated JSON", retryable=True) from None
        raise BadResponse(url, f"malformed JSON at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        # int() refuses numbers of more than 4300 digits (CPython's guard against quadratic
        # conversion): no MLB field holds one, so the answer is bad, not our code.
        raise BadResponse(url, f"unreadable JSON: {str(exc)[:120]}") from None
