"""Who is calling: the client address the certificate-fetch budget is shared out by.

Behind nginx (``deploy/production.py``) gunicorn's peer is its unix socket, which has no address, and
nginx puts the real client's in ``X-Forwarded-For`` (replacing any the client sent). Anywhere else the
peer's own address is the client: a forwarding header from a TCP peer is the client's own claim and
is ignored, or a flood could name a fresh "client" with every request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

UNIX_PEER = "unix"
"""The client of a request that came over the unix socket without a forwarding header."""


def is_unix_peer(environ: Mapping[str, Any]) -> bool:
    """gunicorn gives a unix-socket peer as "" (or the socket's path); werkzeug's tests give None."""
    remote = environ.get("REMOTE_ADDR")
    return remote is None or remote == "" or (isinstance(remote, str) and remote.startswith("/"))


def client_address(environ: Mapping[str, Any]) -> str:
    """The client's address, an IPv6 one reduced to its /64 (one subscriber's usual share)."""
    if is_unix_peer(environ):
        forwarded = str(environ.get("HTTP_X_FORWARDED_FOR", "")).rsplit(",", 1)[-1].strip()
        address = forwarded or UNIX_PEER
    else:
        address = str(environ.get("REMOTE_ADDR"))
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)
