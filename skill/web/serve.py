"""``tpi-skill serve``: Flask's own server for development and small deployments.

Turning verification off is allowed only on a loopback address: a skill that answers unsigned
requests on a public interface would answer anyone who finds it.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from flask import Flask

from skill.web.service import create_app

logger = logging.getLogger(__name__)

Runner = Callable[[Flask, str, int], None]


class UnsafeServeError(ValueError):
    """The requested serving options would expose an unverified skill."""


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (brackets allowed); names other than localhost are not
    resolved, since what a name points at can change after we check it."""
    candidate = host.strip().strip("[]").rstrip(".").lower()
    if candidate == "localhost":
        return True
    try:
        return ipaddress.ip_address(candidate).is_loopback
    except ValueError:
        return False


def check_serve_options(host: str, verify: bool) -> None:
    """Refuse ``verify=False`` anywhere but loopback, before anything is built or bound."""
    if not isinstance(verify, bool):
        raise TypeError("verify must be True or False")
    if not verify and not is_loopback(host):
        raise UnsafeServeError(
            f"refusing to serve without request verification on {host!r}: "
            "--no-verify is allowed only on a loopback address (127.0.0.1, ::1 or localhost)"
        )


def _run_flask(app: Flask, host: str, port: int) -> None:
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


def serve(host: str, port: int, skill_id: str | None, verify: bool, *, run: Runner | None = None) -> None:
    """Serve the skill at ``http://host:port/`` until interrupted.

    ``run`` replaces Flask's server (tests use it to inspect the app without binding a port).
    """
    check_serve_options(host, verify)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verify:
        logger.warning("Serving WITHOUT request verification on %s:%d (loopback only)", host, port)
    app = create_app(skill_id=skill_id, verify=verify)
    (run or _run_flask)(app, host, port)
