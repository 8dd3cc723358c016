"""Benchmarks of the skill against baselines measured side by side in the same run.

The machine is shared and noisy, so no absolute figure means much on its own: every figure is a ratio
of two sides timed alternately (A, B, A, B, ...) so drift and neighbours hit both alike. Results go
to stdout as a markdown table and into docs/performance.md between the markers.

    python benchmarks/run.py            # full run (about 2-3 minutes)
    python benchmarks/run.py --quick    # short run, same figures, fewer samples
    python benchmarks/run.py --no-write # print only
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import bench_pki  # noqa: E402  (after the path set-up: run as a script, not a package)
import verification_apps  # noqa: E402
from bench_server import gunicorn, worker_stats  # noqa: E402

from skill import envelopes  # noqa: E402
from skill.envelopes import Session  # noqa: E402
from skill.lambda_package import load_handler_module  # noqa: E402
from skill.verification import AlexaRequestVerifier  # noqa: E402

DOC = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- BEGIN BENCHMARK RESULTS -->", "<!-- END BENCHMARK RESULTS -->"


# --- statistics ---------------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile: an observed sample, no interpolation."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Side:
    """One side of a comparison: its samples in one unit (ms, or requests/s for throughput)."""

    label: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        return percentile(self.samples, 99)


@dataclass
class Row:
    """A table row: ours vs baseline, the ratio of medians and of p99s, and the goal on the median."""

    figure: str
    ours: Side
    base: Side
    unit: str
    goal: str
    met: bool | None
    ratio_median: float
    ratio_p99: float
    note: str = ""


@dataclass(frozen=True)
class Goal:
    """What a figure's median ratio should be: as the table prints it, and as a test of the ratio."""

    text: str
    met: Callable[[float], bool]


def at_most(limit: str) -> Goal:
    return Goal(f"≤ {limit}x", lambda ratio: ratio <= float(limit))


def at_least(limit: str) -> Goal:
    return Goal(f"≥ {limit}x", lambda ratio: ratio >= float(limit))


# What checking a request's signature may add to serving it, in-process and through gunicorn alike.
VERIFY_OVERHEAD = at_most("1.10")


def compare(
    figure: str, ours: Side, base: Side, *, unit: str = "ms", goal: Goal | None = None, note: str = ""
) -> Row:
    ratio = ours.median / base.median
    ratio_p99 = ours.p99 / base.p99
    met = goal.met(ratio) if goal else None
    return Row(figure, ours, base, unit, goal.text if goal else "", met, ratio, ratio_p99, note)


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / 1e6


def interleave(sides: Sequence[tuple[Side, Callable[[], object]]], n: int, warmup: int) -> None:
    """Call every side once per round, rotating the order each round, and record milliseconds."""
    for _ in range(warmup):
        for _, call in sides:
            call()
    for i in range(n):
        k = i % len(sides)
        for side, call in (*sides[k:], *sides[:k]):
            side.samples.append(timed(call))


# --- 1. warm dispatch through lambda_handler ----------------------------------------------------


def launch_event() -> dict[str, Any]:
    return envelopes.envelope(envelopes.launch(), session=Session())


def intent_event() -> dict[str, Any]:
    """A mid-conversation question: the session carries the attributes our launch answer set."""
    from skill.local import Conversation

    talk = Conversation()
    talk.launch()
    session = Session(new=False, attributes=talk.session.attributes)
    return envelopes.envelope(envelopes.intent("TreatedMusclesIntent"), session=session)


def bench_warm(n: int) -> list[Row]:
    import hello_skill

    ours = load_handler_module().lambda_handler
    hello = hello_skill.lambda_handler
    launch, question = launch_event(), intent_event()
    for handler, event in ((ours, launch), (ours, question), (hello, launch)):
        answer = handler(event, None)
        assert answer["response"].get("outputSpeech"), answer
    ours_launch, ours_intent = Side("ours LaunchRequest"), Side("ours TreatedMusclesIntent")
    base = Side("hello-world LaunchRequest")
    interleave(
        [
            (ours_launch, lambda: ours(launch, None)),
            (base, lambda: hello(launch, None)),
            (ours_intent, lambda: ours(question, None)),
        ],
        n,
        warmup=min(200, n),
    )
    goal = at_most("1.5")
    return [
        compare("Warm dispatch, LaunchRequest (lambda_handler)", ours_launch, base, goal=goal),
        compare(
            "Warm dispatch, TreatedMusclesIntent (lambda_handler)",
            ours_intent,
            base,
            goal=goal,
            note="baseline: hello-world LaunchRequest",
        ),
    ]


