"""The skill's web service on a free loopback port, for tests that need a real HTTP endpoint.

`running_skill` runs `skill.web.service.create_app(verify=False)` (unsigned requests are fine on
127.0.0.1 only) in a background thread with werkzeug's server; `running_production` runs the
production setup itself (`deploy/production.py`: nginx in front of gunicorn) as a subprocess. Both
shut down when the `with` block ends, whatever happened inside.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO

from werkzeug.serving import make_server

from skill.web.service import create_app

HOST = "127.0.0.1"
READY_TIMEOUT_S = 30.0


@contextmanager
def http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A plain loopback HTTP server (not the skill) answering with `handler` until the block ends; yields
    its base URL without a trailing slash. Handler threads are daemons: a test that abandons a
    request cannot hold up the shutdown."""

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        block_on_close = False

    server = Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def running_skill() -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>/``) of a threaded server answering Alexa envelopes."""
    server = make_server(HOST, 0, create_app(verify=False), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="skill-web", daemon=True)
    thread.start()
    url = f"http://{HOST}:{server.server_port}/"
    try:
        with urllib.request.urlopen(f"{url}healthz", timeout=READY_TIMEOUT_S) as reply:
            assert reply.status == 200, f"/healthz answered {reply.status}"
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=READY_TIMEOUT_S)


# --- the production setup (deploy/production.py: nginx in front of gunicorn) ------------------------

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_START_TIMEOUT_S = 60.0


@dataclass
class Production:
    """A running ``deploy/production.py``: where it listens, and what it has logged so far."""

    port: int
    scheme: str
    stdout: IO[bytes]
    stderr: IO[bytes]
    process: subprocess.Popen[bytes]
    metrics_port: int = 0
    """The loopback listener for /metrics (0 when the caller chose its own --metrics-listen)."""

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    def logs(self) -> str:
        """Everything nginx, gunicorn and the app wrote, stdout then stderr."""
        return "\n".join(read_shared_file(stream) for stream in (self.stdout, self.stderr))


def read_shared_file(stream: IO[bytes]) -> str:
    """Read a file a child process is writing to, without moving the offset the two of us share."""
    fd = stream.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start_production(
    env: dict[str, str], *, app: str = "skill.web.wsgi:app", args: Sequence[str] = (), scheme: str = "http"
) -> Production:
    """Start the launcher on a free loopback port with ``env`` added (ALEXA_SKILL_ID is not inherited).

    Returns once it answers ``/healthz``, or raises with its logs if it exits first. Stop it with
    ``stop_production``. It runs in a session of its own, so the stop can reach every process in it.
    """
    port = free_port()
    # Never the default metrics port: several launchers (tests, benchmarks) may run at once.
    metrics_port = 0 if "--metrics-listen" in args else free_port()
    while metrics_port == port:
        metrics_port = free_port()
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("ALEXA_")}
    full_env = {**inherited, "LOG_LEVEL": "warning", **env}
    if app != "skill.web.wsgi:app":
        full_env["TPI_PRODUCTION_TEST_APP"] = "1"  # the launcher serves another app only when told so
    command = [sys.executable, str(ROOT / "deploy" / "production.py"), "--listen", f"{HOST}:{port}"]
    command += ["--app", app, *args]
    if metrics_port:
        command += ["--metrics-listen", f"{HOST}:{metrics_port}"]
    # Closed by running_production, or by whoever calls stop_production.
    stdout, stderr = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(
        command, cwd=ROOT, env=full_env, stdout=stdout, stderr=stderr, start_new_session=True
    )
    production = Production(port, scheme, stdout, stderr, process, metrics_port)
    deadline = time.monotonic() + PRODUCTION_START_TIMEOUT_S
    context = ssl._create_unverified_context() if scheme == "https" else None
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"production exited with {process.returncode}:\n{production.logs()}")
        try:
            with urllib.request.urlopen(f"{production.url}healthz", timeout=2, context=context) as reply:
                if reply.status == 200:
                    return production
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_production(production)
            raise RuntimeError(f"production did not start:\n{production.logs()}")
        time.sleep(0.1)


def stop_production(production: Production) -> int:
    """SIGTERM the launcher (it stops nginx and gunicorn); kill its session if it does not finish."""
    process = production.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


@contextmanager
def running_production(
    env: dict[str, str], *, app: str = "skill.web.wsgi:app", args: Sequence[str] = (), scheme: str = "http"
) -> Iterator[Production]:
    production = start_production(env, app=app, args=args, scheme=scheme)
    try:
        yield production
    finally:
        stop_production(production)
        production.stdout.close()
        production.stderr.close()
