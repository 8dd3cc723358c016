"""Requests per second, latency and worker CPU through gunicorn on loopback: verification on, only the
RSA check Amazon requires (the floor), off, and the floor on a second server (A/A)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import bench_pki
import verification_apps
from bench_server import gunicorn, worker_stats
from events import intent_event
from report import BEYOND_FLOOR, Goal, Row, Side, compare, percentile

HERE = Path(__file__).resolve().parent


def workers_cpu_seconds(master: int) -> float:
    """User + system CPU of gunicorn's workers, from /proc."""
    ticks = sum(int(fields[11]) + int(fields[12]) for fields in worker_stats(master).values())
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class LoadResult:
    requests: int
    seconds: float
    bad: int
    p50_ms: float
    p99_ms: float
    cpu_ms_per_request: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def wrk_load(port: int, seconds: float, connections: int, env: dict[str, str]) -> LoadResult:
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(HERE / "post.lua"),
        f"http://127.0.0.1:{port}/",
    ]
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        bad=data["non2xx"] + data["socket_errors"],
        p50_ms=data["p50_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
    )


def python_load(
    port: int, seconds: float, connections: int, body: bytes, headers: dict[str, str]
) -> LoadResult:
    """Fallback when wrk is absent: keep-alive http.client threads (slower client, same comparison)."""
    latencies: list[float] = []
    bad = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        mine: list[float] = []
        errors = 0
        while time.monotonic() < stop:
            start = time.perf_counter_ns()
            try:
                conn.request("POST", "/", body=body, headers=headers)
                reply = conn.getresponse()
                reply.read()
                errors += not 200 <= reply.status < 300
            except OSError:
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            mine.append((time.perf_counter_ns() - start) / 1e6)
        conn.close()
        with lock:
            latencies.extend(mine)
            bad[0] += errors

    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(
        len(latencies), time.monotonic() - began, bad[0], percentile(latencies, 50), percentile(latencies, 99)
    )


MODES = {**verification_apps.MODES, "again": "RSA check only, again"}
"""Server -> label. "again" is a second, identical RSA-check-only server: how far two servers running
the same code differ (an A/A comparison) is the resolution of the ratios between the others."""


