"""The three web apps the verification benchmarks compare: verification on, only the RSA floor, off.

Shared by benchmarks/run.py (wall time), benchmarks/instructions_child.py (callgrind) and
benchmarks/bench_wsgi.py (gunicorn, set up by server_env for bench_http.py and bench_worker.py) so all
of them measure the very same apps.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509.verification import Store
from flask import Flask

from skill.web.service import create_app
from skill.web.verification import AlexaRequestVerifier, Headers
from skill.web.verification.chain import trusted_signer
from skill.web.verification.envelope import EnvelopeFacts

MODES = {"on": "verify on", "floor": "RSA check only", "off": "verify off"}
"""Mode -> the label its side carries in the table."""
VERIFY_ENV = {"on": "1", "floor": "floor", "off": "0"}
"""Mode -> BENCH_VERIFY, which picks the same app in a gunicorn server (benchmarks/bench_wsgi.py)."""


def server_env(mode: str, pems: tuple[Path, Path]) -> dict[str, str]:
    """The environment for bench_server.gunicorn to serve ``mode``'s app with one worker, trusting the
    root and serving the chain that ``pems`` (from ``BenchPki.write``) name."""
    root_pem, chain_pem = pems
    return {
        "BENCH_ROOT_PEM": str(root_pem),
        "BENCH_CHAIN_PEM": str(chain_pem),
        "BENCH_VERIFY": VERIFY_ENV[mode],
        "WEB_CONCURRENCY": "1",
    }


class SignatureOnly(AlexaRequestVerifier):
    """Only the RSA-SHA256 check of the body that Amazon requires on every request, with the key
    validated beforehand: no verifier can do less and still check it (it must read the signature
    header; decoding its base64 costs about a microsecond).

    It stands in for the real verifier in the same place in the web view, so the gap between the two is
    exactly what our own rules (headers, URL, timestamp, application ID, cache) add. Bench-only.
    """

    def __init__(self, key: RSAPublicKey) -> None:
        super().__init__()
        self._key = key
        self._padding, self._digest = padding.PKCS1v15(), hashes.SHA256()

    def verify(
        self, headers: Headers, body: bytes, facts: EnvelopeFacts | None = None, *, client: str | None = None
    ) -> None:
        signature = base64.b64decode(headers.get("Signature-256") or "")
        self._key.verify(signature, body, self._padding, self._digest)


def build_app(mode: str, store: Store, chain_pem: bytes) -> Flask:
    """The app for ``mode``; ``on`` returns a verifier that serves ``chain_pem`` from memory."""
    if mode == "on":
        verifier = AlexaRequestVerifier(trust_store=store, fetcher=lambda url: chain_pem)
        return create_app(verifier=verifier)
    if mode == "floor":
        signer = trusted_signer(chain_pem, store, dt.datetime.now(dt.UTC))
        return create_app(verifier=SignatureOnly(signer.public_key))
    if mode == "off":
        return create_app(verify=False)
    raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
