"""The web service's `GET /metrics` (skill/web/metrics.py): who may read it, what it counts (the skill's
usage, each Alexa request's outcome by reason class, latency), and that gunicorn's workers add up."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from skill.runtime import usage
from skill.tools import envelopes
from skill.web import metrics
from skill.web.service import create_app
from skill.web.verification import KINDS, FetchBudget, RequestVerificationError, fetch_url
from tests import pki
from tests.metrics_text import samples

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "a-long-enough-metrics-token-0123456789"


def value(page: str, name: str, **labels: str) -> float:
    return samples(page).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(autouse=True)
def no_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(metrics.TOKEN_ENV, raising=False)
    monkeypatch.delenv(usage.USAGE_ENV, raising=False)
    previous = usage.set_sink(None)
    yield
    usage.set_sink(previous)


@pytest.fixture
def app() -> Flask:
    return create_app(skill_id=pki.SKILL_ID, verifier=pki.make_verifier(pki.CountingFetcher()))


def scrape(client: FlaskClient, **environ: Any) -> Any:
    return client.get("/metrics", environ_base=environ, headers=environ.pop("headers", {}))


# --- who may read it --------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1", ""])
def test_loopback_clients_read_the_figures_without_any_alexa_signature(app: Flask, address: str) -> None:
    """ "" is what gunicorn gives as the address of a peer on its unix socket (deploy/production.py)."""
    reply = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert reply.status_code == 200
    assert reply.mimetype == "text/plain"
    assert reply.headers["Content-Type"].count("charset") == 1  # a scraper may reject a doubled parameter
    assert "# TYPE tpi_skill_answers_total counter" in reply.get_data(as_text=True)


@pytest.mark.parametrize(
    "address", ["10.0.0.7", "192.168.1.20", "2001:db8::1", "::ffff:10.0.0.7", "not-an-address"]
)
def test_other_clients_are_refused_without_a_token(app: Flask, address: str) -> None:
    reply = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert reply.status_code == 403
    assert "tpi_" not in reply.get_data(as_text=True)


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Forwarded", "X-Real-IP"])
def test_a_request_a_local_proxy_forwarded_is_not_a_local_one(app: Flask, header: str) -> None:
    reply = app.test_client().get("/metrics", headers={header: "203.0.113.9"})
    assert reply.status_code == 403


def test_with_a_token_it_answers_whoever_presents_it_and_nobody_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(metrics.TOKEN_ENV, TOKEN)
    client = create_app(verify=False).test_client()
    remote = {"REMOTE_ADDR": "198.51.100.4"}
    good = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", environ_base=remote, headers=good).status_code == 200
    assert client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200
    for headers in (
        {},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer ñ"},
    ):
        reply = client.get("/metrics", headers=headers)  # from loopback too: the token is the rule now
        assert reply.status_code == 401, headers
        assert reply.headers["WWW-Authenticate"] == "Bearer"
        assert "tpi_" not in reply.get_data(as_text=True)


def test_the_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return real(given, expected)

    monkeypatch.setenv(metrics.TOKEN_ENV, TOKEN)
    monkeypatch.setattr(metrics.hmac, "compare_digest", spy)
    client = create_app(verify=False).test_client()
    client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert compared == [(b"guess", TOKEN.encode())]


def test_a_guessable_token_stops_the_service_from_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(metrics.TOKEN_ENV, "short")
    with pytest.raises(ValueError, match="at least 16"):
        create_app(verify=False)


def test_metrics_switched_off_means_no_route_and_no_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(usage.USAGE_ENV, "off")
    client = create_app(verify=False).test_client()
    assert client.get("/metrics").status_code == 404
    assert usage.current_sink() is None


def test_only_get_reads_the_figures(app: Flask) -> None:
    assert app.test_client().post("/metrics", data=b"{}").status_code == 405


# --- what it counts -----------------------------------------------------------------------------------


def post(client: FlaskClient, body: bytes, headers: dict[str, str] | None = None) -> int:
    return client.post("/", data=body, headers=headers or {}, content_type="application/json").status_code


def test_each_alexa_request_is_counted_by_its_outcome_and_reason_class(app: Flask) -> None:
    client = app.test_client()
    good = pki.envelope()
    assert post(client, good, pki.signed_headers(good)) == 200
    assert post(client, good) == 400  # unsigned
    assert post(client, good.replace(b'"en-US"', b'"en-GB"'), pki.signed_headers(good)) == 400
    stale = pki.envelope(timestamp=pki.NOW - dt.timedelta(minutes=10))
    assert post(client, stale, pki.signed_headers(stale)) == 400
    other = pki.envelope(app_id=pki.OTHER_SKILL_ID)
    assert post(client, other, pki.signed_headers(other)) == 400
    assert post(client, good, pki.signed_headers(good, url="http://s3.amazonaws.com/echo.api/x.pem")) == 400
    assert post(client, b"{not json") == 400
    assert post(client, b"x" * (200 * 1024)) == 413
    page = scrape(client).get_data(as_text=True)
    name = "tpi_web_alexa_requests_total"
    assert value(page, name, result="accepted", reason="none") == 1
    assert value(page, name, result="refused", reason="headers") == 1
    assert value(page, name, result="refused", reason="signature") == 1
    assert value(page, name, result="refused", reason="timestamp") == 1
    assert value(page, name, result="refused", reason="application_id") == 1
    assert value(page, name, result="refused", reason="cert_url") == 1
    assert value(page, name, result="bad_request", reason="none") == 1
    assert value(page, name, result="too_large", reason="none") == 1
    # The skill's own figures: only the accepted request reached it.
    assert value(page, "tpi_skill_answers_total", answer="welcome") == 1
    assert value(page, "tpi_skill_requests_total", request="launch", locale="en-US") == 1


def _real_fetch(url: str) -> bytes:
    """The production fetcher, pointed at a port nobody listens on."""
    return fetch_url("http://127.0.0.1:9/x.pem", timeout=2)


_GOOD = pki.envelope()
_SPENT = FetchBudget(per_second=0.001, burst=0)
_STALE = pki.envelope(timestamp=pki.NOW - dt.timedelta(minutes=10))
_OTHER = pki.envelope(app_id=pki.OTHER_SKILL_ID)
_EXPIRED = pki.expired_chain()
_WEAK = pki.weak_key_chain()
_REFUSALS: list[tuple[str, bytes, dict[str, str], dict[str, Any], str]] = [
    # (what is wrong, body, headers, make_verifier arguments, kind)
    ("no chain URL header", _GOOD, {"Signature-256": "AA=="}, {}, "headers"),
    ("signature not base64", _GOOD, {**pki.signed_headers(_GOOD), "Signature-256": "%%"}, {}, "headers"),
    ("signature mismatch", _GOOD.replace(b"en-US", b"en-GB"), pki.signed_headers(_GOOD), {}, "signature"),
    ("stale", _STALE, pki.signed_headers(_STALE), {}, "timestamp"),
    ("other skill", _OTHER, pki.signed_headers(_OTHER), {}, "application_id"),
    (
        "http URL",
        _GOOD,
        pki.signed_headers(_GOOD, url="http://s3.amazonaws.com/echo.api/x.pem"),
        {},
        "cert_url",
    ),
    ("fetch fails", _GOOD, pki.signed_headers(_GOOD), {"fetcher": pki.CountingFetcher({})}, "cert_fetch"),
    ("budget spent", _GOOD, pki.signed_headers(_GOOD), {"budget": _SPENT}, "cert_fetch"),
    ("real fetch refused", _GOOD, pki.signed_headers(_GOOD), {"fetcher": _real_fetch}, "cert_fetch"),
    (
        "expired chain",
        _GOOD,
        pki.signed_headers(_GOOD, _EXPIRED),
        {"fetcher": pki.CountingFetcher({pki.CHAIN_URL: _EXPIRED.pem})},
        "cert_chain",
    ),
    (
        "weak key",
        _GOOD,
        pki.signed_headers(_GOOD, _WEAK),
        {"fetcher": pki.CountingFetcher({pki.CHAIN_URL: _WEAK.pem})},
        "cert_chain",
    ),
    ("not JSON", b"{not json", pki.signed_headers(b"{not json"), {}, "body"),
]


@pytest.mark.parametrize(
    ("body", "headers", "verifier", "kind"),
    [entry[1:] for entry in _REFUSALS],
    ids=[entry[0] for entry in _REFUSALS],
)
def test_each_refusal_is_counted_in_its_class(
    body: bytes, headers: dict[str, str], verifier: dict[str, Any], kind: str
) -> None:
    """The class comes from the rule that refused (``kind``), not from words in the message, and the
    same request sent to the app moves that class's counter on /metrics and no other."""
    with pytest.raises(RequestVerificationError) as refused:
        pki.make_verifier(**verifier).verify(headers, body)
    assert refused.value.kind == kind

    client = create_app(skill_id=pki.SKILL_ID, verifier=pki.make_verifier(**verifier)).test_client()
    assert client.post("/", data=body, headers=headers, content_type="application/json").status_code == 400
    counted = {
        labels: count
        for (name, labels), count in samples(scrape(client).get_data(as_text=True)).items()
        if name == "tpi_web_alexa_requests_total" and count
    }
    # The app reads the body before verifying it: one that is not JSON is a bad request, not a refusal.
    expected = ("bad_request", "none") if kind == "body" else ("refused", kind)
    assert counted == {(("reason", expected[1]), ("result", expected[0])): 1.0}


