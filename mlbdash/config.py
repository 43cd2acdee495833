"""Settings: defaults < TOML file in the config dir < MLBDASH_* environment < CLI flags.

Nothing here touches the disk at import; folders are created by `ensure_data_dir` on first use.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlbdash.errors import ConfigError

APP_NAME = "mlbdash"
ENV_PREFIX = "MLBDASH_"
DEFAULT_API_URL = "https://statsapi.mlb.com/api"


class PollSettings(BaseModel):
    """Poll intervals in (virtual) seconds, by what a game is doing."""

    model_config = ConfigDict(extra="forbid")

    far_preview_s: float = Field(1800.0, gt=0, description="Preview game more than 2 h away")
    near_preview_s: float = Field(300.0, gt=0, description="Preview game within 2 h")
    imminent_preview_s: float = Field(60.0, gt=0, description="Preview game within 15 min")
    live_min_s: float = Field(5.0, gt=0, description="Floor under metaData.wait while live")
    live_default_s: float = Field(10.0, gt=0, description="Live interval when no wait is known")
    delayed_s: float = Field(60.0, gt=0, description="Delayed game")
    suspended_s: float = Field(600.0, gt=0, description="Suspended game")
    final_recheck_after_s: float = Field(
        1800.0, gt=0, description="Re-check a Final game once after this, for scoring changes"
    )
    schedule_live_s: float = Field(
        60.0,
        gt=0,
        description="Schedule refresh while games are live (and not all told of by push)",
    )
    schedule_idle_s: float = Field(900.0, gt=0, description="Schedule refresh otherwise")
    push_backstop_s: float = Field(
        60.0,
        gt=0,
        description="Live poll interval while the game's push socket is healthy (doubled "
        "after each poll that finds nothing new, up to 4 times); a socket silent this long "
        "while these polls find new versions is reconnected",
    )


class AlertSettings(BaseModel):
    """Alert thresholds in (virtual) seconds."""

    model_config = ConfigDict(extra="forbid")

    frozen_feed_s: float = Field(
        900.0,
        gt=0,
        allow_inf_nan=False,
        description="A game In Progress whose feed has not changed this long fires frozen_feed "
        "(delays, reviews and suspensions not counted)",
    )
    resolve_hold_s: float = Field(
        300.0,
        ge=0,
        allow_inf_nan=False,
        description="An alert resolves only after its condition has stayed away this long; "
        "if it comes back sooner, it is the same incident",
    )
    rate_window_s: float = Field(
        300.0,
        ge=10,
        allow_inf_nan=False,
        description="How far back the throttled and error_rate alerts count responses",
    )


class DisplaySettings(BaseModel):
    """How the dashboard shows things."""

    model_config = ConfigDict(extra="forbid")

    clock: Literal["league", "local"] = Field(
        "league",
        description="Times on screen and in file names: the league's (Eastern) or this "
        "computer's local time",
    )
    screenshot_dir: Path | None = Field(
        None, description="Folder for screenshots (default: the current folder)"
    )


class Settings(BaseModel):
    """Everything mlbdash can be told. Field names are the TOML keys and the env suffixes."""

    model_config = ConfigDict(extra="forbid")

    api_url: str = Field(DEFAULT_API_URL, min_length=1)
    requests_per_second: float = Field(5.0, gt=0, le=1000)
    burst: int = Field(10, ge=1, le=10000)
    max_concurrency: int = Field(16, ge=1, le=4096)
    connect_timeout_s: float = Field(5.0, gt=0)
    read_timeout_s: float = Field(20.0, gt=0)
    # Per-read timeouts never end a body that keeps trickling: every attempt also has a deadline
    # for the whole exchange (connect, headers and the last byte of the body), in real seconds.
    request_deadline_s: float = Field(30.0, gt=0)
    # A scheduler job (one game's poll with its retries and back-fill, or a schedule read) is
    # cancelled past this many real seconds and counted as a failed poll.
    job_deadline_s: float = Field(300.0, gt=0)
    max_body_bytes: int = Field(25_000_000, gt=0)
    retry_attempts: int = Field(5, ge=1, le=50)
    retry_max_elapsed_s: float = Field(120.0, gt=0)
    sport_ids: list[int] = Field(default_factory=lambda: [1])
    teams: list[int] = Field(default_factory=list)
    data_dir: Path | None = None
    db_path: Path | None = None
    metrics_port: int | None = Field(None, ge=0, le=65535)
    # "auto": follow live games through MLB's game push socket, polling as a backstop (and in
    # full for a game whose socket fails); "off": poll only.
    push: Literal["auto", "off"] = "auto"
    push_max_sockets: int = Field(64, ge=1, le=4096)
    poll: PollSettings = Field(default_factory=PollSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    display: DisplaySettings = Field(default_factory=DisplaySettings)

    def resolved_data_dir(self) -> Path:
        """The data folder (database, exports, logs); not created here."""
        if self.data_dir is not None:
            return self.data_dir.expanduser()
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))

    def resolved_db_path(self) -> Path:
        if self.db_path is not None:
            return self.db_path.expanduser()
        return self.resolved_data_dir() / "mlbdash.sqlite3"


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "config.toml"


def ensure_data_dir(settings: Settings) -> Path:
    """Create the data folder on first use, with a clear error if that is impossible."""
    path = settings.resolved_data_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create data folder {path}: {exc.strerror or exc}") from exc
    return path


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc


_ENV_LABEL = "environment (MLBDASH_*)"


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """MLBDASH_API_URL=... -> {"api_url": ...}; MLBDASH_POLL__DELAYED_S -> {"poll": {...}}.

    Lists are comma separated (MLBDASH_SPORT_IDS=1,11).
    """
    out: dict[str, Any] = {}
    list_fields = {"sport_ids", "teams"}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "ONLINE":
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key in {"config"}:
            continue
        parts = key.split("__")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        leaf = parts[-1]
        if len(parts) == 1 and leaf in list_fields:
            target[leaf] = [item.strip() for item in value.split(",") if item.strip()]
        else:
            target[leaf] = value
    return out


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(exc: ValidationError, sources: list[tuple[str, Mapping[str, Any]]]) -> str:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"])
    origin = "defaults"
    for label, layer in reversed(sources):
        node: Any = layer
        for part in err["loc"]:
            in_mapping = isinstance(node, Mapping) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if not (in_mapping or in_list):
                break
            node = node[part]
        else:
            origin = label
            break
    if origin == _ENV_LABEL:
        # Name the variable itself: MLBDASH_POLL__DELAYED_S, not just "the environment".
        names = [str(p).upper() for p in err["loc"] if isinstance(p, str)]
        origin = f"{ENV_PREFIX}{'__'.join(names)} (environment)"
    reason = err["msg"]
    if err["type"] == "extra_forbidden":
        reason = "unknown setting"
    return f"{origin}: {key}: {reason}"


def load_settings(
    cli: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build Settings from every layer. Raises ConfigError naming the file or variable and key."""
    env = os.environ if env is None else env
    if config_file is None:
        explicit = env.get(ENV_PREFIX + "CONFIG")
        config_file = Path(explicit) if explicit else default_config_file()
    file_layer = _read_toml(config_file)
    env_layer = _env_overrides(env)
    cli_layer = {k: v for k, v in (cli or {}).items() if v is not None}
    sources: list[tuple[str, Mapping[str, Any]]] = [
        (str(config_file), file_layer),
        (_ENV_LABEL, env_layer),
        ("command line", cli_layer),
    ]
    merged: dict[str, Any] = {}
    for _, layer in sources:
        merged = _merge(merged, layer)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources)) from exc


def settings_flags(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The subset of parsed flags that are Settings fields, for config.load_settings(cli=...)."""
    return {name: getattr(args, name, None) for name in names}
