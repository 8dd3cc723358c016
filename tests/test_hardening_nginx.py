"""The documented production setup, run for real: ``deploy/production.py`` (nginx in front of gunicorn).

The app behind it is ``benchmarks/bench_wsgi.py``: the production ``create_app`` with verification on,
trusting the test CA, so genuine requests can be signed here without Amazon. Everything a client sends
goes through the shipped nginx configuration, as it would in production.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import json
import re
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests import pki
from tests.helpers_server import ROOT, Production, running_production

MAX_BODY = 128 * 1024
GUNICORN_THREADS = 2 * 4  # gunicorn.conf.py: two workers of four threads
SLOW_CLIENTS = 4 * GUNICORN_THREADS
ERROR_LINE = re.compile(r"\[(error|crit|alert|emerg)\]|\[ERROR\]|^ERROR |^CRITICAL |Traceback", re.MULTILINE)


@pytest.fixture(scope="module")
def signing() -> pki.SigningChain:
    return pki.chain_valid_around(dt.datetime.now(dt.UTC))


def bench_env(folder: Path, chain: pki.SigningChain) -> dict[str, str]:
    root_pem, chain_pem = folder / "root.pem", folder / "chain.pem"
    root_pem.write_bytes(pki.root().cert.public_bytes(serialization.Encoding.PEM))
    chain_pem.write_bytes(chain.pem)
    return {
        "PYTHONPATH": str(ROOT / "benchmarks"),
        "BENCH_ROOT_PEM": str(root_pem),
        "BENCH_CHAIN_PEM": str(chain_pem),
        "BENCH_SKILL_ID": pki.SKILL_ID,
    }


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory, signing: pki.SigningChain) -> Iterator[Production]:
    env = bench_env(tmp_path_factory.mktemp("nginx"), signing)
    with running_production(env, app="bench_wsgi:app") as running:
        yield running


def genuine(chain: pki.SigningChain, size: int | None = None) -> tuple[bytes, dict[str, str]]:
    """A LaunchRequest signed now (padded to ``size`` bytes), and the headers Alexa would send."""
    body = pki.envelope(timestamp=dt.datetime.now(dt.UTC).replace(microsecond=0))
    if size is not None:
        body = body[:-1] + b" " * (size - len(body)) + b"}"
    return body, {"Content-Type": "application/json", **pki.signed_headers(body, chain)}


def exchange(production: Production, raw: bytes, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send raw bytes and read one answer (nginx sends Content-Length); return its status and body."""
    with socket.create_connection(("127.0.0.1", production.port), timeout=timeout) as conn:
        conn.sendall(raw)
        reply = http.client.HTTPResponse(conn)
        reply.begin()
        return reply.status, reply.read()


def chunked_post(body_part: bytes) -> bytes:
    head = b"POST / HTTP/1.1\r\nHost: skill\r\nContent-Type: application/json\r\n"
    return head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body_part


def assert_no_error_lines(production: Production) -> None:
    logs = production.logs()
    assert not ERROR_LINE.search(logs), logs[-3000:]


def post(production: Production, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", production.port, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def test_a_genuine_request_is_answered_through_nginx(
    production: Production, signing: pki.SigningChain
) -> None:
    body, headers = genuine(signing)
    status, answer = post(production, body, headers)
    assert status == 200, answer
    assert "Welcome" in json.loads(answer)["response"]["outputSpeech"]["ssml"]
    status, answer = post(production, body, {"Content-Type": "application/json"})
    assert (status, json.loads(answer)) == (400, {"error": "request verification failed"})


def test_a_genuine_chunked_request_reaches_the_app_byte_for_byte(
    production: Production, signing: pki.SigningChain
) -> None:
    body, headers = genuine(signing)
    signed = "".join(f"{name}: {value}\r\n" for name, value in headers.items() if name != "Content-Type")
    half = len(body) // 2
    chunks = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, body[:half], len(body) - half, body[half:])
    raw = chunked_post(chunks).replace(b"\r\n\r\n", b"\r\n" + signed.encode() + b"\r\n", 1)
    status, answer = exchange(production, raw)
    assert status == 200, answer


@pytest.mark.parametrize(
    "chunks",
    [
        b"zz\r\n{}\r\n0\r\n\r\n",  # a chunk size that is not hex
        b"2\r\n{}X0\r\n\r\n",  # the CRLF after the data is missing
        b"-2\r\n{}\r\n0\r\n\r\n",
        b"fffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",  # overflows any integer
    ],
    ids=["size-zz", "missing-crlf", "negative-size", "overflowing-size"],
)
def test_malformed_chunked_bodies_get_400_and_no_error_line(production: Production, chunks: bytes) -> None:
    status, answer = exchange(production, chunked_post(chunks))
    assert status == 400, answer
    assert json.loads(answer) == {"error": "bad request"}
    assert_no_error_lines(production)


def test_a_chunked_body_over_the_cap_gets_413(production: Production) -> None:
    part = b"a" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for _ in range(3)) + b"0\r\n\r\n"
    status, answer = exchange(production, chunked_post(chunks))
    assert (status, json.loads(answer)) == (413, {"error": "request entity too large"})
    assert_no_error_lines(production)


