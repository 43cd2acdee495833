"""Which league dates an ingest run covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from mlbdash.errors import UsageError

# A range is read one schedule request per date and refreshed while it runs; a season-long
# range is a job for a loop of runs, not one ingest.
MAX_DATES = 62


@dataclass(frozen=True, slots=True)
class TrackedDates:
    """``start``..``end`` inclusive; both None means the league's today when the run starts.

    With ``follow`` the run also picks up each new league date as it begins.
    """

    start: date | None = None
    end: date | None = None
    follow: bool = False

    def __post_init__(self) -> None:
        if (self.start is None) != (self.end is None):
            raise UsageError("give both a start and an end date, or neither")
        if self.start is not None and self.end is not None:
            if self.end < self.start:
                raise UsageError(f"end date {self.end} is before start date {self.start}")
            if (self.end - self.start).days + 1 > MAX_DATES:
                raise UsageError(f"at most {MAX_DATES} dates per run")

    @classmethod
    def single(cls, d: date, *, follow: bool = False) -> TrackedDates:
        return cls(start=d, end=d, follow=follow)

    def initial(self, today: date) -> list[date]:
        """The dates to track from the start, given the league's today."""
        if self.start is None or self.end is None:
            return [today]
        days = (self.end - self.start).days
        return [self.start + timedelta(days=i) for i in range(days + 1)]
