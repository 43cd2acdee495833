"""Drift: how a real answer differs from what the models expect.

Three kinds, each a ``DriftField`` with a JSON-pointer-like path in the API's own names, list
indexes written ``[]`` and ``ID<personId>`` map keys written ``*`` so one finding stands for
every play or player that shows it:

* ``unknown``: a field the models neither read nor list in ``known_extra`` (a new API field);
* ``invalid``: a value of the wrong type, dropped by ``parse_tolerant`` so the rest parses;
* ``missing``: a field mlbdash needs (see ``FEED_REQUIRED``) that the answer left out.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from mlbdash.mlb.common import MlbModel

DriftKind = Literal["unknown", "invalid", "missing"]
M = TypeVar("M", bound=BaseModel)

_MAP_KEY = re.compile(r"ID\d+")
_MAX_REPAIR_ROUNDS = 8


@dataclass(frozen=True, slots=True)
class DriftField:
    """One drifted field: where (``path``), what it held (``type_name``) and what kind."""

    path: str
    type_name: str
    kind: DriftKind = "unknown"
    detail: str = ""


class ShapeError(ValueError):
    """An answer too unlike the model to parse at all (e.g. a list where an object belongs)."""


@dataclass(frozen=True, slots=True)
class Parsed(Generic[M]):
    """A model parsed by ``parse_tolerant`` and the values it had to drop."""

    model: M
    invalid: list[DriftField] = field(default_factory=list)


# --- unknown fields -------------------------------------------------------------------------


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in typing.get_args(annotation))


@cache
def _model_fields(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(attribute, API name) of the fields of ``cls`` that can hold nested models."""
    return tuple(
        (name, info.alias or name)
        for name, info in cls.model_fields.items()
        if _holds_model(info.annotation)
    )


def _segment(key: str | int) -> str:
    if isinstance(key, int):
        return "[]"
    return "*" if _MAP_KEY.fullmatch(key) else key


def unknown_fields(model: BaseModel, *, include_known: bool = False) -> list[DriftField]:
    """Fields kept in ``model_extra`` anywhere in the tree, one per path, sorted by path.

    Fields a model lists in ``known_extra`` are skipped unless ``include_known``.
    """
    found: dict[str, DriftField] = {}
    # An explicit stack, not recursion: a feed holds a few thousand model instances.
    stack: list[tuple[str, BaseModel]] = [("", model)]
    while stack:
        path, node = stack.pop()
        extra = node.__pydantic_extra__
        if extra:
            known = node.known_extra if isinstance(node, MlbModel) else frozenset()
            for key, value in extra.items():
                if include_known or key not in known:
                    where = f"{path}/{key}"
                    if where not in found:
                        found[where] = DriftField(where, type(value).__name__)
        for name, api_name in _model_fields(type(node)):
            child = getattr(node, name)
            if isinstance(child, BaseModel):
                stack.append((f"{path}/{api_name}", child))
            elif isinstance(child, list):
                where = f"{path}/{api_name}/[]"
                stack.extend((where, item) for item in child if isinstance(item, BaseModel))
            elif isinstance(child, dict):
                where = f"{path}/{api_name}"
                stack.extend(
                    (f"{where}/{_segment(key)}", item)
                    for key, item in child.items()
                    if isinstance(item, BaseModel)
                )
    return sorted(found.values(), key=lambda d: d.path)


# --- missing fields -------------------------------------------------------------------------

FEED_REQUIRED: tuple[str, ...] = (
    "/gamePk",
    "/metaData/timeStamp",
    "/gameData/game/pk",
    "/gameData/status/abstractGameState",
    "/gameData/status/codedGameState",
    "/gameData/status/statusCode",
    "/gameData/teams/away/id",
    "/gameData/teams/home/id",
    "/gameData/datetime/dateTime",
    "/liveData/linescore/teams/away/runs",
    "/liveData/linescore/teams/home/runs",
    "/liveData/plays/allPlays/[]/about/atBatIndex",
    "/liveData/boxscore/teams/away/teamStats/batting/runs",
    "/liveData/boxscore/teams/home/teamStats/batting/runs",
)
"""Feed fields mlbdash relies on once a game has started."""

SCHEDULE_GAME_REQUIRED: tuple[str, ...] = (
    "/gamePk",
    "/gameDate",
    "/officialDate",
    "/status/codedGameState",
    "/status/statusCode",
    "/teams/away/team/id",
    "/teams/home/team/id",
)
"""Fields of each schedule game mlbdash relies on."""


