"""Per-URL cache of trusted signers: one fetch per URL however many requests arrive at once.

Alexa signs with one certificate for months, so fetching and validating it once per process keeps
verification cheap. The first request for a URL fetches while later ones wait for its result, never
past the fetch's deadline; a failure is remembered briefly so a burst of requests naming a bad URL
costs one fetch, not many.

Anyone can send a request naming a new URL, so two rules keep forged traffic from driving outbound
requests or pushing the real signer out: URLs the cache has never seen are fetched within a small
global budget (a token bucket; over it the request is refused at once, with no fetch), and a signer
that has verified a request is never evicted to make room for a newcomer.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from skill.web.verification.chain import TrustedSigner
from skill.web.verification.errors import RequestVerificationError

Loader = Callable[[str, dt.datetime], TrustedSigner]
Monotonic = Callable[[], float]

FAILURE_TTL = dt.timedelta(seconds=5)
MAX_ENTRIES = 64
NEW_URL_FETCHES_PER_SECOND = 1.0
"""Genuine traffic needs one fetch per process at start-up and one when Amazon rotates its certificate."""
NEW_URL_BURST = 3
_VALIDATION_GRACE_SECONDS = 0.25
"""Waiters wait for the fetch's deadline plus this, the time chain validation takes after the download."""


@dataclass(frozen=True)
class _Entry:
    signer: TrustedSigner | None
    error: RequestVerificationError | None
    expires: dt.datetime


class _Flight:
    """One in-progress fetch; waiters block on ``done`` until ``deadline`` and then read ``entry``."""

    def __init__(self, deadline: float) -> None:
        self.done = threading.Event()
        self.entry: _Entry | None = None
        self.deadline = deadline


class FetchBudget:
    """A token bucket: ``burst`` fetches at once, refilled at ``per_second``. Thread-safe."""

    def __init__(
        self,
        per_second: float = NEW_URL_FETCHES_PER_SECOND,
        burst: int = NEW_URL_BURST,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._monotonic = monotonic
        self._tokens = float(burst)
        self._updated = monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Spend one token if there is one."""
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True


class SignerCache:
    """Thread-safe map canonical URL -> signer, valid until the chain's earliest notAfter.

    ``wait_seconds`` is the fetch's hard deadline: a waiter is released then whatever the fetch is
    doing. ``budget`` bounds fetches of URLs not in the cache.
    """

    def __init__(
        self,
        load: Loader,
        *,
        wait_seconds: float,
        budget: FetchBudget | None = None,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self._load = load
        self._wait_seconds = wait_seconds + _VALIDATION_GRACE_SECONDS
        self._budget = budget if budget is not None else FetchBudget(monotonic=monotonic)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._flights: dict[str, _Flight] = {}
        self._used: set[str] = set()

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
                # A signer that verified requests may be re-fetched freely; anything else is "new".
                if url not in self._used and not self._budget.take():
                    raise RequestVerificationError("certificate fetch budget for new URLs is spent")
                flight = self._flights[url] = _Flight(self._monotonic() + self._wait_seconds)
        if owner:
            return _unwrap(self._fetch(url, now, flight))
        remaining = flight.deadline - self._monotonic()
        if not flight.done.wait(max(remaining, 0.0)) or flight.entry is None:
            raise RequestVerificationError("certificate chain fetch timed out")
        return _unwrap(flight.entry)

    def mark_used(self, url: str) -> None:
        """``url``'s signer verified a request: it is the real signer, so keep it whatever arrives."""
        if url not in self._used:
            with self._lock:
                self._used.add(url)

    def _fetch(self, url: str, now: dt.datetime, flight: _Flight) -> _Entry:
        try:
            signer = self._load(url, now)
            entry = _Entry(signer, None, signer.not_after)
        except RequestVerificationError as exc:
            entry = _Entry(None, exc, now + FAILURE_TTL)
        except Exception as exc:  # a bug in a fetcher must not strand the waiters
            error = RequestVerificationError(f"certificate fetch raised {type(exc).__name__}")
            entry = _Entry(None, error, now + FAILURE_TTL)
        with self._lock:
            self._flights.pop(url, None)
            if self._make_room(url, now):
                self._entries[url] = entry
        flight.entry = entry
        flight.done.set()
        return entry

    def _make_room(self, url: str, now: dt.datetime) -> bool:
        """Keep the cache bounded; True if ``url``'s entry may be stored. Called with the lock held.

        Expired entries go first, then failures and signers that never verified a request, oldest
        first. A signer that did is never evicted for a newcomer: the newcomer goes uncached instead.
        """
        for stale in [key for key, entry in self._entries.items() if entry.expires <= now]:
            del self._entries[stale]
            self._used.discard(stale)
        if url in self._entries or len(self._entries) < MAX_ENTRIES:
            return True
        for failures in (True, False):
            for candidate, entry in self._entries.items():  # insertion order: oldest first
                if (entry.error is not None) == failures and candidate not in self._used:
                    del self._entries[candidate]
                    return True
        return False


def _unwrap(entry: _Entry) -> TrustedSigner:
    if entry.error is not None:
        raise RequestVerificationError(entry.error.reason)
    assert entry.signer is not None
    return entry.signer
