"""The replay HTTP server (aiohttp): recorded MLB data with the real API's paths and shapes.

Endpoints (``/api`` prefix as statsapi.mlb.com): ``v1/schedule``, ``v1.1/game/{pk}/feed/live``,
``.../feed/live/diffPatch``, ``.../feed/live/timestamps``, ``v1/game/{pk}/linescore`` and
``/boxscore`` (the current version's parts), ``v1/game/changes``, ``v1/gameStatus``,
``v1/teams``; schedule ``hydrate=team`` fills each side's team from the recorded ``v1/teams``;
feed/live honours ``fields`` as the real API does (``mlb/fields.py``); elsewhere ``fields`` and
unknown ``hydrate`` values are accepted and ignored. The game push socket is served at
``/api/v1/game/push/subscribe/gameday/{pk}`` (``replay/push.py``). Outside
``/api``: ``GET /replay/clock`` (virtual time) and ``GET /replay/stats`` (counters).

Error bodies (404 for unknown paths and games, the 5xx of fault injection) follow the shape
``{"messageNumber", "message", "timestamp", "traceId"}`` that public reports show for the real
API; they are derived, not recorded. Schedule entries derived from a feed (no recorded schedule
entry) are listed in the ``X-Replay-Derived-Games`` response header.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gzip
import hashlib
import json
import socket
import struct
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from mlbdash.errors import UsageError
from mlbdash.mlb.clock import Clock, ManualClock, ScaledClock, SystemClock
from mlbdash.mlb.dates import parse_iso
from mlbdash.mlb.fields import parse_fields, select_fields
from mlbdash.mlb.timecode import timecode_instant
from mlbdash.replay.data import RecordedData, read_json
from mlbdash.replay.exact import ExactTimeline
from mlbdash.replay.faults import FaultPlan, FaultSpec, drift, parse_fault_spec
from mlbdash.replay.push import PUSH_PATH, PUSH_PREFIX, PushSockets
from mlbdash.replay.timeutil import from_epoch, to_iso
from mlbdash.replay.world import Game, ReplayOptions, World

Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

LEAGUE_ZONE = ZoneInfo("America/New_York")
JSON_TYPE = "application/json;charset=UTF-8"
_LIVE = "Live"


def encode(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class Body:
    raw: bytes
    _gz: bytes | None = None

    @property
    def gz(self) -> bytes:
        if self._gz is None:
            self._gz = gzip.compress(self.raw, compresslevel=5, mtime=0)
        return self._gz

    @property
    def etag(self) -> str:
        return '"' + hashlib.blake2b(self.raw, digest_size=12).hexdigest() + '"'


class BodyCache:
    """Encoded bodies by key, least recently used dropped beyond ``max_bytes``."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Any, Body] = OrderedDict()

    def get(self, key: Any, make: Callable[[], Any]) -> Body:
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
            self.hits += 1
            return body
        self.misses += 1
        body = Body(encode(make()))
        self._items[key] = body
        self.bytes += len(body.raw)
        while self.bytes > self.max_bytes and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self.bytes -= len(old.raw)
        return body


@dataclass
class Stats:
    requests: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


def error_body(status: int, message: str, now: datetime) -> bytes:
    number = {404: 10, 400: 2, 429: 429}.get(status, 1)
    return encode(
        {"messageNumber": number, "message": message, "timestamp": to_iso(now), "traceId": None}
    )


def html_page(status: int) -> bytes:
    reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    title = f"{status} {reason.get(status, 'Error')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


def _parse_date(text: str) -> date:
    text = text.strip()
    if "/" in text:
        month, day, year = (int(part) for part in text.split("/"))
        return date(year, month, day)
    return date.fromisoformat(text)


def _ints(text: str) -> set[int]:
    return {int(part) for part in text.replace(" ", "").split(",") if part}


