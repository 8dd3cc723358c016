"""Certificate fetch faults against real servers on loopback: each is refused, and slow ones at the deadline.

The verifier's URL rules only allow https://s3.amazonaws.com/echo.api/..., so the fetcher under test
maps that path onto the local server and then runs the production download code (``fetch_url``)
with a short deadline. A slow server records whether it finished sending; a fetch that is refused
while the server is still sending was cut off by the deadline, not by the server giving up.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest

from skill.web.service import create_app
from skill.web.verification import RequestVerificationError, fetch_url
from skill.web.verification.fetching import AddressInfo
from tests import pki
from tests.helpers_server import http_server
from tests.pki import SKILL_ID, envelope, make_verifier, signed_headers

DEADLINE = 0.5
MAX_BYTES = 64 * 1024
SLOW = 2.0  # how long the slow endpoints stall: four deadlines
TRICKLE_SECONDS = 6.0  # how long the trickling endpoints would take to finish
TRICKLE_GAP = 0.05  # well under any per-read timeout, so only a whole-fetch deadline stops them


@dataclass
class Completions:
    """Which slow answers were sent to the end, by endpoint name."""

    events: dict[str, threading.Event] = field(default_factory=dict)

    def fresh(self, name: str) -> threading.Event:
        self.events[name] = threading.Event()
        return self.events[name]

    def done(self, name: str) -> None:
        if name in self.events:
            self.events[name].set()


COMPLETIONS = Completions()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        del format, args

    def _send(self, status: int, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def _trickle(self, data: bytes) -> None:
        for byte in data:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(TRICKLE_GAP)

    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        pem = pki.good_chain().pem
        try:
            if name == "good.pem":
                self._send(200, pem)
            elif name == "slow.pem":
                time.sleep(SLOW)
                self._send(200, pem)
            elif name == "drip.pem":
                # Headers at once, then the body a byte at a time: each read is quick, the total is not.
                self.send_response(200)
                self.send_header("Content-Length", str(len(pem)))
                self.end_headers()
                self._trickle(pem[: int(TRICKLE_SECONDS / TRICKLE_GAP)])
            elif name == "trickled-headers.pem":
                # The status line and headers a byte at a time (what held the old fetch for 45 s).
                padding = b"x" * int(TRICKLE_SECONDS / TRICKLE_GAP)
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                self._trickle(b"X-Padding: " + padding + b"\r\n")
                self.wfile.write(b"Content-Length: %d\r\n\r\n" % len(pem) + pem)
            elif name == "missing.pem":
                self._send(404, b"not found")
            elif name == "huge.pem":
                self._send(200, b"A" * (MAX_BYTES * 4))
            elif name == "huge-undeclared.pem":
                # No Content-Length: the size cap must hold while streaming, not just on the header.
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                for _ in range(16):
                    self.wfile.write(b"A" * 16384)
            elif name == "garbage.pem":
                self._send(
                    200, b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
                )
            elif name == "not-http.pem":
                self.wfile.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
                self.close_connection = True
            elif name == "redirect.pem":
                self.send_response(302)
                self.send_header("Location", "/echo.api/good.pem")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send(404, b"")
        except OSError:
            return  # the client gave up, as it should have
        COMPLETIONS.done(name)


@pytest.fixture(scope="module")
def local_base() -> Iterator[str]:
    with http_server(_Handler) as base:
        yield base


class LoopbackFetcher:
    """Sends the S3 path to the local server through the real download code."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.calls = 0

    def __call__(self, url: str) -> bytes:
        self.calls += 1
        return fetch_url(self.base + urlsplit(url).path, timeout=DEADLINE, max_bytes=MAX_BYTES)


def s3(name: str) -> str:
    return f"https://s3.amazonaws.com/echo.api/{name}"


def test_real_download_of_a_good_chain_verifies(local_base: str) -> None:
    body = envelope()
    make_verifier(LoopbackFetcher(local_base)).verify(signed_headers(body, url=s3("good.pem")), body)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing.pem", "HTTP 404"),
        ("huge.pem", "larger than allowed"),
        ("huge-undeclared.pem", "larger than allowed"),
        ("garbage.pem", "not valid PEM"),
        ("redirect.pem", "HTTP 302"),
        ("not-http.pem", "malformed HTTP answer"),
    ],
)
def test_fetch_fault_is_refused_then_good_requests_still_pass(
    local_base: str, name: str, reason: str
) -> None:
    verifier = make_verifier(LoopbackFetcher(local_base))
    body = envelope()
    with pytest.raises(RequestVerificationError) as refused:
        verifier.verify(signed_headers(body, url=s3(name)), body)
    assert reason in refused.value.reason
    verifier.verify(signed_headers(body, url=s3("good.pem")), body)