# --- 2. cold start ------------------------------------------------------------------------------

_CHILD = """
import sys, time
t0 = time.perf_counter()
sys.path[:0] = {paths!r}
import {module} as m
t1 = time.perf_counter()
import json
answer = m.lambda_handler(json.loads(sys.argv[1]), None)
t2 = time.perf_counter()
assert answer["response"]["outputSpeech"], answer
sys.stdout.write("%.3f %.3f" % ((t1 - t0) * 1e3, (t2 - t0) * 1e3))
"""


def _site_paths() -> list[str]:
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def child_command(ours: bool, importtime: bool = False) -> list[str]:
    """A bare interpreter (-I -S: no site, no .pth hooks, no env) with sys.path set by hand, as in Lambda."""
    if ours:
        paths, module = [str(ROOT / "lambda"), str(ROOT), *_site_paths()], "lambda_function"
    else:
        paths, module = [str(HERE), *_site_paths()], "hello_skill"
    flags = ["-I", "-S", *(["-X", "importtime"] if importtime else [])]
    return [sys.executable, *flags, "-c", _CHILD.format(paths=paths, module=module)]


def bench_cold(reps: int) -> list[Row]:
    event = json.dumps(launch_event())
    wall = {True: Side("ours"), False: Side("hello-world")}
    inproc = {True: Side("ours"), False: Side("hello-world")}
    commands = {ours: child_command(ours) for ours in (True, False)}
    for i in range(reps + 2):
        order = (True, False) if i % 2 == 0 else (False, True)
        for ours in order:
            start = time.perf_counter_ns()
            done = subprocess.run([*commands[ours], event], capture_output=True, text=True, check=True)
            elapsed = (time.perf_counter_ns() - start) / 1e6
            if i < 2:
                continue  # page cache and .pyc warm-up
            wall[ours].samples.append(elapsed)
            inproc[ours].samples.append(float(done.stdout.split()[1]))
    return [
        compare(
            "Cold start: new interpreter, import, first response (wall)",
            wall[True],
            wall[False],
            goal=at_most("1.3"),
        ),
        compare(
            "Cold start: import + first response only (inside the child)",
            inproc[True],
            inproc[False],
            note="excludes interpreter start-up and exit",
        ),
    ]


_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_profile(ours: bool, runs: int) -> dict[str, tuple[float, float]]:
    """Median self and cumulative import time per module (ms) from ``python -X importtime``."""
    selfs: dict[str, list[float]] = {}
    cumul: dict[str, list[float]] = {}
    event = json.dumps(launch_event())
    for _ in range(runs):
        done = subprocess.run(
            [*child_command(ours, importtime=True), event], capture_output=True, text=True, check=True
        )
        for match in _IMPORT_LINE.finditer(done.stderr):
            name = match.group(4)
            selfs.setdefault(name, []).append(int(match.group(1)) / 1e3)
            cumul.setdefault(name, []).append(int(match.group(2)) / 1e3)
    return {name: (statistics.median(selfs[name]), statistics.median(cumul[name])) for name in selfs}


def import_breakdown(runs: int) -> str:
    """Where our extra cold-start time goes: modules hello-world never imports, grouped by package."""
    ours, hello = import_profile(True, runs), import_profile(False, runs)
    extra = {name: times for name, times in ours.items() if name not in hello}
    groups: dict[str, float] = {}
    for name, (self_ms, _) in extra.items():
        top = name.split(".")[0]
        groups[top] = groups.get(top, 0.0) + self_ms
    total_ours = sum(s for s, _ in ours.values())
    total_hello = sum(s for s, _ in hello.values())
    lines = [
        f"Import time (sum of self times, median of {runs} runs of `python -X importtime`): "
        f"ours {total_ours:.1f} ms, hello-world {total_hello:.1f} ms; "
        f"{sum(groups.values()):.1f} ms in {len(extra)} modules only ours imports.",
        "",
        "| package (only ours imports) | self ms |",
        "|---|---:|",
    ]
    for top, ms in sorted(groups.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"| `{top}` | {ms:.1f} |")
    lines += ["", "| slowest modules of ours (self time) | self ms | cumulative ms |", "|---|---:|---:|"]
    for name, (self_ms, cum_ms) in sorted(ours.items(), key=lambda kv: -kv[1][0])[:10]:
        lines.append(f"| `{name}` | {self_ms:.1f} | {cum_ms:.1f} |")
    return "\n".join(lines)