def test_a_kind_outside_the_closed_set_is_counted_as_other() -> None:
    assert {name for name, _ in metrics.REASON_CLASSES} | {"other"} == set(KINDS)
    assert metrics.reason_class("certificate chain fetch timed out") == "other"  # a message is not a class


def test_every_request_is_timed_by_route_and_status_class_never_by_path(app: Flask) -> None:
    client = app.test_client()
    for _ in range(3):
        body = pki.envelope()
        post(client, body, pki.signed_headers(body))
    client.get("/healthz")
    client.get("/wp-admin/secret-path")
    page = scrape(client).get_data(as_text=True)
    count = "tpi_web_request_duration_seconds_count"
    assert value(page, count, route="alexa", status="2xx") == 3
    assert value(page, count, route="healthz", status="2xx") == 1
    assert value(page, count, route="other", status="4xx") == 1
    assert "wp-admin" not in page
    assert value(page, "tpi_web_request_duration_seconds_sum", route="alexa", status="2xx") > 0
    assert "_created" not in page  # a series' creation time would date its first request


def test_the_skills_usage_is_counted_once_per_answered_request() -> None:
    client = create_app(verify=False).test_client()
    session = envelopes.Session()
    for request in (
        envelopes.launch(),
        envelopes.intent("CostIntent"),
        envelopes.intent("AMAZON.FallbackIntent"),
    ):
        reply = client.post(
            "/",
            data=json.dumps(envelopes.envelope(request, session=session)),
            content_type="application/json",
        )
        session.new, session.attributes = False, reply.get_json()["sessionAttributes"]
    page = scrape(client).get_data(as_text=True)
    assert value(page, "tpi_skill_answers_total", answer="not_covered:cost") == 1
    assert value(page, "tpi_skill_answers_total", answer="fallback") == 1
    assert value(page, "tpi_skill_intents_total", intent="AMAZON.FallbackIntent") == 1
    assert value(page, "tpi_skill_requests_total", request="intent", locale="en-US") == 2


