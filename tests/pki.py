"""A throwaway PKI shaped like Amazon's echo-api signing chain, so tests never need the network.

The real chain is root -> intermediate -> leaf with SAN ``echo-api.amazon.com`` and EKU serverAuth +
clientAuth; the test CA mints the same shape plus every broken variant the verifier must refuse.
It also builds signed request envelopes and a verifier that trusts only this PKI.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import Store

from skill.tools import envelopes
from skill.web.verification import AlexaRequestVerifier, FetchBudget, RequestVerificationError

ECHO_API = "echo-api.amazon.com"
# A fixed "now" keeps certificate validity windows and request timestamps reproducible.
NOW = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"


@functools.cache
def _key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """One key per role, generated once: RSA keygen dominates the test suite's run time otherwise."""
    del label
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TPI Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A CA signs certificates and CRLs; a leaf signs request bodies and, like Amazon's, enciphers keys."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class Authority:
    """A CA certificate with the key that signs what it issues."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey


def _ca(common_name: str, key_label: str, issuer: Authority | None, path_length: int | None) -> Authority:
    key = _key(key_label)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=365))
        .not_valid_after(NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    signer = issuer.key if issuer else key
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
    )
    return Authority(builder.sign(signer, hashes.SHA256()), key)


def _leaf(
    issuer: Authority | None,
    *,
    dns_names: tuple[str, ...] = (ECHO_API,),
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key_label: str = "leaf",
    key_bits: int = 2048,
    usages: tuple[x509.ObjectIdentifier, ...] = (
        ExtendedKeyUsageOID.SERVER_AUTH,
        ExtendedKeyUsageOID.CLIENT_AUTH,
    ),
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """Mint a signing certificate; with no issuer it is self-signed."""
    key = _key(key_label, key_bits)
    public = key.public_key()
    subject = _name(dns_names[0] if dns_names else "no-san")
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - dt.timedelta(days=30))
        .not_valid_after(not_after or NOW + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key() if issuer else public),
            critical=False,
        )
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in dns_names]), critical=False
        )
    return builder.sign(issuer.key if issuer else key, hashes.SHA256()), key


@dataclass(frozen=True)
class SigningChain:
    """A leaf, the key that signs request bodies, and the PEM a fetcher would return for it."""

    leaf: x509.Certificate
    key: rsa.RSAPrivateKey
    intermediates: tuple[x509.Certificate, ...]

    @property
    def pem(self) -> bytes:
        certs = (self.leaf, *self.intermediates)
        return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)

    def sign(self, body: bytes) -> str:
        """Return the ``Signature-256`` header value Alexa would send for ``body``."""
        signature = self.key.sign(body, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")


@functools.cache
def root() -> Authority:
    return _ca("TPI Test Root CA", "root", None, None)


@functools.cache
def intermediate() -> Authority:
    return _ca("TPI Test Intermediate CA", "intermediate", root(), 0)


@functools.cache
def unknown_root() -> Authority:
    """A root the verifier's store does not hold."""
    return _ca("Untrusted Root CA", "unknown-root", None, None)


@functools.cache
def unknown_intermediate() -> Authority:
    return _ca("Untrusted Intermediate CA", "unknown-intermediate", unknown_root(), 0)


def _chain(issuer: Authority, **kwargs: object) -> SigningChain:
    leaf, key = _leaf(issuer, **kwargs)  # type: ignore[arg-type]
    return SigningChain(leaf, key, (issuer.cert,))


def chain_valid_around(moment: dt.datetime) -> SigningChain:
    """A good chain whose leaf is valid from a day before `moment` to a month after it.

    For the benchmarks and the soak test, which verify with the real clock; the CAs above are valid
    for ten years from NOW, so only the leaf needs to follow the clock.
    """
    return _chain(
        intermediate(), not_before=moment - dt.timedelta(days=1), not_after=moment + dt.timedelta(days=30)
    )


@functools.cache
def good_chain() -> SigningChain:
    return _chain(intermediate())


@functools.cache
def second_good_chain() -> SigningChain:
    """Another valid chain with its own key, for tests that need two distinct URLs."""
    return _chain(intermediate(), key_label="leaf-2")


@functools.cache
def wrong_san_chain() -> SigningChain:
    return _chain(intermediate(), dns_names=("echo-api.example.com",))


@functools.cache
def wildcard_san_chain() -> SigningChain:
    """``*.amazon.com`` matches echo-api.amazon.com as a TLS name but is not the literal SAN required."""
    return _chain(intermediate(), dns_names=("*.amazon.com",))


@functools.cache
def client_auth_only_chain() -> SigningChain:
    """Amazon's rules say nothing of EKU; a clientAuth-only signing certificate must still be accepted."""
    return _chain(intermediate(), usages=(ExtendedKeyUsageOID.CLIENT_AUTH,))


