"""Malformed and oversized chunked bodies straight at the app's own servers, with no nginx in front.

nginx refuses these itself (tests/test_hardening_nginx.py), but gunicorn may be exposed by mistake and
``tpi-skill serve`` runs werkzeug's server: each must answer 400 or 413 too, never 500, and log no
ERROR line (anyone can send these, so an ERROR would be an alert anyone can raise).
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import tempfile
from collections.abc import Iterator
from typing import IO

import pytest

from benchmarks.bench_server import gunicorn
from tests import pki
from tests.helpers_server import read_shared_file, running_skill

MAX_BODY = 128 * 1024
ERROR_LINE = re.compile(r"\[ERROR\]|^ERROR |^CRITICAL |Traceback", re.MULTILINE)
HEAD = b"POST / HTTP/1.1\r\nHost: skill\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"

MALFORMED = {
    "size-zz": b"zz\r\n{}\r\n0\r\n\r\n",
    "missing-crlf": b"2\r\n{}X0\r\n\r\n",
    "negative-size": b"-2\r\n{}\r\n0\r\n\r\n",
    "bad-extension": b"2;\x01\r\n{}\r\n0\r\n\r\n",
}


def exchange(port: int, raw: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(raw)
        reply = http.client.HTTPResponse(conn)
        reply.begin()
        return reply.status, reply.read()


def chunks_of(body: bytes, size: int = 65536) -> bytes:
    parts = [body[start : start + size] for start in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def launch_of(size: int) -> bytes:
    head, tail = b'{"version": "1.0", "request": {"type": "LaunchRequest", "x": "', b'"}}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


Gunicorn = tuple[int, IO[bytes]]


@pytest.fixture(scope="module")
def bare_gunicorn() -> Iterator[Gunicorn]:
    """``gunicorn -c gunicorn.conf.py skill.web.wsgi:app`` alone, logging at info so an ERROR would show."""
    with tempfile.TemporaryFile() as log:
        env = {"ALEXA_SKILL_ID": pki.SKILL_ID, "LOG_LEVEL": "info"}
        with gunicorn(env, app="skill.web.wsgi:app", log=log) as (port, _):
            yield port, log


@pytest.fixture(scope="module")
def dev_server() -> Iterator[int]:
    """werkzeug's server, as ``tpi-skill serve`` runs it; yields its port."""
    with running_skill() as url:
        yield int(url.rsplit(":", 1)[1].strip("/"))


@pytest.mark.parametrize("keep_alive", [False, True], ids=["close", "keep-alive"])
@pytest.mark.parametrize("name", list(MALFORMED))
def test_bare_gunicorn_answers_malformed_chunked_bodies_400(
    bare_gunicorn: Gunicorn, name: str, keep_alive: bool
) -> None:
    port, log = bare_gunicorn
    raw = HEAD + (b"\r\n" if keep_alive else b"Connection: close\r\n\r\n") + MALFORMED[name]
    status, answer = exchange(port, raw)
    assert status == 400, answer
    text = read_shared_file(log)
    assert not ERROR_LINE.search(text), text[-2000:]


def test_bare_gunicorn_answers_a_chunked_body_over_the_cap_413(
    bare_gunicorn: Gunicorn,
) -> None:
    port, log = bare_gunicorn
    status, answer = exchange(port, HEAD + b"\r\n" + chunks_of(launch_of(MAX_BODY + 1)))
    assert (status, json.loads(answer)) == (413, {"error": "request entity too large"})
    assert not ERROR_LINE.search(read_shared_file(log))


def test_bare_gunicorn_reads_a_chunked_body_of_exactly_the_cap(
    bare_gunicorn: Gunicorn,
) -> None:
    port, _ = bare_gunicorn
    status, answer = exchange(port, HEAD + b"\r\n" + chunks_of(launch_of(MAX_BODY)))
    # Read whole and refused only because it is unsigned: not cut short, not too large.
    assert (status, json.loads(answer)) == (400, {"error": "request verification failed"})


@pytest.mark.parametrize("name", list(MALFORMED))
def test_the_development_server_answers_malformed_chunked_bodies_400(
    dev_server: int, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status, answer = exchange(dev_server, HEAD + b"Connection: close\r\n\r\n" + MALFORMED[name])
    # werkzeug ignores chunk extensions, so "{}" arrives and is no envelope; the others cannot be read.
    assert status == 400, answer
    assert set(json.loads(answer)) == {"error"}
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize(("size", "status"), [(MAX_BODY + 1, 413), (4 * MAX_BODY, 413), (MAX_BODY, 200)])
def test_the_development_server_caps_chunked_bodies(dev_server: int, size: int, status: int) -> None:
    answered, answer = exchange(dev_server, HEAD + b"Connection: close\r\n\r\n" + chunks_of(launch_of(size)))
    assert answered == status, answer[:200]
