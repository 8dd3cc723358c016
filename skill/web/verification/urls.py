"""Amazon's rules for the ``SignatureCertChainUrl`` header, checked before anything is fetched.

The URL is parsed here by hand and reduced to one canonical spelling, which is what gets fetched and
what the signer cache is keyed on: ``HTTPS://S3.AMAZONAWS.COM:443/echo.api/./x.pem`` and
``https://s3.amazonaws.com/echo.api/x.pem`` name one certificate, so they cost one fetch and one
cache entry. Anything a canonical form cannot represent faithfully (a query, a fragment, path
parameters, an encoded slash) is refused rather than guessed at.
"""

from __future__ import annotations

import functools
import re

from skill.web.verification.errors import RequestVerificationError

CHAIN_URL_HOST = "s3.amazonaws.com"
CHAIN_URL_PATH_PREFIX = "/echo.api/"

_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?P<rest>.*)")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset("0123456789abcdefABCDEF")


class _Refused(ValueError):
    """Internal: why a URL breaks the rules (becomes ``RequestVerificationError``)."""


def canonical_chain_url(url: str) -> str:
    """The one spelling of ``url`` that is fetched and cached, or ``RequestVerificationError`` saying why
    the URL breaks Amazon's rules (any URL that could make us fetch from outside Amazon's bucket).

    Scheme and host compare case-insensitively and the default port is dropped; the path compares
    case-sensitively after percent-encoded unreserved characters are decoded and dot segments are
    resolved (RFC 3986, 6.2.2), so neither ``/echo.api/../x`` nor ``/echo.api/%2E%2E/x`` can leave
    the ``/echo.api/`` prefix.
    """
    canonical = _canonical_or_reason(url)
    if not canonical.startswith("https://"):
        raise RequestVerificationError(canonical, "cert_url")
    return canonical


@functools.lru_cache(maxsize=256)
def _canonical_or_reason(url: str) -> str:
    """Memoised, as Alexa sends the same URL for months; a reason never starts with ``https://``."""
    try:
        return _canonical(url)
    except _Refused as refused:
        return str(refused)


def _canonical(url: str) -> str:
    if not url or any(not "!" <= char <= "~" for char in url):
        # Spaces, controls and non-ASCII: urllib would silently drop some of them, so name no URL.
        if not url.lower().startswith("https:"):
            raise _Refused("certificate chain URL is not https")
        raise _Refused("certificate chain URL is malformed")
    match = _URL.fullmatch(url)
    if match is None or match["scheme"].lower() != "https":
        raise _Refused("certificate chain URL is not https")
    _check_authority(match["authority"])
    if match["rest"]:
        raise _Refused("certificate chain URL has a query or fragment")
    path = _normalise_path(match["path"])
    if not path.startswith(CHAIN_URL_PATH_PREFIX) or path == CHAIN_URL_PATH_PREFIX:
        raise _Refused(f"certificate chain URL path does not start with {CHAIN_URL_PATH_PREFIX}")
    return f"https://{CHAIN_URL_HOST}{path}"


def _check_authority(authority: str) -> None:
    if "@" in authority:
        raise _Refused("certificate chain URL carries credentials")
    host, _, port = authority.partition(":")
    if host.lower() != CHAIN_URL_HOST:
        raise _Refused(f"certificate chain URL host is not {CHAIN_URL_HOST}")
    if port and not port.isdigit():
        raise _Refused("certificate chain URL is malformed")
    if port and int(port) != 443:
        raise _Refused("certificate chain URL port is not 443")


def _normalise_path(path: str) -> str:
    if ";" in path:
        raise _Refused("certificate chain URL path has parameters")
    if "\\" in path:
        raise _Refused("certificate chain URL path has a backslash")
    return _remove_dot_segments(_decode_unreserved(path))


def _decode_unreserved(path: str) -> str:
    """Decode ``%XX`` of unreserved characters, upper-case the hex of the rest, refuse encoded slashes."""
    if "%" not in path:
        return path
    out: list[str] = []
    index = 0
    while index < len(path):
        char = path[index]
        if char != "%":
            out.append(char)
            index += 1
            continue
        hex_digits = path[index + 1 : index + 3]
        if len(hex_digits) != 2 or not set(hex_digits) <= _HEX:
            raise _Refused("certificate chain URL is malformed")
        decoded = chr(int(hex_digits, 16))
        if decoded in "/\\":
            raise _Refused("certificate chain URL path has an encoded slash")
        out.append(decoded if decoded in _UNRESERVED else "%" + hex_digits.upper())
        index += 3
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4 for an absolute path: ``.`` goes, ``..`` removes the segment before it."""
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments[1:]:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    result = "/" + "/".join(kept)
    if segments[-1] in (".", "..") and not result.endswith("/"):
        result += "/"
    return result
