"""Who the servers run as, and who may reach gunicorn's socket.

Started as root (the README's command), nginx's master keeps root to bind port 443 and read the TLS key,
but its workers, which talk to clients, and gunicorn's workers, which run the app, run as one
unprivileged system user (``tpi-skill`` unless ``--user`` names another), created if missing. The run
directory is root's, mode 0710 with that user's group, so only it can reach the socket inside; the
socket itself is 0600 and that user's (gunicorn.conf.py's ``umask``). Started as anyone else,
everything runs as that user, the run directory is 0700 and the socket 0600: no other local user can
reach gunicorn, bypass nginx, or read /metrics as "this machine".
"""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

from deploy.launch.config import StartError

DEFAULT_USER = "tpi-skill"


@dataclass(frozen=True)
class ServiceUser:
    name: str
    group: str
    uid: int
    gid: int


def _create(name: str) -> None:
    command = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise StartError(f"cannot create the user {name} (useradd: {exc.strerror})") from None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise StartError(f"cannot create the user {name} ({detail})")


def service_user(name: str | None) -> ServiceUser | None:
    """The user the servers' workers run as when this runs as root (created if missing); None when not
    root, since then everything already runs unprivileged, as whoever started it."""
    if os.geteuid() != 0:
        return None
    name = name or DEFAULT_USER
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if name != DEFAULT_USER:
            raise StartError(f"there is no user {name} (--user)") from None
        _create(name)
        entry = pwd.getpwnam(name)
    if entry.pw_uid == 0:
        raise StartError(f"--user {name} is root: the servers would run as root")
    return ServiceUser(name, grp.getgrgid(entry.pw_gid).gr_name, entry.pw_uid, entry.pw_gid)


def secure_run_dir(run_dir: Path, user: ServiceUser | None) -> None:
    """0700 for the user running everything; as root, 0710 root:<service group> (traverse only)."""
    if user is None:
        run_dir.chmod(0o700)
        return
    os.chown(run_dir, 0, user.gid)
    run_dir.chmod(0o710)


def private_dir(path: Path, user: ServiceUser | None) -> Path:
    """A directory only gunicorn's workers (and root) may use: their counts, the known signer URLs."""
    path.mkdir(mode=0o700, exist_ok=True)
    path.chmod(0o700)
    if user is not None:
        os.chown(path, user.uid, user.gid)
    return path
