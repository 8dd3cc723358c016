"""Each of Amazon's verification rules, accepting and refusing, against the verifier directly."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.verification import Store

from skill.web.verification import (
    AlexaRequestVerifier,
    RequestVerificationError,
    canonical_chain_url,
    check_application_id,
    check_timestamp,
    default_trust_store,
    envelope_facts,
    trusted_signer,
)
from tests import pki
from tests.pki import OTHER_SKILL_ID, SKILL_ID, CountingFetcher, envelope, make_verifier, signed_headers

# --- SignatureCertChainUrl ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
        "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
        "HTTPS://s3.AmazonAWS.com/echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
        "https://s3.amazonaws.com/echo.api/./sub/../echo-api-cert.pem",
    ],
)
def test_chain_url_accepts_amazon_bucket_variants(url: str) -> None:
    assert canonical_chain_url(url) == "https://s3.amazonaws.com/echo.api/echo-api-cert.pem"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://s3.amazonaws.com/echo.api/cert.pem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("HTTPS://S3.AmazonAWS.COM/echo.api/cert.pem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("https://s3.amazonaws.com:443/echo.api/cert.pem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("https://s3.amazonaws.com:/echo.api/cert.pem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("https://s3.amazonaws.com:0443/echo.api/cert.pem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("https://s3.amazonaws.com/echo.api/./cert.pem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("https://s3.amazonaws.com/echo.api/a/../cert.pem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("https://s3.amazonaws.com/echo.api/%2e/cert.pem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("https://s3.amazonaws.com/echo.api/a/%2E%2E/cert.pem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("https://s3.amazonaws.com/%65cho%2Eapi/cert%2Epem", "https://s3.amazonaws.com/echo.api/cert.pem"),
        ("https://s3.amazonaws.com/echo.api/a%7eb%2a.pem", "https://s3.amazonaws.com/echo.api/a~b%2A.pem"),
    ],
)
def test_chain_url_has_one_canonical_spelling(url: str, canonical: str) -> None:
    assert canonical_chain_url(url) == canonical


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem", "https"),
        ("https://notamazon.com/echo.api/echo-api-cert.pem", "host"),
        ("https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem", "host"),
        ("https://evil.example/s3.amazonaws.com/echo.api/x.pem", "host"),
        ("https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/ECHO.API/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/../x", "path"),
        ("https://s3.amazonaws.com/echo.api", "path"),
        ("https://s3.amazonaws.com", "path"),
        ("https://s3.amazonaws.com:444/echo.api/echo-api-cert.pem", "port"),
        ("https://s3.amazonaws.com:80/echo.api/echo-api-cert.pem", "port"),
        ("https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem", "malformed"),
        ("https://user:pw@s3.amazonaws.com/echo.api/echo-api-cert.pem", "credentials"),
        ("", "https"),
        # Percent-encoded dot segments leave the bucket just as plain ones do (RFC 3986 6.2.2).
        ("https://s3.amazonaws.com/echo.api/%2E%2E/other-bucket/x.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/%2e%2e/other-bucket/x.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/.%2E/other-bucket/x.pem", "path"),
        ("https://s3.amazonaws.com/echo.api/..", "path"),
        ("https://s3.amazonaws.com/echo.api/", "path"),
        ("https://s3.amazonaws.com/echo.api%2Fx.pem", "encoded slash"),
        ("https://s3.amazonaws.com/echo.api/..%2Fother/x.pem", "encoded slash"),
        ("https://s3.amazonaws.com/echo.api/..%5Cother/x.pem", "encoded slash"),
        ("https://s3.amazonaws.com/echo.api/..\\other/x.pem", "backslash"),
        ("https://s3.amazonaws.com/echo.api/x.pem?n=1", "query or fragment"),
        ("https://s3.amazonaws.com/echo.api/x.pem?", "query or fragment"),
        ("https://s3.amazonaws.com/echo.api/x.pem#n", "query or fragment"),
        ("https://s3.amazonaws.com/echo.api/x.pem;n=1", "parameters"),
        ("https://s3.amazonaws.com/echo.api/x%zz.pem", "malformed"),
        ("https://s3.amazonaws.com/echo.api/x%2.pem", "malformed"),
        ("https://s3.amazonaws.com/echo.api/x y.pem", "malformed"),
        ("https://s3.amazon\taws.com/echo.api/x.pem", "malformed"),
        ("https://s3.amazonaws.com./echo.api/x.pem", "host"),
        ("https://[::1]/echo.api/x.pem", "host"),
        ("https://s3.amazonaws.com:4430/echo.api/x.pem", "port"),
    ],
)
def test_chain_url_refuses(url: str, reason: str) -> None:
    """Through the verifier, as a request naming the URL: refused before anything is fetched."""
    fetcher = CountingFetcher()
    body = envelope()
    with pytest.raises(RequestVerificationError) as refused:
        if url:
            make_verifier(fetcher).verify(signed_headers(body, url=url), body)
        else:  # an empty header is a missing one to the verifier
            canonical_chain_url(url)
    assert reason in refused.value.reason
    assert refused.value.kind == "cert_url"
    assert fetcher.calls == []


# --- certificate chain --------------------------------------------------------------------------


def _store() -> Store:
    return Store(pki.trusted_roots())


@pytest.mark.parametrize(
    "chain", [pki.good_chain, pki.client_auth_only_chain], ids=["both-eku", "client-eku"]
)
def test_chain_to_trusted_root_with_echo_api_san_is_trusted(chain: Callable[[], pki.SigningChain]) -> None:
    signer = trusted_signer(chain().pem, _store(), pki.NOW)
    assert signer.public_key.public_numbers() == chain().key.public_key().public_numbers()
    # Cached until the earliest expiry in the chain, which here is the leaf's.
    assert signer.not_after == chain().leaf.not_valid_after_utc


@pytest.mark.parametrize(
    ("chain", "reason"),
    [
        (pki.wrong_san_chain, "does not validate"),
        (pki.wildcard_san_chain, "SAN does not contain echo-api.amazon.com"),
        (pki.expired_chain, "does not validate"),
        (pki.not_yet_valid_chain, "does not validate"),
        (pki.self_signed_chain, "does not validate"),
        (pki.unknown_root_chain, "does not validate"),
        (pki.code_signing_chain, "does not validate"),
        (pki.weak_key_chain, "shorter than 2048 bits"),
    ],
    ids=[
        "wrong-san",
        "wildcard-san",
        "expired",
        "not-yet-valid",
        "self-signed",
        "unknown-root",
        "code-signing",
        "rsa-1024",
    ],
)
def test_untrustworthy_chains_are_refused(chain: Callable[[], pki.SigningChain], reason: str) -> None:
    with pytest.raises(RequestVerificationError) as refused:
        trusted_signer(chain().pem, _store(), pki.NOW)
    assert reason in refused.value.reason


def test_leaf_without_its_intermediate_is_refused() -> None:
    leaf_only = pki.SigningChain(pki.good_chain().leaf, pki.good_chain().key, ())
    with pytest.raises(RequestVerificationError, match="does not validate"):
        trusted_signer(leaf_only.pem, _store(), pki.NOW)


@pytest.mark.parametrize(
    "pem",
    [
        b"",
        b"not a certificate",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"\x00\xff" * 100,
    ],
)
def test_garbage_pem_is_refused(pem: bytes) -> None:
    with pytest.raises(RequestVerificationError, match="not valid PEM"):
        trusted_signer(pem, _store(), pki.NOW)


def test_default_trust_store_is_certifi_loaded_once() -> None:
    assert default_trust_store() is default_trust_store()
    # Our test root is not a public root, so the production store refuses the test chain.
    with pytest.raises(RequestVerificationError, match="does not validate"):
        trusted_signer(pki.good_chain().pem, default_trust_store(), pki.NOW)


# --- timestamp and application ID ---------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 1, 149, 150, -150, -1])
def test_timestamp_within_150_seconds_is_accepted(offset: int) -> None:
    check_timestamp(pki.NOW + dt.timedelta(seconds=offset), pki.NOW)


@pytest.mark.parametrize("offset", [151, -151, 3600, -86400])
def test_timestamp_beyond_150_seconds_is_refused(offset: int) -> None:
    with pytest.raises(RequestVerificationError, match="timestamp"):
        check_timestamp(pki.NOW + dt.timedelta(seconds=offset), pki.NOW)


@pytest.mark.parametrize("value", [None, 12345, "yesterday", ""])
def test_missing_or_unparseable_timestamp_is_refused(value: object) -> None:
    body = json.loads(envelope())
    body["request"]["timestamp"] = value
    facts = envelope_facts(json.dumps(body).encode())
    with pytest.raises(RequestVerificationError, match="timestamp"):
        check_timestamp(facts.timestamp, pki.NOW)


def test_naive_timestamp_is_read_as_utc() -> None:
    body = json.loads(envelope())
    body["request"]["timestamp"] = "2025-06-01T12:00:00"
    assert envelope_facts(json.dumps(body).encode()).timestamp == pki.NOW


def test_application_id_from_context_and_session() -> None:
    assert envelope_facts(envelope()).application_ids == (SKILL_ID, SKILL_ID)
    check_application_id(envelope_facts(envelope()).application_ids, SKILL_ID)
    session_only = json.loads(envelope())
    del session_only["context"]
    check_application_id(envelope_facts(json.dumps(session_only).encode()).application_ids, SKILL_ID)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (envelope(app_id=OTHER_SKILL_ID), "not this skill's"),
        (envelope(app_id=SKILL_ID, session_app_id=OTHER_SKILL_ID), "not this skill's"),
        (envelope(app_id=None), "names no application ID"),
    ],
)
def test_wrong_or_missing_application_id_is_refused(body: bytes, reason: str) -> None:
    with pytest.raises(RequestVerificationError, match=reason):
        check_application_id(envelope_facts(body).application_ids, SKILL_ID)


# --- the whole verifier -------------------------------------------------------------------------


def test_genuine_request_is_accepted() -> None:
    body = envelope()
    make_verifier().verify(signed_headers(body), body)


def test_header_names_are_case_insensitive() -> None:
    body = envelope()
    headers = {name.lower(): value for name, value in signed_headers(body).items()}
    make_verifier().verify(headers, body)


def test_without_skill_id_any_application_id_is_accepted_but_signature_still_checked() -> None:
    verifier = make_verifier(skill_id=None)
    body = envelope(app_id=OTHER_SKILL_ID)
    verifier.verify(signed_headers(body), body)
    with pytest.raises(RequestVerificationError, match="does not match the body"):
        verifier.verify(signed_headers(body), body + b" ")


def _refusal(headers: dict[str, str], body: bytes, verifier: AlexaRequestVerifier | None = None) -> str:
    with pytest.raises(RequestVerificationError) as refused:
        (verifier or make_verifier()).verify(headers, body)
    return refused.value.reason


def test_tampered_body_is_refused() -> None:
    body = envelope()
    headers = signed_headers(body)
    tampered = body.replace(b"LaunchRequest", b"IntentRequest")
    assert "does not match the body" in _refusal(headers, tampered)


def test_signature_from_another_key_is_refused() -> None:
    body = envelope()
    forged = {**signed_headers(body), "Signature-256": pki.unknown_root_chain().sign(body)}
    assert "does not match the body" in _refusal(forged, body)


def test_old_sha1_signature_is_not_accepted_as_signature_256() -> None:
    body = envelope()
    sha1 = pki.good_chain().key.sign(body, padding.PKCS1v15(), hashes.SHA1())
    headers = {**signed_headers(body), "Signature-256": base64.b64encode(sha1).decode()}
    assert "does not match the body" in _refusal(headers, body)


def test_only_the_legacy_signature_header_is_refused() -> None:
    body = envelope()
    headers = signed_headers(body)
    headers["Signature"] = headers.pop("Signature-256")
    assert "Signature-256 header is missing" in _refusal(headers, body)


@pytest.mark.parametrize("missing", ["SignatureCertChainUrl", "Signature-256"])
def test_missing_header_is_refused(missing: str) -> None:
    body = envelope()
    headers = signed_headers(body)
    del headers[missing]
    assert f"{missing} header is missing" in _refusal(headers, body)


@pytest.mark.parametrize("value", ["not base64!", "QUJD=extra", "x" * 5000])
def test_malformed_signature_header_is_refused(value: str) -> None:
    body = envelope()
    assert "Signature-256 header" in _refusal({**signed_headers(body), "Signature-256": value}, body)


@pytest.mark.parametrize(
    "url",
    [
        "http://s3.amazonaws.com/echo.api/echo-api-cert-test.pem",
        "https://evil.example/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/../echo-api-cert-test.pem",
        "https://s3.amazonaws.com/ECHO.API/echo-api-cert-test.pem",
        "https://s3.amazonaws.com:444/echo.api/echo-api-cert-test.pem",
    ],
)
def test_bad_chain_url_is_refused_without_fetching(url: str) -> None:
    fetcher = CountingFetcher({url: pki.good_chain().pem})
    body = envelope()
    assert "certificate chain URL" in _refusal(signed_headers(body, url=url), body, make_verifier(fetcher))
    assert fetcher.calls == []


@pytest.mark.parametrize(
    "variants",
    [
        [
            "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert-test.pem",
            "https://s3.amazonaws.com:443/echo.api/echo-api-cert-test.pem",
            "https://s3.amazonaws.com/echo.api/./echo-api-cert-test.pem",
            "https://s3.amazonaws.com/echo.api/x/%2E%2E/echo-api-cert-test.pem",
            "https://s3.amazonaws.com/echo.api/echo-api-cert-test%2Epem",
            pki.CHAIN_URL,
        ]
    ],
)
def test_every_spelling_of_the_chain_url_costs_one_fetch_of_its_canonical_form(variants: list[str]) -> None:
    """The cache and the fetch both use the canonical URL: six spellings, one download, of that URL."""
    fetcher = CountingFetcher({pki.CHAIN_URL: pki.good_chain().pem})
    verifier = make_verifier(fetcher)
    for url in variants:
        body = envelope()
        verifier.verify(signed_headers(body, url=url), body)
    assert fetcher.calls == [pki.CHAIN_URL]


@pytest.mark.parametrize("offset", [151, -151])
def test_stale_or_future_request_is_refused(offset: int) -> None:
    body = envelope(timestamp=pki.NOW + dt.timedelta(seconds=offset))
    assert "timestamp" in _refusal(signed_headers(body), body)


def test_wrong_application_id_is_refused() -> None:
    body = envelope(app_id=OTHER_SKILL_ID)
    assert "application ID" in _refusal(signed_headers(body), body)


@pytest.mark.parametrize(
    "chain",
    [
        pki.wrong_san_chain,
        pki.wildcard_san_chain,
        pki.expired_chain,
        pki.not_yet_valid_chain,
        pki.self_signed_chain,
        pki.unknown_root_chain,
        pki.weak_key_chain,
    ],
)
def test_requests_signed_by_untrustworthy_chains_are_refused(chain: Callable[[], pki.SigningChain]) -> None:
    body = envelope()
    fetcher = CountingFetcher({pki.CHAIN_URL: chain().pem})
    reason = _refusal(signed_headers(body, chain()), body, make_verifier(fetcher))
    assert "certificate" in reason
    assert fetcher.calls == [pki.CHAIN_URL]


def test_chain_is_cached_until_it_expires_then_refetched_and_refused() -> None:
    now = [pki.NOW]
    fetcher = CountingFetcher({pki.CHAIN_URL: pki.short_lived_chain().pem})
    verifier = make_verifier(fetcher, clock=lambda: now[0])
    for minutes in (0, 10, 59):
        now[0] = pki.NOW + dt.timedelta(minutes=minutes)
        body = envelope(timestamp=now[0])
        verifier.verify(signed_headers(body, pki.short_lived_chain()), body)
    assert fetcher.calls == [pki.CHAIN_URL]
    now[0] = pki.NOW + dt.timedelta(minutes=61)
    body = envelope(timestamp=now[0])
    reason = _refusal(signed_headers(body, pki.short_lived_chain()), body, verifier)
    assert "does not validate" in reason
    assert fetcher.calls == [pki.CHAIN_URL, pki.CHAIN_URL]


def test_fetch_failure_is_remembered_briefly_then_retried() -> None:
    now = [pki.NOW]
    fetcher = CountingFetcher({})
    verifier = make_verifier(fetcher, clock=lambda: now[0])
    body = envelope()
    for _ in range(3):
        assert "404" in _refusal(signed_headers(body), body, verifier)
    assert len(fetcher.calls) == 1
    fetcher.chains[pki.CHAIN_URL] = pki.good_chain().pem
    now[0] = pki.NOW + dt.timedelta(seconds=6)
    body = envelope(timestamp=now[0])
    verifier.verify(signed_headers(body), body)
    assert len(fetcher.calls) == 2


def test_a_crashing_fetcher_becomes_a_refusal() -> None:
    def broken(url: str) -> bytes:
        raise KeyError(url)

    body = envelope()
    assert "KeyError" in _refusal(signed_headers(body), body, make_verifier(broken))


def test_forged_requests_cost_no_fetch() -> None:
    """Header, URL, timestamp and application ID checks all run before any network access."""
    fetcher = CountingFetcher()
    verifier = make_verifier(fetcher)
    stale = envelope(timestamp=pki.NOW - dt.timedelta(hours=1))
    _refusal(signed_headers(stale), stale, verifier)
    other = envelope(app_id=OTHER_SKILL_ID)
    _refusal(signed_headers(other), other, verifier)
    _refusal({"Signature-256": "AAAA"}, envelope(), verifier)
    assert fetcher.calls == []
