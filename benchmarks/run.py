"""Benchmarks of the skill against baselines measured side by side in the same run.

The machine is shared and noisy, so no absolute figure means much on its own: every figure is a ratio
of two sides timed alternately (A, B, A, B, ...) so drift and neighbours hit both alike, in several
rounds whose spread the table gives; where wall time is too noisy, callgrind counts instructions.
Results go to stdout as a markdown table, and a full run writes them into docs/performance.md between
the markers (tests/test_performance_doc.py checks the prose there against them).

    python benchmarks/run.py            # full run (about 5 minutes; the instruction counts need valgrind)
    python benchmarks/run.py --quick    # short run, same figures, fewer samples; never writes the doc
    python benchmarks/run.py --no-write # full run, print only
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from bench_cold import bench_cold, built_folders, import_breakdown  # noqa: E402  (run as a script)
from bench_dispatch import bench_dispatch_instructions, bench_warm  # noqa: E402
from bench_http import bench_http  # noqa: E402
from bench_verification import bench_instructions, bench_verify  # noqa: E402
from bench_worker import bench_worker_instructions  # noqa: E402
from report import Row, render  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- BEGIN BENCHMARK RESULTS -->", "<!-- END BENCHMARK RESULTS -->"


def write_doc(table: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="fewer samples; prints only, never writes the doc"
    )
    parser.add_argument("--no-write", action="store_true", help="print the table, leave the doc alone")
    parser.add_argument("--skip-http", action="store_true", help="skip the gunicorn load test")
    args = parser.parse_args(argv)
    quick = args.quick
    warm_n, warm_rounds = (300, 2) if quick else (2000, 5)
    cold_reps, cold_rounds = (4, 2) if quick else (10, 5)
    n_verify, n_fresh = (300, 40) if quick else (3000, 300)
    counted = 30 if quick else 200
    # Many short rounds: a shared machine's neighbours come and go, and each server then meets them alike.
    http_seconds, http_rounds = (1.0, 2) if quick else (1.0, 16)

    started = time.monotonic()
    rows: list[Row] = []
    extras: list[str] = []
    print("warm dispatch ...", file=sys.stderr)
    rows += bench_warm(warm_n, warm_rounds)
    gc.collect()
    print("warm dispatch instructions (callgrind) ...", file=sys.stderr)
    dispatch_rows, dispatch_text = bench_dispatch_instructions(counted)
    rows += dispatch_rows
    print("cold start (building the zip and the hello-world) ...", file=sys.stderr)
    with built_folders() as folders:
        rows += bench_cold(folders, cold_reps, cold_rounds)
        print("import profile ...", file=sys.stderr)
        extras.append(import_breakdown(folders, 3 if quick else 9))
    print("verification ...", file=sys.stderr)
    rows += bench_verify(n_verify, n_fresh)
    print("instructions per request (callgrind) ...", file=sys.stderr)
    instruction_rows, instruction_text = bench_instructions(counted)
    rows += instruction_rows
    print("instructions inside a gunicorn worker (callgrind) ...", file=sys.stderr)
    worker_rows, worker_text = bench_worker_instructions(counted)
    rows += worker_rows
    extras += [dispatch_text, instruction_text, worker_text]
    errors = 0
    if not args.skip_http:
        print("HTTP load ...", file=sys.stderr)
        http_text, http_rows, errors = bench_http(http_seconds, http_rounds, connections=4)
        rows += http_rows
        extras.insert(0, http_text)

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    meta = (
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {'--quick' if quick else 'full run'}, "
        f"{time.monotonic() - started:.0f} s; Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs ({cpu}), shared machine. Samples per side: "
        f"warm {warm_rounds} rounds x {warm_n}, cold {cold_rounds} rounds x {cold_reps} processes, "
        f"verification {n_verify} (fresh-trust-store side {n_fresh}), callgrind {counted} requests. "
        "Ratios are ours / baseline unless noted."
    )
    table = render(rows, extras, meta)
    print(table)
    if quick or args.no_write:
        print(
            "\nnot written (--quick or --no-write): only a full run replaces the published table",
            file=sys.stderr,
        )
    else:
        write_doc(table)
        print(f"\nwritten to {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
