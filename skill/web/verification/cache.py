"""Per-URL cache of trusted signers: one fetch per URL however many requests arrive at once.

Alexa signs with one certificate for months, so fetching and validating it once per process keeps
verification cheap. The first request for a URL fetches while later ones wait for its result, never
past the fetch's deadline; a failure is remembered briefly so a burst of requests naming a bad URL
costs one fetch, not many.

Anyone can send a request naming a new URL, so three rules keep forged traffic from driving outbound
requests or pushing the real signer out: URLs never seen to verify a request are fetched within a small
budget (token buckets, one per client address under a global one; over it the request is refused at
once, with no fetch); a signer that has verified a request is never evicted to make room for a
newcomer; and such URLs are remembered across workers and restarts (``known.py``), so the real
signer's URL is not "new" to a fresh worker.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from skill.web.verification.chain import TrustedSigner
from skill.web.verification.errors import RequestVerificationError
from skill.web.verification.known import KnownSigners

Loader = Callable[[str, dt.datetime], TrustedSigner]
Monotonic = Callable[[], float]

FAILURE_TTL = dt.timedelta(seconds=5)
MAX_ENTRIES = 64
NEW_URL_FETCHES_PER_SECOND = 1.0
"""Genuine traffic needs one fetch per process at start-up and one when Amazon rotates its certificate."""
NEW_URL_BURST = 3
CLIENT_BURST = 2
CLIENT_SECONDS_PER_FETCH = 10.0
"""Each client address may start one new-URL fetch per this many seconds, so one address flooding
cannot spend the global budget that another address (Alexa's) needs."""
MAX_CLIENTS = 4096
MAX_USED = 16
"""URLs that verified a request, remembered in this process (newest kept) even after their entry expires."""
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
    """Token buckets: a global one (``burst`` fetches at once, refilled at ``per_second``) and, for a
    caller that names its client, one per client (``client_burst``, refilled one per
    ``client_seconds``) under it. Thread-safe."""

    def __init__(
        self,
        per_second: float = NEW_URL_FETCHES_PER_SECOND,
        burst: int = NEW_URL_BURST,
        monotonic: Monotonic = time.monotonic,
        *,
        client_burst: int = CLIENT_BURST,
        client_seconds: float = CLIENT_SECONDS_PER_FETCH,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self._rate = per_second
        self._burst = float(burst)
        self._monotonic = monotonic
        self._tokens = float(burst)
        self._updated = monotonic()
        self._client_rate = 1.0 / client_seconds
        self._client_burst = float(client_burst)
        self._max_clients = max_clients
        self._clients: dict[str, tuple[float, float]] = {}
        """client -> (tokens, when counted); an absent client has a full bucket."""
        self._lock = threading.Lock()

    def take(self, client: str | None = None) -> bool:
        """Spend one token if there is one (and one of ``client``'s, when a client is named)."""
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if client is None:
                if self._tokens < 1.0:
                    return False
                self._tokens -= 1.0
                return True
            own = self._client_tokens(client, now)
            if own < 1.0 or self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            self._clients.pop(client, None)  # re-inserted last: the dict stays oldest first
            self._clients[client] = (own - 1.0, now)
            self._forget_clients(now)
            return True

    def _client_tokens(self, client: str, now: float) -> float:
        tokens, when = self._clients.get(client, (self._client_burst, now))
        return min(self._client_burst, tokens + (now - when) * self._client_rate)

    def _forget_clients(self, now: float) -> None:
        """Keep the table bounded: full buckets go first (forgetting them changes nothing), then the
        oldest (forgetting those gives a client a token early; the global bucket still bounds it)."""
        if len(self._clients) <= self._max_clients:
            return
        for client in [c for c in self._clients if self._client_tokens(c, now) >= self._client_burst]:
            del self._clients[client]
        while len(self._clients) > self._max_clients:
            del self._clients[next(iter(self._clients))]


class SignerCache:
    """Thread-safe map canonical URL -> signer, valid until the chain's earliest notAfter.

    ``wait_seconds`` is the fetch's hard deadline: a waiter is released then whatever the fetch is
    doing. ``budget`` bounds fetches of URLs not known to have verified a request; ``known`` is what
    every worker has seen verify one.
    """

    def __init__(
        self,
        load: Loader,
        *,
        wait_seconds: float,
        budget: FetchBudget | None = None,
        monotonic: Monotonic = time.monotonic,
        known: KnownSigners | None = None,
    ) -> None:
        self._load = load
        self._wait_seconds = wait_seconds + _VALIDATION_GRACE_SECONDS
        self._budget = budget if budget is not None else FetchBudget(monotonic=monotonic)
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._flights: dict[str, _Flight] = {}
        self._used: dict[str, None] = {}
        """URLs whose signer verified a request here, oldest first; kept when their entry expires."""
        self._known = known if known is not None else KnownSigners(None)

    def get(self, url: str, now: dt.datetime, client: str | None = None) -> TrustedSigner:
        """The signer for ``url`` as of ``now``, fetched at most once at a time; raises on failure.

        ``client`` (the caller's address) has its own share of the budget for new URLs."""
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
                if not self._is_known(url) and not self._budget.take(client):
                    raise RequestVerificationError(
                        "certificate fetch budget for new URLs is spent", "cert_fetch"
                    )
                flight = self._flights[url] = _Flight(self._monotonic() + self._wait_seconds)
        if owner:
            return _unwrap(self._fetch(url, now, flight))
        remaining = flight.deadline - self._monotonic()
        if not flight.done.wait(max(remaining, 0.0)) or flight.entry is None:
            raise RequestVerificationError("certificate chain fetch timed out", "cert_fetch")
        return _unwrap(flight.entry)

    def _is_known(self, url: str) -> bool:
        """Whether ``url`` verified a request here or in another worker (the file is re-read if changed)."""
        if url in self._used or url in self._known:
            return True
        self._known.refresh()
        return url in self._known

    def mark_used(self, url: str) -> None:
        """``url``'s signer verified a request: it is the real signer, so keep it whatever arrives."""
        if url in self._used:
            return
        with self._lock:
            self._used[url] = None
            while len(self._used) > MAX_USED:
                del self._used[next(iter(self._used))]
        self._known.add(url)

    def _fetch(self, url: str, now: dt.datetime, flight: _Flight) -> _Entry:
        try:
            signer = self._load(url, now)
            entry = _Entry(signer, None, signer.not_after)
        except RequestVerificationError as exc:
            if exc.kind == "other":  # a fetcher written elsewhere: whatever failed, the fetch did
                exc = RequestVerificationError(exc.reason, "cert_fetch")
            entry = _Entry(None, exc, now + FAILURE_TTL)
        except Exception as exc:  # a bug in a fetcher must not strand the waiters
            error = RequestVerificationError(f"certificate fetch raised {type(exc).__name__}", "cert_fetch")
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
        Its URL stays known when its entry expires, so its renewal never spends the budget.
        """
        for stale in [key for key, entry in self._entries.items() if entry.expires <= now]:
            del self._entries[stale]
        if url in self._entries or len(self._entries) < MAX_ENTRIES:
            return True
        for failures in (True, False):
            for candidate, entry in self._entries.items():  # insertion order: oldest first
                if (entry.error is not None) == failures and not (
                    candidate in self._used or candidate in self._known
                ):
                    del self._entries[candidate]
                    return True
        return False


def _unwrap(entry: _Entry) -> TrustedSigner:
    if entry.error is not None:
        raise RequestVerificationError(entry.error.reason, entry.error.kind)
    assert entry.signer is not None
    return entry.signer
