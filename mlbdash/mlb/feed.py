"""The GUMBO live feed (``v1.1/game/{gamePk}/feed/live``) as pydantic models.

Only what mlbdash reads is modelled; everything else stays in ``model_extra`` untouched, which
keeps parsing a 600-900 KB feed to a few milliseconds. The same models read the whole-game
answer of diffPatch (no ``copyright``) and, for ``Linescore`` and ``Boxscore``, the
``game/{pk}/linescore`` and ``/boxscore`` endpoints.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from pydantic import Field

from mlbdash.mlb.common import (
    Decisions,
    GameStatus,
    LenientFloat,
    LenientInt,
    MlbModel,
    NumericStr,
    PersonRef,
    Team,
    UtcDatetime,
    Venue,
)
from mlbdash.mlb.text import ApiText
from mlbdash.mlb.timecode import is_timecode, parse_timecode

if TYPE_CHECKING:
    from datetime import datetime


# --- metaData -------------------------------------------------------------------------------


class MetaData(MlbModel):
    """The feed's version (``time_stamp``, a timecode) and the server's poll hint in seconds."""

    wait: int | None = None
    time_stamp: ApiText | None = None
    game_events: list[str] = Field(default_factory=list)
    logical_events: list[str] = Field(default_factory=list)

    @property
    def timecode(self) -> datetime | None:
        """``time_stamp`` as an aware UTC instant, or None when absent or malformed."""
        if self.time_stamp is None or not is_timecode(self.time_stamp):
            return None
        return parse_timecode(self.time_stamp)


# --- gameData -------------------------------------------------------------------------------


class GameIds(MlbModel):
    """``gameData.game``: which game this is (pk, type, doubleheader slot, season)."""

    known_extra = frozenset({"calendarEventID", "gamedayType", "id", "seasonDisplay", "tiebreaker"})

    pk: int | None = None
    type: ApiText | None = None
    double_header: ApiText | None = None
    game_number: int | None = None
    season: int | None = None


class GameDateTime(MlbModel):
    """``gameData.datetime``: first-pitch instant (UTC) and the league dates."""

    known_extra = frozenset({"ampm", "dayNight", "time"})

    date_time: UtcDatetime | None = None
    official_date: date | None = None
    original_date: date | None = None
    # A suspended game: when it resumes, and (once resumed) when it began. No recorded feed
    # has them yet; names and types follow the schedule's resume fields.
    resume_date: date | None = None
    resume_date_time: UtcDatetime | None = None
    resumed_from_date: date | None = None
    resumed_from_date_time: UtcDatetime | None = None
    day_night: ApiText | None = None


class GameTeams(MlbModel):
    away: Team | None = None
    home: Team | None = None


class Player(MlbModel):
    """An entry of ``gameData.players`` (keyed ``"ID<personId>"``)."""

    known_extra = frozenset(
        {
            "active",
            "batSide",
            "birthCity",
            "birthCountry",
            "birthDate",
            "birthStateProvince",
            "currentAge",
            "draftYear",
            "firstLastName",
            "firstName",
            "fullFMLName",
            "fullLFMName",
            "gender",
            "height",
            "initLastName",
            "isPlayer",
            "isVerified",
            "lastFirstName",
            "lastInitName",
            "lastName",
            "lastPlayedDate",
            "middleName",
            "mlbDebutDate",
            "nameFirstLast",
            "nameMatrilineal",
            "nameSlug",
            "nameSuffix",
            "nameTitle",
            "nickName",
            "pitchHand",
            "primaryPosition",
            "pronunciation",
            "strikeZoneBottom",
            "strikeZoneTop",
            "useLastName",
            "useName",
            "weight",
        }
    )

    id: int | None = None
    full_name: ApiText | None = None
    link: ApiText | None = None
    boxscore_name: ApiText | None = None
    primary_number: NumericStr = None


class ProbablePitchers(MlbModel):
    away: PersonRef | None = None
    home: PersonRef | None = None


class Flags(MlbModel):
    no_hitter: bool | None = None
    perfect_game: bool | None = None
    away_team_no_hitter: bool | None = None
    away_team_perfect_game: bool | None = None
    home_team_no_hitter: bool | None = None
    home_team_perfect_game: bool | None = None


class GameInfo(MlbModel):
    """Attendance and duration appear only after the game."""

    attendance: int | None = None
    first_pitch: UtcDatetime | None = None
    game_duration_minutes: int | None = None
    delay_duration_minutes: int | None = None


class Weather(MlbModel):
    condition: ApiText | None = None
    temp: LenientInt = None
    wind: ApiText | None = None


class GameData(MlbModel):
    known_extra = frozenset(
        {
            "absChallenges",
            "alerts",
            "moundVisits",
            "officialScorer",
            "officialVenue",
            "primaryDatacaster",
            "review",
            "secondaryDatacaster",
        }
    )

    game: GameIds | None = None
    datetime: GameDateTime | None = None
    status: GameStatus | None = None
    teams: GameTeams | None = None
    venue: Venue | None = None
    players: dict[str, Player] = Field(default_factory=dict)
    probable_pitchers: ProbablePitchers | None = None
    flags: Flags | None = None
    game_info: GameInfo | None = None
    weather: Weather | None = None


# --- liveData.plays -------------------------------------------------------------------------


class Count(MlbModel):
    balls: int | None = None
    strikes: int | None = None
    outs: int | None = None


class PlayResult(MlbModel):
    """What a plate appearance came to; mid at-bat there is no ``event`` yet."""

    type: ApiText | None = None
    event: ApiText | None = None
    event_type: ApiText | None = None
    description: ApiText | None = None
    rbi: int | None = None
    away_score: int | None = None
    home_score: int | None = None
    is_out: bool | None = None


class PlayAbout(MlbModel):
    known_extra = frozenset({"captivatingIndex"})

    at_bat_index: int | None = None
    half_inning: ApiText | None = None
    is_top_inning: bool | None = None
    inning: int | None = None
    start_time: UtcDatetime | None = None
    end_time: UtcDatetime | None = None
    is_complete: bool | None = None
    is_scoring_play: bool | None = None
    has_review: bool | None = None
    has_out: bool | None = None


class Matchup(MlbModel):
    known_extra = frozenset(
        {
            "batSide",
            "batterHotColdZoneStats",
            "batterHotColdZones",
            "pitchHand",
            "pitcherHotColdZones",
            "splits",
        }
    )

    batter: PersonRef | None = None
    pitcher: PersonRef | None = None
    post_on_first: PersonRef | None = None
    post_on_second: PersonRef | None = None
    post_on_third: PersonRef | None = None


class PlayEventDetails(MlbModel):
    known_extra = frozenset(
        {
            "ballColor",
            "call",
            "disengagementNum",
            "fromCatcher",
            "runnerGoing",
            "trailColor",
            "type",
            "violation",
        }
    )

    description: ApiText | None = None
    event: ApiText | None = None
    event_type: ApiText | None = None
    code: NumericStr = None
    is_in_play: bool | None = None
    is_strike: bool | None = None
    is_ball: bool | None = None
    is_out: bool | None = None
    is_scoring_play: bool | None = None
    has_review: bool | None = None
    away_score: int | None = None
    home_score: int | None = None


class PlayEvent(MlbModel):
    """One pitch, pickoff, substitution or other action inside a plate appearance."""

    known_extra = frozenset(
        {
            "actionPlayId",
            "base",
            "battingOrder",
            "hitData",
            "injuryType",
            "isBaseRunningPlay",
            "isSubstitution",
            "pitchData",
            "player",
            "position",
            "replacedPlayer",
            "umpire",
        }
    )

    index: int | None = None
    type: ApiText | None = None
    is_pitch: bool | None = None
    pitch_number: int | None = None
    play_id: ApiText | None = None
    details: PlayEventDetails | None = None
    count: Count | None = None
    start_time: UtcDatetime | None = None
    end_time: UtcDatetime | None = None


class RunnerMovement(MlbModel):
    origin_base: ApiText | None = None
    start: ApiText | None = None
    end: ApiText | None = None
    out_base: ApiText | None = None
    is_out: bool | None = None
    out_number: int | None = None


class RunnerDetails(MlbModel):
    event: ApiText | None = None
    event_type: ApiText | None = None
    movement_reason: ApiText | None = None
    runner: PersonRef | None = None
    responsible_pitcher: PersonRef | None = None
    is_scoring_event: bool | None = None
    rbi: bool | None = None
    earned: bool | None = None
    team_unearned: bool | None = None
    play_index: int | None = None


class RunnerCredit(MlbModel):
    known_extra = frozenset({"position"})

    player: PersonRef | None = None
    credit: ApiText | None = None


class Runner(MlbModel):
    movement: RunnerMovement | None = None
    details: RunnerDetails | None = None
    credits: list[RunnerCredit] = Field(default_factory=list)


class Play(MlbModel):
    """A plate appearance (``allPlays[]`` and ``currentPlay``)."""

    known_extra = frozenset({"actionIndex", "pitchIndex", "reviewDetails", "runnerIndex"})

    at_bat_index: int | None = None
    result: PlayResult | None = None
    about: PlayAbout | None = None
    count: Count | None = None
    matchup: Matchup | None = None
    play_events: list[PlayEvent] = Field(default_factory=list)
    runners: list[Runner] = Field(default_factory=list)
    play_end_time: UtcDatetime | None = None


class PlaysByInning(MlbModel):
    """Indexes into ``allPlays`` for one inning."""

    known_extra = frozenset({"hits"})

    start_index: int | None = None
    end_index: int | None = None
    top: list[int] = Field(default_factory=list)
    bottom: list[int] = Field(default_factory=list)


class Plays(MlbModel):
    all_plays: list[Play] = Field(default_factory=list)
    current_play: Play | None = None
    scoring_plays: list[int] = Field(default_factory=list)
    plays_by_inning: list[PlaysByInning] = Field(default_factory=list)


# --- liveData.linescore ---------------------------------------------------------------------


class InningLine(MlbModel):
    """One team's half of an inning. ``runs`` is absent (None) for a half not played."""

    runs: int | None = None
    hits: int | None = None
    errors: int | None = None
    left_on_base: int | None = None


