"""Instructions per request inside a real gunicorn worker: verification on, only the RSA floor, off.

The Flask test client leaves out the server: gunicorn's HTTP parsing, its thread pool, the socket.
Earlier runs through gunicorn saw a larger on/off gap than the verifier's own cost in a loop, so the
question "what do our rules add beyond the RSA check Amazon requires?" is answered here too, inside
the worker that serves production traffic. Each side runs twice under callgrind, serving a warm-up
and then N signed requests, or none, over one keep-alive connection; the difference of the worker's
two totals over N is the count per request, so the worker's start-up and exit cancel out.
(`callgrind_control` cannot reach a forked gunicorn worker, so counters cannot be zeroed in place.)
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench_pki
from bench_server import gunicorn, worker_stats
from events import intent_event
from report import BEYOND_FLOOR, Row, Side, compare
from verification_apps import MODES, server_env

WARMUP = 30
START_TIMEOUT_S = 600.0  # every import runs under valgrind


def _post(conn: http.client.HTTPConnection, body: bytes, headers: dict[str, str]) -> None:
    conn.request("POST", "/", body=body, headers=headers)
    reply = conn.getresponse()
    answer = json.loads(reply.read())
    assert reply.status == 200 and answer["response"]["outputSpeech"], answer


def _worker_total(mode: str, count: int, pki: bench_pki.BenchPki, pems: tuple[Path, Path], out: Path) -> int:
    """Instructions the worker ran from its start to its exit, having served warm-up + `count` requests."""
    env = {**server_env(mode, pems), "PYTHONHASHSEED": "0"}
    name = f"{mode}-{count}"
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/{name}.%p"]
    with gunicorn(env, under=valgrind, start_timeout=START_TIMEOUT_S) as (port, master):
        (worker,) = worker_stats(master)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        body = json.dumps(intent_event()).encode("utf-8")
        headers = pki.headers(body)  # signed now: the timestamp stays fresh for the minute this takes
        for _ in range(WARMUP + count):
            _post(conn, body, headers)
        conn.close()
    # The worker writes its counts as it exits, before the master does.
    text = (out / f"{name}.{worker}").read_text(errors="replace")
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.MULTILINE)
    assert found, text[:2000]
    return int(found.group(1))


def bench_worker_instructions(count: int) -> tuple[list[Row], str]:
    if shutil.which("valgrind") is None:
        return [], "Instructions inside a gunicorn worker: skipped, valgrind is not installed."
    pki = bench_pki.mint()
    with tempfile.TemporaryDirectory(prefix="tpi-worker-") as tmp:
        root = Path(tmp)
        pems = pki.write(root)
        runs = [(mode, n) for mode in MODES for n in (0, count)]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            counted = list(pool.map(lambda run: _worker_total(run[0], run[1], pki, pems, root), runs))
        totals = dict(zip(runs, counted, strict=True))
        per_request = {
            mode: Side(label, [(totals[mode, count] - totals[mode, 0]) / count])
            for mode, label in MODES.items()
        }
    note = "callgrind inside the worker, single-valued, so median = p99"
    rows = [
        compare(
            "Instructions per request inside a gunicorn worker: verify on vs RSA check only",
            per_request["on"],
            per_request["floor"],
            unit="instr",
            goal=BEYOND_FLOOR,
            note=note,
        ),
        compare(
            "Instructions per request inside a gunicorn worker: verify on vs off",
            per_request["on"],
            per_request["off"],
            unit="instr",
            note=note,
        ),
        compare(
            "Instructions per request inside a gunicorn worker: RSA check only vs off",
            per_request["floor"],
            per_request["off"],
            unit="instr",
            note=note,
        ),
    ]
    text = (
        "Instructions inside a gunicorn worker: one server per side (gunicorn.conf.py, one gthread worker) "
        f"under `valgrind --tool=callgrind`, {WARMUP} warm-up requests then {count} signed "
        "TreatedMusclesIntent requests over one keep-alive connection, minus the same server's run with "
        "none; PYTHONHASHSEED=0."
    )
    return rows, text
