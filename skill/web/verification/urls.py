"""Amazon's rules for the ``SignatureCertChainUrl`` header, checked before anything is fetched."""

from __future__ import annotations

import functools
import posixpath
from urllib.parse import urlsplit

from skill.web.verification.errors import RequestVerificationError

CHAIN_URL_HOST = "s3.amazonaws.com"
CHAIN_URL_PATH_PREFIX = "/echo.api/"


def check_cert_chain_url(url: str) -> None:
    """Refuse any URL that could make us fetch a certificate from somewhere other than Amazon's bucket.

    Scheme and host compare case-insensitively, the path case-sensitively after ``..`` and ``.`` are
    resolved, so ``/echo.api/../x`` cannot escape the prefix.
    """
    reason = url_problem(url)
    if reason is not None:
        raise RequestVerificationError(reason)


@functools.lru_cache(maxsize=256)
def url_problem(url: str) -> str | None:
    """Why ``url`` breaks the rules, or None; memoised, as Alexa sends the same URL for months."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "certificate chain URL is malformed"
    if parts.scheme.lower() != "https":
        return "certificate chain URL is not https"
    if (parts.hostname or "").lower() != CHAIN_URL_HOST:
        return f"certificate chain URL host is not {CHAIN_URL_HOST}"
    if parts.username is not None or parts.password is not None:
        return "certificate chain URL carries credentials"
    if port is not None and port != 443:
        return "certificate chain URL port is not 443"
    path = parts.path
    if not path or not posixpath.normpath(path).startswith(CHAIN_URL_PATH_PREFIX):
        return f"certificate chain URL path does not start with {CHAIN_URL_PATH_PREFIX}"
    return None
