"""Warm dispatch: our Lambda handler against the ASK SDK hello-world, on the very same envelopes.

Timed in rounds (each a fresh interleaving of every side), and counted in instructions by callgrind
(deterministic where wall time on a shared machine is not).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from events import intent_event, launch_event
from report import Row, Side, at_most, callgrind_total, compare, interleave, round_spread

from skill.tools.envelopes import LOCAL_SKILL_ID

HERE = Path(__file__).resolve().parent
WARM_GOAL = at_most("0.8")
KINDS = {"LaunchRequest": launch_event, "TreatedMusclesIntent": intent_event}
"""The request types compared: a launch, and a topic answer in mid-conversation."""


def handlers() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(ours, hello-world): ours loaded from lambda/lambda_function.py by path, as Lambda loads it,
    configured as deployed (the envelopes' skill ID set, so the ID check runs)."""
    os.environ["ALEXA_SKILL_ID"] = LOCAL_SKILL_ID
    import hello_skill

    from skill.tools.lambda_package import load_handler_module

    return load_handler_module("lambda_function_bench").lambda_handler, hello_skill.lambda_handler


def bench_warm(n: int, rounds: int) -> list[Row]:
    """Per request type, ours vs hello-world on one envelope; `rounds` rounds of `n` calls per side."""
    ours, hello = handlers()
    events = {kind: make() for kind, make in KINDS.items()}
    for event in events.values():
        for handler in (ours, hello):
            assert handler(event, None)["response"].get("outputSpeech")
    per_round: dict[tuple[str, str], list[Side]] = {}
    for _ in range(rounds):
        sides = []
        for kind, event in events.items():
            for who, handler in (("ours", ours), ("hello-world", hello)):
                side = Side(f"{who} {kind}")
                per_round.setdefault((who, kind), []).append(side)
                sides.append((side, lambda h=handler, e=event: h(e, None)))
        interleave(sides, n, warmup=min(200, n))
    rows = []
    for kind in events:
        ours_rounds, base_rounds = per_round["ours", kind], per_round["hello-world", kind]
        pooled_ours = Side(f"ours {kind}", [s for side in ours_rounds for s in side.samples])
        pooled_base = Side(f"hello-world {kind}", [s for side in base_rounds for s in side.samples])
        rows.append(
            compare(
                f"Warm dispatch, {kind}: lambda_handler, same envelope",
                pooled_ours,
                pooled_base,
                goal=WARM_GOAL,
                note=round_spread(ours_rounds, base_rounds),
            )
        )
    return rows


# --- instructions --------------------------------------------------------------------------------


def _callgrind_total(side: str, kind: str, count: int, fixture: Path) -> int:
    argv = [str(HERE / "dispatch_child.py"), side, str(fixture / f"{kind}.json"), str(count)]
    return callgrind_total(argv, {"ALEXA_SKILL_ID": LOCAL_SKILL_ID})


def bench_dispatch_instructions(count: int) -> tuple[list[Row], str]:
    """Instructions per warm request, ours vs hello-world per request type: (N requests) - (none)."""
    if shutil.which("valgrind") is None:
        return [], "Warm dispatch instructions: skipped, valgrind is not installed."
    with tempfile.TemporaryDirectory(prefix="tpi-dispatch-") as tmp:
        fixture = Path(tmp)
        for kind, make in KINDS.items():
            (fixture / f"{kind}.json").write_text(json.dumps(make()), encoding="utf-8")
        runs = [(side, kind, n) for side in ("ours", "hello") for kind in KINDS for n in (0, count)]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            counted = list(pool.map(lambda run: _callgrind_total(run[0], run[1], run[2], fixture), runs))
    totals = dict(zip(runs, counted, strict=True))
    rows = []
    for kind in KINDS:
        ours, base = (
            Side(f"{label} {kind}", [(totals[side, kind, count] - totals[side, kind, 0]) / count])
            for side, label in (("ours", "ours"), ("hello", "hello-world"))
        )
        rows.append(
            compare(
                f"Warm dispatch instructions, {kind}",
                ours,
                base,
                unit="instr",
                goal=WARM_GOAL,
                note="callgrind, single-valued, so median = p99",
            )
        )
    text = (
        f"Warm dispatch instructions: `valgrind --tool=callgrind` of `benchmarks/dispatch_child.py`, "
        f"{count} calls of each handler on one envelope minus none, PYTHONHASHSEED=0."
    )
    return rows, text
