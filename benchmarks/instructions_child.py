"""Serve warm-up plus N signed requests through one Flask app, for callgrind to count (see run.py).

    python benchmarks/instructions_child.py on|floor|off N FIXTURE_DIR

FIXTURE_DIR holds root.pem, chain.pem, body.json and headers.json, written once by the parent so
every run sees the same bytes: minting keys here would make the counts differ from run to run.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import verification_apps
from cryptography import x509
from cryptography.x509.verification import Store

WARMUP = 20


def main() -> None:
    mode, count, fixture = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    logging.disable(logging.WARNING)  # verify=False warns once; keep callgrind's stderr parseable
    body = (fixture / "body.json").read_bytes()
    headers = json.loads((fixture / "headers.json").read_text())
    store = Store(x509.load_pem_x509_certificates((fixture / "root.pem").read_bytes()))
    chain = (fixture / "chain.pem").read_bytes()
    client = verification_apps.build_app(mode, store, chain).test_client()
    for _ in range(WARMUP + count):
        reply = client.post("/", data=body, headers=headers)
        assert reply.status_code == 200 and reply.get_json()["response"]["outputSpeech"], reply.data


if __name__ == "__main__":
    main()
