"""Downloads the signing certificate chain within one hard deadline and a size cap.

A per-read socket timeout is not a deadline: a server answering a byte a second never trips it, and
``urllib`` gives name lookup no timeout at all. Here one deadline covers the whole fetch: the name
lookup runs on a small shared pool and is abandoned at the deadline, and every connect, TLS
handshake, send and receive gets only the time left (CPython bounds each such call as a whole, not
per byte). HTTP/1.1 is parsed by h11, a sans-I/O parser, because it leaves every socket operation
to us; ``http.client`` and urllib3 read the status line and headers with per-read timeouts only.
Redirects are refused because the URL rules apply to the URL we were given, not to wherever a
server points next.
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import certifi
import h11

from skill.web.verification.errors import RequestVerificationError

Fetcher = Callable[[str], bytes]
"""Takes a certificate chain URL, returns the PEM bytes or raises ``RequestVerificationError``."""

AddressInfo = tuple[int, int, int, str, tuple[Any, ...]]
Resolver = Callable[[str, int], Sequence[AddressInfo]]

DEFAULT_TIMEOUT_SECONDS = 2.5
"""The whole fetch, name lookup to last byte; Alexa gives up on the request after 8 s."""
DEFAULT_MAX_BYTES = 64 * 1024
_CHUNK = 8192
_MAX_HEADER_BYTES = 16 * 1024
_RESOLVER_THREADS = 4
"""A lookup stuck past its deadline keeps its thread until the system resolver gives up; four bound that."""
TIMED_OUT = "certificate chain fetch timed out"


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self._at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, or ``RequestVerificationError`` once there are none."""
        left = self._at - time.monotonic()
        if left <= 0:
            raise RequestVerificationError(TIMED_OUT, "cert_fetch")
        return left


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Built once: loading certifi's bundle into OpenSSL costs tens of milliseconds."""
    return ssl.create_default_context(cafile=certifi.where())


_pool_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _resolver_pool() -> ThreadPoolExecutor:
    """One pool per process (a pool inherited through fork has no threads behind it)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(_RESOLVER_THREADS, thread_name_prefix="cert-dns"))
        return _pool[1]


def system_resolver(host: str, port: int) -> Sequence[AddressInfo]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def fetch_url(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    resolve: Resolver = system_resolver,
) -> bytes:
    """The body at ``url`` (http or https), within ``timeout`` seconds in all; any failure, slowness or
    oversize becomes ``RequestVerificationError``. ``resolve`` replaces the system's name lookup."""
    deadline = _Deadline(timeout)
    try:
        return _fetch(url, deadline, max_bytes, resolve)
    except RequestVerificationError:
        raise
    except TimeoutError:  # socket.timeout, ssl's handshake timeout, a lookup that did not finish
        raise RequestVerificationError(TIMED_OUT, "cert_fetch") from None
    except h11.ProtocolError:
        raise RequestVerificationError(
            "certificate chain fetch got a malformed HTTP answer", "cert_fetch"
        ) from None
    except (OSError, ValueError) as exc:
        # Refused connections, resets, TLS failures and lookup failures all end here.
        raise RequestVerificationError(
            f"certificate chain fetch failed: {type(exc).__name__}", "cert_fetch"
        ) from None


def _fetch(url: str, deadline: _Deadline, max_bytes: int, resolve: Resolver) -> bytes:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RequestVerificationError("certificate chain URL cannot be fetched", "cert_fetch")
    host = parts.hostname
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    lookup = _resolver_pool().submit(resolve, host, port)
    try:
        addresses = lookup.result(timeout=deadline.remaining())
    finally:
        lookup.cancel()  # a no-op once it has started; drops it if it is still queued
    sock = _connect(addresses, deadline)
    try:
        if parts.scheme == "https":
            sock = _tls_context().wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
            sock.settimeout(deadline.remaining())
            sock.do_handshake()
        conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=_MAX_HEADER_BYTES)
        host_header = host if port == default_port else f"{host}:{port}"
        headers = [("Host", host_header), ("Accept", "*/*"), ("Connection", "close")]
        request = conn.send(h11.Request(method="GET", target=parts.path or "/", headers=headers)) or b""
        request += conn.send(h11.EndOfMessage()) or b""
        sock.settimeout(deadline.remaining())
        sock.sendall(request)
        return _read_response(sock, conn, deadline, max_bytes)
    finally:
        sock.close()


def _connect(addresses: Sequence[AddressInfo], deadline: _Deadline) -> socket.socket:
    error: OSError = OSError("name resolved to no address")
    for family, kind, proto, _, address in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(deadline.remaining())
            sock.connect(address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise error


def _read_response(sock: socket.socket, conn: h11.Connection, deadline: _Deadline, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            sock.settimeout(deadline.remaining())
            conn.receive_data(sock.recv(_CHUNK))
        elif isinstance(event, h11.Response):
            if event.status_code != 200:
                raise RequestVerificationError(
                    f"certificate chain fetch answered HTTP {event.status_code}", "cert_fetch"
                )
            declared = dict(event.headers).get(b"content-length", b"")
            if declared.isdigit() and int(declared) > max_bytes:
                raise RequestVerificationError("certificate chain is larger than allowed", "cert_fetch")
        elif isinstance(event, h11.Data):
            size += len(event.data)
            if size > max_bytes:
                raise RequestVerificationError("certificate chain is larger than allowed", "cert_fetch")
            chunks.append(bytes(event.data))
        elif isinstance(event, h11.EndOfMessage):
            return b"".join(chunks)
        elif isinstance(event, h11.ConnectionClosed):
            raise RequestVerificationError(
                "certificate chain fetch ended before the whole answer", "cert_fetch"
            )
        # InformationalResponse (1xx): read on.
