"""The scheduler: master schedule, game state machine, poll intervals, priorities, coverage.

``Scheduler`` (core.py) decides with no I/O; the runtime makes the requests it asks for.
"""

from mlbdash.ingest.scheduler.core import FEED, SCHEDULE, FeedFacts, Job, Scheduler
from mlbdash.ingest.scheduler.coverage import CoverageGap, DateCoverage
from mlbdash.ingest.scheduler.policy import PollPolicy, Priority
from mlbdash.ingest.scheduler.states import (
    GameTrack,
    Phase,
    ScheduleEntry,
    Transition,
)
from mlbdash.ingest.scheduler.tracked import TrackedDates

__all__ = [
    "FEED",
    "SCHEDULE",
    "CoverageGap",
    "DateCoverage",
    "FeedFacts",
    "GameTrack",
    "Job",
    "Phase",
    "PollPolicy",
    "Priority",
    "ScheduleEntry",
    "Scheduler",
    "TrackedDates",
    "Transition",
]
