"""The README stays true for a newcomer: its chat transcript is what `chat` prints for the same typing, and
every command it documents runs without an activated virtual environment (through scripts/run.sh)."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill.tools import cli
from tests.cli_process import tpi_skill

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TRANSCRIPT_COLUMNS = "100"
# Tools that are not part of this project's environment, run as the README says (AWS, Alexa, Debian).
EXTERNAL = ("ask ", "sam ", "sudo apt-get ", ". .venv/bin/activate")


def readme() -> str:
    return README.read_text("utf-8")


def transcript() -> tuple[str, list[str]]:
    """The README's chat transcript: the command line shown, and the rest exactly as printed."""
    block = readme().split("$ bash scripts/run.sh chat", 1)[1].split("```", 1)[0]
    return "bash scripts/run.sh chat", block.removeprefix("\n").splitlines()


def test_the_readme_transcript_is_what_chat_prints() -> None:
    _, shown = transcript()
    typed = [line.removeprefix("You: ") for line in shown if line.startswith("You: ")]
    assert len(typed) >= 3
    result = tpi_skill(
        "chat", stdin="".join(f"{line}\n" for line in typed), env={"COLUMNS": TRANSCRIPT_COLUMNS}
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == shown


def commands(markdown: str) -> list[str]:
    """Every command line of the README's bash blocks (comments dropped, continued lines joined)."""
    found: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", markdown, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                found.append(line)
    return found


def inline_commands(markdown: str) -> list[str]:
    """Inline code in the prose that is a command someone would type."""
    spans = re.findall(r"`([^`\n]+)`", markdown)
    return [
        span for span in spans if re.match(r"(tpi-skill|python|gunicorn|pytest|bash|[A-Z_]+=\S+ )\s", span)
    ]


def test_every_documented_command_runs_without_activating_anything() -> None:
    text = readme()
    checked = commands(text) + inline_commands(text)
    assert len(checked) > 10
    for command in checked:
        words = command.split()
        while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):  # VAR=value before the command
            words = words[1:]
        line = " ".join(words)
        if line.startswith(EXTERNAL) or line.startswith("bash scripts/test.sh"):
            continue
        assert line.startswith("bash scripts/run.sh"), f"needs an activated .venv: {command}"
        assert_run_sh_can_run(words[2:], command)


def subcommands() -> list[str]:
    [action] = [a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return list(action.choices)


def test_run_sh_passes_every_tpi_skill_command_on() -> None:
    """run.sh runs a program of the environment by name, but a tpi-skill command always goes to tpi-skill."""
    script = (ROOT / "scripts" / "run.sh").read_text("utf-8")
    [listed] = re.findall(r"^\s*(ask \|[^)]*)\)", script, flags=re.M)
    first = {word.strip() for word in listed.split("|")}
    programs = {path.name for path in Path(sys.executable).parent.iterdir()}
    for name in subcommands():
        assert name in first or name not in programs, f"run.sh {name} would run .venv/bin/{name}"
    assert {"ask", "chat", "serve", "build-models"} <= first


def assert_run_sh_can_run(words: list[str], command: str) -> None:
    """`run.sh` takes a tpi-skill command or a program of the environment, as scripts/run.sh decides."""
    if not words or words[0].startswith("-"):
        return
    program = words[0]
    if program in subcommands():
        return
    assert (Path(sys.executable).parent / program).exists(), f"{program} is not in the environment: {command}"
    if program == "python" and len(words) > 1 and words[1].endswith(".py"):
        assert (ROOT / words[1]).is_file(), f"no such script: {command}"
    if program == "python" and words[1:2] == ["-m"]:
        assert (ROOT / words[2]).is_dir() or (ROOT / f"{words[2]}.py").is_file(), command


STUB = """#!/bin/sh
echo "$(basename "$0") $* | cwd=$PWD | hint=$TPI_SKILL_COMMAND"
"""


@pytest.mark.parametrize(
    ("typed", "runs"),
    [
        ("", "tpi-skill serve"),
        ("chat --speak", "tpi-skill chat --speak"),
        ("build-models --check", "tpi-skill build-models --check"),
        ("python benchmarks/run.py --quick", "python benchmarks/run.py --quick"),
        (
            "gunicorn -c gunicorn.conf.py skill.web.wsgi:app",
            "gunicorn -c gunicorn.conf.py skill.web.wsgi:app",
        ),
        ("chta", "tpi-skill chta"),  # tpi-skill says what is wrong
    ],
)
def test_run_sh_runs_what_the_readme_says(tmp_path: Path, typed: str, runs: str) -> None:
    """scripts/run.sh itself, beside a stand-in env.sh whose environment has stand-in programs."""
    scripts = tmp_path / "checkout" / "scripts"
    scripts.mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "run.sh", scripts / "run.sh")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for program in ("tpi-skill", "python", "gunicorn"):
        (venv / "bin" / program).write_text(STUB)
        (venv / "bin" / program).chmod(0o755)
    (scripts / "env.sh").write_text(
        f'cd "$(dirname "${{BASH_SOURCE[0]}}")/.."\nexport VIRTUAL_ENV={venv}\nexport PATH={venv}/bin:$PATH\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        ["bash", str(scripts / "run.sh"), *typed.split()],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == f"{runs} | cwd={elsewhere} | hint=bash {scripts / 'run.sh'}\n"


def test_the_newcomer_copies_exactly_two_set_up_commands() -> None:
    section = readme().split("## The two commands", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert commands(f"```bash\n{block}```") == ["bash scripts/run.sh", "bash scripts/test.sh"]
    assert all(registry in section for registry in ("PyPI", "npm", "Debian"))
