"""Forged requests naming certificate URLs: they cannot drive outbound fetches or push out the real signer.

Every forged request here passes the cheap checks (well-formed headers, a fresh timestamp, our
skill ID) and names a URL inside Amazon's bucket, as an attacker would; only the signature is wrong.
"""

from __future__ import annotations

import datetime as dt

import pytest

from skill.web.service import create_app
from skill.web.verification import FetchBudget, RequestVerificationError
from skill.web.verification.cache import MAX_ENTRIES
from tests import pki
from tests.pki import CountingFetcher, envelope, make_verifier, signed_headers

FORGED = 500


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def forged_headers(body: bytes, index: int) -> dict[str, str]:
    """A request signed by a key Amazon never certified, naming a URL never seen before."""
    url = f"https://s3.amazonaws.com/echo.api/forged-{index}.pem"
    return {"SignatureCertChainUrl": url, "Signature-256": pki.unknown_root_chain().sign(body)}


def test_a_flood_of_new_urls_costs_a_few_fetches_not_one_each() -> None:
    # S3 answers every path with *some* object in a real attack; here every URL serves a valid chain.
    fetcher = CountingFetcher(anything=pki.good_chain().pem)
    verifier = make_verifier(fetcher)
    body = envelope()
    verifier.verify(signed_headers(body), body)  # the genuine signer, fetched once

    refusals = set()
    for index in range(FORGED):
        with pytest.raises(RequestVerificationError) as refused:
            verifier.verify(forged_headers(body, index), body)
        refusals.add(refused.value.reason)

    assert len(fetcher.calls) <= 1 + 3, f"{len(fetcher.calls)} fetches for {FORGED} forged requests"
    assert "certificate fetch budget for new URLs is spent" in refusals
    verifier.verify(signed_headers(body), body)
    assert fetcher.calls.count(pki.CHAIN_URL) == 1, "the genuine signer was evicted and fetched again"


@pytest.mark.parametrize(
    "variant",
    [
        pki.CHAIN_URL + "?n={i}",
        pki.CHAIN_URL + "#{i}",
        pki.CHAIN_URL + ";v={i}",
        "https://s3.amazonaws.com/echo.api/{i}/../echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/%2E/{i}/%2E%2E/echo-api-cert-test.pem",
    ],
)
def test_spelling_variants_of_the_genuine_url_cost_no_fetch(variant: str) -> None:
    """What the issue saw: ``?n=1``, ``?n=2``... each a new fetch. Now each is refused or is the same URL."""
    fetcher = CountingFetcher(anything=pki.good_chain().pem)
    verifier = make_verifier(fetcher)
    body = envelope()
    verifier.verify(signed_headers(body), body)
    for index in range(200):
        headers = signed_headers(body, url=variant.format(i=index))
        try:
            verifier.verify(headers, body)
        except RequestVerificationError as refused:
            assert "certificate chain URL" in refused.reason
    assert fetcher.calls == [pki.CHAIN_URL]


def test_the_budget_refills_over_time() -> None:
    clock = FakeMonotonic()
    fetcher = CountingFetcher({})
    verifier = make_verifier(fetcher, budget=FetchBudget(per_second=1.0, burst=2, monotonic=clock))
    body = envelope()

    def attempt(index: int) -> str:
        with pytest.raises(RequestVerificationError) as refused:
            verifier.verify(forged_headers(body, index), body)
        return refused.value.reason

    reasons = [attempt(index) for index in range(5)]
    assert len(fetcher.calls) == 2
    assert reasons[2:] == ["certificate fetch budget for new URLs is spent"] * 3
    clock.now += 1.0
    attempt(100)
    assert len(fetcher.calls) == 3


def test_a_signer_that_verified_requests_is_never_evicted_for_newcomers() -> None:
    """Fill the cache far past its size with valid chains from other URLs (the budget refilled each
    time): the signer Alexa really uses stays, and its requests need no fetch."""
    clock = FakeMonotonic()
    fetcher = CountingFetcher(anything=pki.second_good_chain().pem)
    fetcher.chains[pki.CHAIN_URL] = pki.good_chain().pem
    verifier = make_verifier(fetcher, budget=FetchBudget(per_second=1.0, burst=1, monotonic=clock))
    body = envelope()
    verifier.verify(signed_headers(body), body)
    for index in range(3 * MAX_ENTRIES):
        clock.now += 1.0
        with pytest.raises(RequestVerificationError, match="does not match the body"):
            verifier.verify(forged_headers(body, index), body)
    assert len(fetcher.calls) == 1 + 3 * MAX_ENTRIES  # each newcomer really was fetched
    verifier.verify(signed_headers(body), body)
    assert fetcher.calls.count(pki.CHAIN_URL) == 1


def test_a_used_signer_is_fetched_again_when_it_expires_even_with_the_budget_spent() -> None:
    """Renewal of the signer in use is not a "new URL": a flood cannot block it."""
    now = [pki.NOW]
    clock = FakeMonotonic()
    fetcher = CountingFetcher({pki.CHAIN_URL: pki.short_lived_chain().pem})
    budget = FetchBudget(per_second=1.0, burst=1, monotonic=clock)
    verifier = make_verifier(fetcher, clock=lambda: now[0], budget=budget)
    body = envelope()
    verifier.verify(signed_headers(body, pki.short_lived_chain()), body)
    assert not budget.take()  # spent, and the clock does not move
    fetcher.chains[pki.CHAIN_URL] = pki.good_chain().pem  # Amazon put a renewed chain at the same URL
    now[0] = pki.NOW + dt.timedelta(hours=2)
    body = envelope(timestamp=now[0])
    verifier.verify(signed_headers(body), body)
    assert fetcher.calls == [pki.CHAIN_URL, pki.CHAIN_URL]


def test_through_the_web_app_forged_new_urls_get_400s_and_genuine_requests_200s() -> None:
    fetcher = CountingFetcher(anything=pki.good_chain().pem)
    client = create_app(skill_id=pki.SKILL_ID, verifier=make_verifier(fetcher)).test_client()
    body = envelope()
    statuses = []
    for index in range(100):
        statuses.append(client.post("/", data=body, headers=forged_headers(body, index)).status_code)
        statuses.append(client.post("/", data=body, headers=signed_headers(body)).status_code)
    assert statuses[0::2] == [400] * 100
    assert statuses[1::2] == [200] * 100
    assert len(fetcher.calls) <= 1 + 3
