"""The usage figures in the documented production setup (``deploy/production.py``): a clinic's cron job on
the same machine reads them from nginx's loopback metrics listener, the public listener still refuses
them without the token, and the workers' counts never outlive the launcher, even when gunicorn is killed.

The app is ``benchmarks/bench_wsgi.py`` (the production ``create_app`` with verification on, trusting
the test CA), so the figures come from genuine signed requests sent through the public listener.
"""

from __future__ import annotations

import datetime as dt
import http.client
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from skill.tools.cli import main
from tests import pki
from tests.helpers_server import ROOT, Production, running_production
from tests.metrics_text import Samples, samples
from tests.test_hardening_nginx import bench_env, genuine, post
from tests.test_insights import table

ACCEPTED = ("tpi_web_alexa_requests_total", (("reason", "none"), ("result", "accepted")))
LAUNCHES = ("tpi_skill_requests_total", (("locale", "en-US"), ("request", "launch")))


@pytest.fixture(scope="module")
def signing() -> pki.SigningChain:
    return pki.chain_valid_around(dt.datetime.now(dt.UTC))


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory, signing: pki.SigningChain) -> Iterator[Production]:
    env = bench_env(tmp_path_factory.mktemp("metrics"), signing)
    with running_production(env, app="bench_wsgi:app") as running:
        yield running


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        reply = conn.getresponse()
        return reply.status, reply.getheader("Content-Type", ""), reply.read()
    finally:
        conn.close()


def scrape(production: Production) -> Samples:
    status, kind, page = get(production.metrics_port, "/metrics")
    assert status == 200, page
    assert kind.startswith("text/plain; version="), kind  # Prometheus text format
    return samples(page)


def test_the_metrics_listener_serves_the_figures_of_a_request_sent_through_the_public_listener(
    production: Production, signing: pki.SigningChain
) -> None:
    before = scrape(production)
    body, headers = genuine(signing)
    status, answer = post(production, body, headers)
    assert status == 200, answer
    after = scrape(production)
    for key in (ACCEPTED, LAUNCHES):
        assert after[key] == before.get(key, 0.0) + 1, key


def test_the_public_listener_still_refuses_the_figures_without_the_token(production: Production) -> None:
    status, _, answer = get(production.port, "/metrics")
    assert status == 403, answer
    assert b"tpi_" not in answer


def test_a_forwarding_header_sent_to_the_metrics_listener_is_refused(production: Production) -> None:
    """A proxy on this machine pointed at the listener by mistake would pass the world's requests on."""
    status, _, answer = get(production.metrics_port, "/metrics", {"X-Forwarded-For": "203.0.113.9"})
    assert status == 403, answer


@pytest.mark.parametrize("path", ["/", "/healthz", "/metrics/", "/metricsx", "/static/../metrics/x"])
def test_nothing_but_metrics_is_served_on_the_metrics_listener(production: Production, path: str) -> None:
    status, kind, answer = get(production.metrics_port, path)
    assert (status, kind, json.loads(answer)) == (404, "application/json", {"error": "not found"})


def test_an_alexa_request_to_the_metrics_listener_is_not_answered(
    production: Production, signing: pki.SigningChain
) -> None:
    body, headers = genuine(signing)
    conn = http.client.HTTPConnection("127.0.0.1", production.metrics_port, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        reply = conn.getresponse()
        assert (reply.status, json.loads(reply.read())) == (404, {"error": "not found"})
    finally:
        conn.close()


def test_the_insights_command_reads_the_metrics_listener(
    production: Production, signing: pki.SigningChain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the README's cron line does, in process: `tpi-skill insights http://127.0.0.1:9464/metrics`."""
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    body, headers = genuine(signing)
    assert post(production, body, headers)[0] == 200
    out = tmp_path / "report.html"
    url = f"http://127.0.0.1:{production.metrics_port}/metrics"
    assert main(["insights", url, "--history", str(tmp_path / "history.jsonl"), "--out", str(out)]) == 0
    page = out.read_text("utf-8")
    assert int(table(page, "Requests by type")["launch"].replace(",", "")) >= 1
    assert int(table(page, "Web service: Alexa requests")["accepted"].replace(",", "")) >= 1


# --- the address ---------------------------------------------------------------------------------------


def launcher() -> ModuleType:
    spec = importlib.util.spec_from_file_location("production", ROOT / "deploy" / "production.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("listen", "loopback"),
    [
        ("127.0.0.1:9464", True),
        ("127.0.0.2:9464", True),
        ("[::1]:9464", True),
        ("localhost:9464", True),
        ("0.0.0.0:9464", False),
        ("[::]:9464", False),
        ("9464", False),  # nginx: every address
        ("192.0.2.7:9464", False),
        ("metrics.example.org:9464", False),
    ],
)
def test_only_loopback_addresses_count_as_this_machine(listen: str, loopback: bool) -> None:
    assert launcher().is_loopback_listen(listen) is loopback


def test_a_public_metrics_address_without_a_token_is_refused_in_one_line() -> None:
    env = {name: value for name, value in os.environ.items() if name != "METRICS_TOKEN"}
    command = [sys.executable, str(ROOT / "deploy" / "production.py"), "--metrics-listen", "0.0.0.0:9464"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=30, check=False)
    assert done.returncode == 2
    assert done.stderr == (
        "production: --metrics-listen 0.0.0.0:9464 is not a loopback address; set METRICS_TOKEN to serve "
        "the usage figures beyond this machine\n"
    )


def test_with_a_token_a_public_metrics_address_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "a-token-long-enough-0123456789")
    assert launcher().parse_args(["--metrics-listen", "0.0.0.0:9464"]).metrics_listen == "0.0.0.0:9464"


# --- the workers' counts directory ----------------------------------------------------------------------


def gunicorn_master(parent: int) -> int:
    """The gunicorn process the launcher started (its child whose command line names gunicorn)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"gunicorn" in cmdline:
            return int(entry.name)
    raise AssertionError("no gunicorn under the launcher")


def test_a_killed_gunicorn_leaves_no_counts_directory_behind(
    tmp_path: Path, signing: pki.SigningChain
) -> None:
    """gunicorn.conf.py's own directory in /tmp is removed only by gunicorn's on_exit, which a SIGKILL
    skips; the launcher puts the counts in its run directory and removes that whatever happened."""
    # The launcher's temp folder; outside pytest's (0700), so that nginx's workers can reach the socket.
    temp = Path(tempfile.mkdtemp(prefix="tpi-test-tmp-"))
    temp.chmod(0o711)
    try:
        env = {**bench_env(tmp_path, signing), "TMPDIR": str(temp)}
        with running_production(env, app="bench_wsgi:app") as running:
            body, headers = genuine(signing)
            assert post(running, body, headers)[0] == 200
            entries = sorted(entry.name for entry in temp.iterdir())
            assert len(entries) == 1 and entries[0].startswith("tpi-skill-"), entries  # the run dir only
            run_dir = temp / entries[0]
            assert list((run_dir / "metrics").glob("counter_*.db"))
            os.kill(gunicorn_master(running.process.pid), signal.SIGKILL)
            assert running.process.wait(timeout=30) == 1  # the launcher noticed, and stopped nginx
        deadline = time.monotonic() + 10
        while list(temp.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.1)  # workers orphaned by the kill may still be exiting
        assert list(temp.iterdir()) == []
    finally:
        shutil.rmtree(temp, ignore_errors=True)
