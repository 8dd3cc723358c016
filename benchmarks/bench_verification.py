"""What verifying a request costs: timed through the Flask app, and counted in instructions by callgrind.

Both compare the same three apps (benchmarks/verification_apps.py): verification on, only the RSA
check Amazon requires (the floor), and off.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench_pki
import certifi
import verification_apps
from cryptography.x509.verification import Store
from events import intent_event
from report import BEYOND_FLOOR, Row, Side, at_least, callgrind_total, compare, interleave

from skill.web.verification import AlexaRequestVerifier, store_from_pem

HERE = Path(__file__).resolve().parent


def bench_verify(n: int, n_fresh: int) -> list[Row]:
    pki = bench_pki.mint()

    def fetch(url: str) -> bytes:
        return pki.chain_pem

    body = json.dumps(intent_event()).encode("utf-8")
    headers = pki.headers(body)
    store = Store([pki.root])
    on, floor, off = (
        verification_apps.build_app(mode, store, pki.chain_pem).test_client()
        for mode in ("on", "floor", "off")
    )
    for client in (on, floor, off):
        reply = client.post("/", data=body, headers=headers)
        assert reply.status_code == 200 and reply.get_json()["response"]["outputSpeech"], reply.data
    verifier = AlexaRequestVerifier(trust_store=store, fetcher=fetch)
    verifier.verify(headers, body)  # warmed: the chain is validated and cached

    labels = verification_apps.MODES
    with_verify, rsa_only, without = Side(labels["on"]), Side(labels["floor"]), Side(labels["off"])
    verify_only = Side("verifier.verify() alone")
    interleave(
        [
            (with_verify, lambda: on.post("/", data=body, headers=headers)),
            (rsa_only, lambda: floor.post("/", data=body, headers=headers)),
            (without, lambda: off.post("/", data=body, headers=headers)),
            (verify_only, lambda: verifier.verify(headers, body)),
        ],
        n,
        warmup=min(100, n),
    )

    certifi_pem = Path(certifi.where()).read_bytes()

    def fresh_context_per_request() -> None:
        """ask-sdk-webservice-support 1.3's shape: chain PEM cached, but a new trust context per request."""
        store = store_from_pem(certifi_pem + pki.root_pem)
        AlexaRequestVerifier(trust_store=store, fetcher=fetch).verify(headers, body)

    fresh_context_per_request()
    ours_cached, fresh = Side("ours, cached chain"), Side("fresh trust store per request")
    interleave(
        [(ours_cached, lambda: verifier.verify(headers, body)), (fresh, fresh_context_per_request)],
        n_fresh,
        warmup=min(10, n_fresh),
    )
    share = Side("verify() alone", verify_only.samples)
    return [
        compare(
            "Verification overhead: POST through the Flask app, verify on vs off",
            with_verify,
            without,
            note="Flask test client, same signed body",
        ),
        compare(
            "Floor: the same POST with only the RSA-SHA256 check Amazon requires, vs off",
            rsa_only,
            without,
            note="no verifier can cost less; key validated beforehand",
        ),
        compare(
            "Our rules beyond that floor: verify on vs RSA check only",
            with_verify,
            rsa_only,
            goal=BEYOND_FLOOR,
            note="headers, URL, timestamp, application ID, certificate cache",
        ),
        compare(
            "verify() alone vs the unverified POST it guards",
            share,
            without,
            note="the verifier's share of a request",
        ),
        compare(
            "1.3-style fresh trust store + chain validation per request vs ours (cached)",
            fresh,
            ours_cached,
            goal=at_least("30"),
            note="ratio = their cost / ours",
        ),
    ]


def bench_instructions(count: int) -> tuple[list[Row], str]:
    """Instructions per request, from the difference of two runs (0 and ``count`` requests) per side.

    Deterministic where wall time is not: the same run gives the same count within a few thousand
    instructions whatever the neighbours do. It leaves out what cache misses cost.
    """
    if shutil.which("valgrind") is None:
        return [], "Instructions per request: skipped, valgrind is not installed."
    pki = bench_pki.mint()
    body = json.dumps(intent_event()).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="tpi-callgrind-") as tmp:
        fixture = Path(tmp)
        pki.write(fixture)
        (fixture / "body.json").write_bytes(body)
        (fixture / "headers.json").write_text(json.dumps(pki.headers(body)), encoding="utf-8")
        runs = [(mode, n) for mode in verification_apps.MODES for n in (0, count)]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            # Each count is a whole child run: start-up, warm-up and ``count`` requests.
            child = str(HERE / "instructions_child.py")
            counted = pool.map(lambda run: callgrind_total([child, run[0], str(run[1]), str(fixture)]), runs)
            totals = dict(zip(runs, counted, strict=True))
    per_request = {
        mode: Side(label, [(totals[mode, count] - totals[mode, 0]) / count])
        for mode, label in verification_apps.MODES.items()
    }
    on, floor, off = per_request["on"], per_request["floor"], per_request["off"]
    note = "callgrind, single-valued, so median = p99"
    rows = [
        compare("Instructions per request: verify on vs off", on, off, unit="instr", note=note),
        compare("Instructions per request: RSA check only vs off", floor, off, unit="instr", note=note),
        compare(
            "Instructions per request: verify on vs RSA check only",
            on,
            floor,
            unit="instr",
            goal=BEYOND_FLOOR,
            note=note,
        ),
    ]
    text = (
        f"Instructions per request: `valgrind --tool=callgrind` of `benchmarks/instructions_child.py`, "
        f"{count} requests minus none per side, the same signed body and certificates in every run, "
        "PYTHONHASHSEED=0. valgrind hides the CPU's ADX extension, so OpenSSL takes a slower big-number "
        "path there than natively: the RSA rows overstate its instructions; our own code's row does not."
    )
    return rows, text
