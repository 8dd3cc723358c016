"""Starts the project's gunicorn (gunicorn.conf.py) serving bench_wsgi.py on a free loopback port.

Shared by benchmarks/run.py (requests per second) and tests/test_soak.py (memory over thousands of
requests), so both measure the production server configuration the same way; tests/test_web_serve.py
uses it to start the production app (skill.web.wsgi:app) the same way too.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def worker_stats(master: int) -> dict[int, list[str]]:
    """gunicorn's workers (the children of `master`): pid -> the /proc stat fields after the command name.

    In that list ppid is field 1, and user and system CPU ticks are fields 11 and 12.
    """
    workers: dict[int, list[str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        if int(fields[1]) == master:
            workers[int(stat.parent.name)] = fields
    return workers


def wait_until_healthy(
    proc: subprocess.Popen[bytes],
    port: int,
    log: IO[bytes],
    timeout: float = START_TIMEOUT_S,
    *,
    what: str = "gunicorn",
) -> None:
    """Poll ``/healthz`` until it answers 200; raise, with ``log``, if ``what`` exits or never answers."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{what} exited: {log.read().decode(errors='replace')}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {timeout:.0f} s")
        time.sleep(0.1)


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str],
    app: str = "bench_wsgi:app",
    log: IO[bytes] | None = None,
    *,
    under: Sequence[str] = (),
    start_timeout: float = START_TIMEOUT_S,
    root: Path = ROOT,
) -> Iterator[tuple[int, int]]:
    """Serve `app` (a WSGI "module:name") with `env` added (BENCH_* settings, WEB_CONCURRENCY...).

    Yields (port, master pid). Only loopback is ever bound, and the server is stopped however the block
    ends. ALEXA_SKILL_ID is dropped from this process's environment, so only `env` can set it. gunicorn's
    stderr (its error log) goes to `log` when given, so the caller can read it after the block; otherwise
    to a temporary file, shown if gunicorn exits before it is healthy. The access log is discarded.
    `under` runs the server inside another program (valgrind, for one), with gunicorn's worker timeout
    lifted: a worker slowed that much would otherwise be killed as stuck. `root` is the checkout whose
    gunicorn.conf.py and `skill` package are used (another revision's exported tree, say).
    """
    port = free_port()
    inherited = {name: value for name, value in os.environ.items() if name != "ALEXA_SKILL_ID"}
    full_env = {**inherited, "LOG_LEVEL": "warning", **env, "BIND": f"127.0.0.1:{port}"}
    command = [*under, sys.executable, "-m", "gunicorn", "-c", str(root / "gunicorn.conf.py")]
    pythonpath = str(HERE) if root == ROOT else f"{root},{HERE}"  # `root` before an installed `skill`
    command += ["--chdir", str(root)] if root != ROOT else []
    command += ["--pythonpath", pythonpath, *(["--timeout", "0"] if under else []), app]
    # The log goes to a file, not a pipe: a pipe nobody reads fills up and stalls the workers.
    with contextlib.ExitStack() as stack:
        out = log if log is not None else stack.enter_context(tempfile.TemporaryFile())
        proc = subprocess.Popen(command, cwd=root, env=full_env, stdout=subprocess.DEVNULL, stderr=out)
        try:
            wait_until_healthy(proc, port, out, start_timeout)
            yield port, proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15 if not under else 120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
