"""The production web service as one foreground process: nginx in front of gunicorn.

    ALEXA_SKILL_ID=amzn1.ask.skill.<id> bash scripts/run.sh python deploy/production.py \\
        --listen 0.0.0.0:443 --tls-cert fullchain.pem --tls-key privkey.pem

gunicorn's threads block while they read a request, so a few clients sending a byte a second take
it down; nginx reads every request whole (headers within 10 s, a body capped at 128 KiB) before
handing it over, holding a slow client for the price of a few KiB. gunicorn (``gunicorn.conf.py``)
serves ``skill.web.wsgi:app`` on a unix socket in a private run directory that only nginx's workers
can reach; nginx serves ``deploy/nginx/nginx.conf``, with TLS when a certificate is given (Alexa calls
only https endpoints on port 443). A second nginx listener, on loopback (``--metrics-listen``,
default 127.0.0.1:9464), passes only ``/metrics`` to gunicorn, without a forwarding header, so a cron
job on this machine can read the usage figures the public listener refuses to give out. Started as
root, both servers' workers run as an unprivileged user (``--user``, default ``tpi-skill``). Both log
to this process's stdout and stderr. SIGTERM or SIGINT stops both; if either exits on its own, the
other is stopped and this exits non-zero. A missing nginx is installed first (Debian's package, as
root or through sudo: ``scripts/ensure-debian-package.sh``).

The parts live in ``deploy/launch/``: ``config`` (nginx's configuration), ``users`` (who runs what),
``supervision`` (starting and stopping) and ``cli`` (this command line).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script, only deploy/ is on the path
    sys.path.insert(0, str(ROOT))

from deploy.launch.cli import main, parse_args  # noqa: E402
from deploy.launch.config import is_loopback_listen, render_config  # noqa: E402

__all__ = ["is_loopback_listen", "main", "parse_args", "render_config"]

if __name__ == "__main__":
    sys.exit(main())