def test_a_declared_body_over_the_cap_gets_413_before_it_is_sent(production: Production) -> None:
    head = b"POST / HTTP/1.1\r\nHost: skill\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (
        MAX_BODY + 1
    )
    status, answer = exchange(production, head)
    assert (status, json.loads(answer)) == (413, {"error": "request entity too large"})
    assert_no_error_lines(production)


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "chunked"])
def test_a_signed_body_of_exactly_128_kib_is_answered(
    production: Production, signing: pki.SigningChain, chunked: bool
) -> None:
    body, headers = genuine(signing, size=MAX_BODY)
    if not chunked:
        status, answer = post(production, body, headers)
    else:
        signed = "".join(f"{name}: {value}\r\n" for name, value in headers.items() if name != "Content-Type")
        raw = chunked_post(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        status, answer = exchange(
            production, raw.replace(b"\r\n\r\n", b"\r\n" + signed.encode() + b"\r\n", 1)
        )
    assert status == 200, answer[:200]


def test_slow_clients_do_not_hold_up_genuine_requests(
    production: Production, signing: pki.SigningChain
) -> None:
    """Four times as many clients as gunicorn has threads, each stalled part-way through its headers or
    its body: genuine requests are still answered (nginx holds the stalled ones; bare gunicorn would
    give each a thread until it timed out, and answer nobody else).

    No check that the stalled clients got no answer: checked right after the genuine requests, well
    inside nginx's 10 s client timeouts, it held for bare gunicorn too, so it proved nothing; checking
    after the timeouts would make this a timed test."""
    stalled = []
    try:
        for index in range(SLOW_CLIENTS):
            conn = socket.create_connection(("127.0.0.1", production.port), timeout=10)
            if index % 2:
                conn.sendall(b"POST / HTTP/1.1\r\nHost: skill\r\nContent-Type: appl")
            else:
                conn.sendall(b'POST / HTTP/1.1\r\nHost: skill\r\nContent-Length: 5000\r\n\r\n{"version"')
            stalled.append(conn)
        for _ in range(5):
            body, headers = genuine(signing)
            status, answer = post(production, body, headers)
            assert status == 200, answer
    finally:
        for conn in stalled:
            conn.close()


def _self_signed_tls(folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "tls.pem", folder / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_tls_terminates_at_nginx(tmp_path: Path, signing: pki.SigningChain) -> None:
    cert, key = _self_signed_tls(tmp_path)
    env = bench_env(tmp_path, signing)
    args = ["--tls-cert", str(cert), "--tls-key", str(key)]
    with running_production(env, app="bench_wsgi:app", args=args, scheme="https") as running:
        context = ssl.create_default_context(cafile=str(cert))
        conn = http.client.HTTPSConnection("127.0.0.1", running.port, timeout=10, context=context)
        body, headers = genuine(signing)
        conn.request("POST", "/", body=body, headers=headers)
        reply = conn.getresponse()
        assert reply.status == 200
        assert conn.sock.version() in ("TLSv1.2", "TLSv1.3")
        conn.close()
        assert_no_error_lines(running)


# --- nginx refuses what gunicorn would, first and in JSON ------------------------------------------------

GUNICORN_REFUSAL = re.compile(r"Invalid request from|Request Header Fields Too Large|Request-URI Too Large")


def assert_gunicorn_refused_nothing(production: Production) -> None:
    logs = production.logs()
    assert not GUNICORN_REFUSAL.search(logs), logs[-3000:]


def test_a_2_kb_uri_gets_a_json_414_from_nginx(production: Production) -> None:
    raw = b"GET /" + b"a" * 2048 + b" HTTP/1.1\r\nHost: skill\r\nConnection: close\r\n\r\n"
    status, answer = exchange(production, raw)
    assert (status, json.loads(answer)) == (414, {"error": "request-uri too long"})
    assert_gunicorn_refused_nothing(production)


def test_60_headers_get_a_json_400_from_nginx(production: Production) -> None:
    headers = b"".join(b"X-Filler-%02d: %s\r\n" % (index, b"v" * 80) for index in range(60))
    raw = b"GET /healthz HTTP/1.1\r\nHost: skill\r\nConnection: close\r\n" + headers + b"\r\n"
    status, answer = exchange(production, raw)
    assert (status, json.loads(answer)) == (400, {"error": "request header too large"})
    assert_gunicorn_refused_nothing(production)


def test_a_header_line_over_1_kib_gets_a_json_400_from_nginx(production: Production) -> None:
    raw = b"GET /healthz HTTP/1.1\r\nHost: skill\r\nX-Long: " + b"v" * 1100 + b"\r\nConnection: close\r\n\r\n"
    status, answer = exchange(production, raw)
    assert (status, json.loads(answer)) == (400, {"error": "request header too large"})
    assert_gunicorn_refused_nothing(production)


def test_as_many_short_headers_as_nginx_passes_on_are_answered_by_the_app(production: Production) -> None:
    """nginx cannot count headers, only bound their size; gunicorn's count limit is above what fits."""
    raw = b"GET /healthz HTTP/1.1\r\nHost: skill\r\nConnection: close\r\n" + b"a:\r\n" * 700 + b"\r\n"
    status, answer = exchange(production, raw)
    assert (status, json.loads(answer)) == (200, {"status": "ok"})
    assert_gunicorn_refused_nothing(production)


def test_nginx_drops_idle_upstream_connections_before_gunicorn_does() -> None:
    """Otherwise gunicorn may close a kept-alive connection just as nginx sends a request on it: a 502."""
    import runpy

    gunicorn_keepalive = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["keepalive"]
    config = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    upstream = re.search(r"upstream skill \{\n(.*?)\n    \}", config, re.DOTALL)
    assert upstream is not None
    timeout = re.search(r"^\s*keepalive_timeout (\d+)s;", upstream.group(1), re.MULTILINE)
    assert timeout is not None, "nginx's default (60 s) outlives gunicorn's keepalive"
    assert int(timeout.group(1)) < gunicorn_keepalive