@cache
def _by_api_name(cls: type[BaseModel]) -> dict[str, str]:
    return {(info.alias or name): name for name, info in cls.model_fields.items()}


def _resolve(value: Any, steps: list[str], path: str, out: dict[str, DriftField]) -> None:
    if not steps:
        if value is None:
            out.setdefault(path, DriftField(path, "NoneType", "missing"))
        return
    if value is None:
        out.setdefault(path, DriftField(path, "NoneType", "missing"))
        return
    step, rest = steps[0], steps[1:]
    if step in ("[]", "*"):
        items = value if isinstance(value, list) else list(value.values())
        for item in items:
            _resolve(item, rest, f"{path}/{step}", out)
        return
    if isinstance(value, BaseModel):
        name = _by_api_name(type(value)).get(step)
        extra = value.model_extra or {}
        child = getattr(value, name) if name is not None else extra.get(step)
    elif isinstance(value, dict):
        child = value.get(step)
    else:
        child = None
    _resolve(child, rest, f"{path}/{step}", out)


def missing_fields(model: BaseModel, required: Iterable[str]) -> list[DriftField]:
    """The ``required`` paths (API names, ``[]`` for every list item) that hold no value.

    A path is reported at the first step that is absent, once however many items lack it.
    """
    out: dict[str, DriftField] = {}
    for path in required:
        _resolve(model, [s for s in path.split("/") if s], "", out)
    return sorted(out.values(), key=lambda d: d.path)


# --- tolerant parsing -----------------------------------------------------------------------


def _sort_key(loc: tuple[int | str, ...]) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, s) if isinstance(s, int) else (1, s) for s in loc)


def _without(root: Any, loc: tuple[int | str, ...]) -> tuple[Any, str, Any] | None:
    """``root`` copied along ``loc`` with the deepest existing item on it removed.

    Returns (new root, API path of what was removed, the removed value), or None when ``loc``
    names nothing inside ``root`` (the root itself is wrong).
    """
    depth = 0
    node = root
    for step in loc:
        in_dict = isinstance(node, dict) and isinstance(step, str) and step in node
        in_list = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if not (in_dict or in_list):
            break
        node = node[step]
        depth += 1
    if depth == 0:
        return None
    keep = loc[:depth]
    new_root = root.copy()
    parent = new_root
    for step in keep[:-1]:
        child = parent[step].copy()
        parent[step] = child
        parent = child
    removed = parent[keep[-1]]
    del parent[keep[-1]]
    return new_root, "/" + "/".join(_segment(s) for s in keep), removed


def parse_tolerant(model_cls: type[M], data: Any) -> Parsed[M]:
    """Validate ``data``; values of the wrong type are dropped and reported, not fatal.

    A real answer parses in one pass. When a value does not fit (a new type for an old field),
    that value alone is removed from a copy of ``data`` and validation runs again; the caller's
    ``data`` is never changed. Raises ShapeError only when the answer as a whole is the wrong
    shape.
    """
    invalid: list[DriftField] = []
    current = data
    for _ in range(_MAX_REPAIR_ROUNDS):
        try:
            return Parsed(model_cls.model_validate(current), invalid)
        except ValidationError as exc:
            errors = sorted(exc.errors(), key=lambda e: _sort_key(tuple(e["loc"])), reverse=True)
        progressed = False
        for error in errors:
            pruned = _without(current, tuple(error["loc"]))
            if pruned is None:
                continue
            current, path, removed = pruned
            progressed = True
            shown = repr(removed)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            detail = f"{error['msg']}: {shown}"
            invalid.append(DriftField(path, type(removed).__name__, "invalid", detail))
        if not progressed:
            break
    raise ShapeError(
        f"{model_cls.__name__}: answer has the wrong shape (top level is {type(data).__name__})"
        if not isinstance(data, dict)
        else f"{model_cls.__name__}: answer could not be repaired after {len(invalid)} fixes"
    )


__all__ = [
    "FEED_REQUIRED",
    "SCHEDULE_GAME_REQUIRED",
    "DriftField",
    "DriftKind",
    "Parsed",
    "ShapeError",
    "missing_fields",
    "parse_tolerant",
    "unknown_fields",
]
