"""The bench result as a readable table (``--json`` prints the same dict as one object)."""

from __future__ import annotations

from typing import Any, TextIO


def _num(value: Any, fmt: str = "{:,.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def _mb(value: Any) -> str:
    return "-" if value is None else f"{value / 1e6:,.2f} MB"


def _ratio(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def write_table(result: dict[str, Any], out: TextIO) -> None:
    cmp = result.get("compare")
    if cmp:
        w = cmp["window"]
        out.write(
            f"mlbdash bench: A = the common way (full feed every wait, schedule every 30 s), "
            f"B = mlbdash ingest\nwindow {w['virtual_start']} .. {w['virtual_end']} "
            f"({w['minutes']:g} virtual min at speed {w['speed']:g}), {w['live_games']} live "
            f"games, {w['live_game_hours']:.2f} live game-hours\n\n"
        )
        a, b, r = cmp["a"], cmp["b"], cmp["ratio_b_over_a"]
        rows = [
            ("requests", _num(a["requests"]), _num(b["requests"]), _ratio(r["requests"])),
            (
                "requests / game-hour",
                _num(a["requests_per_game_hour"]),
                _num(b["requests_per_game_hour"]),
                _ratio(r["requests"]),
            ),
            (
                "wire bytes / game-hour",
                _mb(a["bytes_wire_per_game_hour"]),
                _mb(b["bytes_wire_per_game_hour"]),
                _ratio(r["bytes_wire"]),
            ),
            (
                "decoded bytes / game-hour",
                _mb(a["bytes_decoded_per_game_hour"]),
                _mb(b["bytes_decoded_per_game_hour"]),
                _ratio(r["bytes_decoded"]),
            ),
        ]
        for p in ("p50_s", "p95_s", "p99_s"):
            rows.append(
                (
                    f"freshness {p[:3]} (virtual s)",
                    _num(a["freshness"][p], "{:.1f}"),
                    _num(b["freshness"][p], "{:.1f}"),
                    _ratio(r[f"freshness_{p}"]),
                )
            )
        rows += [
            (
                "versions missed",
                _num(a["freshness"]["missed"]),
                _num(b["freshness"]["missed"]),
                "",
            ),
            (
                "CPU s in window",
                _num(a["cpu_s"], "{:.2f}"),
                _num(b["cpu_s"], "{:.2f}"),
                _ratio(r["cpu_s"]),
            ),
            (
                "CPU s / game-hour",
                _num(a["cpu_s_per_game_hour"], "{:.2f}"),
                _num(b["cpu_s_per_game_hour"], "{:.2f}"),
                _ratio(r["cpu_s"]),
            ),
            (
                "peak RSS",
                _mb(a["peak_rss_bytes"]),
                _mb(b["peak_rss_bytes"]),
                _ratio(r["peak_rss_bytes"]),
            ),
            (
                "validation / update",
                "none",
                _num(b["validation"]["median_ms"], "{:.3f} ms"),
                "",
            ),
        ]
        out.write(f"{'':28} {'A common way':>16} {'B mlbdash':>16} {'B/A':>8}\n")
        for name, va, vb, ratio in rows:
            out.write(f"{name:28} {va:>16} {vb:>16} {ratio:>8}\n")
        out.write(
            f"(validation: {b['validation']['source']}; B's request budget "
            f"{w['b_request_budget_per_real_s']:g}/real s = the default 5/s in virtual time)\n"
        )
    scale = result.get("scale") or []
    if scale:
        first = scale[0]
        out.write(
            f"\nscale: B alone, speed {first['speed']:g}, window {first['window_s']:g} virtual s "
            "after warm-up\n"
        )
        out.write(
            f"{'games':>6} {'p99 lag':>8} {'holds':>6} {'cores':>6} {'CPU s/game-h':>13} "
            f"{'RSS':>10} {'RSS/game':>10} {'warm-up':>8} {'budget':>7} {'server':>7}\n"
        )
        for run in scale:
            per_game = run["rss_bytes_per_game"]
            per_game_kb = None if per_game is None else per_game / 1e3
            warm_mark = "" if run.get("warm_up_complete", True) else "*"
            out.write(
                f"{run['live_games']:>6} {_num(run['freshness']['p99_s'], '{:.1f}'):>8} "
                f"{'yes' if run['freshness_holds'] else 'no':>6} "
                f"{_num(run['cores_at_real_speed'], '{:.2f}'):>6} "
                f"{_num(run['cpu_s_per_game_hour'], '{:.2f}'):>13} "
                f"{_mb(run['peak_rss_bytes']):>10} "
                f"{_num(per_game_kb, '{:.0f} kB'):>10} "
                f"{run['warm_up_s']:>6.0f}s{warm_mark:1} "
                f"{run['request_budget_per_s']:>6.0f}/s "
                f"{_num(run.get('replay_server_cores'), '{:.2f}'):>7}\n"
            )
        out.write(
            "(cores = CPU s per second of the ingest at real speed; server = the same for the "
            "replay server's process; budget raised from the default 5/s to hold every game "
            "each wait; * = not every game stored by the end of the warm-up)\n"
        )
    if result.get("targets"):
        out.write("\ntargets\n")
        for t in result["targets"]:
            value = "-" if t["value"] is None else f"{t['value']:.3f}"
            out.write(
                f"  {'PASS' if t['pass'] else 'MISS'}  {t['target']}: {value} "
                f"(limit {t['limit']:.3f})\n"
            )
    for failure in result.get("failed", []):
        out.write(f"\nFAILED: {failure}\n")
    out.write(f"\nbench took {result['real_seconds']:.0f} real seconds\n")


def write_whole_games(result: dict[str, Any], out: TextIO) -> None:
    """``mlbdash bench --whole-games``: per game, each client, one column per repeat."""
    repeats = result["repeats"]
    out.write(
        f"mlbdash bench --whole-games: games {', '.join(str(g) for g in result['games'])} "
        f"from pre-game to Final at speed {result['speed']:g}, {len(repeats)} repeat(s); "
        "figures per game; A = the common way, B-poll = ingest with push off, "
        "B-push = ingest with push auto\n\n"
    )
    names = (("a", "A"), ("b_poll", "B-poll"), ("b_push", "B-push"))
    lines: list[tuple[str, ...]] = [("", *(f"run {i + 1}" for i in range(len(repeats))))]

    def row(label: str, pick: Any) -> None:
        lines.append((label, *(pick(r) for r in repeats)))

    for key, name in names:
        row(f"{name} requests", lambda r, k=key: _num(r[k]["requests"]))
        row(f"{name} wire bytes", lambda r, k=key: _mb(r[k]["bytes_wire"]))
        row(f"{name} decoded bytes", lambda r, k=key: _mb(r[k]["bytes_decoded"]))
        for p in ("p50_s", "p95_s", "p99_s"):
            row(
                f"{name} freshness {p[:3]} (virtual s)",
                lambda r, k=key, p=p: _num(r[k]["freshness"][p], "{:.2f}"),
            )
        row(f"{name} versions missed", lambda r, k=key: _num(r[k]["freshness"]["missed"]))
        row(f"{name} CPU s", lambda r, k=key: _num(r[k]["cpu_s"], "{:.1f}"))
    row("B-push / B-poll requests", lambda r: _ratio(r["b_push_over_b_poll_requests"]))
    row("B-push / A wire bytes", lambda r: _ratio(r["b_push_over_a_bytes_wire"]))
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    for line in lines:
        values = zip(line[1:], widths[1:], strict=True)
        cells = [line[0].ljust(widths[0])] + [c.rjust(w) for c, w in values]
        out.write("  ".join(cells).rstrip() + "\n")
    if repeats:
        out.write("\nwhere the requests and wire bytes went, per game (run 1):\n")
        for key, name in names:
            for kind, cost in repeats[0][key].get("by_kind", {}).items():
                out.write(
                    f"  {name} {kind}: {cost['requests']:,.1f} requests, "
                    f"{cost['bytes_wire'] / 1e3:,.1f} KB\n"
                )
    if result["targets"]:
        out.write("\ntargets (the worst repeat):\n")
        for t in result["targets"]:
            verdict = "met" if t["pass"] else "NOT met"
            out.write(
                f"  {t['target']}: {_num(t['value'], '{:.3f}')} <= {t['limit']:.4g} {verdict}\n"
            )
    for failure in result["failed"]:
        out.write(f"FAILED: {failure}\n")
