"""Fault injection for the replay server, seeded so the same seed gives the same faults.

Spec syntax (``--faults``): comma-separated items, each ``NAME=VALUE`` with optional
``:KEY=VALUE`` options. Rates are probabilities per request (0..1); at most one of the
rate-driven faults hits a request, and ``latency`` comes on top.

    latency=50ms            add this much delay to every response (real time)
    latency=20ms~200ms      a delay drawn uniformly from the range
    error=0.05              500, 502 or 503 with a JSON error body
    error=0.05:codes=503    ... only these codes (``+``-separated, e.g. codes=500+503)
    429=0.02                429 Too Many Requests ...
    429=0.02:retry-after=2  ... with ``Retry-After: 2`` (seconds; default 1)
    reset=0.01              the connection is dropped without an answer
    truncate=0.01           headers promise the whole body, the connection drops halfway
    html=0.01               a 502/503 HTML error page, as a proxy in front would send
    drip=0.01               the body trickles out in 20 chunks over 2 s
    drip=0.01:seconds=5     ... over 5 s
    hang=0.01               a 200 whose chunked body never ends: one byte every 5 s, for ever
    hang=0.01:every=0.5     ... one byte every 0.5 s
    drift=0.02              schema drift: one field renamed, dropped, or a number sent as a string
    push-refuse=0.2         a push socket's upgrade is refused (503, no WebSocket), per connection
    push-drop=0.02          the socket is dropped before this version's message (per message)
    push-silence=0.02       the socket stays open but sends nothing more
    push-dup=0.05           the message is sent twice
    push-reorder=0.05       the message is held back and sent after the next one
    push-refresh=0.02       the message says ``full_refresh`` instead of ``diff_patch``
    outage=@00:40+90s       every request fails (503) from 40 min after the virtual start, for 90
                            virtual seconds; ``@HH:MM[:SS]`` is an offset from the virtual start,
                            ``@2024-07-01T19:30:00Z`` an absolute virtual instant; durations take
                            s, m or h. Give ``outage`` several times for several windows.
    throttle=@00:01+75s     every request answers 429 with ``Retry-After`` (the ``429`` item's
                            ``retry-after``, default 1) in this window, as an API that
                            rate-limits a client hard; same syntax as ``outage``.

Example: ``latency=50ms,error=0.05,429=0.02:retry-after=2,reset=0.01,truncate=0.01,html=0.01,
drip=0.01,drift=0.02,outage=@00:40+90s``.

Which fault a request gets is drawn from a hash of (seed, request path, how many requests that
path has had), so the same sequence of requests sees the same faults under the same seed,
however requests to different paths interleave. Faults never touch ``/replay/...``. The
``push-*`` faults touch only the push socket (never an HTTP request) and are drawn from (seed,
game, connection number, version), so a rerun sees the same socket faults; the per-message ones
exclude each other as the HTTP ones do.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mlbdash.mlb.dates import parse_iso

# Appended kinds go last: a seed's draws for the older kinds stay what they were.
RATE_FAULTS = ("reset", "429", "error", "html", "truncate", "drip", "drift", "hang")
# The push socket's own faults: one drawn per connection, the rest per message.
PUSH_CONNECT_FAULTS = ("push-refuse",)
PUSH_MESSAGE_FAULTS = ("push-drop", "push-silence", "push-dup", "push-reorder", "push-refresh")


class FaultSpecError(ValueError):
    """A ``--faults`` spec that cannot be read; the message names the bad item."""


@dataclass(frozen=True)
class Outage:
    start: timedelta | datetime
    """Offset from the virtual start, or an absolute virtual instant."""
    duration: timedelta


@dataclass(frozen=True)
class FaultSpec:
    latency: tuple[float, float] = (0.0, 0.0)
    """Seconds, (low, high)."""
    rates: dict[str, float] = field(default_factory=dict)
    error_codes: tuple[int, ...] = (500, 502, 503)
    retry_after: int = 1
    drip_seconds: float = 2.0
    hang_every_s: float = 5.0
    outages: tuple[Outage, ...] = ()
    push_rates: dict[str, float] = field(default_factory=dict)
    throttles: tuple[Outage, ...] = ()
    """Windows in which every request answers 429 with Retry-After."""

    @property
    def active(self) -> bool:
        return bool(self.latency[1] or any(self.rates.values()) or self.outages or self.throttles)


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_OFFSET = re.compile(r"^(\d+):(\d\d)(?::(\d\d))?$")


def _duration(text: str, item: str) -> float:
    match = _DURATION.match(text.strip())
    if not match:
        raise FaultSpecError(f"bad duration {text!r} in {item!r} (use e.g. 50ms, 90s, 2m, 1h)")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def _rate(text: str, item: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultSpecError(f"bad rate {text!r} in {item!r} (use a number from 0 to 1)") from None
    if not 0.0 <= value <= 1.0:
        raise FaultSpecError(f"rate {text!r} in {item!r} is not between 0 and 1")
    return value


def _outage(text: str, item: str) -> Outage:
    if not text.startswith("@") or "+" not in text:
        name = item.partition("=")[0]
        raise FaultSpecError(f"bad {name} {item!r} (use {name}=@HH:MM+DURATION)")
    when, _, length = text[1:].rpartition("+")
    duration = timedelta(seconds=_duration(length, item))
    offset = _OFFSET.match(when)
    if offset:
        hours, minutes, seconds = (int(offset.group(i) or 0) for i in (1, 2, 3))
        return Outage(timedelta(hours=hours, minutes=minutes, seconds=seconds), duration)
    try:
        return Outage(parse_iso(when), duration)
    except ValueError:
        raise FaultSpecError(f"bad outage start {when!r} in {item!r}") from None


def parse_fault_spec(spec: str | None) -> FaultSpec:
    """Read a ``--faults`` spec; raises FaultSpecError with a one-line message."""
    if not spec or not spec.strip():
        return FaultSpec()
    latency = (0.0, 0.0)
    rates: dict[str, float] = {}
    codes: tuple[int, ...] = (500, 502, 503)
    retry_after = 1
    drip_seconds = 2.0
    hang_every_s = 5.0
    outages: list[Outage] = []
    push_rates: dict[str, float] = {}
    throttles: list[Outage] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        windowed = item.startswith(("outage=", "throttle="))
        head, *opts = item.split(":") if not windowed else [item]
        name, sep, value = head.partition("=")
        name = name.strip().lower()
        if not sep:
            raise FaultSpecError(f"fault {item!r} needs a value (NAME=VALUE)")
        options: dict[str, str] = {}
        for opt in opts:
            key, sep, val = opt.partition("=")
            if not sep:
                raise FaultSpecError(f"bad option {opt!r} in {item!r} (use KEY=VALUE)")
            options[key.strip().lower()] = val.strip()
        if name == "latency":
            low, _, high = value.partition("~")
            latency = (_duration(low, item), _duration(high or low, item))
            if latency[1] < latency[0]:
                raise FaultSpecError(f"latency range {value!r} runs backwards")
        elif name == "outage":
            outages.append(_outage(value.strip(), item))
        elif name in PUSH_CONNECT_FAULTS + PUSH_MESSAGE_FAULTS:
            push_rates[name] = _rate(value, item)
            if options:
                raise FaultSpecError(f"unknown option {next(iter(options))!r} in {item!r}")
        elif name == "throttle":
            throttles.append(_outage(value.strip(), item))
        elif name in RATE_FAULTS:
            rates[name] = _rate(value, item)
            if name == "error" and "codes" in options:
                try:
                    codes = tuple(int(code) for code in options.pop("codes").split("+"))
                except ValueError:
                    raise FaultSpecError(f"bad codes in {item!r} (use codes=500+503)") from None
                if not all(500 <= code <= 599 for code in codes):
                    raise FaultSpecError(f"error codes in {item!r} must be 5xx")
            if name == "429" and "retry-after" in options:
                retry_after = round(_duration(options.pop("retry-after") + "s", item))
            if name == "drip" and "seconds" in options:
                drip_seconds = _duration(options.pop("seconds") + "s", item)
            if name == "hang" and "every" in options:
                hang_every_s = _duration(options.pop("every") + "s", item)
                if hang_every_s <= 0:
                    raise FaultSpecError(f"every in {item!r} must be more than 0")
            if options:
                raise FaultSpecError(f"unknown option {next(iter(options))!r} in {item!r}")
        else:
            known = ", ".join(
                (
                    "latency",
                    *RATE_FAULTS,
                    "outage",
                    "throttle",
                    *PUSH_CONNECT_FAULTS,
                    *PUSH_MESSAGE_FAULTS,
                )
            )
            raise FaultSpecError(f"unknown fault {name!r} (known: {known})")
    if sum(rates.values()) > 1.0:
        raise FaultSpecError("fault rates add up to more than 1")
    if sum(push_rates.get(name, 0.0) for name in PUSH_MESSAGE_FAULTS) > 1.0:
        raise FaultSpecError("push message fault rates add up to more than 1")
    return FaultSpec(
        latency,
        rates,
        codes,
        retry_after,
        drip_seconds,
        hang_every_s,
        tuple(outages),
        push_rates,
        tuple(throttles),
    )


@dataclass(frozen=True)
class FaultDraw:
    """What happens to one request."""

    kind: str | None
    latency: float
    rng: random.Random


class FaultPlan:
    """Draws each request's fault from the seed, the path and the path's request count."""

    def __init__(self, spec: FaultSpec, seed: int, virtual_start: datetime) -> None:
        self.spec = spec
        self.seed = seed
        self._counts: dict[str, int] = {}
        self._windows = _windows(spec.outages, virtual_start)
        self._throttles = _windows(spec.throttles, virtual_start)

    def in_outage(self, now: datetime) -> bool:
        return any(start <= now < start + length for start, length in self._windows)

    def in_throttle(self, now: datetime) -> bool:
        return any(start <= now < start + length for start, length in self._throttles)

    def draw(self, path: str) -> FaultDraw:
        count = self._counts.get(path, 0)
        self._counts[path] = count + 1
        digest = hashlib.blake2b(f"{self.seed}|{path}|{count}".encode(), digest_size=8).digest()
        rng = random.Random(int.from_bytes(digest, "big"))
        low, high = self.spec.latency
        latency = rng.uniform(low, high) if high > low else low
        roll = rng.random()
        kind = None
        for name in RATE_FAULTS:
            rate = self.spec.rates.get(name, 0.0)
            if roll < rate:
                kind = name
                break
            roll -= rate
        return FaultDraw(kind, latency, rng)

    def push_draw(self, game_pk: int, connection: int, version: int | None) -> str | None:
        """The push fault for one connection (``version`` None: refuse or not) or one message."""
        names = PUSH_CONNECT_FAULTS if version is None else PUSH_MESSAGE_FAULTS
        key = f"{self.seed}|push|{game_pk}|{connection}|{version}"
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        roll = random.Random(int.from_bytes(digest, "big")).random()
        for name in names:
            rate = self.spec.push_rates.get(name, 0.0)
            if roll < rate:
                return name
            roll -= rate
        return None


def _windows(
    outages: tuple[Outage, ...], virtual_start: datetime
) -> list[tuple[datetime, timedelta]]:
    return [
        (
            outage.start if isinstance(outage.start, datetime) else virtual_start + outage.start,
            outage.duration,
        )
        for outage in outages
    ]


def drift(doc: Any, rng: random.Random) -> tuple[Any, str]:
    """A copy of ``doc`` with one field renamed, dropped or a number turned into a string.

    Copies only the objects on the path to the changed field; says what it did.
    """
    path: list[tuple[Any, str | int]] = []
    node = doc
    while True:
        if isinstance(node, dict) and node:
            key: str | int = rng.choice(list(node))
        elif isinstance(node, list) and node:
            key = rng.randrange(len(node))
        else:
            break
        child = node[key]
        path.append((node, key))
        if not isinstance(child, dict | list) or not child or rng.random() < 0.15:
            break
        node = child
    if not path:
        return doc, "none"
    # Change the deepest dict on the path (lists have no field names to rename).
    while path and not isinstance(path[-1][0], dict):
        path.pop()
    if not path:
        return doc, "none"
    parent, key = path[-1]
    changed = dict(parent)
    value = changed[key]
    if isinstance(value, int | float) and not isinstance(value, bool) and rng.random() < 0.5:
        changed[key] = str(value)
        what = f"number-as-string {key}"
    elif rng.random() < 0.5:
        changed[f"{key}V2"] = changed.pop(str(key))
        what = f"renamed {key}"
    else:
        del changed[key]
        what = f"dropped {key}"
    replacement: Any = changed
    for container, step in reversed(path[:-1]):
        copy: Any = dict(container) if isinstance(container, dict) else list(container)
        copy[step] = replacement
        replacement = copy
    return replacement, what
