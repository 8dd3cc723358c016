"""The roots a signing chain must lead to: certifi's bundle, parsed once per process."""

from __future__ import annotations

import functools
import warnings

import certifi
from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import Store


def store_from_pem(pem: bytes) -> Store:
    """Build a trust store from concatenated PEM roots (tests pass their own CA this way, or use Store)."""
    with warnings.catch_warnings():
        # certifi ships a few legacy roots with non-positive serials; they are still roots we trust.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return Store(x509.load_pem_x509_certificates(pem))


@functools.cache
def default_trust_store() -> Store:
    """The certifi store, parsed when the first verifier is built rather than at import."""
    with open(certifi.where(), "rb") as bundle:
        return store_from_pem(bundle.read())
