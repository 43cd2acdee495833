"""Settings: defaults < TOML file < MLBDASH_* environment < CLI flags, and clear errors (exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlbdash.config import (
    Settings,
    default_config_file,
    ensure_data_dir,
    load_settings,
)
from mlbdash.errors import ConfigError

ROOT = Path(__file__).parents[1]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_nothing_is_set(tmp_path: Path) -> None:
    settings = load_settings(env={}, config_file=tmp_path / "absent.toml")
    assert settings == Settings()
    assert settings.api_url == "https://statsapi.mlb.com/api"
    assert settings.sport_ids == [1]
    assert settings.poll.live_default_s == 10.0


def test_each_layer_overrides_the_one_below(tmp_path: Path) -> None:
    config = write(
        tmp_path / "config.toml",
        """
        requests_per_second = 2.0
        burst = 3
        max_concurrency = 4
        teams = [134]

        [poll]
        delayed_s = 30
        suspended_s = 300
        """,
    )
    env = {
        "MLBDASH_REQUESTS_PER_SECOND": "4",
        "MLBDASH_BURST": "6",
        "MLBDASH_POLL__DELAYED_S": "45",
        "MLBDASH_SPORT_IDS": "1, 11",
        "HOME": "/ignored",  # not ours: skipped
    }
    cli = {"requests_per_second": 8.0, "burst": None}  # None: flag not given
    settings = load_settings(cli, env=env, config_file=config)
    assert settings.requests_per_second == 8.0  # CLI over env over file
    assert settings.burst == 6  # env over file (CLI flag absent)
    assert settings.max_concurrency == 4  # file over default
    assert settings.teams == [134]
    assert settings.sport_ids == [1, 11]
    # Nested tables merge key by key across layers.
    assert (settings.poll.delayed_s, settings.poll.suspended_s) == (45.0, 300.0)
    assert settings.poll.live_min_s == 5.0


def test_config_file_named_by_mlbdash_config(tmp_path: Path) -> None:
    config = write(tmp_path / "elsewhere.toml", 'api_url = "http://127.0.0.1:8765/api"\n')
    settings = load_settings(env={"MLBDASH_CONFIG": str(config)})
    assert settings.api_url == "http://127.0.0.1:8765/api"


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", "burst = = 3\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(env={}, config_file=config)
    message = str(exc.value)
    assert message.startswith(f"{config}: not valid TOML: ")
    assert "line 1" in message
    assert exc.value.exit_code == 2


def test_bad_value_in_file_names_file_key_and_reason(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", "[poll]\ndelayed_s = -5\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(env={}, config_file=config)
    assert str(exc.value) == f"{config}: poll.delayed_s: Input should be greater than 0"
    assert exc.value.exit_code == 2


def test_unknown_key_in_file(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", 'colour = "blue"\n')
    with pytest.raises(ConfigError, match=r": colour: unknown setting$"):
        load_settings(env={}, config_file=config)


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    config = write(tmp_path / "config.toml", "requests_per_second = 3\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(env={"MLBDASH_REQUESTS_PER_SECOND": "fast"}, config_file=config)
    message = str(exc.value)
    assert message.startswith("MLBDASH_REQUESTS_PER_SECOND (environment): requests_per_second: ")
    assert "valid number" in message
    assert exc.value.exit_code == 2


def test_bad_list_item_in_env_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(env={"MLBDASH_SPORT_IDS": "1,eleven"}, config_file=tmp_path / "x.toml")
    assert str(exc.value).startswith("MLBDASH_SPORT_IDS (environment): sport_ids.1: ")


def test_bad_nested_env_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(env={"MLBDASH_POLL__LIVE_MIN_S": "0"}, config_file=tmp_path / "x.toml")
    assert str(exc.value) == (
        "MLBDASH_POLL__LIVE_MIN_S (environment): poll.live_min_s: Input should be greater than 0"
    )


def test_bad_cli_value_says_command_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings({"burst": 0}, env={}, config_file=tmp_path / "x.toml")
    assert str(exc.value) == "command line: burst: Input should be greater than or equal to 1"


def test_unreadable_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"config\.toml: cannot read"):
        load_settings(env={}, config_file=folder)


def test_data_dir_created_on_first_use_only(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": tmp_path / "data"}, env={}, config_file=tmp_path / "x")
    assert settings.resolved_db_path() == tmp_path / "data" / "mlbdash.sqlite3"
    assert not (tmp_path / "data").exists()
    assert ensure_data_dir(settings) == tmp_path / "data"
    assert (tmp_path / "data").is_dir()


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    settings = Settings(data_dir=tmp_path / "file" / "data")
    with pytest.raises(ConfigError) as exc:
        ensure_data_dir(settings)
    assert str(exc.value).startswith(f"cannot create data folder {tmp_path / 'file' / 'data'}: ")
    assert exc.value.exit_code == 2


def test_platform_dirs_follow_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform != "linux":
        pytest.skip("XDG variables apply on Linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert Settings().resolved_db_path() == tmp_path / "share" / "mlbdash" / "mlbdash.sqlite3"
    assert default_config_file() == tmp_path / "config" / "mlbdash" / "config.toml"


IMPORT_EVERYTHING = """
import pkgutil, importlib, sys
import mlbdash
from mlbdash.cli import build_parser
from mlbdash.config import load_settings
failed = []
for info in pkgutil.walk_packages(mlbdash.__path__, "mlbdash."):
    if info.name == "mlbdash.__main__":  # runs the CLI when imported
        continue
    try:
        importlib.import_module(info.name)
    except Exception as exc:  # reported, so a broken module does not hide a folder made
        failed.append(f"{info.name}: {exc!r}")
build_parser()
settings = load_settings()
settings.resolved_db_path()
print("\\n".join(failed))
"""


def test_importing_mlbdash_creates_no_folders(tmp_path: Path) -> None:
    """Importing every module, building the parser and loading settings touch no disk."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLBDASH_"))},
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"modules failed to import:\n{result.stdout}"
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
