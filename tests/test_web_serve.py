"""How the web service is started: ``serve()`` for the CLI, ``skill.web.wsgi`` and gunicorn for production."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import urllib.error
import urllib.request

import pytest
from flask import Flask

from benchmarks.bench_server import gunicorn
from skill.web.serve import UnsafeServeError, check_serve_options, is_loopback, serve
from skill.web.wsgi import build_app
from tests.pki import OTHER_SKILL_ID, SKILL_ID, envelope


class Captured:
    """Stands in for Flask's server: records what would have been served."""

    def __init__(self) -> None:
        self.calls: list[tuple[Flask, str, int]] = []

    def __call__(self, app: Flask, host: str, port: int) -> None:
        self.calls.append((app, host, port))


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]", "localhost", "LOCALHOST"]
)
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.com", "localhost.evil", ""]
)
def test_non_loopback_hosts(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_no_verify_is_refused_off_loopback(host: str) -> None:
    runner = Captured()
    with pytest.raises(UnsafeServeError, match="loopback") as refused:
        serve(host, 8000, None, False, run=runner)
    assert isinstance(refused.value, ValueError)
    assert runner.calls == []


def test_verify_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match=r"^verify must be True or False$"):
        check_serve_options("127.0.0.1", 0)  # type: ignore[arg-type]


def test_no_verify_on_loopback_serves_unsigned_requests_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = Captured()
    serve("127.0.0.1", 8123, None, False, run=runner)
    assert any(
        r.levelname == "WARNING" and "WITHOUT request verification" in r.getMessage() for r in caplog.records
    )
    [(app, host, port)] = runner.calls
    assert (host, port) == ("127.0.0.1", 8123)
    response = app.test_client().post("/", data=envelope())
    assert response.status_code == 200


def test_verify_on_without_skill_id_warns_and_refuses_unsigned(caplog: pytest.LogCaptureFixture) -> None:
    runner = Captured()
    serve("0.0.0.0", 8000, None, True, run=runner)
    assert "application ID is not checked" in caplog.text
    [(app, _, _)] = runner.calls
    assert app.test_client().post("/", data=envelope()).status_code == 400


def test_serve_passes_the_skill_id_on(caplog: pytest.LogCaptureFixture) -> None:
    runner = Captured()
    serve("127.0.0.1", 8000, SKILL_ID, False, run=runner)
    [(app, _, _)] = runner.calls
    client = app.test_client()
    assert client.post("/", data=envelope()).status_code == 200
    assert client.post("/", data=envelope(app_id=OTHER_SKILL_ID)).status_code == 400


def test_wsgi_app_verifies_and_reads_the_skill_id_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    client = build_app().test_client()
    assert client.post("/", data=envelope()).status_code == 400  # unsigned
    body = envelope(app_id=OTHER_SKILL_ID, timestamp=dt.datetime.now(dt.UTC))
    # Well-formed headers, so the refusal comes from the application ID rule (no network needed).
    headers = {
        "SignatureCertChainUrl": "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
        "Signature-256": "AAAA",
    }
    assert client.post("/", data=body, headers=headers).status_code == 400
    assert "application ID is not this skill's" in caplog.text


def test_gunicorn_starts_with_the_repo_config_and_serves() -> None:
    with tempfile.TemporaryFile() as log:
        with gunicorn({"ALEXA_SKILL_ID": SKILL_ID}, app="skill.web.wsgi:app", log=log) as (port, _):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                assert json.loads(answer.read()) == {"status": "ok"}
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", data=envelope(), method="POST")
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=5)
            assert refused.value.code == 400  # unsigned: skill.web.wsgi verifies requests
        log.seek(0)
        stderr = log.read()
    assert b"Traceback" not in stderr
