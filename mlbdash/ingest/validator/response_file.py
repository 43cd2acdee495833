"""A recorded response read from a file within bounds: size, nesting, numbers, file kind.

``mlbdash validate`` reads files a user names, which may be anything: a gzip bomb (4 MB that
inflates to 4 GiB), ``/dev/zero``, a FIFO, JSON nested 100,000 deep, a 50,000-digit number.
Each is refused with one line (exit 2) before it costs more than ``max_bytes`` of memory.
"""

from __future__ import annotations

import json
import os
import stat
import zlib
from pathlib import Path
from typing import Any

from mlbdash.errors import MlbdashError

# Real feeds nest about 15 deep; the validator's rules walk the document recursively.
MAX_NESTING = 100
_CHUNK = 1 << 16


class UnreadableInput(MlbdashError):
    exit_code = 2


def read_json_file(path: Path, *, max_bytes: int) -> Any:
    """The parsed JSON of ``path`` (plain or gzip); UnreadableInput with the reason otherwise."""
    raw = _read_capped(path, max_bytes)
    try:
        body = json.loads(raw)
    except UnicodeDecodeError:
        raise UnreadableInput(f"{path}: not JSON (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise UnreadableInput(
            f"{path}: not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise UnreadableInput(f"{path}: JSON nested deeper than {MAX_NESTING} levels") from None
    except ValueError as exc:
        # Python refuses to convert integers of more than 4300 digits (CVE-2020-10735).
        raise UnreadableInput(f"{path}: a number too long to read ({exc})") from None
    if _depth_over(body, MAX_NESTING):
        raise UnreadableInput(f"{path}: JSON nested deeper than {MAX_NESTING} levels")
    return body


def _read_capped(path: Path, max_bytes: int) -> bytes:
    try:
        # stat, not open: opening a FIFO would wait for a writer.
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UnreadableInput(f"{path}: no such file") from None
    except OSError as exc:
        raise UnreadableInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise UnreadableInput(f"{path}: is a folder, not a file")
    if not stat.S_ISREG(mode):
        raise UnreadableInput(f"{path}: not a regular file (a device, FIFO or socket)")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise UnreadableInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as file:
        head = file.read(2)
        if head == b"\x1f\x8b":
            return _gunzip_capped(path, head, file, max_bytes)
        if path.name.endswith(".gz"):
            raise UnreadableInput(f"{path}: named .gz but not gzip data")
        data = head + file.read(max_bytes + 1 - len(head))
    if len(data) > max_bytes:
        raise UnreadableInput(f"{path}: larger than {max_bytes:,} bytes (max_body_bytes)")
    return data


def _gunzip_capped(path: Path, head: bytes, file: Any, max_bytes: int) -> bytes:
    """Inflate chunk by chunk, never holding more than ``max_bytes`` + one chunk of output."""
    inflate = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = head
    while True:
        chunk = pending + file.read(_CHUNK)
        pending = b""
        if not chunk:
            break
        try:
            while chunk:
                out += inflate.decompress(chunk, max_bytes + 1 - len(out))
                if len(out) > max_bytes:
                    raise UnreadableInput(
                        f"{path}: inflates to more than {max_bytes:,} bytes (max_body_bytes)"
                    )
                chunk = inflate.unconsumed_tail
                if inflate.eof:
                    break
        except zlib.error as exc:
            raise UnreadableInput(f"{path}: corrupt gzip: {exc}") from None
        if inflate.eof:
            if inflate.unused_data.strip(b"\x00") or file.read(1):
                # A second gzip member (or trailing junk): not how the API sends a body.
                raise UnreadableInput(f"{path}: data after the end of the gzip stream")
            return bytes(out)
    raise UnreadableInput(f"{path}: truncated gzip (file ends early)")


def _depth_over(doc: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
