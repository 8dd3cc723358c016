"""Benchmarks of the skill against baselines measured side by side in the same run.

The machine is shared and noisy, so no absolute figure means much on its own: every figure is a ratio
of two sides timed alternately (A, B, A, B, ...) so drift and neighbours hit both alike. Results go
to stdout as a markdown table and into docs/performance.md between the markers.

    python benchmarks/run.py            # full run (about 2-3 minutes)
    python benchmarks/run.py --quick    # short run, same figures, fewer samples
    python benchmarks/run.py --no-write # print only
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from bench_http import bench_http  # noqa: E402  (after the path set-up: run as a script, not a package)
from bench_verification import bench_instructions, bench_verify  # noqa: E402
from events import intent_event, launch_event  # noqa: E402
from report import Row, Side, at_most, compare, interleave, render  # noqa: E402

from skill.tools.lambda_package import load_handler_module  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- BEGIN BENCHMARK RESULTS -->", "<!-- END BENCHMARK RESULTS -->"


# --- 1. warm dispatch through lambda_handler ----------------------------------------------------


def bench_warm(n: int) -> list[Row]:
    import hello_skill

    ours = load_handler_module().lambda_handler
    hello = hello_skill.lambda_handler
    launch, question = launch_event(), intent_event()
    for handler, event in ((ours, launch), (ours, question), (hello, launch)):
        answer = handler(event, None)
        assert answer["response"].get("outputSpeech"), answer
    ours_launch, ours_intent = Side("ours LaunchRequest"), Side("ours TreatedMusclesIntent")
    base = Side("hello-world LaunchRequest")
    interleave(
        [
            (ours_launch, lambda: ours(launch, None)),
            (base, lambda: hello(launch, None)),
            (ours_intent, lambda: ours(question, None)),
        ],
        n,
        warmup=min(200, n),
    )
    goal = at_most("1.5")
    return [
        compare("Warm dispatch, LaunchRequest (lambda_handler)", ours_launch, base, goal=goal),
        compare(
            "Warm dispatch, TreatedMusclesIntent (lambda_handler)",
            ours_intent,
            base,
            goal=goal,
            note="baseline: hello-world LaunchRequest",
        ),
    ]


# --- 2. cold start ------------------------------------------------------------------------------

_CHILD = """
import sys, time
t0 = time.perf_counter()
sys.path[:0] = {paths!r}
import {module} as m
t1 = time.perf_counter()
import json
answer = m.lambda_handler(json.loads(sys.argv[1]), None)
t2 = time.perf_counter()
assert answer["response"]["outputSpeech"], answer
sys.stdout.write("%.3f %.3f" % ((t1 - t0) * 1e3, (t2 - t0) * 1e3))
"""


def _site_paths() -> list[str]:
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def child_command(ours: bool, importtime: bool = False) -> list[str]:
    """A bare interpreter (-I -S: no site, no .pth hooks, no env) with sys.path set by hand, as in Lambda."""
    if ours:
        paths, module = [str(ROOT / "lambda"), str(ROOT), *_site_paths()], "lambda_function"
    else:
        paths, module = [str(HERE), *_site_paths()], "hello_skill"
    flags = ["-I", "-S", *(["-X", "importtime"] if importtime else [])]
    return [sys.executable, *flags, "-c", _CHILD.format(paths=paths, module=module)]


def bench_cold(reps: int) -> list[Row]:
    event = json.dumps(launch_event())
    wall = {True: Side("ours"), False: Side("hello-world")}
    inproc = {True: Side("ours"), False: Side("hello-world")}
    commands = {ours: child_command(ours) for ours in (True, False)}
    for i in range(reps + 2):
        order = (True, False) if i % 2 == 0 else (False, True)
        for ours in order:
            start = time.perf_counter_ns()
            done = subprocess.run([*commands[ours], event], capture_output=True, text=True, check=True)
            elapsed = (time.perf_counter_ns() - start) / 1e6
            if i < 2:
                continue  # page cache and .pyc warm-up
            wall[ours].samples.append(elapsed)
            inproc[ours].samples.append(float(done.stdout.split()[1]))
    return [
        compare(
            "Cold start: new interpreter, import, first response (wall)",
            wall[True],
            wall[False],
            goal=at_most("1.3"),
        ),
        compare(
            "Cold start: import + first response only (inside the child)",
            inproc[True],
            inproc[False],
            note="excludes interpreter start-up and exit",
        ),
    ]


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_profile(ours: bool, runs: int) -> dict[str, tuple[float, float]]:
    """Median self and cumulative import time per module (ms) from ``python -X importtime``."""
    selfs: dict[str, list[float]] = {}
    cumul: dict[str, list[float]] = {}
    event = json.dumps(launch_event())
    for _ in range(runs):
        done = subprocess.run(
            [*child_command(ours, importtime=True), event], capture_output=True, text=True, check=True
        )
        for match in _IMPORT_LINE.finditer(done.stderr):
            name = match.group(4)
            selfs.setdefault(name, []).append(int(match.group(1)) / 1e3)
            cumul.setdefault(name, []).append(int(match.group(2)) / 1e3)
    return {name: (statistics.median(selfs[name]), statistics.median(cumul[name])) for name in selfs}


def import_breakdown(runs: int) -> str:
    """Where our extra cold-start time goes: modules hello-world never imports, grouped by package."""
    ours, hello = import_profile(True, runs), import_profile(False, runs)
    extra = {name: times for name, times in ours.items() if name not in hello}
    groups: dict[str, float] = {}
    for name, (self_ms, _) in extra.items():
        top = name.split(".")[0]
        groups[top] = groups.get(top, 0.0) + self_ms
    total_ours = sum(s for s, _ in ours.values())
    total_hello = sum(s for s, _ in hello.values())
    lines = [
        f"Import time (sum of self times, median of {runs} runs of `python -X importtime`): "
        f"ours {total_ours:.1f} ms, hello-world {total_hello:.1f} ms; "
        f"{sum(groups.values()):.1f} ms in {len(extra)} modules only ours imports.",
        "",
        "| package (only ours imports) | self ms |",
        "|---|---:|",
    ]
    for top, ms in sorted(groups.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"| `{top}` | {ms:.1f} |")
    lines += ["", "| slowest modules of ours (self time) | self ms | cumulative ms |", "|---|---:|---:|"]
    for name, (self_ms, cum_ms) in sorted(ours.items(), key=lambda kv: -kv[1][0])[:10]:
        lines.append(f"| `{name}` | {self_ms:.1f} | {cum_ms:.1f} |")
    return "\n".join(lines)


def write_doc(table: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer samples and shorter loads")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave the doc alone")
    parser.add_argument("--skip-http", action="store_true", help="skip the gunicorn load test")
    args = parser.parse_args(argv)
    quick = args.quick
    n_warm, n_cold, n_verify, n_fresh = (300, 8, 300, 40) if quick else (3000, 40, 3000, 300)
    http_seconds, http_rounds = (2.0, 1) if quick else (2.0, 8)

    started = time.monotonic()
    rows: list[Row] = []
    extras: list[str] = []
    print("warm dispatch ...", file=sys.stderr)
    rows += bench_warm(n_warm)
    gc.collect()
    print("cold start ...", file=sys.stderr)
    rows += bench_cold(n_cold)
    print("import profile ...", file=sys.stderr)
    extras.append(import_breakdown(3 if quick else 9))
    print("verification ...", file=sys.stderr)
    rows += bench_verify(n_verify, n_fresh)
    print("instructions per request (callgrind) ...", file=sys.stderr)
    instruction_rows, instruction_text = bench_instructions(30 if quick else 100)
    rows += instruction_rows
    extras.append(instruction_text)
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
        f"warm {n_warm}, cold {n_cold} processes, verification {n_verify} "
        f"(fresh-trust-store side {n_fresh}). Ratios are ours / baseline unless noted."
    )
    table = render(rows, extras, meta)
    print(table)
    if not args.no_write:
        write_doc(table)
        print(f"\nwritten to {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
