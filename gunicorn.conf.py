"""gunicorn settings for the web service, as ``deploy/production.py`` runs it behind nginx.

Do not expose gunicorn itself: its threads block while reading a request, so a handful of clients
sending a byte a second hold every thread (docs/security.md). ``deploy/production.py`` binds it to
a unix socket that only nginx talks to; nginx reads each request whole before handing it over, and
terminates TLS (Alexa only calls https endpoints with a trusted certificate). Every setting can be
overridden on the command line or via the env below.
"""

import os

# Where to listen: deploy/production.py sets BIND=unix:<run dir>/gunicorn.sock. Loopback by default
# otherwise, so that nothing but a local proxy reaches it.
bind = os.environ.get("BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"

# Two processes, each with a few threads: requests are short and mostly CPU (signature check and
# dispatch), and threads share each process's certificate cache.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "4"))

# Not a per-request limit: with threads, the master restarts a worker only when the worker's main loop
# stops checking in for this long, and a thread stuck on one request does not stop that loop. Requests
# are bounded elsewhere: nginx hands over only whole requests and waits 10 s for the answer (Alexa gives
# up after 8 s), and the one outbound call, the certificate fetch, has a hard 2.5 s deadline.
timeout = 30
graceful_timeout = 10
keepalive = 5

# Refuse oversized request lines and headers early (the app caps the body at 128 KiB). Alexa sends a
# short request line and a handful of headers, the longest its signatures at under 700 characters. nginx
# in front (deploy/nginx/nginx.conf) refuses, in JSON, any request line or header line over 1 KiB and
# headers over about 5 KiB in all, so it never passes on what these limits would refuse: a request
# line fits in 1024, a header line in 4096, and 5 KiB holds at most ~1,700 header lines of 3 bytes.
limit_request_line = 1024
limit_request_fields = 2048
limit_request_field_size = 4096

# Log to stdout/stderr for the process supervisor; the access log shows method, path and status only
# (no bodies, so no user or device IDs).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'

# gunicorn 27's control socket lives in $HOME and collides between instances; nothing here uses it.
control_socket_disable = True

# A unix socket (deploy/production.py) is created 0600 and owned by the workers' user: only nginx's
# workers (run as the same user) and root may connect, not any local user.
umask = 0o177


def _refuse(server: object, message: str) -> None:
    """One line and exit status 4 ("will not start as configured"), with this start's own files removed."""
    import sys

    print(f"Refusing to start: {message}", file=sys.stderr, flush=True)
    on_exit(server)  # gunicorn calls on_exit only after a normal stop
    sys.exit(4)


def when_ready(server: object) -> None:
    """Refuse to serve with a bad configuration, here in the master before any worker starts.

    skill.web.wsgi refuses a missing skill ID and skill.web.metrics a short METRICS_TOKEN too, but each
    worker would, and when two exit at once gunicorn's master halts twice and prints a traceback; one
    clear line and exit status 4 ("app failed to load") instead.
    """
    from skill.web.metrics import token_problem

    problem = token_problem(os.environ)
    if problem is not None:
        _refuse(server, problem)
    if getattr(getattr(server, "app", None), "app_uri", None) != "skill.web.wsgi:app":
        return
    from skill.runtime.app import MissingSkillId, required_skill_id

    try:
        required_skill_id()
    except MissingSkillId as missing:
        _refuse(server, str(missing))


# Usage figures (skill/web/metrics.py): every worker writes its counts to files in one directory, so
# GET /metrics adds all workers up whichever one answers. A fresh directory per start unless
# PROMETHEUS_MULTIPROC_DIR names one; old counts in a named one are cleared at start. deploy/production.py
# names one in its run directory, which it removes even when gunicorn was killed (on_exit never ran).
# The same directory holds the signer URLs the workers share (TPI_SIGNER_STATE_DIR), unless one is named.
# It is made when the master starts (on_starting), not when this file is read: `--check-config` and
# every other reading of it would leave an empty directory behind.
_made_dir: list[tuple[int, str]] = []
"""(master's pid, directory) when on_starting made it; removed by on_exit or at the master's exit."""


def _remove_made_dir() -> None:
    import shutil

    for pid, made in _made_dir:
        if pid == os.getpid():  # workers are forks of the master and inherit this: only the master removes
            shutil.rmtree(made, ignore_errors=True)


def on_starting(server: object) -> None:
    """Make the workers' directory (before any worker imports prometheus_client); counts left by an
    earlier run in a named one would add to this one's."""
    import atexit
    import tempfile
    from pathlib import Path

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        made = tempfile.mkdtemp(prefix="tpi-metrics-")
        _made_dir.append((os.getpid(), made))
        atexit.register(_remove_made_dir)  # a master that exits without on_exit (an app that fails to load)
        config = getattr(server, "cfg", None)
        uid, gid = getattr(config, "uid", os.getuid()), getattr(config, "gid", os.getgid())
        if (uid, gid) != (os.getuid(), os.getgid()):
            os.chown(made, uid, gid)  # the workers run as --user/--group
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    os.environ.setdefault("TPI_SIGNER_STATE_DIR", os.environ["PROMETHEUS_MULTIPROC_DIR"])
    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server: object, worker: object) -> None:
    """A worker's counts stay (they happened); only its live-process state is dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(getattr(worker, "pid"))  # noqa: B009


def on_exit(server: object) -> None:
    _remove_made_dir()
