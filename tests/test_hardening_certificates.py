"""Forged requests naming certificate URLs: they cannot drive outbound fetches or push out the real signer.

Every forged request here passes the cheap checks (well-formed headers, a fresh timestamp, our
skill ID) and names a URL inside Amazon's bucket, as an attacker would; only the signature is wrong.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from skill.web.service import create_app
from skill.web.verification import FetchBudget, RequestVerificationError
from skill.web.verification.cache import MAX_ENTRIES
from skill.web.verification.known import MAX_KNOWN, KnownSigners
from tests import pki
from tests.fakes import Clock
from tests.pki import CountingFetcher, envelope, make_verifier, signed_headers

FORGED = 500


def forged_url(index: int) -> str:
    return f"https://s3.amazonaws.com/echo.api/forged-{index}.pem"


def forged_headers(body: bytes, index: int) -> dict[str, str]:
    """A request signed by a key Amazon never certified, naming a URL never seen before."""
    return {"SignatureCertChainUrl": forged_url(index), "Signature-256": pki.unknown_root_chain().sign(body)}


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
    clock = Clock()
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
    clock = Clock()
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
    clock = Clock()
    fetcher = CountingFetcher({pki.CHAIN_URL: pki.short_lived_chain().pem})
    budget = FetchBudget(per_second=1.0, burst=1, monotonic=clock)
    verifier = make_verifier(fetcher, clock=lambda: now[0], budget=budget)
    body = envelope()
    verifier.verify(signed_headers(body, pki.short_lived_chain()), body)
    assert not budget.take()  # spent, and the clock does not move
    fetcher.chains[pki.CHAIN_URL] = pki.good_chain().pem  # Amazon put a renewed chain at the same URL
    now[0] = pki.NOW + dt.timedelta(hours=2)
    body = envelope(timestamp=now[0])
    # A forged request's fetch finishes after the signer expired: making room for it drops the expired
    # entry, and must not make the signer's URL "new" again.
    clock.now += 1.0
    with pytest.raises(RequestVerificationError, match="HTTP 404"):
        verifier.verify(forged_headers(body, 1), body)
    assert not budget.take()
    verifier.verify(signed_headers(body), body)
    assert fetcher.calls == [pki.CHAIN_URL, forged_url(1), pki.CHAIN_URL]


def test_through_the_web_app_forged_new_urls_get_400s_and_genuine_requests_200s() -> None:
    fetcher = CountingFetcher(anything=pki.good_chain().pem)
    client = create_app(skill_id=pki.SKILL_ID, verifier=make_verifier(fetcher)).test_client()
    body = envelope()
    statuses = []
    attacker, alexa = {"REMOTE_ADDR": "203.0.113.9"}, {"REMOTE_ADDR": "198.51.100.20"}
    for index in range(100):
        forged = client.post("/", data=body, headers=forged_headers(body, index), environ_base=attacker)
        statuses.append(forged.status_code)
        statuses.append(
            client.post("/", data=body, headers=signed_headers(body), environ_base=alexa).status_code
        )
    assert statuses[0::2] == [400] * 100
    assert statuses[1::2] == [200] * 100
    assert len(fetcher.calls) <= 1 + 3


# --- a fresh worker under a flood: the budget is shared out by client, and known URLs are remembered ----


def test_a_flood_from_one_address_does_not_stop_a_fresh_worker_accepting_alexa() -> None:
    """What the review saw: 5 forged new-URL requests a second at one worker, and Alexa's requests (one
    every 5 s, from another address) to a worker that has not yet verified one: all 12 were refused."""
    clock = Clock()
    fetcher = CountingFetcher(anything=pki.good_chain().pem)
    verifier = make_verifier(fetcher, budget=FetchBudget(monotonic=clock))
    client = create_app(skill_id=pki.SKILL_ID, verifier=verifier).test_client()
    body = envelope()
    attacker, alexa = {"REMOTE_ADDR": "203.0.113.9"}, {"REMOTE_ADDR": "198.51.100.20"}
    genuine = []
    for second in range(60):
        for index in range(5):
            clock.now += 0.2
            forged = forged_headers(body, second * 5 + index)
            assert client.post("/", data=body, headers=forged, environ_base=attacker).status_code == 400
        if second % 5 == 4:
            genuine.append(client.post("/", data=body, headers=signed_headers(body), environ_base=alexa))
    assert [reply.status_code for reply in genuine] == [200] * 12
    assert len(fetcher.calls) <= 1 + 2 + 6  # the attacker's address: two, then one per 10 s


def test_each_client_has_its_own_share_under_the_global_budget() -> None:
    clock = Clock()
    budget = FetchBudget(per_second=1.0, burst=3, monotonic=clock, client_burst=1, client_seconds=10.0)
    assert budget.take("a") and not budget.take("a")  # one each...
    assert budget.take("b") and budget.take("c")
    assert not budget.take("d")  # ...under the global three
    clock.now += 1.0
    assert not budget.take("a") and budget.take("d")
    clock.now += 9.0
    assert budget.take("a")


def test_the_client_table_stays_bounded() -> None:
    clock = Clock()
    budget = FetchBudget(per_second=1000.0, burst=1000, monotonic=clock, max_clients=10)
    for index in range(500):
        assert budget.take(f"10.0.{index // 256}.{index % 256}")
    assert len(budget._clients) <= 10


@pytest.mark.parametrize(
    ("environ", "client"),
    [
        ({"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "203.0.113.9"),
        ({"REMOTE_ADDR": "", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "198.51.100.1"),
        ({"REMOTE_ADDR": "", "HTTP_X_FORWARDED_FOR": "10.0.0.1, 198.51.100.1"}, "198.51.100.1"),
        ({"REMOTE_ADDR": ""}, "unix"),
        ({"REMOTE_ADDR": "2001:db8:1:2:3:4:5:6"}, "2001:db8:1:2::/64"),
        ({"REMOTE_ADDR": "::ffff:203.0.113.9"}, "203.0.113.9"),
    ],
    ids=["tcp-peer-ignores-forwarding", "unix-peer-is-nginx", "last-hop", "unix-alone", "ipv6-64", "mapped"],
)
def test_the_client_is_the_peer_or_nginxs_forwarded_address(environ: dict[str, str], client: str) -> None:
    from skill.web.clients import client_address

    assert client_address(environ) == client


def _spent_budget(clock: Clock) -> FetchBudget:
    budget = FetchBudget(monotonic=clock)
    while budget.take():
        pass
    return budget


def test_a_url_one_worker_verified_is_known_to_a_fresh_worker_whatever_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flood from many addresses can spend a fresh worker's whole budget; the URL another worker (or
    this one before a restart) verified is still fetched, without spending it."""
    monkeypatch.setenv("TPI_SIGNER_STATE_DIR", str(tmp_path))
    body = envelope()
    first = make_verifier(CountingFetcher())
    first.verify(signed_headers(body), body)
    assert (tmp_path / "known-signers").read_text() == pki.CHAIN_URL + "\n"

    clock = Clock()
    fetcher = CountingFetcher()
    fresh = make_verifier(fetcher, budget=_spent_budget(clock))
    with pytest.raises(RequestVerificationError, match="budget"):
        fresh.verify(forged_headers(body, 1), body, client="203.0.113.9")
    fresh.verify(signed_headers(body), body, client="198.51.100.20")
    assert fetcher.calls == [pki.CHAIN_URL]


