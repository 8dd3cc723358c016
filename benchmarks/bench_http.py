"""Requests per second, latency and worker CPU through gunicorn on loopback, verification on vs off."""

from __future__ import annotations

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
from bench_server import gunicorn, worker_stats
from events import intent_event
from report import VERIFY_OVERHEAD, Goal, Row, Side, compare, percentile

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


def bench_http(seconds: float, rounds: int, connections: int) -> tuple[str, list[Row], int]:
    pki = bench_pki.mint()
    use_wrk = shutil.which("wrk") is not None
    with tempfile.TemporaryDirectory(prefix="tpi-bench-") as tmp:
        root_pem, chain_pem = pki.write(Path(tmp))
        # One worker per server: with two, the kernel hands a round's few connections to the workers
        # unevenly, and which server drew the lopsided split swung the CPU ratio from 0.8x to 1.8x.
        server_env = {
            "BENCH_ROOT_PEM": str(root_pem),
            "BENCH_CHAIN_PEM": str(chain_pem),
            "WEB_CONCURRENCY": "1",
        }
        with (
            gunicorn({**server_env, "BENCH_VERIFY": "1"}) as (port_on, pid_on),
            gunicorn({**server_env, "BENCH_VERIFY": "0"}) as (port_off, pid_off),
        ):
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
            for port in (port_on, port_off):
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

            for port in (port_on, port_off):
                load(port, 1)  # warm-up: every worker thread has served
            results: dict[bool, list[LoadResult]] = {True: [], False: []}
            for i in range(rounds):
                order = (True, False) if i % 2 == 0 else (False, True)
                for verify in order:
                    pid = pid_on if verify else pid_off
                    cpu_before = workers_cpu_seconds(pid)
                    result = load(port_on if verify else port_off, seconds)
                    cpu = workers_cpu_seconds(pid) - cpu_before
                    result.cpu_ms_per_request = cpu * 1e3 / max(1, result.requests)
                    results[verify].append(result)
            elapsed = time.monotonic() - signed_at
            assert elapsed < 140, f"the signed body aged {elapsed:.0f} s: timestamps would be refused"

    def summary(runs: list[LoadResult], label: str) -> tuple[Side, Side, Side, Side, int, int]:
        return (
            Side(label, [r.cpu_ms_per_request for r in runs]),
            Side(label, [r.rps for r in runs]),
            Side(label, [r.p50_ms for r in runs]),
            Side(label, [r.p99_ms for r in runs]),
            sum(r.requests for r in runs),
            sum(r.bad for r in runs),
        )

    on_cpu, on_rps, on_p50, on_p99, on_n, on_bad = summary(results[True], "verify on")
    off_cpu, off_rps, off_p50, off_p99, off_n, off_bad = summary(results[False], "verify off")
    tool = f"wrk -t1 -c{connections}" if use_wrk else f"Python http.client x{connections} (wrk not found)"
    lines = [
        f"Load: {tool}, {rounds} rounds of {seconds:g} s per side, alternating on/off; "
        "gunicorn.conf.py with one gthread worker x 4 threads per server, on 127.0.0.1; "
        "one signed TreatedMusclesIntent body.",
        "",
        "| gunicorn, loopback | requests/s (median of rounds) | latency p50 ms | latency p99 ms "
        "| worker CPU ms/request | requests | non-2xx + socket errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| verify on | {on_rps.median:.0f} | {on_p50.median:.2f} | {on_p99.median:.2f} "
        f"| {on_cpu.median:.3f} | {on_n} | {on_bad} |",
        f"| verify off | {off_rps.median:.0f} | {off_p50.median:.2f} | {off_p99.median:.2f} "
        f"| {off_cpu.median:.3f} | {off_n} | {off_bad} |",
    ]
    # Rounds run in on/off pairs, so each pair's ratio shows how far one round can stray.
    pair_ratios = [on / off for on, off in zip(on_cpu.samples, off_cpu.samples, strict=True)]
    rows = [
        compare(
            "HTTP via gunicorn: worker CPU per request, verify on vs off",
            on_cpu,
            off_cpu,
            goal=VERIFY_OVERHEAD,
            note="gunicorn workers' CPU time / requests served; single rounds ranged "
            f"{min(pair_ratios):.2f}x-{max(pair_ratios):.2f}x",
        ),
        compare(
            "HTTP via gunicorn: requests/s, verify on vs off",
            on_rps,
            off_rps,
            unit="req/s",
            note="ratio < 1 means on is slower; p99 column = slowest round",
        ),
        compare("HTTP via gunicorn: latency p50, verify on vs off", on_p50, off_p50, note="median of rounds"),
        compare(
            "HTTP via gunicorn: latency p99, verify on vs off",
            on_p99,
            off_p99,
            goal=Goal("0 errors", lambda _: on_bad + off_bad == 0),
            note=f"{on_bad + off_bad} errors in {on_n + off_n} requests",
        ),
    ]
    return "\n".join(lines), rows, on_bad + off_bad
