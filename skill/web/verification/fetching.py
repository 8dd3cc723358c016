"""Downloads the signing certificate chain with a deadline and a size cap.

A slow or huge answer must not tie up a worker: every read is bounded by a socket timeout and the
whole download by a deadline, and we stop reading past ``max_bytes``. Redirects are refused because
the URL rules apply to the URL we were given, not to wherever a server points next.
"""

from __future__ import annotations

import functools
import http.client
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import certifi

from skill.web.verification.errors import RequestVerificationError

Fetcher = Callable[[str], bytes]
"""Takes a certificate chain URL, returns the PEM bytes or raises ``RequestVerificationError``."""

DEFAULT_TIMEOUT_SECONDS = 2.5
DEFAULT_MAX_BYTES = 64 * 1024
_CHUNK = 8192


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Built once: loading certifi's bundle into OpenSSL costs tens of milliseconds."""
    return ssl.create_default_context(cafile=certifi.where())


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=_tls_context()), _NoRedirect())


def fetch_url(
    url: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS, max_bytes: int = DEFAULT_MAX_BYTES
) -> bytes:
    """Return the body at ``url``; any failure, slowness or oversize becomes ``RequestVerificationError``."""
    deadline = time.monotonic() + timeout
    try:
        with _opener().open(url, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            if declared is not None and declared.isdigit() and int(declared) > max_bytes:
                raise RequestVerificationError("certificate chain is larger than allowed")
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = response.read1(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise RequestVerificationError("certificate chain is larger than allowed")
                if time.monotonic() > deadline:
                    raise RequestVerificationError("certificate chain download took too long")
                chunks.append(chunk)
            return b"".join(chunks)
    except RequestVerificationError:
        raise
    except urllib.error.HTTPError as exc:
        raise RequestVerificationError(f"certificate chain fetch answered HTTP {exc.code}") from None
    except TimeoutError:
        raise RequestVerificationError("certificate chain fetch timed out") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise RequestVerificationError("certificate chain fetch timed out") from None
        raise RequestVerificationError(
            f"certificate chain fetch failed: {type(exc.reason).__name__}"
        ) from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # URLError, connection resets, TLS errors, http.client protocol errors all end here.
        raise RequestVerificationError(f"certificate chain fetch failed: {type(exc).__name__}") from None
