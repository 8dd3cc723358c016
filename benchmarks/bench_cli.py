"""`tpi-skill` before and after: wall time of the real command, each side run alternately in one go.

    bash scripts/run.sh python benchmarks/bench_cli.py [--before REV] [--after REV] [--rounds N]

"Before" is the code at REV (default: the last commit before the command was made to import only what
each subcommand needs), exported with `git archive` into a temporary folder; "after" is this working tree,
or the code at `--after REV`.
Both run with this interpreter and these packages, as `python -m skill.tools.cli ...`, one warm-up each
first (bytecode written, files cached), then every command once per side per round, alternating, so a
busy neighbour slows both alike. Prints a markdown table of medians and spreads, then which of the
heavy modules each side's `ask` imports.

Each side keeps its NLU index cache (`skill/tools/nlu/cache.py`; older code has none and ignores it) in a
folder of its own, filled by the warm-up, so a warm row is what a user's second `ask` costs; the row
"first `ask` after an edit" gives every run an empty cache folder, as after editing `model.yaml`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench_server import free_port, wait_until_healthy  # benchmarks/ is on the path: run as a script
from revisions import exported_tree

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "ed5c806dbf51c3995abbe9bfecb92015713d5a18"
QUESTION = "which muscles are treated"
CHAT_INPUT = "which muscles are treated\ntell me more\nstop\n"
HEAVY = (
    "flask",
    "werkzeug",
    "yaml",
    "urllib.request",
    "ask_sdk_core",
    "ask_sdk_core.skill",
    "ask_sdk_model.services",
    "skill.web",
    "skill.tools.nlu",
    "skill.tools.model_builder",
)


@dataclass
class Command:
    label: str
    argv: list[str]
    stdin: str = ""
    cold: bool = False  # every run with an empty cache folder
    before: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)


def cache_env(tree: Path, scratch: Path, cold: bool = False) -> dict[str, str]:
    """The environment for a run from `tree`: its own cache folder under `scratch`, kept between runs
    (warm), or new and empty (`cold`)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("COLUMNS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # the warm-up writes bytecode, as a user's first run does
    side = scratch / "cache" / (tree.name if tree != ROOT else "worktree")
    env["XDG_CACHE_HOME"] = tempfile.mkdtemp(dir=scratch) if cold else str(side)
    return env


def run(tree: Path, command: Command, scratch: Path) -> float:
    """One run of the command from `tree`; its wall time in ms."""
    env = cache_env(tree, scratch, command.cold)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "skill.tools.cli", *command.argv],
        cwd=tree,
        env=env,
        input=command.stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = (time.perf_counter() - start) * 1000
    if done.returncode != 0 or ("Alexa:" not in done.stdout + done.stderr and "usage" not in done.stdout):
        raise SystemExit(f"{command.label} failed in {tree}:\n{done.stdout}\n{done.stderr}")
    return elapsed


def imported(tree: Path, argv: Sequence[str], scratch: Path) -> set[str]:
    """Which of the HEAVY modules running `argv` imports, from `tree`."""
    probe = (
        "import sys\nfrom skill.tools.cli import main\n"
        f"main({list(argv)!r})\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    env = cache_env(tree, scratch)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tree, env=env, capture_output=True, text=True, check=True
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES "))
    modules = set(line.split()[1:])
    return {heavy for heavy in HEAVY if any(m == heavy or m.startswith(heavy + ".") for m in modules)}


@contextmanager
def server() -> Iterator[str]:
    """This checkout's skill behind `serve --no-verify`, for the `ask --url` row (both sides talk to it)."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "skill.tools.cli", "serve", "--no-verify", "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            wait_until_healthy(process, port, log, what="tpi-skill serve")
            yield f"http://127.0.0.1:{port}/"
        finally:
            process.terminate()
            process.wait(timeout=10)


def table(commands: Sequence[Command], rounds: int, before: str, after: str | None) -> str:
    sides = f"before = {before[:7]}, after = {after[:7] if after else 'this working tree'}"
    lines = [
        f"`python -m skill.tools.cli ...`, wall ms, {rounds} alternating rounds ({sides})",
        "",
        "| command | before: median (min-max) | after: median (min-max) | after / before |",
        "|---|---|---|---|",
    ]
    for c in commands:
        b, a = statistics.median(c.before), statistics.median(c.after)
        lines.append(
            f"| {c.label} | {b:.0f} ({min(c.before):.0f}-{max(c.before):.0f}) "
            f"| {a:.0f} ({min(c.after):.0f}-{max(c.after):.0f}) | {a / b:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--before", default=BEFORE, help="the revision to compare with (default: %(default).7s)"
    )
    parser.add_argument("--after", help="a revision to measure instead of this working tree")
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(server())
        before = stack.enter_context(exported_tree(args.before, "tpi-before-"))
        after = stack.enter_context(exported_tree(args.after, "tpi-after-")) if args.after else ROOT
        commands = [
            Command("`ask` (in-process)", ["ask", QUESTION]),
            Command("first `ask` after an edit (empty cache)", ["ask", QUESTION], cold=True),
            Command("`ask --url` (a running server)", ["ask", "--url", url, QUESTION]),
            Command("`chat`, three lines piped in", ["chat"], CHAT_INPUT),
            Command("`--help`", ["--help"]),
        ]
        for command in commands:  # warm-up: bytecode, file cache, the server's first request
            run(before, command, scratch)
            run(after, command, scratch)
        for _ in range(args.rounds):
            for command in commands:
                command.before.append(run(before, command, scratch))
                command.after.append(run(after, command, scratch))
        print(table(commands, args.rounds, args.before, args.after))
        print()
        print("| heavy modules imported by | before | after |")
        print("|---|---|---|")
        for label, probe in (("`ask`", ["ask", QUESTION]), ("`ask --url`", ["ask", "--url", url, QUESTION])):
            b, a = imported(before, probe, scratch), imported(after, probe, scratch)
            print(f"| {label} | {', '.join(sorted(b)) or 'none'} | {', '.join(sorted(a)) or 'none'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