@functools.cache
def code_signing_chain() -> SigningChain:
    """An EKU for neither TLS role: not a certificate Amazon would sign requests with."""
    return _chain(intermediate(), usages=(ExtendedKeyUsageOID.CODE_SIGNING,))


@functools.cache
def expired_chain() -> SigningChain:
    return _chain(
        intermediate(), not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=1)
    )


@functools.cache
def not_yet_valid_chain() -> SigningChain:
    return _chain(
        intermediate(), not_before=NOW + dt.timedelta(days=1), not_after=NOW + dt.timedelta(days=400)
    )


@functools.cache
def short_lived_chain() -> SigningChain:
    """Valid at NOW, expires an hour later: for cache-expiry tests."""
    return _chain(intermediate(), not_after=NOW + dt.timedelta(hours=1))


@functools.cache
def weak_key_chain() -> SigningChain:
    """Valid in every other way, but its key is RSA-1024."""
    return _chain(intermediate(), key_label="weak-leaf", key_bits=1024)


@functools.cache
def self_signed_chain() -> SigningChain:
    leaf, key = _leaf(None, key_label="self-signed")
    return SigningChain(leaf, key, ())


@functools.cache
def unknown_root_chain() -> SigningChain:
    return _chain(unknown_intermediate(), key_label="unknown-leaf")


def trusted_roots() -> list[x509.Certificate]:
    """What the verifier's trust store holds in tests (instead of certifi's bundle)."""
    return [root().cert]


# --- requests as Alexa would send them, and a verifier wired to this PKI -------------------------

SKILL_ID = "amzn1.ask.skill.11111111-2222-4333-8444-555555555555"
OTHER_SKILL_ID = "amzn1.ask.skill.99999999-2222-4333-8444-555555555555"


def envelope(
    *,
    timestamp: dt.datetime = NOW,
    app_id: str | None = SKILL_ID,
    session_app_id: str | None = None,
    request_type: str = "LaunchRequest",
) -> bytes:
    """An envelope from ``skill.tools.envelopes`` at a fixed time, naming the given application IDs."""
    request = {"type": request_type, "locale": "en-US", "timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")}
    body = envelopes.envelope(request, session=envelopes.Session(), skill_id=app_id or "")
    if app_id is None:
        del body["context"]["System"]["application"]
    session_app = session_app_id if session_app_id is not None else app_id
    if session_app is None:
        del body["session"]
    else:
        body["session"]["application"] = {"applicationId": session_app}
    return json.dumps(body).encode("utf-8")


def signed_headers(body: bytes, chain: SigningChain | None = None, url: str = CHAIN_URL) -> dict[str, str]:
    """Headers Alexa would send with ``body`` signed by ``chain`` (default: the good one)."""
    chain = chain or good_chain()
    return {"SignatureCertChainUrl": url, "Signature-256": chain.sign(body)}


class CountingFetcher:
    """Serves PEM by URL from a dict and counts fetches; unknown URLs fail like a 404.

    Safe to share between threads. ``delay`` makes each fetch take that long (so concurrent callers
    arrive while one is in flight); ``failure``, when given, is the reason every fetch fails with;
    ``anything``, when given, is served for every URL not in ``chains`` (as S3 serves one object
    whatever query string is added).
    """

    def __init__(
        self,
        chains: dict[str, bytes] | None = None,
        *,
        delay: float = 0.0,
        failure: str | None = None,
        anything: bytes | None = None,
    ) -> None:
        self.chains = chains if chains is not None else {CHAIN_URL: good_chain().pem}
        self.delay = delay
        self.failure = failure
        self.anything = anything
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.calls.append(url)
        if self.delay:
            time.sleep(self.delay)  # outside the lock: the fetcher itself must not serialise callers
        if self.failure is not None:
            raise RequestVerificationError(self.failure)
        if url in self.chains:
            return self.chains[url]
        if self.anything is not None:
            return self.anything
        raise RequestVerificationError("certificate chain fetch answered HTTP 404")

    def fetches_per_url(self) -> dict[str, int]:
        """How many times each URL was fetched."""
        with self._lock:
            return dict(collections.Counter(self.calls))


def make_verifier(
    fetcher: Callable[[str], bytes] | None = None,
    *,
    skill_id: str | None = SKILL_ID,
    clock: Callable[[], dt.datetime] = lambda: NOW,
    budget: FetchBudget | None = None,
    fetch_deadline: float | None = None,
) -> AlexaRequestVerifier:
    """A verifier trusting only the test root, fed by ``fetcher``, at the fixed test time."""
    extra = {} if fetch_deadline is None else {"fetch_deadline": fetch_deadline}
    return AlexaRequestVerifier(
        skill_id=skill_id,
        trust_store=Store(trusted_roots()),
        fetcher=fetcher or CountingFetcher(),
        clock=clock,
        budget=budget,
        **extra,
    )
