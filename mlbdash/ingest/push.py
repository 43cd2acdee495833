"""MLB's game push socket: told when a live game has a new version, so it is asked at once.

Push changes only WHEN a game is brought up to date, never how: each message becomes a call to
``on_news`` (the runtime makes the game's poll due now, and the game's one follower asks
diffPatch from its stored timecode as on any poll). Messages that come while that poll is due
or running are coalesced into it by the scheduler. A ``full_refresh`` message asks for a
whole-feed fetch; ``game_finished`` for the poll that finds Final. A message whose ``updateId``
was seen, or whose ``timeStamp`` is not newer than the stored version, is a duplicate (or an
out-of-order straggler that the diffPatch already covered) and is dropped.

Each game has one socket task (at most ``max_sockets`` at once). It sends the ``Gameday5``
keep-alive every ``keepalive_s`` and reconnects with backoff when the socket cannot connect,
closes, or stays silent past ``silence_s`` while the game went on (a backstop poll stored a
version the socket never told of; a quiet socket over a quiet game is left open).
``on_state`` says when a game starts or stops being followed by push, so polling takes over at
its usual interval meanwhile (and stays on as a backstop at a longer one while the socket is
healthy). All times are the clock's seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from mlbdash.mlb.clock import Clock
from mlbdash.mlb.timecode import format_timecode

KEEP_ALIVE = "Gameday5"
PUSH_PATH = "/api/v1/game/push/subscribe/gameday/{game_pk}"
RECONNECT_S = 1.0
BACKOFF_FIRST_S = 5.0
BACKOFF_MAX_S = 300.0
CONNECT_TIMEOUT_S = 10.0  # real seconds for the upgrade
SEEN_IDS = 512
CLOCK_MARGIN_S = 5.0  # how far the server's timecodes may run ahead of our clock
# While a game's push socket is healthy, each backstop poll that finds nothing new doubles the
# wait before the next, up to this many times ``push_backstop_s``: the first one, a backstop
# after the last version, still serves the last block again well inside the diff window; an
# inning break (two to three minutes) then costs one more poll, not two.
PUSH_BACKSTOP_MAX_FACTOR = 4


def push_backstop_interval(backstop_s: float, quiet_polls: int) -> float:
    """The poll interval of a game whose push socket is healthy, after ``quiet_polls`` polls
    in a row that stored nothing (the scheduler plans by it, the monitor's stale rule
    expects it)."""
    return backstop_s * min(2.0 ** min(quiet_polls, 8), PUSH_BACKSTOP_MAX_FACTOR)


def push_url(api_url: str, game_pk: int) -> str:
    """The socket's URL for an API base URL, derived the way MLB's own is: ``https`` becomes
    ``wss`` and ``statsapi.mlb.com`` becomes ``ws.statsapi.mlb.com``; any other host (the
    replay server) keeps its host and port, ``http`` becoming ``ws``."""
    parts = urlsplit(api_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    host = parts.netloc
    if parts.hostname == "statsapi.mlb.com":
        host = host.replace("statsapi.mlb.com", "ws.statsapi.mlb.com", 1)
    return urlunsplit((scheme, host, PUSH_PATH.format(game_pk=game_pk), "", ""))


@dataclass(frozen=True, slots=True)
class PushNews:
    """One message worth acting on."""

    timecode: str | None
    refresh: bool  # changeEvent.type full_refresh: fetch the whole feed
    finished: bool  # gameEvents has game_finished


NewsSink = Callable[[int, PushNews], None]
StateSink = Callable[[int, bool, str], None]  # (gamePk, following by push, why)
LastStored = Callable[[int], str | None]


def read_message(text: str) -> tuple[str | None, PushNews] | None:
    """(updateId, news) from a message's text; None when it is not a push message."""
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    change = doc.get("changeEvent")
    kind = change.get("type") if isinstance(change, dict) else None
    events = doc.get("gameEvents")
    stamp = doc.get("timeStamp")
    update = doc.get("updateId")
    return (
        update if isinstance(update, str) else None,
        PushNews(
            stamp if isinstance(stamp, str) else None,
            refresh=kind == "full_refresh",
            finished=isinstance(events, list) and "game_finished" in events,
        ),
    )


