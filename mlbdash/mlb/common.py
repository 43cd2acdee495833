"""Pieces the feed and schedule models share: the base model, tolerant value types, refs.

Every model keeps unknown fields (``extra="allow"``: they land in ``model_extra``) so drift can
be reported, takes MLB's camelCase names as well as our snake_case ones, and makes every field
optional because the API leaves fields out freely. ``known_extra`` lists the fields the API is
known to send that mlbdash does not read: they are kept, but they are not drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from mlbdash.mlb.text import ApiText

if TYPE_CHECKING:
    from mlbdash.mlb.status import Lifecycle, StatusInfo


class MlbModel(BaseModel):
    """Base of every MLB model: tolerant, camelCase aliases, unknown fields kept."""

    model_config = ConfigDict(
        extra="allow",
        alias_generator=to_camel,
        populate_by_name=True,
    )

    known_extra: ClassVar[frozenset[str]] = frozenset()


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _float_or_none(value: Any) -> Any:
    # Rates come as strings: ".250", "3.45", and "-.--" / ".---" / "*.**" when undefined.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return value


def _int_or_none(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                return round(float(text))
            except ValueError:
                return None
    return value


def _str_of_number(value: Any) -> Any:
    # Fields MLB sends as strings ("6.2", "23") must stay strings even if a number turns up.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An instant with an offset or ``Z`` in the text, normalised to UTC."""

LenientFloat = Annotated[float | None, BeforeValidator(_float_or_none)]
"""A rate such as ``avg`` or ``era``: a number or numeric string; placeholders become None."""

LenientInt = Annotated[int | None, BeforeValidator(_int_or_none)]
"""A count that may come as a string ("73"); text that is no number becomes None."""

NumericStr = Annotated[str | None, BeforeValidator(_str_of_number)]
"""A string that looks numeric and must stay text (``inningsPitched`` "6.2", jersey "00")."""


class PersonRef(MlbModel):
    """A person as the API points at one: id, name, link."""

    known_extra = frozenset({"primaryNumber", "primaryPosition", "stats"})

    id: int | None = None
    full_name: ApiText | None = None
    link: ApiText | None = None


class Team(MlbModel):
    """A team: the schedule sends id/name/link, the feed (and hydrate=team) much more."""

    known_extra = frozenset(
        {
            "active",
            "allStarStatus",
            "division",
            "fileCode",
            "firstYearOfPlay",
            "franchiseName",
            "league",
            "record",
            "season",
            "sport",
            "springLeague",
            "springVenue",
            "teamCode",
            "venue",
        }
    )

    id: int | None = None
    name: ApiText | None = None
    link: ApiText | None = None
    abbreviation: ApiText | None = None
    team_name: ApiText | None = None
    short_name: ApiText | None = None
    club_name: ApiText | None = None
    location_name: ApiText | None = None


class VenueTimeZone(MlbModel):
    id: ApiText | None = None
    offset: int | None = None
    offset_at_game_time: int | None = None
    tz: ApiText | None = None


class Venue(MlbModel):
    known_extra = frozenset({"active", "fieldInfo", "location", "season"})

    id: int | None = None
    name: ApiText | None = None
    link: ApiText | None = None
    time_zone: VenueTimeZone | None = None


class GameStatus(MlbModel):
    """A game's status as sent; ``info`` maps it onto mlbdash's lifecycle."""

    abstract_game_state: ApiText | None = None
    coded_game_state: ApiText | None = None
    detailed_state: ApiText | None = None
    status_code: ApiText | None = None
    start_time_tbd: bool | None = Field(default=None, alias="startTimeTBD")
    reason: ApiText | None = None
    abstract_game_code: ApiText | None = None

    @property
    def info(self) -> StatusInfo:
        from mlbdash.mlb.status import classify_game_status

        return classify_game_status(self)

    @property
    def lifecycle(self) -> Lifecycle:
        return self.info.lifecycle


class Decisions(MlbModel):
    """Winning, losing and saving pitchers: only once a game is Final."""

    winner: PersonRef | None = None
    loser: PersonRef | None = None
    save: PersonRef | None = None


class LeagueRecord(MlbModel):
    wins: int | None = None
    losses: int | None = None
    ties: int | None = None
    pct: LenientFloat = None


__all__ = [
    "Decisions",
    "GameStatus",
    "LeagueRecord",
    "LenientFloat",
    "LenientInt",
    "MlbModel",
    "NumericStr",
    "PersonRef",
    "Team",
    "UtcDatetime",
    "Venue",
    "VenueTimeZone",
]
