"""A bounded soak over loopback: thousands of requests to gunicorn, and its worker's memory stays flat.

One gunicorn worker (the project's gunicorn.conf.py, verification on with the benchmarks' test CA:
benchmarks/bench_wsgi.py) serves a mix of signed conversations, unsigned junk and bad bodies. RSS of
the worker is read from /proc after a warm-up and again at the end; it must grow less than
``MAX_GROWTH_MIB``, and every request must get the status it should. Bounded by count and by time.
"""

from __future__ import annotations

import http.client
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from skill.tools import envelopes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_pki  # noqa: E402
import bench_server  # noqa: E402

REQUESTS = 5000
WARMUP = 300
TIME_LIMIT_S = 25.0
MAX_GROWTH_MIB = 10.0

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


@pytest.fixture(scope="module")
def pki() -> bench_pki.BenchPki:
    return bench_pki.mint()


@pytest.fixture(scope="module")
def server(pki: bench_pki.BenchPki) -> Iterator[tuple[int, int]]:
    """gunicorn with one worker on a free loopback port; yields (port, worker pid)."""
    with tempfile.TemporaryDirectory(prefix="tpi-soak-") as tmp:
        root_pem, chain_pem = pki.write(Path(tmp))
        env = {
            "WEB_CONCURRENCY": "1",
            "BENCH_ROOT_PEM": str(root_pem),
            "BENCH_CHAIN_PEM": str(chain_pem),
            "BENCH_SKILL_ID": envelopes.LOCAL_SKILL_ID,  # the skill ID every envelope below carries
        }
        with bench_server.gunicorn(env) as (port, master):
            workers = list(bench_server.worker_stats(master))
            assert len(workers) == 1, f"expected one gunicorn worker, found {workers}"
            yield port, workers[0]


def _traffic(pki: bench_pki.BenchPki) -> list[tuple[bytes, dict[str, str], int]]:
    """(body, headers, expected status): a conversation signed now, plus junk the server refuses."""
    requests: list[dict[str, object]] = [
        envelopes.launch(),
        envelopes.intent("TreatedMusclesIntent"),
        envelopes.intent(
            "BodyPartIntent", {"bodyPart": envelopes.SlotFill("traps", "trapezius", "trapezius")}
        ),
        envelopes.intent("BodyPartIntent", {"bodyPart": envelopes.SlotFill("elbow")}),
        envelopes.intent("BodyPartIntent"),  # empty: re-asked with Dialog.ElicitSlot
        envelopes.intent("SubjectIntent", {"subject": envelopes.SlotFill("cost", "cost", "cost")}),
        envelopes.intent("CausesIntent"),
        envelopes.intent("CostIntent"),
        envelopes.intent("ThanksIntent"),
        {**envelopes.intent("SteroidIntent"), "type": "CanFulfillIntentRequest"},
        envelopes.intent("TellMeMoreIntent"),
        envelopes.intent("AMAZON.RepeatIntent"),
        envelopes.intent("SpeakSlowerIntent"),
        envelopes.intent("Unknown.Intent"),
        envelopes.user_event(["topic", "benefits"]),
        envelopes.session_ended(),
    ]
    traffic = []
    for index, request in enumerate(requests):
        # A new session ID per body, as many patients would send: nothing may be kept per session.
        session = envelopes.Session(new=index == 0, attributes={"rate": 1, "topic": "about"})
        body = json.dumps(envelopes.envelope(request, session=session, screen=index % 2 == 0)).encode()
        traffic.append((body, pki.headers(body), 200))
    launch = traffic[0][0]
    traffic += [
        (launch, {"Content-Type": "application/json"}, 400),  # unsigned
        (launch, {**pki.headers(launch), "Signature-256": pki.sign(b"other")}, 400),  # wrong signature
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b'{"version": "1.0"}', {"Content-Type": "application/json"}, 400),
    ]
    return traffic


def _send(
    port: int, traffic: list[tuple[bytes, dict[str, str], int]], count: int, deadline: float
) -> list[str]:
    """Send ``count`` requests on one keep-alive connection; return a description of each mismatch."""
    errors: list[str] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for index in range(count):
            assert time.monotonic() < deadline, f"soak exceeded its time bound after {index} requests"
            body, headers, expected = traffic[index % len(traffic)]
            conn.request("POST", "/", body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
            if reply.status != expected:
                errors.append(f"#{index}: {reply.status} instead of {expected}")
            elif expected == 200 and "response" not in json.loads(data):
                errors.append(f"#{index}: 200 without a response")
            if reply.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    finally:
        conn.close()
    return errors


def test_memory_stays_flat_over_thousands_of_requests(
    server: tuple[int, int],
    pki: bench_pki.BenchPki,
    record_property: Callable[[str, object], None],
    request: pytest.FixtureRequest,
) -> None:
    port, worker = server
    traffic = _traffic(pki)
    deadline = time.monotonic() + TIME_LIMIT_S
    started = time.monotonic()
    assert _send(port, traffic, WARMUP, deadline) == []
    before = _rss_kib(worker)
    errors = _send(port, traffic, REQUESTS, deadline)
    after = _rss_kib(worker)
    elapsed = time.monotonic() - started
    growth_mib = (after - before) / 1024
    report = (
        f"soak: {WARMUP}+{REQUESTS} requests in {elapsed:.1f} s; worker RSS {before / 1024:.1f} MiB "
        f"-> {after / 1024:.1f} MiB ({growth_mib:+.2f} MiB)"
    )
    print(report)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:  # shown without -s
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n{report}")
    record_property("rss_before_kib", before)
    record_property("rss_after_kib", after)
    record_property("soak_report", report)
    assert errors == [], errors[:10]
    assert growth_mib < MAX_GROWTH_MIB, report
