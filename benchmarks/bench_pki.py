"""The tests' CA (tests/pki.py) with a signing certificate valid around the real clock.

tests/pki.py pins its leaves to a fixed 2025 date (fine for tests with a fixed clock), but the
benchmarks measure the verifier as production runs it, with the real clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests import pki as test_pki

CHAIN_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-bench.pem"


@dataclass(frozen=True)
class BenchPki:
    """The root a verifier trusts and the chain its fetcher serves (whose key signs bodies)."""

    root: x509.Certificate
    chain: test_pki.SigningChain

    @property
    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    @property
    def chain_pem(self) -> bytes:
        return self.chain.pem

    def sign(self, body: bytes) -> str:
        """The ``Signature-256`` header Alexa would send with ``body``."""
        return self.chain.sign(body)

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
    return BenchPki(test_pki.root().cert, test_pki.chain_valid_around(dt.datetime.now(dt.UTC)))
