"""``tpi-skill serve``: Flask's own server for development and small deployments.

Turning verification off is allowed only on a loopback address: a skill that answers unsigned
requests on a public interface would answer anyone who finds it.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
from collections.abc import Callable

from flask import Flask

from skill.web.service import create_app

logger = logging.getLogger(__name__)

Runner = Callable[[Flask, str, int], None]


class UnsafeServeError(ValueError):
    """The requested serving options would expose an unverified skill."""


class CannotServeError(RuntimeError):
    """The address cannot be listened on; `port_taken` when another program already has the port."""

    def __init__(self, message: str, *, port_taken: bool = False) -> None:
        super().__init__(message)
        self.port_taken = port_taken


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


def check_address(host: str, port: int) -> None:
    """Bind the address once and let it go, the way Flask's server will bind it, so a taken port or a
    host that is not this machine is a plain `CannotServeError` before anything is built."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, socket.IPPROTO_TCP)[0][4]
    except (socket.gaierror, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise CannotServeError(f"cannot serve on {host!r}: no such address ({reason})") from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Flask's server does
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CannotServeError(f"port {port} on {host} is already in use", port_taken=True) from None
            if error.errno == errno.EADDRNOTAVAIL:
                raise CannotServeError(f"{host} is not an address of this machine") from None
            if error.errno == errno.EACCES:
                raise CannotServeError(f"port {port} needs administrator rights", port_taken=True) from None
            raise CannotServeError(f"cannot serve on {host} port {port}: {error.strerror}") from None


def _run_flask(app: Flask, host: str, port: int) -> None:
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


def serve(host: str, port: int, skill_id: str | None, verify: bool, *, run: Runner | None = None) -> None:
    """Serve the skill at ``http://host:port/`` until interrupted.

    ``run`` replaces Flask's server (tests use it to inspect the app without binding a port); without
    it, an address that cannot be served on is a `CannotServeError` before the app is built.
    """
    check_serve_options(host, verify)
    host = host.strip().strip("[]")  # "[::1]" as in a URL is the address ::1
    if run is None:
        check_address(host, port)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verify:
        logger.warning("Serving WITHOUT request verification on %s:%d (loopback only)", host, port)
    app = create_app(skill_id=skill_id, verify=verify)
    (run or _run_flask)(app, host, port)
