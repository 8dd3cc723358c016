"""The production web service as one foreground process: nginx in front of gunicorn.

    ALEXA_SKILL_ID=amzn1.ask.skill.<id> bash scripts/run.sh python deploy/production.py \\
        --listen 0.0.0.0:443 --tls-cert fullchain.pem --tls-key privkey.pem

gunicorn's threads block while they read a request, so a few clients sending a byte a second take
it down; nginx reads every request whole (headers within 10 s, a body capped at 128 KiB) before
handing it over, holding a slow client for the price of a few KiB. gunicorn (``gunicorn.conf.py``)
serves ``skill.web.wsgi:app`` on a unix socket in a private run directory that only nginx talks to;
nginx serves ``deploy/nginx/nginx.conf``, with TLS when a certificate is given (Alexa calls only
https endpoints on port 443). A second nginx listener, on loopback (``--metrics-listen``, default
127.0.0.1:9464), passes only ``/metrics`` to gunicorn, without a forwarding header, so a cron job on
this machine can read the usage figures the public listener refuses to give out. gunicorn's workers
keep their counts in the run directory, so a killed gunicorn leaves none behind in /tmp. Both log to
this process's stdout and stderr. SIGTERM or SIGINT stops both; if either exits on its own, the other
is stopped and this exits non-zero. A missing nginx is installed first (Debian's package, as root or
through sudo: ``scripts/ensure-debian-package.sh``).
"""

from __future__ import annotations

import argparse
import ctypes
import http.client
import ipaddress
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "nginx.conf"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
NGINX_PLACES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
OPEN_FILES_WANTED = 16384
METRICS_LISTEN = "127.0.0.1:9464"
METRICS_TOKEN_ENV = "METRICS_TOKEN"  # skill/web/metrics.py reads the same variable
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # where gunicorn's workers keep their counts


class StartError(RuntimeError):
    """The service could not start; the message says why."""


_stop_signals: list[int] = []


def _on_signal(signum: int, frame: FrameType | None) -> None:
    del frame
    _stop_signals.append(signum)


def catch_stop_signals() -> None:
    """From here on SIGTERM, SIGINT and SIGHUP ask for an orderly stop, even while starting."""
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _on_signal)


def find_nginx() -> str | None:
    """nginx on PATH, or where Debian and source builds put it (often off a normal user's PATH)."""
    return shutil.which("nginx") or next((path for path in NGINX_PLACES if os.access(path, os.X_OK)), None)


def nginx_or_install() -> str:
    found = find_nginx()
    if found is None:
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-debian-package.sh"), "nginx"], check=False)
        found = find_nginx()
    if found is None:
        raise StartError("nginx is not installed, and could not be installed here")
    return found


def raise_open_file_limit() -> int:
    """Raise this process's (and so its children's) open-file limit toward the hard limit; return it.

    Each client connection nginx holds costs it a file descriptor, and the default soft limit is 1024.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES_WANTED if hard == resource.RLIM_INFINITY else min(hard, OPEN_FILES_WANTED)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    return soft


def listen_directives(listen: str, tls_cert: str | None, tls_key: str | None) -> str:
    """The server block's ``listen`` line, and the TLS settings when a certificate is given."""
    if not tls_cert:
        return f"listen {listen};"
    lines = [
        f"listen {listen} ssl;",
        f"ssl_certificate {Path(tls_cert).resolve()};",
        f"ssl_certificate_key {Path(tls_key or '').resolve()};",
        "ssl_protocols TLSv1.2 TLSv1.3;",  # Alexa requires TLS 1.2 or later
        "ssl_session_cache shared:tls:10m;",
        "ssl_session_timeout 1h;",
    ]
    return "\n        ".join(lines)


