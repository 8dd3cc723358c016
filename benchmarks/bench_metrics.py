"""What the usage figures cost: warm dispatch with metrics on vs off, side by side in one run.

    python benchmarks/bench_metrics.py            # 15 rounds (about 30 s)
    python benchmarks/bench_metrics.py --quick    # 5 rounds

Lambda path: `lambda_function.lambda_handler` as Lambda calls it, the usage sink off, or on writing
its Embedded Metric Format line to a pipe that another process drains (as Lambda's stdout is read by
its log agent), or to /dev/null (the same work without the pipe's wake-ups). Web path: a POST through
the Flask app (test client, verification off), with `/metrics` and its counters installed or not
(`USAGE_METRICS=off`). Each round times a batch of every side in turn, alternating the order, so
drift and neighbours hit all sides alike; the table shows the medians of the rounds' per-request
means. The goal is warm dispatch with metrics on within 5% of off.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from events import intent_event, launch_event, mid_session  # noqa: E402  (after the path set-up)
from report import Row, Side, at_most, compare  # noqa: E402

from skill.runtime import usage  # noqa: E402
from skill.tools import envelopes  # noqa: E402
from skill.tools.envelopes import SlotFill  # noqa: E402

GOAL = at_most("1.05")
"""Warm dispatch with metrics on within 5% of off."""


def events() -> dict[str, dict[str, Any]]:
    return {
        "LaunchRequest": launch_event(),
        "TreatedMusclesIntent": intent_event(),
        "BodyPartIntent (resolved slot)": mid_session(
            envelopes.intent("BodyPartIntent", {"bodyPart": SlotFill("neck", "neck", "neck")})
        ),
        "screen touch": mid_session(envelopes.user_event(["topic", "benefits"]), screen=True),
        "SessionEndedRequest": mid_session(envelopes.session_ended()),
    }


@contextmanager
def drained_pipe() -> Iterator[int]:
    """The write end of a pipe that a separate process reads and discards."""
    reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    assert reader.stdin is not None
    try:
        yield reader.stdin.fileno()
    finally:
        reader.stdin.close()
        reader.wait()


Batch = tuple[Callable[[], None], Callable[[], None]]
"""(set-up, call): the set-up runs once before each batch of calls, outside the timing."""


def time_rounds(sides: dict[str, Batch], batch: int, rounds: int) -> dict[str, list[float]]:
    """Each side's mean CPU microseconds per call, one figure per round (this thread's CPU time, so
    other processes on a shared machine do not count); the sides' order alternates between rounds."""
    names = list(sides)
    results: dict[str, list[float]] = {name: [] for name in names}
    for side in names:  # warm every side first
        setup, call = sides[side]
        setup()
        for _ in range(max(50, batch // 10)):
            call()
    for round_number in range(rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for side in order:
            setup, call = sides[side]
            setup()
            gc.collect()
            gc.disable()
            started = time.thread_time()
            for _ in range(batch):
                call()
            elapsed = time.thread_time() - started
            gc.enable()
            results[side].append(elapsed / batch * 1e6)
    return results


def _today(load: Callable[..., Any]) -> Callable[..., Any]:
    """The Lambda handler as it was before the usage figures: the skill built without their hook."""
    real = usage.count_usage
    usage.count_usage = lambda builder: None
    try:
        handler: Callable[..., Any] = load("lambda_function_today").lambda_handler
    finally:
        usage.count_usage = real
    return handler


def bench_lambda(rounds: int, batch: int) -> list[Row]:
    from skill.tools.lambda_package import load_handler_module

    os.environ.setdefault("ALEXA_SKILL_ID", envelopes.LOCAL_SKILL_ID)
    os.environ[usage.USAGE_ENV] = "off"
    handler, today = load_handler_module().lambda_handler, _today(load_handler_module)
    null = os.open(os.devnull, os.O_WRONLY)
    rows: list[Row] = []
    with drained_pipe() as pipe:
        to_pipe, to_null = usage.EmfWriter(pipe), usage.EmfWriter(null)
        for name, event in events().items():
            assert handler(event, None) == today(event, None) or name == "LaunchRequest"
            line = b"x" * len(to_null.line(_key_of(handler, event)))

            def call(event: dict[str, Any] = event) -> None:
                handler(event, None)

            def before(event: dict[str, Any] = event) -> None:
                today(event, None)

            def floor(event: dict[str, Any] = event, line: bytes = line) -> None:
                today(event, None)
                os.write(pipe, line)

            def choose(sink: usage.Sink | None) -> Callable[[], None]:
                # Chosen once per batch, as a process chooses once: setting a module global on every
                # call would also defeat the interpreter's caches for that module's code.
                def setup() -> None:
                    usage.set_sink(sink)

                return setup

            none = choose(None)
            means = time_rounds(
                {
                    "today": (none, before),
                    "off": (none, call),
                    "pipe": (choose(to_pipe), call),
                    "null": (choose(to_null), call),
                    "floor": (none, floor),
                },
                batch,
                rounds,
            )
            base = Side("today's skill (no usage hook)", means["today"])
            on_pipe, on_null = Side("metrics on", means["pipe"]), Side("metrics on", means["null"])
            rows += [
                compare(f"{name}: EMF line to a drained pipe", on_pipe, base, unit="µs", goal=GOAL),
                compare(f"{name}: EMF line to /dev/null", on_null, base, unit="µs", goal=GOAL),
                compare(
                    f"{name}: the write alone (one line of that size to the pipe)",
                    Side("today + 1 write", means["floor"]),
                    base,
                    unit="µs",
                ),
                compare(
                    f"{name}: hook switched off (USAGE_METRICS=off)",
                    Side("metrics off", means["off"]),
                    base,
                    unit="µs",
                ),
            ]
    os.close(null)
    usage.set_sink(None)
    return rows


def _key_of(handler: Callable[..., Any], event: dict[str, Any]) -> usage.TurnKey:
    seen: list[usage.TurnKey] = []
    usage.set_sink(seen.append)
    handler(event, None)
    usage.set_sink(None)
    return seen[0]


def bench_web(rounds: int, batch: int) -> list[Row]:
    from skill.web.service import create_app

    os.environ[usage.USAGE_ENV] = "off"
    app_off = create_app(verify=False)
    del os.environ[usage.USAGE_ENV]
    app_on = create_app(verify=False)
    sink = app_on.extensions["tpi_metrics"]
    body = json.dumps(events()["TreatedMusclesIntent"])
    clients = {"off": app_off.test_client(), "on": app_on.test_client()}

    def side(name: str) -> Batch:
        client, chosen = clients[name], (sink if name == "on" else None)

        def post() -> None:
            client.post("/", data=body, content_type="application/json")

        def setup() -> None:
            usage.set_sink(chosen)

        return setup, post

    means = time_rounds({"off": side("off"), "on": side("on")}, batch, rounds)
    usage.set_sink(None)
    return [
        compare(
            "Web POST, TreatedMusclesIntent (Flask test client): Prometheus counters and latency",
            Side("metrics on", means["on"]),
            Side("USAGE_METRICS=off (no /metrics)", means["off"]),
            unit="µs",
            goal=GOAL,
        )
    ]


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    options.add_argument("--quick", action="store_true", help="5 rounds instead of 15")
    args = options.parse_args(argv)
    rounds = 5 if args.quick else 15
    import logging

    logging.disable(logging.WARNING)  # the web app warns that verification is off, once per app
    rows = bench_lambda(rounds, 1000) + bench_web(rounds, 150)
    print(
        f"Usage figures: CPU microseconds per request, median of {rounds} rounds (Lambda: lambda_handler)\n"
    )
    print(table(rows))
    return 0


def table(rows: list[Row]) -> str:
    """Medians only, to 0.01 µs and the ratio to 0.001: report.render's median/p99 columns in ms would
    hide differences of a microsecond."""
    lines = [
        "| figure | baseline | µs | measured | µs | ratio | goal | met |",
        "|---|---|---:|---|---:|---:|---|---|",
    ]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        cells = (
            *(row.figure, row.base.label, f"{row.base.median:.2f}", row.ours.label, f"{row.ours.median:.2f}"),
            *(f"{row.ratio_median:.3f}x", row.goal, met),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