@dataclass(frozen=True, slots=True)
class Listed:
    """A schedule entry as served at one game version, already encoded."""

    listed_on: date
    sort_key: tuple[str, int]
    live: bool
    changed: float
    """Epoch seconds of the game version the entry shows."""
    raw: bytes


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ReplayApp:
    """The request handlers over a World, a virtual clock and a fault plan."""

    def __init__(self, world: World, clock: Clock) -> None:
        self.world = world
        self.clock = clock
        self.options = world.options
        self.cache = BodyCache()
        self.stats = Stats()
        self.faults = FaultPlan(self.options.faults, self.options.seed, world.start)
        self.push = PushSockets(world, clock, self.faults)
        self.started = datetime.now(UTC).replace(microsecond=0)
        self._reference: dict[str, Body] = {}
        self._teams_by_id: dict[int, Json] | None = None
        self._entries: OrderedDict[tuple[int, int, int, tuple[bool, ...]], Listed] = OrderedDict()

    # -- plumbing -------------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock.now().timestamp()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors, self._fault_middleware])
        get = app.router.add_get
        get("/replay/clock", self.clock_info)
        get("/replay/stats", self.stats_info)
        get("/api/v1/schedule", self.schedule)
        get("/api/v1/game/changes", self.changes)
        get("/api/v1/gameStatus", self.game_status)
        get("/api/v1/teams", self.teams)
        get(PUSH_PATH, self.push.subscribe)
        for version in ("v1", "v1.1"):
            base = f"/api/{version}/game/{{game_pk:\\d+}}"
            get(f"{base}/feed/live", self.feed)
            get(f"{base}/feed/live/diffPatch", self.diff_patch)
            get(f"{base}/feed/live/timestamps", self.timestamps)
        get("/api/v1/game/{game_pk:\\d+}/linescore", self.linescore)
        get("/api/v1/game/{game_pk:\\d+}/boxscore", self.boxscore)
        app.router.add_route("*", "/{tail:.*}", self.not_found)
        return app

    def send(
        self,
        request: web.Request,
        body: Body,
        *,
        status: int = 200,
        last_modified: datetime | None = None,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        out = {"Content-Type": JSON_TYPE, "Vary": "Accept-Encoding", **(headers or {})}
        if last_modified is not None:
            etag = body.etag
            out["ETag"] = etag
            out["Last-Modified"] = format_datetime(last_modified, usegmt=True)
            if _not_modified(request, etag, last_modified):
                return web.Response(status=304, headers=out)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            out["Content-Encoding"] = "gzip"
            return web.Response(status=status, body=body.gz, headers=out)
        return web.Response(status=status, body=body.raw, headers=out)

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.stats.requests += 1
        try:
            return await handler(request)
        except ApiError as exc:
            body = Body(error_body(exc.status, exc.message, self.clock.now()))
            return self.send(request, body, status=exc.status)

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        spec = self.options.faults
        if (
            not request.path.startswith("/api/")
            or request.path.startswith(PUSH_PREFIX)  # the socket draws its own faults
            or not spec.active
        ):
            return await handler(request)
        draw = self.faults.draw(request.path)
        if draw.latency > 0:
            await asyncio.sleep(draw.latency)
        if self.faults.in_outage(self.clock.now()):
            return self._fault(request, "outage", 503, html_page(503), "text/html")
        if self.faults.in_throttle(self.clock.now()):
            body = error_body(429, "Too Many Requests", self.clock.now())
            headers = {"Retry-After": str(spec.retry_after)}
            return self._fault(request, "throttle", 429, body, JSON_TYPE, headers)
        kind = draw.kind
        if kind == "reset":
            self.stats.count(self.stats.faults, kind)
            _reset(request)
            return web.Response(status=500)
        if kind == "429":
            body = error_body(429, "Too Many Requests", self.clock.now())
            headers = {"Retry-After": str(spec.retry_after)}
            return self._fault(request, kind, 429, body, JSON_TYPE, headers)
        if kind == "error":
            code = draw.rng.choice(spec.error_codes)
            body = error_body(code, "Internal error occurred", self.clock.now())
            return self._fault(request, kind, code, body, JSON_TYPE)
        if kind == "html":
            code = draw.rng.choice((502, 503))
            return self._fault(request, kind, code, html_page(code), "text/html")
        response = await handler(request)
        if kind is None or not isinstance(response, web.Response) or response.status != 200:
            return response
        payload = response.body
        if not isinstance(payload, bytes) or not payload:
            return response
        self.stats.count(self.stats.faults, kind)
        if kind == "drift":
            return self._drifted(request, response, payload, draw.rng)
        if kind == "hang":
            return await self._hang(request, response, payload)
        stream = web.StreamResponse(status=200, headers=response.headers)
        stream.headers["X-Replay-Fault"] = kind
        stream.content_length = len(payload)
        await stream.prepare(request)
        if kind == "truncate":
            await stream.write(payload[: len(payload) // 2])
            _reset(request)
            return stream
        chunk = max(1, len(payload) // 20)
        for offset in range(0, len(payload), chunk):
            await stream.write(payload[offset : offset + chunk])
            await asyncio.sleep(spec.drip_seconds / 20)
        await stream.write_eof()
        return stream

    async def _hang(
        self, request: web.Request, response: web.Response, payload: bytes
    ) -> web.StreamResponse:
        """A chunked 200 that never ends, as a stuck proxy sends: one byte now and then until
        the client goes away."""
        stream = web.StreamResponse(status=200, headers=response.headers)
        stream.headers["X-Replay-Fault"] = "hang"
        stream.headers.pop("Content-Length", None)
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        offset = 0
        with contextlib.suppress(ConnectionError):  # the client gave up: the end of it
            while True:
                await stream.write(payload[offset % len(payload) : offset % len(payload) + 1])
                offset += 1
                await asyncio.sleep(self.options.faults.hang_every_s)
        return stream

    def _fault(
        self,
        request: web.Request,
        kind: str,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self.stats.count(self.stats.faults, kind)
        out = {"Content-Type": content_type, "X-Replay-Fault": kind, **(headers or {})}
        return web.Response(status=status, body=body, headers=out)

    def _drifted(
        self, request: web.Request, response: web.Response, payload: bytes, rng: Any
    ) -> web.Response:
        zipped = response.headers.get("Content-Encoding") == "gzip"
        doc = json.loads(gzip.decompress(payload) if zipped else payload)
        changed, what = drift(doc, rng)
        raw = encode(changed)
        headers = dict(response.headers)
        headers.pop("Content-Length", None)
        headers["X-Replay-Fault"] = f"drift: {what}"
        out = gzip.compress(raw, compresslevel=5, mtime=0) if zipped else raw
        return web.Response(status=200, body=out, headers=headers)

    # -- replay endpoints ------------------------------------------------------------------------

    async def clock_info(self, request: web.Request) -> web.Response:
        doc = {
            "now": to_iso(self.clock.now(), millis=True),
            "speed": self.clock.speed,
            "start": to_iso(self.world.start),
        }
        return web.Response(body=encode(doc), headers={"Content-Type": JSON_TYPE})

    async def stats_info(self, request: web.Request) -> web.Response:
        doc = {
            "requests": self.stats.requests,
            "byEndpoint": self.stats.by_endpoint,
            "faults": self.stats.faults,
            "games": len(self.world.games),
            "push": self.push.stats.as_json(),
            "cache": {
                "bytes": self.cache.bytes,
                "hits": self.cache.hits,
                "misses": self.cache.misses,
            },
        }
        return web.Response(body=encode(doc), headers={"Content-Type": JSON_TYPE})

    async def not_found(self, request: web.Request) -> web.Response:
        raise ApiError(404, f"Object not found: {request.path}")

    # -- games ---------------------------------------------------------------------------------

    def _game(self, request: web.Request, endpoint: str) -> Game:
        self.stats.count(self.stats.by_endpoint, endpoint)
        game = self.world.games.get(int(request.match_info["game_pk"]))
        if game is None or game.timeline is None:
            raise ApiError(404, f"Object not found: game {request.match_info['game_pk']}")
        return game

    def _moment(self, request: web.Request, name: str) -> float:
        now = self.now()
        text = request.query.get(name)
        if not text:
            return now
        moment = timecode_instant(text)
        if moment is None:
            raise ApiError(400, f"Invalid {name} {text!r}: expected YYYYMMDD_HHMMSS")
        return min(moment.timestamp(), now)

    async def feed(self, request: web.Request) -> web.Response:
        game = self._game(request, "feed")
        timeline = game.timeline
        assert timeline is not None
        index = game.index_at(self._moment(request, "timecode"))
        fields = parse_fields(request.query.get("fields", ""))
        if fields:
            key = ("fields", game.game_pk, index, fields)
            body = self.cache.get(key, lambda: select_fields(timeline.build(index), fields))
            return self.send(request, body)
        body = self.cache.get(("feed", game.game_pk, index), lambda: timeline.build(index))
        return self.send(request, body)

    async def diff_patch(self, request: web.Request) -> web.Response:
        game = self._game(request, "diffPatch")
        timeline = game.timeline
        assert timeline is not None
        index = game.index_at(self._moment(request, "endTimecode"))
        start_text = request.query.get("startTimecode", "")
        start = timecode_instant(start_text)
        times = timeline.times
        if isinstance(timeline, ExactTimeline):
            return self._exact_diff_patch(request, game.game_pk, timeline, start_text, index)
        if start is not None:
            recorded = game.recorded_diffpatches.get(start_text)
            if recorded is not None:
                # Served as recorded once virtual time reaches the version it leads to.
                lands_on = timecode_instant(recorded[0])
                until = self._moment(request, "endTimecode")
                if lands_on is not None and lands_on.timestamp() <= until:
                    recorded_key = ("recorded", game.game_pk, start_text)
                    body = self.cache.get(recorded_key, lambda: recorded[1])
                    return self.send(request, body)
            moment = start.timestamp()
            if moment >= times[index]:
                return self.send(request, self.cache.get("[]", list))
            first = bisect.bisect_left(times, moment)
            exact = first < len(times) and times[first] == moment
            if exact and times[index] - moment <= self.options.diffpatch_window:
                key = ("diff", game.game_pk, first, index)
                body = self.cache.get(
                    key,
                    lambda: [{"diff": timeline.diff_ops(i)} for i in range(first, index)],
                )
                return self.send(request, body)

        # No, unknown or too old startTimecode: the whole feed, without its copyright key.
        def whole() -> Json:
            return {k: v for k, v in timeline.build(index).items() if k != "copyright"}

        return self.send(request, self.cache.get(("whole", game.game_pk, index), whole))

    def _exact_diff_patch(
        self, request: web.Request, game_pk: int, timeline: ExactTimeline, start: str, index: int
    ) -> web.Response:
        """An archive answers as each version came: its stored blocks, or its whole feed.

        No window: the archive holds every block, however far back the client is.
        """
        position = timeline.position(start)
        moment = timecode_instant(start)
        if moment is not None and moment.timestamp() >= timeline.times[index]:
            return self.send(request, self.cache.get("[]", list))
        if position is not None:
            answer = timeline.answer(position, index)
            if answer.blocks is not None:
                blocks = answer.blocks
                key = ("exact", game_pk, position, answer.index)
                return self.send(request, self.cache.get(key, lambda: blocks))
            index = answer.index

        def whole() -> Json:
            return {k: v for k, v in timeline.build(index).items() if k != "copyright"}

        return self.send(request, self.cache.get(("whole", game_pk, index), whole))

    async def timestamps(self, request: web.Request) -> web.Response:
        game = self._game(request, "timestamps")
        timeline = game.timeline
        assert timeline is not None
        now = self.now()
        if game.recorded_timestamps is not None:
            codes = [
                code
                for code in game.recorded_timestamps
                if (moment := timecode_instant(code)) is not None and moment.timestamp() <= now
            ]
        elif now < timeline.times[0]:
            codes = []
        else:
            codes = [timeline.timecode(i) for i in range(game.index_at(now) + 1)]
        return self.send(request, Body(encode(codes)))

    async def linescore(self, request: web.Request) -> web.Response:
        return self._part(request, "linescore")

    async def boxscore(self, request: web.Request) -> web.Response:
        return self._part(request, "boxscore")

    def _part(self, request: web.Request, part: str) -> web.Response:
        game = self._game(request, part)
        timeline = game.timeline
        assert timeline is not None
        index = game.index_at(self._moment(request, "timecode"))

        def make() -> Json:
            doc: Json = {"copyright": self.world.copyright} if self.world.copyright else {}
            doc.update(timeline.build(index).get("liveData", {}).get(part, {}))
            return doc

        return self.send(request, self.cache.get((part, game.game_pk, index), make))

    # -- schedule ------------------------------------------------------------------------------

    async def schedule(self, request: web.Request) -> web.Response:
        self.stats.count(self.stats.by_endpoint, "schedule")
        query = request.query
        first: date | None
        last: date | None
        try:
            if "date" in query:
                first = last = _parse_date(query["date"])
            elif "startDate" in query or "endDate" in query:
                first = _parse_date(query.get("startDate") or query["endDate"])
                last = _parse_date(query.get("endDate") or query["startDate"])
            else:
                first = last = None
            pks = _ints(query.get("gamePk", "")) | _ints(query.get("gamePks", ""))
            teams = _ints(query.get("teamId", ""))
        except (ValueError, TypeError):
            raise ApiError(400, "Invalid date or id parameter") from None
        if first is None and not pks:
            first = last = self.clock.now().astimezone(LEAGUE_ZONE).date()
        types = set(
            ",".join(query.getall("gameType", []) + query.getall("gameTypes", [])).split(",")
        )
        types.discard("")
        sports = query.get("sportId", "1").split(",")
        hydrate = query.get("hydrate", "")
        now = self.now()
        picked: list[Listed] = []
        newest = self.world.start.timestamp()
        derived: list[str] = []
        for game in self.world.games.values():
            if pks and game.game_pk not in pks:
                continue
            for number, entry in enumerate(game.entries):
                if first is not None and last is not None and not first <= entry.listed_on <= last:
                    continue
                if types and str(entry.game.get("gameType")) not in types:
                    continue
                if teams and not teams & _team_ids(entry.game):
                    continue
                if "1" not in sports:
                    continue
                listed = self._listed(game, number, now, hydrate)
                newest = max(newest, listed.changed)
                picked.append(listed)
                if game.derived_entry:
                    derived.append(str(game.game_pk))
        body = Body(self._schedule_bytes(picked))
        headers = {"X-Replay-Derived-Games": ",".join(derived)} if derived else None
        return self.send(request, body, last_modified=from_epoch(newest), headers=headers)

    def _listed(self, game: Game, number: int, now: float, hydrate: str) -> Listed:
        """One schedule entry, encoded once per game version (schedules repeat them a lot)."""
        index = game.index_at(now) if game.timeline is not None else -1
        flags = ("linescore" in hydrate, "decisions" in hydrate, "team" in _words(hydrate))
        key = (game.game_pk, number, index, flags)
        listed = self._entries.get(key)
        if listed is not None:
            self._entries.move_to_end(key)
            return listed
        entry = game.entries[number]
        doc, changed = self._entry(game, entry.game, now, hydrate)
        if "team" in _words(hydrate):
            doc = self._with_teams(doc)
        listed = Listed(
            entry.listed_on,
            (str(doc.get("gameDate")), game.game_pk),
            doc.get("status", {}).get("abstractGameState") == _LIVE,
            changed,
            encode(doc),
        )
        self._entries[key] = listed
        if len(self._entries) > 20_000:
            self._entries.popitem(last=False)
        return listed

    def _entry(self, game: Game, recorded: Json, now: float, hydrate: str) -> tuple[Json, float]:
        timeline = game.timeline
        if timeline is None or str(recorded.get("status", {}).get("codedGameState")) in {"D", "C"}:
            return recorded, self.world.start.timestamp()
        index = game.index_at(now)
        status = timeline.status(index)
        entry = {k: v for k, v in recorded.items() if k not in ("linescore", "decisions")}
        entry["status"] = status
        state = status.get("abstractGameState")
        teams = {side: dict(value) for side, value in recorded.get("teams", {}).items()}
        for value in teams.values():
            for key in ("score", "isWinner"):
                value.pop(key, None)
        line = timeline.linescore(index)
        if state != "Preview":
            runs = {side: line.get("teams", {}).get(side, {}).get("runs") for side in teams}
            for side, value in teams.items():
                if runs.get(side) is not None:
                    value["score"] = runs[side]
            if state == "Final" and None not in runs.values():
                other = {"away": "home", "home": "away"}
                for side, value in teams.items():
                    value["isWinner"] = bool(runs[side] > runs[other[side]])
            if "decisions" in hydrate and state == "Final":
                decisions = timeline.build(index).get("liveData", {}).get("decisions")
                if decisions is not None:
                    entry["decisions"] = decisions
        if "linescore" in hydrate:
            entry["linescore"] = line
        entry["teams"] = teams
        return entry, float(timeline.times[index])

    def _schedule_bytes(self, picked: list[Listed]) -> bytes:
        """The v1/schedule document around already encoded entries, grouped by date."""
        days: dict[date, list[Listed]] = {}
        for listed in picked:
            days.setdefault(listed.listed_on, []).append(listed)
        blocks = []
        live = 0
        for day in sorted(days):
            games = sorted(days[day], key=lambda listed: listed.sort_key)
            in_progress = sum(1 for listed in games if listed.live)
            live += in_progress
            head = (
                f'{{"date":"{day.isoformat()}","totalItems":{len(games)},"totalEvents":0,'
                f'"totalGames":{len(games)},"totalGamesInProgress":{in_progress},"games":['
            )
            blocks.append(
                head.encode() + b",".join(listed.raw for listed in games) + b'],"events":[]}'
            )
        total = len(picked)
        copyright = self.world.data.schedule_copyright or self.world.copyright
        head = f'"copyright":{json.dumps(copyright, ensure_ascii=False)},' if copyright else ""
        head += (
            f'"totalItems":{total},"totalEvents":0,"totalGames":{total},'
            f'"totalGamesInProgress":{live},"dates":['
        )
        return b"{" + head.encode() + b",".join(blocks) + b"]}"

    async def changes(self, request: web.Request) -> web.Response:
        self.stats.count(self.stats.by_endpoint, "changes")
        since_text = request.query.get("updatedSince")
        try:
            since = parse_iso(since_text).timestamp() if since_text else float("-inf")
        except ValueError:
            raise ApiError(400, f"Invalid updatedSince {since_text!r}") from None
        now = self.now()
        picked: list[Listed] = []
        for game in self.world.games.values():
            if game.timeline is None:
                continue
            index = game.index_at(now)
            if now < game.timeline.times[0] or game.timeline.times[index] <= since:
                continue
            picked.append(self._listed(game, len(game.entries) - 1, now, ""))
        return self.send(request, Body(self._schedule_bytes(picked)))

    # -- reference data ---------------------------------------------------------------------------

    async def game_status(self, request: web.Request) -> web.Response:
        self.stats.count(self.stats.by_endpoint, "gameStatus")
        body = self._reference.get("gameStatus")
        if body is None:
            statuses = self.world.data.game_statuses
            if statuses is None:
                bundled = resources.files("mlbdash.mlb").joinpath("data/gamestatus.json.gz")
                if not bundled.is_file():
                    raise ApiError(404, "Object not found: gameStatus")
                statuses = read_json(Path(str(bundled)))
            body = self._reference["gameStatus"] = Body(encode(statuses))
        return self.send(request, body, last_modified=self.started)

    def _with_teams(self, entry: Json) -> Json:
        """``hydrate=team``: each side's team as the recorded ``v1/teams`` has it (with its
        abbreviation), where the recordings hold that team; else as listed."""
        known = self._team_index()
        teams = {}
        for side, value in entry.get("teams", {}).items():
            listed = value.get("team") if isinstance(value, dict) else None
            team_id = listed.get("id") if isinstance(listed, dict) else None
            full = known.get(team_id) if isinstance(team_id, int) else None
            teams[side] = {**value, "team": full} if full is not None else value
        return {**entry, "teams": teams}

    def _team_index(self) -> dict[int, Json]:
        if self._teams_by_id is None:
            self._teams_by_id = {
                team["id"]: team
                for doc in self.world.data.teams or []
                for team in doc.get("teams", [])
                if isinstance(team.get("id"), int)
            }
        return self._teams_by_id

    async def teams(self, request: web.Request) -> web.Response:
        self.stats.count(self.stats.by_endpoint, "teams")
        recorded = self.world.data.teams
        if not recorded:
            raise ApiError(404, "Object not found: teams")
        sport = request.query.get("sportId", "")
        key = f"teams:{sport}"
        body = self._reference.get(key)
        if body is None:
            widest = max(recorded, key=lambda doc: len(doc["teams"]))
            teams = widest["teams"]
            if sport:
                wanted = _ints(sport)
                teams = [t for t in teams if t.get("sport", {}).get("id") in wanted]
            doc = {k: v for k, v in widest.items() if k != "teams"}
            doc["teams"] = teams
            body = self._reference[key] = Body(encode(doc))
        return self.send(request, body, last_modified=self.started)


def _words(hydrate: str) -> set[str]:
    """The hydrations asked for (``hydrate=team,linescore`` -> {"team", "linescore"})."""
    return {word.split("(")[0].strip() for word in hydrate.split(",")}


def _team_ids(game: Json) -> set[int]:
    ids = set()
    for side in ("away", "home"):
        team_id = game.get("teams", {}).get(side, {}).get("team", {}).get("id")
        if team_id is not None:
            ids.add(int(team_id))
    return ids


def _not_modified(request: web.Request, etag: str, last_modified: datetime) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return etag in {part.strip() for part in match.split(",")} or match.strip() == "*"
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


def _reset(request: web.Request) -> None:
    """Drop the connection with a TCP reset (SO_LINGER 0), as a crashed peer would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


@dataclass
class ReplayServer:
    """A running replay server: ``base_url`` is what mlbdash takes as ``--api-url``."""

    host: str
    port: int
    app: ReplayApp

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/api"

    @property
    def clock(self) -> Clock:
        return self.app.clock

    @property
    def world(self) -> World:
        return self.app.world


def make_options(data: Path | str, **fields: Any) -> ReplayOptions:
    """ReplayOptions from keyword arguments; ``faults`` may be a spec string."""
    faults = fields.pop("faults", None)
    if isinstance(faults, str) or faults is None:
        faults = parse_fault_spec(faults)
    if not isinstance(faults, FaultSpec):
        raise TypeError("faults must be a spec string or a FaultSpec")
    return ReplayOptions(data=Path(data), faults=faults, **fields)


@asynccontextmanager
async def start_replay_server(
    data: Path | str | None = None,
    *,
    options: ReplayOptions | None = None,
    recorded: RecordedData | None = None,
    clock: Clock | Callable[[datetime], Clock] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    **fields: Any,
) -> AsyncIterator[ReplayServer]:
    """Run a replay server on the current loop for the duration of the ``async with``.

    Give ``data`` (a recordings directory) with option fields as keywords (``speed``,
    ``start``, ``rebase_date``, ``first_pitches``, ``faults`` as a spec string, ``seed``,
    ``clones``, ``clone_stagger``, ``diffpatch_window``), or a ready ``options``. ``clock``
    replaces the default ``ScaledClock(start, speed)``: a Clock, or a function of the virtual
    start that makes one (tests pass ``ManualClock``).
    """
    if options is None:
        if data is None:
            raise UsageError("start_replay_server needs data or options")
        options = make_options(data, **fields)
    elif fields:
        options = replace(options, **fields)
    world = World(options, recorded)
    running: Clock
    if clock is None:
        running = ScaledClock(world.start, options.speed)
    elif isinstance(clock, ScaledClock | ManualClock | SystemClock) or hasattr(clock, "now"):
        running = clock  # type: ignore[assignment]
    else:
        running = clock(world.start)
    handlers = ReplayApp(world, running)
    runner = web.AppRunner(handlers.app(), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=1024, shutdown_timeout=1.0)
        await site.start()
        bound = int(runner.addresses[0][1]) if runner.addresses else port
        yield ReplayServer(host, bound, handlers)
    finally:
        await runner.cleanup()


__all__ = [
    "ReplayApp",
    "ReplayOptions",
    "ReplayServer",
    "make_options",
    "start_replay_server",
]
