"""Cold start: the Lambda zip as built against a hello-world installed the usual way.

Ours is `build_lambda_zip()`'s zip, unpacked. The hello-world is `benchmarks/hello_skill.py` as
`lambda_function.py` beside `pip install --target` of the same requirements, which leaves pip's
timestamp-checked .pyc files (valid there, as they are in a zip made with `zip -r`). Both run in a
bare interpreter that cannot write bytecode (`-B`: Lambda's code directory is read-only) and sees
only its own folder, as Lambda's runtime does. A third side, our zip with its .pyc files removed,
shows what the bytecode saves.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from events import launch_event
from report import Row, Side, at_most, compare, round_spread

from skill.tools.envelopes import LOCAL_SKILL_ID
from skill.tools.lambda_package import PROJECT_ROOT, build_lambda_zip

HERE = Path(__file__).resolve().parent
COLD_GOAL = at_most("1.0")

_CHILD = """
import sys, time
t0 = time.perf_counter()
sys.path[:0] = [{folder!r}]
import lambda_function
t1 = time.perf_counter()
import json
answer = lambda_function.lambda_handler(json.loads(sys.argv[1]), None)
t2 = time.perf_counter()
assert answer["response"]["outputSpeech"], answer
sys.stdout.write("%.3f %.3f" % ((t1 - t0) * 1e3, (t2 - t0) * 1e3))
"""


@dataclass(frozen=True)
class Folders:
    ours: Path
    hello: Path
    ours_source_only: Path


@contextmanager
def built_folders() -> Iterator[Folders]:
    """Build both deployments in a temporary folder (pip's cache makes the second build quick)."""
    with tempfile.TemporaryDirectory(prefix="tpi-cold-") as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(build_lambda_zip(root / "lambda.zip")) as archive:
            archive.extractall(root / "ours")
        shutil.copytree(
            root / "ours", root / "ours-source-only", ignore=shutil.ignore_patterns("__pycache__")
        )
        hello = root / "hello"
        subprocess.run(
            [
                *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                *("--target", str(hello), "-r", str(PROJECT_ROOT / "lambda" / "requirements.txt")),
            ],
            check=True,
            capture_output=True,
        )
        shutil.copy(HERE / "hello_skill.py", hello / "lambda_function.py")
        yield Folders(root / "ours", hello, root / "ours-source-only")


def child_command(folder: Path, importtime: bool = False) -> list[str]:
    flags = ["-B", "-I", "-S", *(["-X", "importtime"] if importtime else [])]
    return [sys.executable, *flags, "-c", _CHILD.format(folder=str(folder))]


_ENV = {"LANG": "C.UTF-8", "ALEXA_SKILL_ID": LOCAL_SKILL_ID}


def bench_cold(folders: Folders, reps: int, rounds: int) -> list[Row]:
    """`rounds` rounds of `reps` new processes per side, sides alternating in rotating order."""
    event = json.dumps(launch_event())
    sides = {"ours": folders.ours, "hello": folders.hello, "source": folders.ours_source_only}
    labels = {"ours": "zip as built", "hello": "hello-world (pip)", "source": "zip without .pyc"}
    wall = {key: [Side(labels[key]) for _ in range(rounds)] for key in sides}
    inside = {key: Side(labels[key]) for key in sides}
    for folder in sides.values():  # warm the page cache; nothing is written (-B)
        subprocess.run([*child_command(folder), event], env=_ENV, check=True, capture_output=True)
    order = list(sides)
    for round_index in range(rounds):
        for i in range(reps):
            k = (i + round_index) % len(order)
            for key in order[k:] + order[:k]:
                start = time.perf_counter_ns()
                done = subprocess.run(
                    [*child_command(sides[key]), event], env=_ENV, capture_output=True, text=True, check=True
                )
                wall[key][round_index].samples.append((time.perf_counter_ns() - start) / 1e6)
                inside[key].samples.append(float(done.stdout.split()[1]))

    def pooled(key: str) -> Side:
        return Side(labels[key], [s for side in wall[key] for s in side.samples])

    return [
        compare(
            "Cold start: new interpreter, import, first response (wall)",
            pooled("ours"),
            pooled("hello"),
            goal=COLD_GOAL,
            note=round_spread(wall["ours"], wall["hello"]),
        ),
        compare(
            "Cold start: import + first response only (inside the child)",
            inside["ours"],
            inside["hello"],
            note="excludes interpreter start-up and exit",
        ),
        compare(
            "Cold start without bytecode: our zip minus its .pyc files (wall)",
            pooled("source"),
            pooled("hello"),
            note=f"what the bytecode saves; {round_spread(wall['source'], wall['hello'])}",
        ),
    ]


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_profile(folder: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Median self and cumulative import time per module (ms) from ``python -X importtime``."""
    selfs: dict[str, list[float]] = {}
    cumul: dict[str, list[float]] = {}
    event = json.dumps(launch_event())
    for _ in range(runs):
        done = subprocess.run(
            [*child_command(folder, importtime=True), event],
            env=_ENV,
            capture_output=True,
            text=True,
            check=True,
        )
        for match in _IMPORT_LINE.finditer(done.stderr):
            name = match.group(4)
            selfs.setdefault(name, []).append(int(match.group(1)) / 1e3)
            cumul.setdefault(name, []).append(int(match.group(2)) / 1e3)
    return {name: (statistics.median(selfs[name]), statistics.median(cumul[name])) for name in selfs}


def import_breakdown(folders: Folders, runs: int) -> str:
    """What each side imports that the other does not, grouped by top-level package."""
    ours, hello = import_profile(folders.ours, runs), import_profile(folders.hello, runs)

    def only(
        mine: dict[str, tuple[float, float]], theirs: dict[str, tuple[float, float]]
    ) -> dict[str, float]:
        groups: dict[str, float] = {}
        for name, (self_ms, _) in mine.items():
            if name not in theirs:
                top = name.split(".")[0]
                groups[top] = groups.get(top, 0.0) + self_ms
        return groups

    ours_only, hello_only = only(ours, hello), only(hello, ours)
    total_ours = sum(s for s, _ in ours.values())
    total_hello = sum(s for s, _ in hello.values())
    lines = [
        f"Import time (sum of self times, median of {runs} runs of `python -X importtime`, both from their "
        f"deployment folders with bytecode): ours {total_ours:.1f} ms in {len(ours)} modules, hello-world "
        f"{total_hello:.1f} ms in {len(hello)} modules. Only ours imports {sum(ours_only.values()):.1f} ms "
        f"({len([n for n in ours if n not in hello])} modules); only the hello-world imports "
        f"{sum(hello_only.values()):.1f} ms ({len([n for n in hello if n not in ours])} modules: ask-sdk's "
        "skill class pulls in every Alexa service client, and dateutil's time zones with them).",
        "",
        "| package | only ours imports, self ms | only the hello-world imports, self ms |",
        "|---|---:|---:|",
    ]
    tops = sorted(
        set(ours_only) | set(hello_only), key=lambda t: -(ours_only.get(t, 0) + hello_only.get(t, 0))
    )
    for top in tops[:12]:
        lines.append(f"| `{top}` | {ours_only.get(top, 0.0):.1f} | {hello_only.get(top, 0.0):.1f} |")
    lines += ["", "| slowest modules of ours (self time) | self ms | cumulative ms |", "|---|---:|---:|"]
    for name, (self_ms, cum_ms) in sorted(ours.items(), key=lambda kv: -kv[1][0])[:8]:
        lines.append(f"| `{name}` | {self_ms:.1f} | {cum_ms:.1f} |")
    return "\n".join(lines)
