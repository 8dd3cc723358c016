"""Starts the project's gunicorn (gunicorn.conf.py) serving bench_wsgi.py on a free loopback port.

Shared by benchmarks/run.py (requests per second) and tests/test_soak.py (memory over thousands of
requests), so both measure the production server configuration the same way.
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
from collections.abc import Iterator
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


def _wait_until_healthy(proc: subprocess.Popen[bytes], port: int, log: IO[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited: {log.read().decode(errors='replace')}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start within {START_TIMEOUT_S:.0f} s")
        time.sleep(0.1)


@contextlib.contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[tuple[int, int]]:
    """Serve bench_wsgi:app with `env` added (BENCH_* settings, WEB_CONCURRENCY...); yield (port, master pid).

    Only loopback is ever bound, and the server is stopped however the block ends.
    """
    port = free_port()
    full_env = {**os.environ, "LOG_LEVEL": "warning", **env, "BIND": f"127.0.0.1:{port}"}
    full_env.pop("ALEXA_SKILL_ID", None)
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    command += ["--pythonpath", str(HERE), "bench_wsgi:app"]
    # The error log goes to a file, not a pipe: a pipe nobody reads fills up and stalls the workers.
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            _wait_until_healthy(proc, port, log)
            yield port, proc.pid
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
