"""Many threads verifying at once: no errors, and exactly one certificate fetch per URL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from skill.web.service import create_app
from skill.web.verification import RequestVerificationError
from tests import pki
from tests.pki import OTHER_SKILL_ID, SKILL_ID, CountingFetcher, envelope, make_verifier, signed_headers

THREADS = 16
ROUNDS = 40
URLS = {
    "https://s3.amazonaws.com/echo.api/cert-a.pem": pki.good_chain(),
    "https://s3.amazonaws.com/echo.api/cert-b.pem": pki.second_good_chain(),
}
# Long enough that every thread arrives while the first fetch is still in flight.
SLOW = 0.2


def test_concurrent_verifications_fetch_each_url_once() -> None:
    fetcher = CountingFetcher({url: chain.pem for url, chain in URLS.items()}, delay=SLOW)
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
    assert fetcher.fetches_per_url() == dict.fromkeys(URLS, 1)


def test_concurrent_requests_share_one_failing_fetch() -> None:
    fetcher = CountingFetcher({}, delay=0.3, failure="certificate chain fetch timed out")
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
    assert fetcher.fetches_per_url() == {pki.CHAIN_URL: 1}
    assert elapsed < 2.0, "waiters should share the one fetch, not queue behind it one by one"


def test_skill_id_does_not_leak_between_threads() -> None:
    """Per-request state is not shared: each request is judged on its own application ID, whatever else
    the other threads are verifying at the same moment."""
    verifier = make_verifier(
        CountingFetcher({pki.CHAIN_URL: pki.good_chain().pem}, delay=0.05), skill_id=SKILL_ID
    )
    bodies = {SKILL_ID: envelope(app_id=SKILL_ID), OTHER_SKILL_ID: envelope(app_id=OTHER_SKILL_ID)}
    start = threading.Barrier(THREADS)

    def worker(index: int) -> list[tuple[bool, bool, str]]:
        """For each request: (names this verifier's skill ID, accepted, refusal reason or "")."""
        start.wait()
        outcomes = []
        for round_ in range(ROUNDS):
            app_id = SKILL_ID if (index + round_) % 2 else OTHER_SKILL_ID
            body = bodies[app_id]
            try:
                verifier.verify(signed_headers(body), body)
            except RequestVerificationError as exc:
                outcomes.append((app_id == SKILL_ID, False, exc.reason))
            else:
                outcomes.append((app_id == SKILL_ID, True, ""))
        return outcomes

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = [outcome for batch in pool.map(worker, range(THREADS)) for outcome in batch]

    assert len(outcomes) == THREADS * ROUNDS
    assert sum(good for good, _, _ in outcomes) == THREADS * ROUNDS // 2  # both kinds were really sent
    wrong = [(good, accepted, reason) for good, accepted, reason in outcomes if accepted != good]
    assert wrong == [], f"{len(wrong)} requests judged against the wrong skill ID, e.g. {wrong[:3]}"
    refusals = {reason for _, accepted, reason in outcomes if not accepted}
    assert refusals and all("application ID" in reason for reason in refusals), refusals


def test_concurrent_http_requests_through_the_app() -> None:
    """The same guarantee end to end: threads posting to one app, all answered, one fetch per URL."""
    fetcher = CountingFetcher({url: chain.pem for url, chain in URLS.items()}, delay=0.1)
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
    assert fetcher.fetches_per_url() == dict.fromkeys(URLS, 1)
