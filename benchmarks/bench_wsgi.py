"""Bench-only WSGI app for gunicorn: ``skill.web.wsgi`` always trusts certifi's roots and fetches over
HTTPS, so it cannot accept requests signed by a test CA without the network. This module builds the
same ``create_app`` with verification on (trusting the root in ``BENCH_ROOT_PEM`` and serving the
chain in ``BENCH_CHAIN_PEM`` from memory, as a warmed production cache would) or off
(``BENCH_VERIFY=0``), or with only the RSA check (``BENCH_VERIFY=floor``, see verification_apps.py).
Never use it in production.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.x509.verification import Store
from flask import Flask

from skill.web.service import create_app
from skill.web.verification import AlexaRequestVerifier


def build_app() -> Flask:
    if os.environ.get("BENCH_VERIFY", "1") == "0":
        return create_app(verify=False)
    roots = x509.load_pem_x509_certificates(Path(os.environ["BENCH_ROOT_PEM"]).read_bytes())
    chain = Path(os.environ["BENCH_CHAIN_PEM"]).read_bytes()
    if os.environ.get("BENCH_VERIFY") == "floor":  # only the RSA check Amazon requires
        import verification_apps

        return verification_apps.build_app("floor", Store(roots), chain)

    def fetch(url: str) -> bytes:
        return chain

    verifier = AlexaRequestVerifier(
        skill_id=os.environ.get("BENCH_SKILL_ID") or None, trust_store=Store(roots), fetcher=fetch
    )
    return create_app(verifier=verifier, skill_id=os.environ.get("BENCH_SKILL_ID") or None)


app = build_app()