def bench_http(seconds: float, rounds: int, connections: int) -> tuple[str, list[Row], int]:
    """Four servers (verification on, only the RSA floor, off, the floor again), loaded in turn."""
    pki = bench_pki.mint()
    use_wrk = shutil.which("wrk") is not None
    with tempfile.TemporaryDirectory(prefix="tpi-bench-") as tmp:
        pems = pki.write(Path(tmp))
        # One worker per server (server_env): with two, the kernel hands a round's few connections to
        # the workers unevenly, and which server drew the lopsided split swung the CPU ratio 0.8x-1.8x.
        with contextlib.ExitStack() as servers:
            serves = {mode: "floor" if mode == "again" else mode for mode in MODES}
            started = {
                mode: servers.enter_context(gunicorn(verification_apps.server_env(serves[mode], pems)))
                for mode in MODES
            }
            # Signed once, here: the timestamp must stay within 150 s of the server clock for the run.
            body = json.dumps(intent_event()).encode("utf-8")
            signed_at = time.monotonic()
            headers = pki.headers(body)
            body_file = Path(tmp) / "body.json"
            body_file.write_bytes(body)
            wrk_env = {
                "BENCH_BODY_FILE": str(body_file),
                "BENCH_SIGNATURE": headers["Signature-256"],
                "BENCH_CHAIN_URL": bench_pki.CHAIN_URL,
            }
            for port, _ in started.values():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", "/", body=body, headers=headers)
                reply = conn.getresponse()
                answer = json.loads(reply.read())
                assert reply.status == 200 and answer["response"]["outputSpeech"], answer
                conn.close()

            def load(port: int, duration: float) -> LoadResult:
                if use_wrk:
                    return wrk_load(port, duration, connections, wrk_env)
                return python_load(port, duration, connections, body, headers)

            for port, _ in started.values():
                load(port, 1)  # warm-up: every worker thread has served
            results: dict[str, list[LoadResult]] = {mode: [] for mode in MODES}
            order = list(MODES)
            for i in range(rounds):
                k = i % len(order)
                for mode in order[k:] + order[:k]:
                    port, pid = started[mode]
                    cpu_before = workers_cpu_seconds(pid)
                    result = load(port, seconds)
                    used = workers_cpu_seconds(pid) - cpu_before
                    result.cpu_ms_per_request = used * 1e3 / max(1, result.requests)
                    results[mode].append(result)
            elapsed = time.monotonic() - signed_at
            assert elapsed < 140, f"the signed body aged {elapsed:.0f} s: timestamps would be refused"

    cpu = {mode: Side(label, [r.cpu_ms_per_request for r in results[mode]]) for mode, label in MODES.items()}
    rps = {mode: Side(label, [r.rps for r in results[mode]]) for mode, label in MODES.items()}
    p50 = {mode: Side(label, [r.p50_ms for r in results[mode]]) for mode, label in MODES.items()}
    p99 = {mode: Side(label, [r.p99_ms for r in results[mode]]) for mode, label in MODES.items()}
    served = {mode: sum(r.requests for r in results[mode]) for mode in MODES}
    bad = {mode: sum(r.bad for r in results[mode]) for mode in MODES}
    tool = f"wrk -t1 -c{connections}" if use_wrk else f"Python http.client x{connections} (wrk not found)"
    lines = [
        f"Load: {tool}, {rounds} rounds of {seconds:g} s per server, in rotating order; gunicorn.conf.py "
        "with one gthread worker x 4 threads per server, on 127.0.0.1; one signed TreatedMusclesIntent body.",
        "",
        "| gunicorn, loopback | requests/s (median of rounds) | latency p50 ms | latency p99 ms "
        "| worker CPU ms/request | requests | non-2xx + socket errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for mode, label in MODES.items():
        lines.append(
            f"| {label} | {rps[mode].median:.0f} | {p50[mode].median:.2f} | {p99[mode].median:.2f} "
            f"| {cpu[mode].median:.3f} | {served[mode]} | {bad[mode]} |"
        )

    def spread(ours: str, base: str) -> str:
        # Rounds run in turn, so each round's ratio shows how far one round can stray.
        ratios = [a / b for a, b in zip(cpu[ours].samples, cpu[base].samples, strict=True)]
        return f"single rounds ranged {min(ratios):.2f}x-{max(ratios):.2f}x"

    errors = sum(bad.values())
    rows = [
        compare(
            "HTTP via gunicorn: worker CPU per request, verify on vs RSA check only",
            cpu["on"],
            cpu["floor"],
            goal=BEYOND_FLOOR,
            note=f"what our rules add inside the worker; {spread('on', 'floor')}",
        ),
        compare(
            "HTTP via gunicorn: worker CPU per request, verify on vs off",
            cpu["on"],
            cpu["off"],
            note=f"gunicorn workers' CPU time / requests served; {spread('on', 'off')}",
        ),
        compare(
            "HTTP via gunicorn: worker CPU per request, RSA check only vs off",
            cpu["floor"],
            cpu["off"],
            note=spread("floor", "off"),
        ),
        compare(
            "HTTP via gunicorn: worker CPU per request, two identical RSA-check-only servers (A/A)",
            cpu["again"],
            cpu["floor"],
            note=f"the measurement's own resolution; {spread('again', 'floor')}",
        ),
        compare(
            "HTTP via gunicorn: requests/s, verify on vs off",
            rps["on"],
            rps["off"],
            unit="req/s",
            note="ratio < 1 means on is slower; p99 column = slowest round",
        ),
        compare(
            "HTTP via gunicorn: latency p50, verify on vs off", p50["on"], p50["off"], note="median of rounds"
        ),
        compare(
            "HTTP via gunicorn: latency p99, verify on vs off",
            p99["on"],
            p99["off"],
            goal=Goal("0 errors", lambda _: errors == 0),
            note=f"{errors} errors in {sum(served.values())} requests",
        ),
    ]
    return "\n".join(lines), rows, errors