# --- 3. verification per request ----------------------------------------------------------------


def bench_verify(n: int, n_fresh: int) -> list[Row]:
    import certifi
    from cryptography.x509.verification import Store

    from skill.verification import store_from_pem

    pki = bench_pki.mint()

    def fetch(url: str) -> bytes:
        return pki.chain_pem

    body = json.dumps(intent_event()).encode("utf-8")
    headers = pki.headers(body)
    store = Store([pki.root])
    on, floor, off = (
        verification_apps.build_app(mode, store, pki.chain_pem, headers["Signature-256"]).test_client()
        for mode in ("on", "floor", "off")
    )
    for client in (on, floor, off):
        reply = client.post("/", data=body, headers=headers)
        assert reply.status_code == 200 and reply.get_json()["response"]["outputSpeech"], reply.data
    verifier = AlexaRequestVerifier(trust_store=store, fetcher=fetch)
    verifier.verify(headers, body)  # warmed: the chain is validated and cached

    labels = verification_apps.MODES
    with_verify, rsa_only, without = Side(labels["on"]), Side(labels["floor"]), Side(labels["off"])
    verify_only = Side("verifier.verify() alone")
    interleave(
        [
            (with_verify, lambda: on.post("/", data=body, headers=headers)),
            (rsa_only, lambda: floor.post("/", data=body, headers=headers)),
            (without, lambda: off.post("/", data=body, headers=headers)),
            (verify_only, lambda: verifier.verify(headers, body)),
        ],
        n,
        warmup=min(100, n),
    )

    certifi_pem = Path(certifi.where()).read_bytes()

    def fresh_context_per_request() -> None:
        """ask-sdk-webservice-support 1.3's shape: chain PEM cached, but a new trust context per request."""
        store = store_from_pem(certifi_pem + pki.root_pem)
        AlexaRequestVerifier(trust_store=store, fetcher=fetch).verify(headers, body)

    fresh_context_per_request()
    ours_cached, fresh = Side("ours, cached chain"), Side("fresh trust store per request")
    interleave(
        [(ours_cached, lambda: verifier.verify(headers, body)), (fresh, fresh_context_per_request)],
        n_fresh,
        warmup=min(10, n_fresh),
    )
    share = Side("verify() alone", verify_only.samples)
    return [
        compare(
            "Verification overhead: POST through the Flask app, verify on vs off",
            with_verify,
            without,
            goal=VERIFY_OVERHEAD,
            note="Flask test client, same signed body",
        ),
        compare(
            "Floor: the same POST with only the RSA-SHA256 check Amazon requires, vs off",
            rsa_only,
            without,
            note="no verifier can cost less; key validated and signature decoded beforehand",
        ),
        compare(
            "Our rules beyond that floor: verify on vs RSA check only",
            with_verify,
            rsa_only,
            note="headers, URL, timestamp, application ID, certificate cache",
        ),
        compare(
            "verify() alone vs the unverified POST it guards",
            share,
            without,
            note="the verifier's share of a request",
        ),
        compare(
            "1.3-style fresh trust store + chain validation per request vs ours (cached)",
            fresh,
            ours_cached,
            goal=at_least("30"),
            note="ratio = their cost / ours",
        ),
    ]


# --- 3b. verification in instructions (callgrind) ------------------------------------------------