def test_a_worker_started_earlier_sees_the_url_when_another_worker_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TPI_SIGNER_STATE_DIR", str(tmp_path))
    body = envelope()
    waiting = make_verifier(CountingFetcher(), budget=_spent_budget(Clock()))
    make_verifier(CountingFetcher()).verify(signed_headers(body), body)
    waiting.verify(signed_headers(body), body)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff garbage\n" * 100,
        b"https://S3.amazonaws.com/echo.api/x.pem\nhttps://s3.amazonaws.com/echo.api/../x.pem\nhttp://e.org/x\n",
        b"",
    ],
    ids=["binary", "non-canonical", "empty"],
)
def test_a_corrupt_state_file_counts_as_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    (tmp_path / "known-signers").write_bytes(content)
    monkeypatch.setenv("TPI_SIGNER_STATE_DIR", str(tmp_path))
    known = KnownSigners.from_environment()
    assert known.urls == ()
    body = envelope()
    make_verifier(CountingFetcher()).verify(signed_headers(body), body)
    assert (tmp_path / "known-signers").read_text() == pki.CHAIN_URL + "\n"


def test_without_a_usable_state_directory_verification_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    for place in (tmp_path / "missing", not_a_dir):
        monkeypatch.setenv("TPI_SIGNER_STATE_DIR", str(place))
        body = envelope()
        fetcher = CountingFetcher()
        verifier = make_verifier(fetcher)
        verifier.verify(signed_headers(body), body)
        verifier.verify(signed_headers(body), body)
        assert fetcher.calls == [pki.CHAIN_URL], "the signer stays in memory: one fetch"


def test_the_state_file_keeps_only_the_newest_few_urls(tmp_path: Path) -> None:
    known = KnownSigners(tmp_path)
    urls = [f"https://s3.amazonaws.com/echo.api/cert-{index}.pem" for index in range(3 * MAX_KNOWN)]
    for url in urls:
        known.add(url)
    assert (tmp_path / "known-signers").read_text().splitlines() == urls[-MAX_KNOWN:]
    assert KnownSigners(tmp_path).urls == tuple(urls[-MAX_KNOWN:])
    assert [entry.name for entry in tmp_path.iterdir()] == ["known-signers"]  # no temporary files left