# --- gunicorn's workers add up ------------------------------------------------------------------------


WORKER = textwrap.dedent(
    """
    import json, sys
    from skill.tools import envelopes
    from skill.web.service import create_app

    client = create_app(verify=False).test_client()
    for _ in range(int(sys.argv[1])):
        body = envelopes.envelope(envelopes.intent("TreatedMusclesIntent"), session=envelopes.Session())
        assert client.post("/", data=json.dumps(body), content_type="application/json").status_code == 200
    if len(sys.argv) > 2:
        sys.stdout.write(client.get("/metrics").get_data(as_text=True))
    """
)


def run_worker(directory: Path, *args: str) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory), "PYTHONPATH": str(ROOT)}
    env.pop(usage.USAGE_ENV, None)
    done = subprocess.run(
        [sys.executable, "-c", WORKER, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_in_multiprocess_mode_every_process_counts_into_one_page(tmp_path: Path) -> None:
    run_worker(tmp_path, "3")
    run_worker(tmp_path, "4")
    page = run_worker(tmp_path, "5", "scrape")  # a third process answers the scrape
    assert value(page, "tpi_skill_answers_total", answer="topic:muscles") == 12
    assert value(page, "tpi_web_alexa_requests_total", result="accepted", reason="none") == 12
    assert value(page, "tpi_web_request_duration_seconds_count", route="alexa", status="2xx") == 12
    assert len(list(tmp_path.glob("counter_*.db"))) == 3


def _get(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
        text: str = reply.read().decode()
        return text


def test_gunicorns_workers_add_up_even_after_a_worker_is_replaced(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_pki
    import bench_server

    chain = bench_pki.mint()
    root_pem, chain_pem = chain.write(tmp_path)
    counts = tmp_path / "counts"
    counts.mkdir()
    env = {
        "WEB_CONCURRENCY": "2",
        "BENCH_ROOT_PEM": str(root_pem),
        "BENCH_CHAIN_PEM": str(chain_pem),
        "BENCH_SKILL_ID": envelopes.LOCAL_SKILL_ID,
        "PROMETHEUS_MULTIPROC_DIR": str(counts),
    }

    def ask(port: int, times: int) -> None:
        for _ in range(times):
            body = json.dumps(
                envelopes.envelope(envelopes.intent("BenefitsIntent"), session=envelopes.Session())
            ).encode()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/", data=body, headers=chain.headers(body)
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                assert reply.status == 200

    with tempfile.TemporaryFile() as log, bench_server.gunicorn(env, log=log) as (port, master):
        ask(port, 10)
        deadline = time.monotonic() + 20
        while len(first := set(bench_server.worker_stats(master))) < 2:  # the health check needs only one
            assert time.monotonic() < deadline, "gunicorn did not start its second worker"
            time.sleep(0.1)
        os.kill(min(first), 15)  # a worker replaced, as after a crash or max_requests
        deadline = time.monotonic() + 20
        while (
            set(bench_server.worker_stats(master)) & first == first
            or len(bench_server.worker_stats(master)) < 2
        ):
            assert time.monotonic() < deadline, "gunicorn did not replace the worker"
            time.sleep(0.1)
        ask(port, 10)
        pages = [_get(port, "/metrics") for _ in range(6)]  # whichever worker answers
        log.seek(0)
        assert b"Traceback" not in log.read()  # the child_exit hook ran without error
    for page in pages:
        assert value(page, "tpi_skill_answers_total", answer="topic:benefits") == 20
        assert value(page, "tpi_web_alexa_requests_total", result="accepted", reason="none") == 20
    pids = {path.stem.rsplit("_", 1)[1] for path in counts.glob("counter_*.db")}
    assert len(pids) >= 2  # counts from more than one process, the replaced one's kept


def test_gunicorn_makes_its_own_counts_directory_and_removes_it_at_exit() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_server

    temp = Path(tempfile.gettempdir())
    with bench_server.gunicorn({"BENCH_VERIFY": "0", "WEB_CONCURRENCY": "1"}) as (port, master):
        assert "tpi_web_request_duration_seconds" in _get(port, "/metrics")
        (worker,) = bench_server.worker_stats(master)
        (directory,) = [path.parent for path in temp.glob(f"tpi-metrics-*/histogram_{worker}.db")]
    assert not directory.exists()
