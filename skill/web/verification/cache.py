"""Per-URL cache of trusted signers: one fetch per URL however many requests arrive at once.

Alexa signs with one certificate for months, so fetching and validating it once per process keeps
verification cheap. The first request for a URL fetches while later ones wait for its result; a
failure is remembered briefly so a burst of requests naming a bad URL costs one fetch, not many.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass

from skill.web.verification.chain import TrustedSigner
from skill.web.verification.errors import RequestVerificationError

Loader = Callable[[str, dt.datetime], TrustedSigner]

_FAILURE_TTL = dt.timedelta(seconds=5)
_MAX_ENTRIES = 64
_WAIT_SECONDS = 6.0
"""How long a request waits for another's fetch of the same chain: past it, Alexa (8 s) has given up."""


@dataclass(frozen=True)
class _Entry:
    signer: TrustedSigner | None
    error: RequestVerificationError | None
    expires: dt.datetime


class _Flight:
    """One in-progress fetch; waiters block on ``done`` and then read ``entry``."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.entry: _Entry | None = None


class SignerCache:
    """Thread-safe map URL -> signer, valid until the chain's earliest notAfter."""

    def __init__(self, load: Loader) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._flights: dict[str, _Flight] = {}

    def get(self, url: str, now: dt.datetime) -> TrustedSigner:
        """The signer for ``url`` as of ``now``, fetched at most once at a time; raises on failure."""
        entry = self._entries.get(url)  # the fast path needs no lock: a dict lookup is atomic
        if entry is not None and now < entry.expires:
            return _unwrap(entry)
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None and now < entry.expires:
                return _unwrap(entry)
            flight = self._flights.get(url)
            owner = flight is None
            if flight is None:
                flight = self._flights[url] = _Flight()
        if owner:
            return _unwrap(self._fetch(url, now, flight))
        if not flight.done.wait(_WAIT_SECONDS) or flight.entry is None:
            raise RequestVerificationError("gave up waiting for another request's certificate fetch")
        return _unwrap(flight.entry)

    def _fetch(self, url: str, now: dt.datetime, flight: _Flight) -> _Entry:
        try:
            signer = self._load(url, now)
            entry = _Entry(signer, None, signer.not_after)
        except RequestVerificationError as exc:
            entry = _Entry(None, exc, now + _FAILURE_TTL)
        except Exception as exc:  # a bug in a fetcher must not strand the waiters
            error = RequestVerificationError(f"certificate fetch raised {type(exc).__name__}")
            entry = _Entry(None, error, now + _FAILURE_TTL)
        with self._lock:
            self._entries[url] = entry
            self._flights.pop(url, None)
            self._evict(now)
        flight.entry = entry
        flight.done.set()
        return entry

    def _evict(self, now: dt.datetime) -> None:
        """Keep the cache bounded so hostile URLs cannot grow it, and let them push out only failures.

        Expired entries go first, then the oldest failures, and a good signer only when the cache is
        all good signers.
        """
        for url in [url for url, entry in self._entries.items() if entry.expires <= now]:
            del self._entries[url]
        excess = len(self._entries) - _MAX_ENTRIES
        if excess <= 0:
            return
        failures = [url for url, entry in self._entries.items() if entry.error is not None]
        oldest = list(self._entries)
        for url in list(dict.fromkeys(failures + oldest))[:excess]:
            self._entries.pop(url, None)


def _unwrap(entry: _Entry) -> TrustedSigner:
    if entry.error is not None:
        raise RequestVerificationError(entry.error.reason)
    assert entry.signer is not None
    return entry.signer