class LinescoreInning(MlbModel):
    num: int | None = None
    ordinal_num: ApiText | None = None
    home: InningLine | None = None
    away: InningLine | None = None


class LinescoreTotals(MlbModel):
    runs: int | None = None
    hits: int | None = None
    errors: int | None = None
    left_on_base: int | None = None
    is_winner: bool | None = None


class LinescoreTeams(MlbModel):
    home: LinescoreTotals | None = None
    away: LinescoreTotals | None = None


class Linescore(MlbModel):
    """``liveData.linescore``, the schedule's ``hydrate=linescore`` and ``game/{pk}/linescore``."""

    known_extra = frozenset({"copyright", "defense", "offense", "tiebreaker"})

    current_inning: int | None = None
    current_inning_ordinal: ApiText | None = None
    inning_state: ApiText | None = None
    inning_half: ApiText | None = None
    is_top_inning: bool | None = None
    scheduled_innings: int | None = None
    innings: list[LinescoreInning] = Field(default_factory=list)
    teams: LinescoreTeams | None = None
    balls: int | None = None
    strikes: int | None = None
    outs: int | None = None
    note: ApiText | None = None


# --- liveData.boxscore ----------------------------------------------------------------------


class BattingStats(MlbModel):
    known_extra = frozenset(
        {
            "airOuts",
            "atBatsPerHomeRun",
            "catchersInterference",
            "flyOuts",
            "gamesPlayed",
            "groundIntoDoublePlay",
            "groundIntoTriplePlay",
            "groundOuts",
            "intentionalWalks",
            "lineOuts",
            "pickoffs",
            "popOuts",
            "stolenBasePercentage",
        }
    )

    runs: int | None = None
    hits: int | None = None
    doubles: int | None = None
    triples: int | None = None
    home_runs: int | None = None
    rbi: int | None = None
    base_on_balls: int | None = None
    strike_outs: int | None = None
    at_bats: int | None = None
    plate_appearances: int | None = None
    left_on_base: int | None = None
    stolen_bases: int | None = None
    caught_stealing: int | None = None
    hit_by_pitch: int | None = None
    sac_bunts: int | None = None
    sac_flies: int | None = None
    total_bases: int | None = None
    avg: LenientFloat = None
    obp: LenientFloat = None
    slg: LenientFloat = None
    ops: LenientFloat = None
    note: ApiText | None = None
    summary: ApiText | None = None