def is_loopback_listen(listen: str) -> bool:
    """Whether nginx's ``listen`` address takes connections from this machine only (a bare port, a
    wildcard or a name other than localhost may not)."""
    host, colon, _port = listen.rpartition(":")
    if not colon:
        return False
    host = host.removeprefix("[").removesuffix("]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def render_config(
    run_dir: Path,
    listen: str,
    tls_cert: str | None,
    tls_key: str | None,
    open_files: int,
    metrics_listen: str = METRICS_LISTEN,
) -> str:
    values = {
        "run_dir": str(run_dir),
        "upstream": f"unix:{run_dir / 'gunicorn.sock'}",
        "listen": listen_directives(listen, tls_cert, tls_key),
        "metrics_listen": f"listen {metrics_listen};",
        # Two descriptors per proxied request (client and upstream), with room for logs and listeners.
        "worker_connections": str(max(256, min(8192, (open_files - 64) // 2))),
    }
    text = TEMPLATE.read_text("utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        raise StartError(f"{TEMPLATE} names a setting the launcher does not fill in")
    return text


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

    def __init__(self, args: argparse.Namespace, run_dir: Path) -> None:
        self.args = args
        self.run_dir = run_dir
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.nginx: subprocess.Popen[bytes] | None = None
        self.counts_dir: Path | None = None
        """The workers' counts directory when made here (it goes when the service stops)."""

    def start(self) -> None:
        nginx = nginx_or_install()
        open_files = raise_open_file_limit()
        self.run_dir.chmod(0o711)  # nginx's workers run as another user when started as root
        config = self.run_dir / "nginx.conf"
        listen, cert, key = self.args.listen, self.args.tls_cert, self.args.tls_key
        metrics = self.args.metrics_listen
        config.write_text(render_config(self.run_dir, listen, cert, key, open_files, metrics), "utf-8")
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
        print(f"Usage figures on http://{metrics}/metrics", file=sys.stderr)

    @property
    def socket(self) -> Path:
        return self.run_dir / "gunicorn.sock"

    def _start_gunicorn(self) -> None:
        env = {**os.environ, "BIND": f"unix:{self.socket}"}
        if not env.get(MULTIPROCESS_ENV):
            # In the run directory rather than gunicorn.conf.py's own in /tmp, which a killed gunicorn
            # never removes: this one goes with the run directory whatever happens to gunicorn.
            self.counts_dir = self.run_dir / "metrics"
            self.counts_dir.mkdir(mode=0o700, exist_ok=True)
            env[MULTIPROCESS_ENV] = str(self.counts_dir)
        command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), self.args.app]
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


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bash scripts/run.sh python deploy/production.py",
        description="Serve the skill in production: nginx in front of gunicorn. Needs ALEXA_SKILL_ID "
        "(or ALEXA_ALLOW_ANY_SKILL=1 to answer any skill's requests on purpose).",
    )
    parser.add_argument(
        "--listen",
        help="address:port for nginx (default 0.0.0.0:443 with TLS, else 127.0.0.1:8080 for a TLS proxy "
        "or load balancer in front)",
    )
    parser.add_argument("--tls-cert", help="PEM certificate chain for HTTPS (the leaf first)")
    parser.add_argument("--tls-key", help="PEM private key of that certificate")
    parser.add_argument(
        "--metrics-listen",
        default=METRICS_LISTEN,
        help=f"address:port where nginx serves only GET /metrics to this machine (default {METRICS_LISTEN}); "
        f"another address needs {METRICS_TOKEN_ENV}",
    )
    parser.add_argument("--app", default="skill.web.wsgi:app", help="WSGI app for gunicorn (tests only)")
    parser.add_argument(
        "--run-dir", type=Path, help="directory for the socket, nginx's config and temp files"
    )
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.listen is None:
        args.listen = "0.0.0.0:443" if args.tls_cert else "127.0.0.1:8080"
    if args.metrics_listen == args.listen:
        parser.error("--metrics-listen must differ from --listen")
    if not is_loopback_listen(args.metrics_listen) and not os.environ.get(METRICS_TOKEN_ENV, "").strip():
        parser.exit(
            2,
            f"production: --metrics-listen {args.metrics_listen} is not a loopback address; set "
            f"{METRICS_TOKEN_ENV} to serve the usage figures beyond this machine\n",
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    catch_stop_signals()
    owned = args.run_dir is None
    run_dir = Path(tempfile.mkdtemp(prefix="tpi-skill-")) if owned else args.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    service = Service(args, run_dir)
    try:
        service.start()
        return service.wait()
    except StartError as error:
        print(f"production: {error}", file=sys.stderr)
        code = service.gunicorn.returncode if service.gunicorn is not None else None
        return code if code else 1
    finally:
        service.stop()
        if owned:
            shutil.rmtree(run_dir, ignore_errors=True)
        elif service.counts_dir is not None:
            shutil.rmtree(service.counts_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