@pytest.mark.parametrize("name", ["slow.pem", "drip.pem", "trickled-headers.pem"])
def test_a_slow_server_is_cut_off_at_the_deadline_while_still_sending(local_base: str, name: str) -> None:
    """Headers late, a body a byte at a time, or headers a byte at a time: the one deadline ends them all."""
    completed = COMPLETIONS.fresh(name)
    verifier = make_verifier(LoopbackFetcher(local_base), fetch_deadline=DEADLINE)
    body = envelope()
    with pytest.raises(RequestVerificationError) as refused:
        verifier.verify(signed_headers(body, url=s3(name)), body)
    assert refused.value.reason == "certificate chain fetch timed out"
    assert not completed.is_set(), "the fetch waited for the whole slow answer"
    verifier.verify(signed_headers(body, url=s3("good.pem")), body)


@pytest.fixture
def trickling_tls_server() -> Iterator[tuple[int, threading.Event]]:
    """A TCP server whose TLS handshake answer arrives a byte at a time; yields (port, completed)."""
    listener = socket.create_server(("127.0.0.1", 0))
    completed = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            try:
                # A TLS record header announcing a 4 KiB handshake record, then its bytes, slowly.
                conn.sendall(b"\x16\x03\x03\x10\x00")
                for _ in range(int(TRICKLE_SECONDS / TRICKLE_GAP)):
                    conn.sendall(b"\x00")
                    time.sleep(TRICKLE_GAP)
            except OSError:
                return
            completed.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], completed
    finally:
        listener.close()


def test_a_tls_handshake_a_byte_at_a_time_is_cut_off_at_the_deadline(
    trickling_tls_server: tuple[int, threading.Event],
) -> None:
    port, completed = trickling_tls_server
    with pytest.raises(RequestVerificationError) as refused:
        fetch_url(f"https://127.0.0.1:{port}/echo.api/x.pem", timeout=DEADLINE)
    assert refused.value.reason == "certificate chain fetch timed out"
    assert not completed.is_set(), "the handshake was waited for to the end"


def test_a_name_lookup_that_hangs_is_abandoned_at_the_deadline() -> None:
    release = threading.Event()
    entered = threading.Event()

    def hanging_resolver(host: str, port: int) -> Sequence[AddressInfo]:
        entered.set()
        release.wait(30)
        return socket.getaddrinfo("127.0.0.1", 9, type=socket.SOCK_STREAM)

    try:
        with pytest.raises(RequestVerificationError) as refused:
            fetch_url("https://s3.amazonaws.com/echo.api/x.pem", timeout=DEADLINE, resolve=hanging_resolver)
        assert refused.value.reason == "certificate chain fetch timed out"
        assert entered.is_set() and not release.is_set()
    finally:
        release.set()


def test_unreachable_server_is_refused() -> None:
    # Port 9 on loopback (discard) is essentially never listening: connection refused at once.
    with pytest.raises(RequestVerificationError, match="fetch failed: ConnectionRefusedError"):
        fetch_url("http://127.0.0.1:9/echo.api/x.pem", timeout=DEADLINE)


def test_waiters_are_released_at_the_deadline_even_if_the_fetch_is_stuck() -> None:
    """A fetcher that ignores its deadline (a bug, say) holds its own request, never the others."""
    release = threading.Event()
    fetching = threading.Event()

    def stuck(url: str) -> bytes:
        fetching.set()
        release.wait(30)
        return pki.good_chain().pem

    verifier = make_verifier(stuck, fetch_deadline=0.2)
    body = envelope()
    headers = signed_headers(body)
    owner = threading.Thread(target=lambda: verifier.verify(headers, body), daemon=True)
    owner.start()
    try:
        assert fetching.wait(5)
        with pytest.raises(RequestVerificationError) as refused:
            verifier.verify(headers, body)
        assert refused.value.reason == "certificate chain fetch timed out"
        assert owner.is_alive() and not release.is_set()
    finally:
        release.set()
        owner.join(5)


@pytest.mark.parametrize("name", ["slow.pem", "missing.pem", "huge.pem", "garbage.pem"])
def test_web_app_refuses_a_faulty_fetch_then_keeps_serving(local_base: str, name: str) -> None:
    client = create_app(skill_id=SKILL_ID, verifier=make_verifier(LoopbackFetcher(local_base))).test_client()
    body = envelope()

    refused = client.post("/", data=body, headers=signed_headers(body, url=s3(name)))
    assert refused.status_code == 400
    assert refused.get_json() == {"error": "request verification failed"}

    served = client.post("/", data=body, headers=signed_headers(body, url=s3("good.pem")))
    assert served.status_code == 200
    assert served.get_json()["version"] == "1.0"
