"""Errors a user may see: each carries a one-line message and the exit code to leave with."""

from __future__ import annotations


class MlbdashError(Exception):
    """An expected failure, reported to the user as one line (never a traceback)."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(MlbdashError):
    """A bad setting: names where it came from, the key and the reason. Exit 2."""

    exit_code = 2


class UsageError(MlbdashError):
    """Flags that do not make sense together. Exit 2."""

    exit_code = 2