class PitchingStats(MlbModel):
    known_extra = frozenset(
        {
            "airOuts",
            "atBats",
            "balks",
            "blownSaves",
            "catchersInterference",
            "caughtStealing",
            "caughtStealingPercentage",
            "completeGames",
            "doubles",
            "flyOuts",
            "gamesFinished",
            "gamesPitched",
            "gamesPlayed",
            "gamesStarted",
            "groundOuts",
            "groundOutsToAirouts",
            "hitByPitch",
            "holds",
            "homeRunsPer9",
            "inheritedRunners",
            "inheritedRunnersScored",
            "intentionalWalks",
            "lineOuts",
            "obp",
            "passedBall",
            "pickoffs",
            "pitchesPerInning",
            "popOuts",
            "rbi",
            "runsScoredPer9",
            "sacBunts",
            "sacFlies",
            "saveOpportunities",
            "shutouts",
            "stolenBasePercentage",
            "stolenBases",
            "strikePercentage",
            "triples",
            "wildPitches",
        }
    )

    innings_pitched: NumericStr = None
    outs: int | None = None
    batters_faced: int | None = None
    hits: int | None = None
    runs: int | None = None
    earned_runs: int | None = None
    base_on_balls: int | None = None
    strike_outs: int | None = None
    home_runs: int | None = None
    hit_batsmen: int | None = None
    number_of_pitches: int | None = None
    pitches_thrown: int | None = None
    strikes: int | None = None
    balls: int | None = None
    wins: int | None = None
    losses: int | None = None
    saves: int | None = None
    era: LenientFloat = None
    whip: LenientFloat = None
    note: ApiText | None = None
    summary: ApiText | None = None


