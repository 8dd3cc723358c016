"""Sides, ratios, goals and the markdown table every benchmark reports through.

Every figure is a ratio of two sides timed alternately (A, B, A, B, ...) so drift and neighbours on a
shared machine hit both alike.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: an observed sample, no interpolation."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Side:
    """One side of a comparison: its samples in one unit (ms, or requests/s for throughput)."""

    label: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 99)


@dataclass
class Row:
    """A table row: ours vs baseline, the ratio of medians and of p99s, and the goal on the median."""

    figure: str
    ours: Side
    base: Side
    unit: str
    goal: str
    met: bool | None
    ratio_median: float
    ratio_p99: float
    note: str = ""


@dataclass(frozen=True)
class Goal:
    """What a figure's median ratio should be: as the table prints it, and as a test of the ratio."""

    text: str
    met: Callable[[float], bool]


def at_most(limit: str) -> Goal:
    return Goal(f"≤ {limit}x", lambda ratio: ratio <= float(limit))


def at_least(limit: str) -> Goal:
    return Goal(f"≥ {limit}x", lambda ratio: ratio >= float(limit))


# What our verification rules may add beyond the RSA check Amazon requires (the floor), in-process and
# inside a gunicorn worker alike.
BEYOND_FLOOR = at_most("1.05")


def compare(
    figure: str, ours: Side, base: Side, *, unit: str = "ms", goal: Goal | None = None, note: str = ""
) -> Row:
    ratio = ours.median / base.median
    ratio_p99 = ours.p99 / base.p99
    met = goal.met(ratio) if goal else None
    return Row(figure, ours, base, unit, goal.text if goal else "", met, ratio, ratio_p99, note)


def round_spread(ours: Sequence[Side], base: Sequence[Side]) -> str:
    """How far single rounds strayed: the range of the per-round ratios of medians."""
    ratios = [o.median / b.median for o, b in zip(ours, base, strict=True)]
    return f"{len(ratios)} rounds ranged {min(ratios):.2f}x-{max(ratios):.2f}x"


def callgrind_total(argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Instructions callgrind counts for a whole run of ``python argv...`` (this interpreter), with
    ``env`` added to this environment. PYTHONHASHSEED=0: the same dict layouts, so the same
    instructions, every run."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *argv]
    full_env = {**os.environ, "PYTHONHASHSEED": "0", **(env or {})}
    done = subprocess.run(command, env=full_env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found.group(1))


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / 1e6


def interleave(sides: Sequence[tuple[Side, Callable[[], object]]], n: int, warmup: int) -> None:
    """Call every side once per round, rotating the order each round, and record milliseconds."""
    for _ in range(warmup):
        for _, call in sides:
            call()
    for i in range(n):
        k = i % len(sides)
        for side, call in (*sides[k:], *sides[:k]):
            side.samples.append(timed(call))


def fmt(value: float, unit: str) -> str:
    if unit == "instr":
        return f"{value / 1e6:.3f} M instructions"
    if unit == "req/s":
        return f"{value:.0f} req/s"
    return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"


def render(rows: list[Row], extras: list[str], meta: str) -> str:
    lines = [
        meta,
        "",
        "| figure | ours median / p99 | baseline median / p99 | ratio (median) | ratio (p99) | goal | met |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        note = f" ({row.note})" if row.note else ""
        lines.append(
            f"| {row.figure}{note} | {row.ours.label}: {fmt(row.ours.median, row.unit)} / "
            f"{fmt(row.ours.p99, row.unit)} | {row.base.label}: {fmt(row.base.median, row.unit)} / "
            f"{fmt(row.base.p99, row.unit)} | {row.ratio_median:.2f}x | {row.ratio_p99:.2f}x "
            f"| {row.goal} | {met} |"
        )
    for extra in extras:
        lines += ["", extra]
    return "\n".join(lines)
