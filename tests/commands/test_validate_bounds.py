"""``mlbdash validate`` reads within bounds (issue 13 point 6): deep nesting, huge numbers,
non-regular files and gzip bombs are each one line and exit 2, with memory bounded."""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from conftest import fixture_path

from mlbdash.cli import main

SIXTEEN_MB = 1 << 24


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLBDASH_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.delenv("MLBDASH_MAX_BODY_BYTES", raising=False)


def refused(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["validate", str(path)]) == 2
    out = capsys.readouterr()
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mlbdash: {path}: "), out.err
    assert "Traceback" not in out.out + out.err
    return lines[0]


@pytest.mark.parametrize("depth", [100_000, 150])
def test_deep_nesting_is_refused(
    depth: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"gamePk": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    assert "JSON nested deeper than 100 levels" in refused(path, capsys)


def test_a_50000_digit_number_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "long.json"
    path.write_text('{"gamePk": ' + "9" * 50_000 + "}", encoding="utf-8")
    assert "a number too long to read" in refused(path, capsys)


def test_a_device_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "not a regular file" in refused(Path("/dev/zero"), capsys)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "mlbdash", "validate", str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,  # a hang fails here instead of stalling the suite
        check=False,
        env={"PATH": "/usr/bin:/bin", "MLBDASH_CONFIG": str(tmp_path / "none.toml")},
    )
    assert result.returncode == 2
    assert result.stderr == f"mlbdash: {fifo}: not a regular file (a device, FIFO or socket)\n"


def test_a_body_over_the_cap_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cap is the max_body_bytes setting (the API client's cap on a decoded body)."""
    feed = fixture_path("feed/feed_744914_final.json.gz")
    monkeypatch.setenv("MLBDASH_MAX_BODY_BYTES", "100000")
    assert "inflates to more than 100,000 bytes" in refused(feed, capsys)
    plain = tmp_path / "feed.json"
    plain.write_bytes(gzip.decompress(feed.read_bytes()))
    assert "larger than 100,000 bytes" in refused(plain, capsys)
    monkeypatch.delenv("MLBDASH_MAX_BODY_BYTES")
    assert main(["validate", str(feed)]) in (0, 1)  # under the default cap it is validated


def gzip_bomb(path: Path, chunks: int) -> None:
    """A valid gzip stream of ``chunks`` x 16 MiB of zeros, built without compressing them all:
    after a full flush the deflate state is reset, so every further chunk compresses alike."""
    zeros = bytes(SIXTEEN_MB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    unit = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush()[:-8]  # the last block; the trailer is for the whole stream
    crc = 0
    for _ in range(chunks):
        crc = zlib.crc32(zeros, crc)
    trailer = struct.pack("<II", crc, (chunks * SIXTEEN_MB) & 0xFFFFFFFF)
    path.write_bytes(first + unit * (chunks - 1) + end + trailer)


MEASURE = """
import resource, sys
from mlbdash.cli import main
code = main(["validate", sys.argv[1]])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.slow
def test_a_gzip_bomb_is_refused_with_memory_bounded(tmp_path: Path) -> None:
    """4 MB on disk, 4 GiB inflated: refused at the cap, peak memory well under 4 GiB."""
    bomb = tmp_path / "bomb.json.gz"
    gzip_bomb(bomb, 256)
    assert bomb.stat().st_size < 5_000_000
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(bomb)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "MLBDASH_CONFIG": str(tmp_path / "none.toml")},
    )
    message, peak_mb = result.stderr.splitlines()
    assert result.returncode == 2
    assert message == f"mlbdash: {bomb}: inflates to more than 25,000,000 bytes (max_body_bytes)"
    assert int(peak_mb) < 250, f"peak resident memory {peak_mb} MB"
