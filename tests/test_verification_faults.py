"""Certificate fetch faults against a real HTTP server on loopback: each is refused in bounded time.

The verifier's URL rules only allow https://s3.amazonaws.com/echo.api/..., so the fetcher under test
maps that path onto the local server and then runs the production download code (``fetch_url``)
with a short timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from skill.web.service import create_app
from skill.web.verification import RequestVerificationError, fetch_url
from tests import pki
from tests.pki import SKILL_ID, envelope, make_verifier, signed_headers

TIMEOUT = 0.5
MAX_BYTES = 64 * 1024
BOUND = 3.0  # seconds a refusal may take, far above TIMEOUT but far below "hung"
SLOW = 2.0  # how long the slow endpoints stall; bounded so the test server always winds down


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        del format, args

    def _send(self, status: int, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path
        if path.endswith("/good.pem"):
            self._send(200, pki.good_chain().pem)
        elif path.endswith("/slow.pem"):
            time.sleep(SLOW)
            self._send(200, pki.good_chain().pem)
        elif path.endswith("/drip.pem"):
            # Headers at once, then a byte at a time: each read is quick but the total is not.
            pem = pki.good_chain().pem
            self.send_response(200)
            self.send_header("Content-Length", str(len(pem)))
            self.end_headers()
            deadline = time.monotonic() + SLOW
            for byte in pem:
                if time.monotonic() > deadline:
                    break
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.1)
        elif path.endswith("/missing.pem"):
            self._send(404, b"not found")
        elif path.endswith("/huge.pem"):
            self._send(200, b"A" * (MAX_BYTES * 4))
        elif path.endswith("/huge-undeclared.pem"):
            # No Content-Length: the size cap must hold while streaming, not just on the header.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for _ in range(16):
                self.wfile.write(b"A" * 16384)
        elif path.endswith("/garbage.pem"):
            self._send(200, b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
        elif path.endswith("/redirect.pem"):
            self.send_response(302)
            self.send_header("Location", "/echo.api/good.pem")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, b"")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@pytest.fixture(scope="module")
def local_base() -> Iterator[str]:
    server = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class LoopbackFetcher:
    """Sends the S3 path to the local server through the real download code."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.calls = 0

    def __call__(self, url: str) -> bytes:
        self.calls += 1
        return fetch_url(self.base + urlsplit(url).path, timeout=TIMEOUT, max_bytes=MAX_BYTES)


def s3(name: str) -> str:
    return f"https://s3.amazonaws.com/echo.api/{name}"


def test_real_download_of_a_good_chain_verifies(local_base: str) -> None:
    body = envelope()
    make_verifier(LoopbackFetcher(local_base)).verify(signed_headers(body, url=s3("good.pem")), body)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("slow.pem", "timed out"),
        ("drip.pem", "took too long"),
        ("missing.pem", "HTTP 404"),
        ("huge.pem", "larger than allowed"),
        ("huge-undeclared.pem", "larger than allowed"),
        ("garbage.pem", "not valid PEM"),
        ("redirect.pem", "HTTP 302"),
    ],
)
def test_fetch_fault_is_refused_in_bounded_time_then_good_requests_still_pass(
    local_base: str, name: str, reason: str
) -> None:
    verifier = make_verifier(LoopbackFetcher(local_base))
    body = envelope()

    began = time.monotonic()
    with pytest.raises(RequestVerificationError) as refused:
        verifier.verify(signed_headers(body, url=s3(name)), body)
    elapsed = time.monotonic() - began

    assert reason in refused.value.reason
    assert elapsed < BOUND
    verifier.verify(signed_headers(body, url=s3("good.pem")), body)


def test_unreachable_server_is_refused_quickly() -> None:
    # Port 9 on loopback (discard) is essentially never listening: connection refused at once.
    began = time.monotonic()
    with pytest.raises(RequestVerificationError, match="fetch failed"):
        fetch_url("http://127.0.0.1:9/echo.api/x.pem", timeout=TIMEOUT)
    assert time.monotonic() - began < BOUND


@pytest.mark.parametrize("name", ["slow.pem", "missing.pem", "huge.pem", "garbage.pem"])
def test_web_app_refuses_a_faulty_fetch_then_keeps_serving(local_base: str, name: str) -> None:
    client = create_app(skill_id=SKILL_ID, verifier=make_verifier(LoopbackFetcher(local_base))).test_client()
    body = envelope()

    began = time.monotonic()
    refused = client.post("/", data=body, headers=signed_headers(body, url=s3(name)))
    assert time.monotonic() - began < BOUND
    assert refused.status_code == 400
    assert refused.get_json() == {"error": "request verification failed"}

    served = client.post("/", data=body, headers=signed_headers(body, url=s3("good.pem")))
    assert served.status_code == 200
    assert served.get_json()["version"] == "1.0"
