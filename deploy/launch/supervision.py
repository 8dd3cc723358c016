"""Start gunicorn, then nginx in front of it; stop both together; copy their logs to ours."""

from __future__ import annotations

import argparse
import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from deploy.launch.config import (
    ROOT,
    SOCKET_NAME,
    StartError,
    nginx_or_install,
    raise_open_file_limit,
    render_config,
    write_config,
)
from deploy.launch.users import ServiceUser, private_dir, secure_run_dir
from skill.web.metrics import MULTIPROCESS_ENV  # where gunicorn's workers keep their counts
from skill.web.verification.known import STATE_DIR_ENV as SIGNER_STATE_ENV  # signer URLs the workers share

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

_stop_signals: list[int] = []


def _on_signal(signum: int, frame: FrameType | None) -> None:
    del frame
    _stop_signals.append(signum)


def catch_stop_signals() -> None:
    """From here on SIGTERM, SIGINT and SIGHUP ask for an orderly stop, even while starting."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _on_signal)


def _die_with_parent() -> None:
    """In the child, before exec (Linux): SIGTERM when the launcher dies without stopping us (SIGKILL,
    say), so neither server outlives it unsupervised. Elsewhere a no-op."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _copy_lines(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: Path) -> None:
        super().__init__("localhost", timeout=2)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self._path))


def _healthy(sock_path: Path) -> bool:
    if not sock_path.exists():
        return False
    conn = _UnixHTTPConnection(sock_path)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


class Service:
    """gunicorn and nginx, started in that order and stopped together."""

    def __init__(self, args: argparse.Namespace, run_dir: Path, user: ServiceUser | None) -> None:
        self.args = args
        self.run_dir = run_dir
        self.user = user
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.nginx: subprocess.Popen[bytes] | None = None
        self.made: list[Path] = []
        """Directories made here inside a run directory the caller named (they go when the service stops)."""

    @property
    def socket(self) -> Path:
        return self.run_dir / SOCKET_NAME

    def start(self) -> None:
        nginx = nginx_or_install()
        open_files = raise_open_file_limit()
        secure_run_dir(self.run_dir, self.user)
        listen, cert, key = self.args.listen, self.args.tls_cert, self.args.tls_key
        metrics = self.args.metrics_listen
        user = self.user.name if self.user is not None else None
        text = render_config(self.run_dir, listen, cert, key, open_files, metrics, user)
        config = write_config(self.run_dir, text)
        self._start_gunicorn()
        command = [nginx, "-p", str(self.run_dir), "-c", str(config), "-e", "stderr"]
        # nginx opens /dev/stdout itself: when that is a file, its writes would overwrite gunicorn's
        # (a new open file, with its own offset), so it gets a pipe and we copy the lines on.
        self.nginx = subprocess.Popen(
            command, cwd=self.run_dir, stdout=subprocess.PIPE, preexec_fn=_die_with_parent
        )
        threading.Thread(target=_copy_lines, args=(self.nginx,), name="nginx-log", daemon=True).start()
        self._wait_for("nginx", self.nginx, lambda: (self.run_dir / "nginx.pid").exists())
        scheme = "https" if cert else "http"
        print(f"Serving on {scheme}://{listen}/ (nginx, then gunicorn on {self.socket})", file=sys.stderr)
        if self.user is not None:
            print(f"nginx's and gunicorn's workers run as {self.user.name}", file=sys.stderr)
        print(f"Usage figures on http://{metrics}/metrics", file=sys.stderr)

    def _private(self, name: str) -> Path:
        path = self.run_dir / name
        if not path.exists():
            self.made.append(path)
        return private_dir(path, self.user)

    def _start_gunicorn(self) -> None:
        env = {**os.environ, "BIND": f"unix:{self.socket}"}
        if not env.get(MULTIPROCESS_ENV):
            # In the run directory rather than gunicorn.conf.py's own in /tmp, which a killed gunicorn
            # never removes: this one goes with the run directory whatever happens to gunicorn.
            env[MULTIPROCESS_ENV] = str(self._private("metrics"))
        if not env.get(SIGNER_STATE_ENV):
            env[SIGNER_STATE_ENV] = str(self._private("state"))
        command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        if self.user is not None:
            # The workers drop to the user; the app is loaded before they fork (preload), so they need
            # no access to Python's or the checkout's files, only to the run directory.
            command += ["--user", str(self.user.uid), "--group", str(self.user.gid), "--preload"]
        command.append(self.args.app)
        self.gunicorn = subprocess.Popen(command, cwd=ROOT, env=env, preexec_fn=_die_with_parent)
        self._wait_for("gunicorn", self.gunicorn, lambda: _healthy(self.socket))

    def _wait_for(self, name: str, proc: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready():
            if _stop_signals:
                raise StartError(f"stopped by signal {_stop_signals[0]} while {name} was starting")
            if proc.poll() is not None:
                raise StartError(f"{name} exited with status {proc.returncode} while starting")
            if time.monotonic() > deadline:
                raise StartError(f"{name} did not start within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.05)

    def wait(self) -> int:
        """Block until a signal asks us to stop (0) or a child exits on its own (1)."""
        while not _stop_signals:
            for name, proc in (("gunicorn", self.gunicorn), ("nginx", self.nginx)):
                if proc is not None and proc.poll() is not None:
                    print(f"{name} exited with status {proc.returncode}; stopping", file=sys.stderr)
                    return 1
            time.sleep(0.2)
        return 0

    def stop(self) -> None:
        """nginx first (SIGQUIT: finish what it holds), then gunicorn (SIGTERM: graceful)."""
        for proc, signum in ((self.nginx, signal.SIGQUIT), (self.gunicorn, signal.SIGTERM)):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signum)
        for proc in (self.nginx, self.gunicorn):
            if proc is None:
                continue
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
