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
# short request line and a handful of headers, the longest its signatures at under 700 characters, so
# these are a quarter to a half of gunicorn's defaults (4094, 100 and 8190) with room for a proxy's.
limit_request_line = 1024
limit_request_fields = 50
limit_request_field_size = 4096

# Log to stdout/stderr for the process supervisor; the access log shows method, path and status only
# (no bodies, so no user or device IDs).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'

# gunicorn 27's control socket lives in $HOME and collides between instances; nothing here uses it.
control_socket_disable = True


def when_ready(server: object) -> None:
    """Refuse to serve the production app without a skill ID, here in the master before any worker starts.

    skill.web.wsgi refuses too, but each worker would, and when two exit at once gunicorn's master
    halts twice and prints a traceback; one clear line and exit status 4 ("app failed to load") instead.
    """
    if getattr(getattr(server, "app", None), "app_uri", None) != "skill.web.wsgi:app":
        return
    import sys

    from skill.runtime.app import MissingSkillId, required_skill_id

    try:
        required_skill_id()
    except MissingSkillId as missing:
        print(f"Refusing to start: {missing}", file=sys.stderr, flush=True)
        cleanup = globals().get("on_exit")  # gunicorn calls on_exit only after a normal stop
        if callable(cleanup):
            cleanup(server)
        sys.exit(4)


# Usage figures (skill/web/metrics.py): every worker writes its counts to files in one directory, so
# GET /metrics adds all workers up whichever one answers. A fresh directory per start unless
# PROMETHEUS_MULTIPROC_DIR names one; old counts in a named one are cleared at start. deploy/production.py
# names one in its run directory, which it removes even when gunicorn was killed (on_exit never ran).
def _metrics_dir() -> bool:
    """Set PROMETHEUS_MULTIPROC_DIR (before any worker imports prometheus_client); True if made here."""
    import tempfile

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return False
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="tpi-metrics-")
    return True


_METRICS_DIR_MADE = _metrics_dir()


def on_starting(server: object) -> None:
    """Counts left by an earlier run would add to this one's."""
    from pathlib import Path

    for stale in Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()


def child_exit(server: object, worker: object) -> None:
    """A worker's counts stay (they happened); only its live-process state is dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(getattr(worker, "pid"))  # noqa: B009


def on_exit(server: object) -> None:
    import shutil

    if _METRICS_DIR_MADE:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
