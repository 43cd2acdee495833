"""The game push socket, as ``ws.statsapi.mlb.com`` serves it, over the replay's virtual time.

``/api/v1/game/push/subscribe/gameday/{gamePk}`` upgrades to a WebSocket that sends one JSON
text message for every version the game makes after the client connected, when virtual time
reaches it: ``{"timeStamp", "updateId", "gamePk", "gameEvents", "logicalEvents",
"changeEvent": {"type": "diff_patch"}}``. The shape is the one public clients report for the
real socket; the values are derived from the replay's timeline (``gameEvents`` holds
``game_finished`` at the Final version and nothing else, ``logicalEvents`` is empty, the
``updateId`` is a stable hash of game and timecode). The client's ``Gameday5`` keep-alives are
read and counted (``/replay/stats`` ``push.keepAlives``); the real server's reply to them is
not known, so none is sent.

Socket faults (``push-*`` in ``--faults``) are drawn per connection and per message, seeded:
a refused upgrade (503, no socket), a dropped connection, a socket gone silent, a duplicated
message, a message held back until after the next one, a spurious ``full_refresh``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from mlbdash.replay.faults import FaultPlan
from mlbdash.replay.world import World

if TYPE_CHECKING:
    from mlbdash.mlb.clock import Clock

PUSH_PATH = "/api/v1/game/push/subscribe/gameday/{game_pk:\\d+}"
PUSH_PREFIX = "/api/v1/game/push/"
KEEP_ALIVE = "Gameday5"


@dataclass
class PushStats:
    connections: int = 0
    open: int = 0
    refused: int = 0
    messages: int = 0
    keep_alives: int = 0
    faults: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "connections": self.connections,
            "open": self.open,
            "refused": self.refused,
            "messages": self.messages,
            "keepAlives": self.keep_alives,
            "faults": self.faults,
        }


def update_id(game_pk: int, timecode: str) -> str:
    digest = hashlib.blake2b(f"{game_pk}|{timecode}".encode(), digest_size=16).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def push_message(game_pk: int, timecode: str, *, finished: bool, change: str) -> dict[str, Any]:
    return {
        "timeStamp": timecode,
        "updateId": update_id(game_pk, timecode),
        "gamePk": game_pk,
        "gameEvents": ["game_finished"] if finished else [],
        "logicalEvents": [],
        "changeEvent": {"type": change},
    }


class PushSockets:
    """The push socket handler over a World, the replay clock and the fault plan."""

    def __init__(self, world: World, clock: Clock, faults: FaultPlan) -> None:
        self.world = world
        self.clock = clock
        self.faults = faults
        self.stats = PushStats()
        self._connections: dict[int, int] = {}

    def _count(self, kind: str) -> None:
        self.stats.faults[kind] = self.stats.faults.get(kind, 0) + 1

    async def subscribe(self, request: web.Request) -> web.StreamResponse:
        game_pk = int(request.match_info["game_pk"])
        game = self.world.games.get(game_pk)
        if game is None or game.timeline is None:
            raise web.HTTPNotFound(text=f"Object not found: game {game_pk}")
        number = self._connections.get(game_pk, 0)
        self._connections[game_pk] = number + 1
        self.stats.connections += 1
        if self.faults.push_draw(game_pk, number, None) == "push-refuse":
            self._count("push-refuse")
            self.stats.refused += 1
            return web.Response(status=503, text="Service Unavailable")
        # Versions made after this moment are sent: the upgrade's answer is the subscription.
        now = self.clock.now().timestamp()
        start = game.index_at(now) if now >= game.timeline.times[0] else -1
        ws = web.WebSocketResponse(heartbeat=None, autoping=True)
        await ws.prepare(request)
        self.stats.open += 1
        reader = asyncio.create_task(self._read(ws))
        try:
            await self._send_versions(ws, request, game_pk, number, start, reader)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            self.stats.open -= 1
            if not ws.closed:
                await ws.close()
        return ws

    async def _read(self, ws: web.WebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is WSMsgType.TEXT and msg.data.strip() == KEEP_ALIVE:
                self.stats.keep_alives += 1

    async def _send_versions(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        game_pk: int,
        connection: int,
        sent: int,
        reader: asyncio.Task[None],
    ) -> None:
        """One message per version made after the connection opened, in virtual time."""
        game = self.world.games[game_pk]
        timeline = game.timeline
        assert timeline is not None
        times = timeline.times
        held: dict[str, Any] | None = None
        silent = False
        while sent + 1 < len(times) and not reader.done():
            wait = times[sent + 1] - self.clock.now().timestamp()
            if wait > 0:
                sleeper = asyncio.ensure_future(self._sleep_until(times[sent + 1]))
                done, _ = await asyncio.wait({sleeper, reader}, return_when=asyncio.FIRST_COMPLETED)
                if reader in done:
                    sleeper.cancel()
                    return  # the client went away
                continue
            sent += 1
            if silent:
                continue
            fault = self.faults.push_draw(game_pk, connection, sent)
            if fault is not None:
                self._count(fault)
            if fault == "push-drop":
                # Gone without a close frame, as a crashed peer or proxy leaves.
                if request.transport is not None:
                    request.transport.abort()
                return
            if fault == "push-silence":
                silent = True
                continue
            last = sent == len(times) - 1
            change = "full_refresh" if fault == "push-refresh" else "diff_patch"
            finished = last and timeline.status(sent).get("abstractGameState") == "Final"
            message = push_message(
                game_pk, timeline.timecode(sent), finished=finished, change=change
            )
            if fault == "push-reorder" and not last and held is None:
                held = message
                continue
            await self._send(ws, message)
            if fault == "push-dup":
                await self._send(ws, message)
            if held is not None:
                await self._send(ws, held)
                held = None
        # Every version sent (or the socket went silent): stay open until the client leaves.
        await reader

    async def _sleep_until(self, moment: float) -> None:
        # Read the clock when the sleep starts, not when it was planned: time may have moved.
        await self.clock.sleep(moment - self.clock.now().timestamp())

    async def _send(self, ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
        self.stats.messages += 1
        await ws.send_str(json.dumps(message, separators=(",", ":")))
