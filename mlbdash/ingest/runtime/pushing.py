"""Push: the live games' sockets (``push = "auto"``), telling the scheduler when to poll."""

from __future__ import annotations

from mlbdash.ingest.events import PushChanged
from mlbdash.ingest.push import PushHub, PushNews
from mlbdash.ingest.runtime.state import RuntimeState
from mlbdash.ingest.scheduler import Phase


class PushLink:
    """Opens a socket for each live game while ``run`` runs with ``push = "auto"``; its news
    makes a poll due at once; a socket that fails (or stays silent while the game goes on)
    hands the game back to polling."""

    def __init__(self, state: RuntimeState) -> None:
        self.state = state

    def start(self) -> PushHub | None:
        """The push sockets for this run (``push = "auto"``), else None."""
        state = self.state
        if state.settings.push != "auto":
            return None

        def last_stored(game_pk: int) -> str | None:
            follower = state.followers.get(game_pk)
            return follower.last_stored if follower is not None else None

        state.push = PushHub(
            state.settings.api_url,
            state.clock,
            on_news=self._news,
            on_state=self._changed,
            last_stored=last_stored,
            max_sockets=state.settings.push_max_sockets,
            silence_s=state.settings.poll.push_backstop_s,
        )
        return state.push

    async def follow(self, game_pk: int) -> None:
        """After a poll: a live game gets a socket; a game past its final fetch gives it back."""
        state = self.state
        hub = state.push
        if hub is None:
            return
        track = state.scheduler.tracks[game_pk]
        if track.phase is Phase.FOLLOW:
            hub.follow(game_pk)
        elif track.phase is not Phase.FINISHING:
            await hub.drop(game_pk)
            state.scheduler.push_changed(game_pk, False, state.clock.now())

    def _news(self, game_pk: int, news: PushNews) -> None:
        state = self.state
        now = state.clock.now()
        if state.scheduler.push_news(game_pk, now, refresh=news.refresh, timecode=news.timecode):
            state.wake_driver()  # the poll is due now: look at once

    def _changed(self, game_pk: int, by_push: bool, reason: str) -> None:
        state = self.state
        now = state.clock.now()
        state.scheduler.push_changed(game_pk, by_push, now)
        state.emit(PushChanged(at=now, game_pk=game_pk, by_push=by_push, reason=reason))
        state.wake_driver()
