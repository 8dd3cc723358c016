"""A throwaway CA shaped like Amazon's echo-api chain, valid around the real clock.

tests/pki.py pins its certificates to a fixed 2025 date (fine for tests with a fixed clock), but the
benchmarks measure the verifier as production runs it, with the real clock, so they mint their own:
root -> intermediate -> leaf with SAN echo-api.amazon.com and EKU serverAuth + clientAuth.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-bench.pem"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usage(*, ca: bool) -> x509.KeyUsage:
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


def _cert(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Certificate, rsa.RSAPrivateKey] | None,
    *,
    ca: bool,
    now: dt.datetime,
) -> x509.Certificate:
    issuer_name = issuer[0].subject if issuer else _name(subject)
    issuer_key = issuer[1] if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca and issuer else None), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        ).add_extension(x509.SubjectAlternativeName([x509.DNSName("echo-api.amazon.com")]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class BenchPki:
    """The root a verifier trusts, the chain its fetcher serves, and the key that signs bodies."""

    root: x509.Certificate
    chain_pem: bytes
    key: rsa.RSAPrivateKey

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def sign(self, body: bytes) -> str:
        """The ``Signature-256`` header Alexa would send with ``body``."""
        return base64.b64encode(self.key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")

    def headers(self, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "SignatureCertChainUrl": CHAIN_URL,
            "Signature-256": self.sign(body),
        }

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write root and chain PEM for another process (the gunicorn server); return their paths."""
        root_path, chain_path = folder / "root.pem", folder / "chain.pem"
        root_path.write_bytes(self.root_pem)
        chain_path.write_bytes(self.chain_pem)
        return root_path, chain_path


def mint() -> BenchPki:
    now = dt.datetime.now(dt.UTC)
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)]
    root = _cert("Bench Root CA", keys[0], None, ca=True, now=now)
    inter = _cert("Bench Intermediate CA", keys[1], (root, keys[0]), ca=True, now=now)
    leaf = _cert("echo-api.amazon.com", keys[2], (inter, keys[1]), ca=False, now=now)
    pem = b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in (leaf, inter))
    return BenchPki(root, pem, keys[2])
