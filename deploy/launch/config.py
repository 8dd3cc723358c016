"""nginx's configuration, rendered from ``deploy/nginx/`` for one run directory, and where nginx is."""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATE = ROOT / "deploy" / "nginx" / "nginx.conf"
SNIPPETS = ("errors.conf",)
"""Files in deploy/nginx/ that nginx.conf includes, copied next to the rendered configuration."""
NGINX_PLACES = ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx")
OPEN_FILES_WANTED = 16384
METRICS_LISTEN = "127.0.0.1:9464"
SOCKET_NAME = "gunicorn.sock"


class StartError(RuntimeError):
    """The service could not start; the message says why."""


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
    from skill.web.serve import is_loopback  # the dev server's rule; lazily, it loads the whole app

    host, colon, _port = listen.rpartition(":")
    return bool(colon) and is_loopback(host)


def render_config(
    run_dir: Path,
    listen: str,
    tls_cert: str | None,
    tls_key: str | None,
    open_files: int,
    metrics_listen: str = METRICS_LISTEN,
    user: str | None = None,
) -> str:
    """nginx.conf for ``run_dir``; ``user`` (when nginx starts as root) is who its workers run as."""
    values = {
        "run_dir": str(run_dir),
        "user": f"user {user} {user};" if user else "# started unprivileged: workers run as this user",
        "upstream": f"unix:{run_dir / SOCKET_NAME}",
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


def write_config(run_dir: Path, text: str) -> Path:
    """Write nginx.conf and the snippets it includes into ``run_dir``; return the config's path."""
    for name in SNIPPETS:
        shutil.copyfile(TEMPLATE.parent / name, run_dir / name)
    config = run_dir / "nginx.conf"
    config.write_text(text, "utf-8")
    return config
