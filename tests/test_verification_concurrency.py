"""Many threads verifying at once: no errors, and exactly one certificate fetch per URL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from skill.verification import RequestVerificationError
from skill.web import create_app
from tests import pki
from tests.pki import OTHER_SKILL_ID, SKILL_ID, envelope, make_verifier, signed_headers

THREADS = 16
ROUNDS = 40
URLS = {
    "https://s3.amazonaws.com/echo.api/cert-a.pem": pki.good_chain(),
    "https://s3.amazonaws.com/echo.api/cert-b.pem": pki.second_good_chain(),
}


class SlowCountingFetcher:
    """Takes long enough that every thread arrives while the first fetch is still in flight."""

    def __init__(self, chains: dict[str, bytes], delay: float = 0.2, fail: bool = False) -> None:
        self.chains = chains
        self.delay = delay
        self.fail = fail
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.calls[url] = self.calls.get(url, 0) + 1
        time.sleep(self.delay)
        if self.fail:
            raise RequestVerificationError("certificate chain fetch timed out")
        return self.chains[url]


def test_concurrent_verifications_fetch_each_url_once() -> None:
    fetcher = SlowCountingFetcher({url: chain.pem for url, chain in URLS.items()})
    verifier = make_verifier(fetcher)
    body = envelope()
    requests = [(signed_headers(body, chain, url), url) for url, chain in URLS.items()]
    start = threading.Barrier(THREADS)

    def worker(index: int) -> int:
        start.wait()
        done = 0
        for round_ in range(ROUNDS):
            headers, _ = requests[(index + round_) % len(requests)]
            verifier.verify(headers, body)
            done += 1
        return done

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))

    assert results == [ROUNDS] * THREADS  # any verification error would have been re-raised by map
    assert fetcher.calls == dict.fromkeys(URLS, 1)


def test_concurrent_requests_share_one_failing_fetch() -> None:
    fetcher = SlowCountingFetcher({}, delay=0.3, fail=True)
    verifier = make_verifier(fetcher)
    body = envelope()
    headers = signed_headers(body)
    start = threading.Barrier(THREADS)

    def worker(_: int) -> str:
        start.wait()
        try:
            verifier.verify(headers, body)
        except RequestVerificationError as exc:
            return exc.reason
        return "accepted"

    began = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        reasons = list(pool.map(worker, range(THREADS)))
    elapsed = time.monotonic() - began

    assert reasons == ["certificate chain fetch timed out"] * THREADS
    assert fetcher.calls == {pki.CHAIN_URL: 1}
    assert elapsed < 2.0, "waiters should share the one fetch, not queue behind it one by one"


def test_skill_id_does_not_leak_between_threads() -> None:
    """A sanity check that per-request state is not shared: wrong-ID requests interleaved with good ones."""
    verifier = make_verifier(SlowCountingFetcher({pki.CHAIN_URL: pki.good_chain().pem}, delay=0.05))
    good = envelope()
    bad = envelope(app_id=OTHER_SKILL_ID)
    start = threading.Barrier(THREADS)

    def worker(index: int) -> tuple[int, int]:
        start.wait()
        accepted = refused = 0
        for round_ in range(ROUNDS):
            body = good if (index + round_) % 2 else bad
            try:
                verifier.verify(signed_headers(body), body)
                accepted += 1
            except RequestVerificationError:
                refused += 1
        return accepted, refused

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    assert all(result == (ROUNDS // 2, ROUNDS // 2) for result in results)


def test_concurrent_http_requests_through_the_app() -> None:
    """The same guarantee end to end: threads posting to one app, all answered, one fetch per URL."""
    fetcher = SlowCountingFetcher({url: chain.pem for url, chain in URLS.items()}, delay=0.1)
    app = create_app(skill_id=SKILL_ID, verifier=make_verifier(fetcher))
    body = envelope()
    requests = [signed_headers(body, chain, url) for url, chain in URLS.items()]
    start = threading.Barrier(THREADS)

    def worker(index: int) -> list[int]:
        client = app.test_client()
        start.wait()
        return [
            client.post("/", data=body, headers=requests[(index + round_) % len(requests)]).status_code
            for round_ in range(10)
        ]

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = [status for batch in pool.map(worker, range(THREADS)) for status in batch]

    assert statuses == [200] * (THREADS * 10)
    assert fetcher.calls == dict.fromkeys(URLS, 1)
