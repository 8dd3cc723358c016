"""Turns fetched PEM into a trusted signing key, using ``cryptography.x509.verification``.

The chain is validated once per fetch (the result is cached), so the per-request cost is only the
signature check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from skill.web.verification.errors import RequestVerificationError

SIGNING_DOMAIN = "echo-api.amazon.com"
MIN_RSA_BITS = 2048
"""NIST has disallowed shorter RSA keys for signatures since 2013; Amazon's signing keys are 2048 bits."""
_MAX_CHAIN_DEPTH = 6


@dataclass(frozen=True)
class TrustedSigner:
    """The validated leaf's RSA key and the window in which the whole chain is valid."""

    public_key: RSAPublicKey
    not_before: dt.datetime
    not_after: dt.datetime


def _tls_usage(policy: Policy, cert: x509.Certificate, eku: x509.ExtendedKeyUsage | None) -> None:
    """Accept serverAuth or clientAuth: Amazon's rules name no EKU and its leaf has carried both."""
    del policy, cert
    if eku is not None and not (
        ExtendedKeyUsageOID.SERVER_AUTH in eku or ExtendedKeyUsageOID.CLIENT_AUTH in eku
    ):
        raise ValueError("extended key usage allows neither serverAuth nor clientAuth")


_EE_POLICY = ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _tls_usage
)
_CA_POLICY = ExtensionPolicy.webpki_defaults_ca()


def _has_literal_san(leaf: x509.Certificate) -> bool:
    """The checklist asks for echo-api.amazon.com itself in the SAN; a wildcard is not enough."""
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return any(name.lower() == SIGNING_DOMAIN for name in san.get_values_for_type(x509.DNSName))


def trusted_signer(pem: bytes, store: Store, now: dt.datetime) -> TrustedSigner:
    """Parse ``pem`` (leaf first, then intermediates) and validate it to ``store`` at ``now``."""
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise RequestVerificationError("certificate chain is not valid PEM", "cert_chain") from None
    leaf, intermediates = certs[0], certs[1:]
    verifier = (
        PolicyBuilder()
        .store(store)
        .time(now)
        .max_chain_depth(_MAX_CHAIN_DEPTH)
        .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
        .build_server_verifier(x509.DNSName(SIGNING_DOMAIN))
    )
    try:
        path = verifier.verify(leaf, intermediates)
    except VerificationError as exc:
        raise RequestVerificationError(
            f"certificate chain does not validate: {str(exc)[:200]}", "cert_chain"
        ) from None
    if not _has_literal_san(leaf):
        raise RequestVerificationError(
            f"signing certificate SAN does not contain {SIGNING_DOMAIN}", "cert_chain"
        )
    key = leaf.public_key()
    if not isinstance(key, RSAPublicKey):
        raise RequestVerificationError("signing certificate key is not RSA", "cert_chain")
    if key.key_size < MIN_RSA_BITS:
        raise RequestVerificationError(
            f"signing certificate key is shorter than {MIN_RSA_BITS} bits", "cert_chain"
        )
    return TrustedSigner(
        public_key=key,
        not_before=max(cert.not_valid_before_utc for cert in path),
        not_after=min(cert.not_valid_after_utc for cert in path),
    )
