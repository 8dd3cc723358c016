"""Runs the real `tpi-skill` command in a child process, as a user's shell would, for the CLI's tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.helpers_server import free_port

# The console script pip installed next to this interpreter (scripts/test.sh installs the project).
TPI_SKILL = Path(sys.executable).with_name("tpi-skill")
# Variables of the developer's shell that would change what the command prints.
_UNSET = ("COLUMNS", "TPI_SKILL_DEBUG", "TPI_SKILL_COMMAND")


def command_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in _UNSET}
    return {**env, **(extra or {})}


def tpi_skill(
    *args: str | bytes,
    stdin: str | bytes = "",
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run `tpi-skill args...` with `stdin`; stdout and stderr as text (undecodable bytes replaced)."""
    assert TPI_SKILL.exists(), f"{TPI_SKILL} is missing: bash scripts/test.sh installs the project"
    done = subprocess.run(
        [str(TPI_SKILL), *args],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        env=command_env(env),
        timeout=timeout,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


@contextmanager
def serving(*args: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`tpi-skill serve args... --port <free>` until the block ends; yields its URL and the process."""
    port = free_port()
    process = subprocess.Popen(
        [str(TPI_SKILL), "serve", *args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=command_env(),
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"serve did not start: {process.communicate()}") from None
                time.sleep(0.05)
        yield url, process
    finally:
        process.terminate()
        process.communicate(timeout=10)


def stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_fails_helpfully(result: subprocess.CompletedProcess[str], *says: str) -> None:
    """Non-zero exit, no traceback anywhere, and one or two lines on stderr that say each of `says`."""
    shown = f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode != 0, shown
    assert "Traceback" not in result.stdout + result.stderr, shown
    assert 1 <= len(stderr_lines(result)) <= 2, shown
    for words in says:
        assert words in result.stderr, f"{words!r} not said\n{shown}"