def _callgrind_total(mode: str, count: int, fixture: Path) -> int:
    """Instructions callgrind counts for a whole child run (start-up, warm-up and ``count`` requests)."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, str(HERE / "instructions_child.py"), mode, str(count), str(fixture)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # same dict layouts, so the same instructions, every run
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found.group(1))


def bench_instructions(count: int) -> tuple[list[Row], str]:
    """Instructions per request, from the difference of two runs (0 and ``count`` requests) per side.

    Deterministic where wall time is not: the same run gives the same count within a few thousand
    instructions whatever the neighbours do. It leaves out what cache misses cost.
    """
    if shutil.which("valgrind") is None:
        return [], "Instructions per request: skipped, valgrind is not installed."
    pki = bench_pki.mint()
    body = json.dumps(intent_event()).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="tpi-callgrind-") as tmp:
        fixture = Path(tmp)
        pki.write(fixture)
        (fixture / "body.json").write_bytes(body)
        (fixture / "headers.json").write_text(json.dumps(pki.headers(body)), encoding="utf-8")
        runs = [(mode, n) for mode in verification_apps.MODES for n in (0, count)]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            counted = pool.map(lambda run: _callgrind_total(run[0], run[1], fixture), runs)
            totals = dict(zip(runs, counted, strict=True))
    per_request = {
        mode: Side(label, [(totals[mode, count] - totals[mode, 0]) / count])
        for mode, label in verification_apps.MODES.items()
    }
    on, floor, off = per_request["on"], per_request["floor"], per_request["off"]
    note = "callgrind, single-valued, so median = p99"
    rows = [
        compare("Instructions per request: verify on vs off", on, off, unit="instr", note=note),
        compare("Instructions per request: RSA check only vs off", floor, off, unit="instr", note=note),
        compare("Instructions per request: verify on vs RSA check only", on, floor, unit="instr", note=note),
    ]
    text = (
        f"Instructions per request: `valgrind --tool=callgrind` of `benchmarks/instructions_child.py`, "
        f"{count} requests minus none per side, the same signed body and certificates in every run, "
        "PYTHONHASHSEED=0. valgrind hides the CPU's ADX extension, so OpenSSL takes a slower big-number "
        "path there than natively: the RSA rows overstate its instructions; our own code's row does not."
    )
    return rows, text


# --- 4. HTTP through gunicorn -------------------------------------------------------------------


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


# --- report -------------------------------------------------------------------------------------


def fmt(value: float, unit: str) -> str:
    if unit == "instr":
        return f"{value / 1e6:.3f} M instructions"
    if unit == "req/s":
        return f"{value:.0f} req/s"
    return f"{value:.3f} ms" if value < 10 else f"{value:.1f} ms"


def render(rows: list[Row], extras: list[str], meta: str) -> str:
    lines = [
        meta,
        "",
        "| figure | ours median / p99 | baseline median / p99 | ratio (median) | ratio (p99) | goal | met |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        note = f" ({row.note})" if row.note else ""
        lines.append(
            f"| {row.figure}{note} | {row.ours.label}: {fmt(row.ours.median, row.unit)} / "
            f"{fmt(row.ours.p99, row.unit)} | {row.base.label}: {fmt(row.base.median, row.unit)} / "
            f"{fmt(row.base.p99, row.unit)} | {row.ratio_median:.2f}x | {row.ratio_p99:.2f}x "
            f"| {row.goal} | {met} |"
        )
    for extra in extras:
        lines += ["", extra]
    return "\n".join(lines)


def write_doc(table: str) -> None:
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer samples and shorter loads")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave the doc alone")
    parser.add_argument("--skip-http", action="store_true", help="skip the gunicorn load test")
    args = parser.parse_args(argv)
    quick = args.quick
    n_warm, n_cold, n_verify, n_fresh = (300, 8, 300, 40) if quick else (3000, 40, 3000, 300)
    http_seconds, http_rounds = (2.0, 1) if quick else (2.0, 8)

    started = time.monotonic()
    rows: list[Row] = []
    extras: list[str] = []
    print("warm dispatch ...", file=sys.stderr)
    rows += bench_warm(n_warm)
    gc.collect()
    print("cold start ...", file=sys.stderr)
    rows += bench_cold(n_cold)
    print("import profile ...", file=sys.stderr)
    extras.append(import_breakdown(3 if quick else 9))
    print("verification ...", file=sys.stderr)
    rows += bench_verify(n_verify, n_fresh)
    print("instructions per request (callgrind) ...", file=sys.stderr)
    instruction_rows, instruction_text = bench_instructions(30 if quick else 100)
    rows += instruction_rows
    extras.append(instruction_text)
    errors = 0
    if not args.skip_http:
        print("HTTP load ...", file=sys.stderr)
        http_text, http_rows, errors = bench_http(http_seconds, http_rounds, connections=4)
        rows += http_rows
        extras.insert(0, http_text)

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    meta = (
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {'--quick' if quick else 'full run'}, "
        f"{time.monotonic() - started:.0f} s; Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs ({cpu}), shared machine. Samples per side: "
        f"warm {n_warm}, cold {n_cold} processes, verification {n_verify} "
        f"(fresh-trust-store side {n_fresh}). Ratios are ours / baseline unless noted."
    )
    table = render(rows, extras, meta)
    print(table)
    if not args.no_write:
        write_doc(table)
        print(f"\nwritten to {DOC.relative_to(ROOT)}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