class PushHub:
    """One push socket per followed game, bounded; reports news and push health."""

    def __init__(
        self,
        api_url: str,
        clock: Clock,
        *,
        on_news: NewsSink,
        on_state: StateSink,
        last_stored: LastStored,
        max_sockets: int,
        silence_s: float,
        keepalive_s: float = 30.0,
    ) -> None:
        self.api_url = api_url
        self.clock = clock
        self._on_news = on_news
        self._on_state = on_state
        self._last_stored = last_stored
        self.max_sockets = max_sockets
        self.silence_s = silence_s
        self.keepalive_s = keepalive_s
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._open: set[int] = set()
        self._session: aiohttp.ClientSession | None = None
        self.messages = 0
        self.duplicates = 0
        self.connects = 0

    @property
    def open_sockets(self) -> int:
        return len(self._open)

    def by_push(self, game_pk: int) -> bool:
        return game_pk in self._open

    def follow(self, game_pk: int) -> bool:
        """Start the game's socket (no-op when it has one); False when the bound is reached."""
        task = self._tasks.get(game_pk)
        if task is not None and not task.done():
            return True
        if sum(1 for t in self._tasks.values() if not t.done()) >= self.max_sockets:
            return False
        self._tasks[game_pk] = asyncio.create_task(self._run(game_pk), name=f"push:{game_pk}")
        return True

    async def drop(self, game_pk: int, why: str = "game done") -> None:
        """Close the game's socket; a game followed by push is told it no longer is."""
        task = self._tasks.pop(game_pk, None)
        was_open = game_pk in self._open
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if was_open:
            self._open.discard(game_pk)
            self._on_state(game_pk, False, why)

    async def close(self) -> None:
        for game_pk in list(self._tasks):
            await self.drop(game_pk, "ingest stopped")
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _set(self, game_pk: int, by_push: bool, why: str) -> None:
        if by_push == (game_pk in self._open):
            return
        if by_push:
            self._open.add(game_pk)
        else:
            self._open.discard(game_pk)
        self._on_state(game_pk, by_push, why)

    async def _run(self, game_pk: int) -> None:
        failures = 0
        try:
            while True:
                why, heard, finished = await self._connection(game_pk)
                self._set(game_pk, False, why)
                if finished:
                    return
                if heard:
                    # A socket that worked and then went quiet or closed: back at once (the
                    # game is polled meanwhile); backoff is for sockets that never worked.
                    failures = 0
                    await self.clock.sleep(RECONNECT_S)
                    continue
                failures += 1
                await self.clock.sleep(min(BACKOFF_FIRST_S * 2 ** (failures - 1), BACKOFF_MAX_S))
        finally:
            self._open.discard(game_pk)

    async def _connection(self, game_pk: int) -> tuple[str, bool, bool]:
        """One connection: (why it ended, whether a message came, whether the game finished)."""
        if self._session is None:
            timeout = aiohttp.ClientTimeout(
                total=None, connect=CONNECT_TIMEOUT_S, sock_connect=CONNECT_TIMEOUT_S
            )
            self._session = aiohttp.ClientSession(timeout=timeout)
        url = push_url(self.api_url, game_pk)
        try:
            ws = await self._session.ws_connect(
                url,
                heartbeat=None,
                autoping=True,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=CONNECT_TIMEOUT_S),
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return f"push socket cannot connect: {_short(exc)}", False, False
        self.connects += 1
        keepalive = asyncio.create_task(self._keep_alive(ws))
        try:
            self._set(game_pk, True, "push socket connected")
            # Versions made while no socket was listening: one catch-up poll.
            self._on_news(game_pk, PushNews(None, refresh=False, finished=False))
            return await self._listen(game_pk, ws)
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                await ws.close()

    async def _listen(
        self, game_pk: int, ws: aiohttp.ClientWebSocketResponse
    ) -> tuple[str, bool, bool]:
        seen: deque[str] = deque(maxlen=SEEN_IDS)
        heard = False
        # The newest version this socket has told of, at first the moment it connected (with a
        # margin for the server's clock): a newer stored version, found by a backstop poll, is
        # one the socket failed to tell. Silence alone is no fault: between innings, in a
        # delay, the game makes nothing to tell.
        told = format_timecode(self.clock.now() + timedelta(seconds=CLOCK_MARGIN_S))
        receive: asyncio.Future[aiohttp.WSMessage] | None = None
        while True:
            if receive is None:
                receive = asyncio.ensure_future(ws.receive())
            silence: asyncio.Future[Any] = asyncio.ensure_future(self.clock.sleep(self.silence_s))
            waits: set[asyncio.Future[Any]] = {receive, silence}
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            if receive not in done:
                stored = self._last_stored(game_pk)
                if stored is None or stored <= told:
                    continue  # quiet, and so is the game: nothing was missed
                receive.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await receive
                why = f"push socket silent for {self.silence_s:g} s while the game went on"
                return why, heard, False
            silence.cancel()
            msg = receive.result()
            receive = None
            if msg.type is not aiohttp.WSMsgType.TEXT:
                if msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.PONG):
                    continue
                return "push socket closed", heard, False
            read = read_message(msg.data)
            if read is None:
                continue
            heard = True
            self.messages += 1
            update_id, news = read
            if news.timecode is not None:
                told = max(told, news.timecode)
            stored = self._last_stored(game_pk)
            if (update_id is not None and update_id in seen) or (
                not news.refresh
                and not news.finished
                and news.timecode is not None
                and stored is not None
                and news.timecode <= stored
            ):
                self.duplicates += 1
                continue
            if update_id is not None:
                seen.append(update_id)
            self._on_news(game_pk, news)
            if news.finished:
                return "game finished", heard, True

    async def _keep_alive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        with contextlib.suppress(aiohttp.ClientError, OSError, ConnectionError):
            while not ws.closed:
                await ws.send_str(KEEP_ALIVE)
                await self.clock.sleep(self.keepalive_s)


def _short(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return f"upgrade refused ({exc.status})"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:120]


__all__ = [
    "KEEP_ALIVE",
    "PushHub",
    "PushNews",
    "push_backstop_interval",
    "push_url",
    "read_message",
]