class FieldingStats(MlbModel):
    known_extra = frozenset(
        {
            "caughtStealing",
            "caughtStealingPercentage",
            "fielding",
            "gamesStarted",
            "passedBall",
            "pickoffs",
            "stolenBasePercentage",
            "stolenBases",
        }
    )

    errors: int | None = None
    assists: int | None = None
    put_outs: int | None = None
    chances: int | None = None


class StatGroups(MlbModel):
    batting: BattingStats | None = None
    pitching: PitchingStats | None = None
    fielding: FieldingStats | None = None


class Position(MlbModel):
    code: NumericStr = None
    name: ApiText | None = None
    type: ApiText | None = None
    abbreviation: ApiText | None = None


class PlayerGameStatus(MlbModel):
    is_current_batter: bool | None = None
    is_current_pitcher: bool | None = None
    is_on_bench: bool | None = None
    is_substitute: bool | None = None


class BoxscorePlayer(MlbModel):
    """A player's line in one game. ``batting_order`` is MLB's slot code ("100", "101")."""

    known_extra = frozenset({"allPositions", "parentTeamId", "seasonStats", "status"})

    person: PersonRef | None = None
    jersey_number: NumericStr = None
    position: Position | None = None
    stats: StatGroups | None = None
    game_status: PlayerGameStatus | None = None
    batting_order: NumericStr = None


class BoxscoreTeam(MlbModel):
    known_extra = frozenset({"info", "note"})

    team: Team | None = None
    team_stats: StatGroups | None = None
    players: dict[str, BoxscorePlayer] = Field(default_factory=dict)
    batters: list[int] = Field(default_factory=list)
    pitchers: list[int] = Field(default_factory=list)
    bench: list[int] = Field(default_factory=list)
    bullpen: list[int] = Field(default_factory=list)
    batting_order: list[int] = Field(default_factory=list)


class BoxscoreTeams(MlbModel):
    away: BoxscoreTeam | None = None
    home: BoxscoreTeam | None = None


class Boxscore(MlbModel):
    """``liveData.boxscore`` and ``game/{pk}/boxscore``."""

    known_extra = frozenset({"copyright", "info", "officials", "pitchingNotes", "topPerformers"})

    teams: BoxscoreTeams | None = None


# --- the feed -------------------------------------------------------------------------------


class LiveData(MlbModel):
    known_extra = frozenset({"leaders"})

    plays: Plays | None = None
    linescore: Linescore | None = None
    boxscore: Boxscore | None = None
    decisions: Decisions | None = None


class LiveFeed(MlbModel):
    """A whole GUMBO feed. ``copyright`` is absent from diffPatch's whole-game answer."""

    copyright: ApiText | None = None
    game_pk: int | None = None
    link: ApiText | None = None
    meta_data: MetaData | None = None
    game_data: GameData | None = None
    live_data: LiveData | None = None
