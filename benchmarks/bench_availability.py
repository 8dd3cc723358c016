"""Availability under attack, before and after the hardening of issue 11, side by side in one run.

    bash scripts/run.sh python benchmarks/bench_availability.py [--seconds 30] [--slow-clients 200]

Two attacks, each against the old setup and the documented one, while one client sends genuine signed
requests (a new connection each, every 0.1 s, given up after 5 s) and records how long each took:

- slow clients: ``--slow-clients`` connections, half sending their headers and half their body at one
  byte a second for ``--seconds`` seconds, each reconnecting at once when the server drops it;
- forged flood: 100 requests a second, each naming a certificate URL never seen before (new paths,
  ``?n=`` and dot-segment spellings of the real one), with a fresh timestamp, our skill ID and a
  signature that does not match. The app's fetcher stands in for S3: 100 ms a fetch, the real chain
  for the real path whatever the query, 403 for any other path.

"before" is ``gunicorn -c gunicorn.conf.py`` alone (the old README's command) serving the code of
commit ed5c806 (the forged flood) or today's (slow clients, where the code is not what changed);
"after" is ``deploy/production.py``, nginx in front of gunicorn, serving today's code. The app is the
production ``create_app`` with verification on, trusting the tests' CA (no network needed). Prints one
table; the numbers in docs/security.md come from it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import http.client
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench_server import gunicorn  # benchmarks/ is on the path: run as a script
from revisions import exported_tree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

OLD_COMMIT = "ed5c806"
GENUINE_EVERY_S = 0.1
GENUINE_TIMEOUT_S = 5.0
FETCH_LATENCY_S = 0.1
FLOOD_PER_SECOND = 100
FLOOD_THREADS = 8


# --- the app gunicorn serves (imported in the server process, old code or new) ------------------------


def app_from_env() -> Any:
    """``create_app`` verifying against the tests' CA, with a fetcher that answers like S3, slowly.

    Imports only what both the old and the new code provide, so one module serves either.
    """
    import posixpath

    from cryptography import x509
    from cryptography.x509.verification import Store

    from skill.web.service import create_app
    from skill.web.verification import AlexaRequestVerifier, RequestVerificationError

    roots = x509.load_pem_x509_certificates(Path(os.environ["BENCH_ROOT_PEM"]).read_bytes())
    chain = Path(os.environ["BENCH_CHAIN_PEM"]).read_bytes()

    fetch_log = os.environ["BENCH_FETCH_LOG"]
    genuine_path = os.environ["BENCH_CHAIN_PATH"]

    def s3(url: str) -> bytes:
        with open(fetch_log, "ab") as log:  # one byte per fetch, from every worker (O_APPEND)
            log.write(b".")
        time.sleep(FETCH_LATENCY_S)
        if posixpath.normpath(urlsplit(url).path) == genuine_path:
            return chain
        raise RequestVerificationError("certificate chain fetch answered HTTP 403")

    skill_id = os.environ["BENCH_SKILL_ID"]
    verifier = AlexaRequestVerifier(skill_id=skill_id, trust_store=Store(roots), fetcher=s3)
    return create_app(verifier=verifier, skill_id=skill_id)


# --- servers ------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int


@contextlib.contextmanager
def bare_gunicorn(tree: Path, env: dict[str, str]) -> Iterator[Server]:
    """``gunicorn -c <tree>/gunicorn.conf.py`` alone, importing ``skill`` from ``tree``."""
    app = "bench_availability:app_from_env()"
    with gunicorn({"LOG_LEVEL": "critical", **env}, app, root=tree) as (port, _):
        yield Server("gunicorn alone", port)


@contextlib.contextmanager
def production(env: dict[str, str]) -> Iterator[Server]:
    from tests.helpers_server import running_production

    with running_production(
        {**env, "PYTHONPATH": str(HERE)}, app="bench_availability:app_from_env()"
    ) as prod:
        yield Server("nginx + gunicorn", prod.port)


# --- genuine traffic ----------------------------------------------------------------------------------


@dataclass
class Latencies:
    """How long each genuine request took; a failure (timeout, refusal) ranks above every success."""

    seconds: list[float] = field(default_factory=list)
    failed: int = 0

    def row(self) -> list[str]:
        ordered = sorted(self.seconds) + [float("inf")] * self.failed
        if not ordered:
            return ["-", "-", "-", "-"]

        def show(value: float) -> str:
            return f"> {GENUINE_TIMEOUT_S:.0f} s" if value == float("inf") else f"{value * 1000:.0f} ms"

        def pick(q: float) -> str:
            return show(ordered[min(len(ordered) - 1, int(q * len(ordered)))])

        return [pick(0.5), pick(0.99), show(ordered[-1]), f"{self.failed}/{len(ordered)}"]


class Signer:
    """Genuine requests signed with bench_pki's chain (valid now), and forged ones naming other URLs.

    Imports the tests' CA only here, in the benchmark's process: the server imports this module too.
    """

    def __init__(self) -> None:
        import bench_pki

        from tests import pki

        self.pki, self.bench = pki, bench_pki.mint()
        self.chain_url = bench_pki.CHAIN_URL
        self.chain_path = urlsplit(self.chain_url).path

    def genuine(self) -> tuple[bytes, dict[str, str]]:
        body = self.pki.envelope(timestamp=dt.datetime.now(dt.UTC).replace(microsecond=0))
        return body, self.bench.headers(body)

    def forged(self, index: int) -> tuple[bytes, dict[str, str]]:
        body = self.pki.envelope(timestamp=dt.datetime.now(dt.UTC).replace(microsecond=0))
        url = [
            f"https://s3.amazonaws.com/echo.api/forged-{index}.pem",
            f"{self.chain_url}?n={index}",
            f"https://s3.amazonaws.com/echo.api/{index}/..{self.chain_path.removeprefix('/echo.api')}",
        ][index % 3]
        headers = {"SignatureCertChainUrl": url, "Signature-256": self.pki.unknown_root_chain().sign(body)}
        return body, {"Content-Type": "application/json", **headers}

    def write(self, folder: Path) -> dict[str, str]:
        """The PEM files and fetch log for the servers, as the environment ``app_from_env`` reads."""
        root, chain = self.bench.write(folder)
        fetches = folder / "fetches"
        fetches.touch()
        return {
            "BENCH_ROOT_PEM": str(root),
            "BENCH_CHAIN_PEM": str(chain),
            "BENCH_CHAIN_PATH": self.chain_path,
            "BENCH_SKILL_ID": self.pki.SKILL_ID,
            "BENCH_FETCH_LOG": str(fetches),
        }


def post(port: int, body: bytes, headers: dict[str, str], timeout: float) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        reply = conn.getresponse()
        reply.read()
        return reply.status
    finally:
        conn.close()


def measure_genuine(port: int, signer: Signer, seconds: float) -> Latencies:
    """A genuine request every ``GENUINE_EVERY_S`` for ``seconds``; a timeout or non-200 is a failure."""
    result = Latencies()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        began = time.monotonic()
        body, headers = signer.genuine()
        try:
            status = post(port, body, headers, GENUINE_TIMEOUT_S)
        except OSError:
            status = 0
        took = time.monotonic() - began
        if status == 200:
            result.seconds.append(took)
        else:
            result.failed += 1
        time.sleep(max(0.0, GENUINE_EVERY_S - took))
    return result


def warm_up(port: int, signer: Signer) -> None:
    """Requests in parallel, so that every gunicorn worker has fetched the genuine chain once."""
    for _ in range(3):
        requests = [signer.genuine() for _ in range(16)]
        threads = [threading.Thread(target=post, args=(port, *request, 10.0)) for request in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


# --- attacks ------------------------------------------------------------------------------------------


@dataclass
class SlowStats:
    connected: int = 0
    samples: list[int] = field(default_factory=list)
    dropped: int = 0


async def _slow_client(port: int, body: bool, end: float, stats: SlowStats) -> None:
    """Send a request a byte a second; when the server drops it, connect again at once."""
    while time.monotonic() < end:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.5)
            continue
        stats.connected += 1
        try:
            if body:
                writer.write(b"POST / HTTP/1.1\r\nHost: skill\r\nContent-Type: application/json\r\n")
                writer.write(b"Content-Length: 100000\r\n\r\n")
            else:
                writer.write(b"POST / HTTP/1.1\r\nHost: skill\r\nX-Slow: ")
            await writer.drain()
            while time.monotonic() < end:
                writer.write(b"a")
                await writer.drain()
                try:
                    await asyncio.wait_for(reader.read(1), 1.0)
                except TimeoutError:
                    continue  # still held open: send the next byte
                stats.dropped += 1  # answered (408, 400) or closed: the server let go of it
                break
        except OSError:
            stats.dropped += 1
        finally:
            stats.connected -= 1
            writer.close()


async def _slow_clients(
    port: int, count: int, seconds: float, stats: SlowStats, ready: threading.Event
) -> None:
    end = time.monotonic() + seconds
    tasks = []
    for index in range(count):
        tasks.append(asyncio.create_task(_slow_client(port, index % 2 == 0, end, stats)))
        if index % 50 == 49:
            await asyncio.sleep(0.05)  # a listen backlog of 128 or so: do not overrun it
    while stats.connected < count and time.monotonic() < end:
        await asyncio.sleep(0.05)
    ready.set()
    while time.monotonic() < end:
        stats.samples.append(stats.connected)
        await asyncio.sleep(1.0)
    await asyncio.gather(*tasks)


def with_slow_clients(
    port: int, count: int, seconds: float, work: Callable[[], Latencies]
) -> tuple[Latencies, SlowStats]:
    stats = SlowStats()
    ready = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(_slow_clients(port, count, seconds, stats, ready)))
    thread.start()
    ready.wait(30)
    result = work()
    thread.join()
    return result, stats


def with_forged_flood(
    port: int, signer: Signer, seconds: float, work: Callable[[], Latencies]
) -> tuple[Latencies, int]:
    """``FLOOD_PER_SECOND`` forged requests a second from ``FLOOD_THREADS`` threads while ``work`` runs."""
    end = time.monotonic() + seconds
    counter = iter(range(10**9))
    lock = threading.Lock()
    sent = [0]

    def flood(offset: float) -> None:
        next_at = time.monotonic() + offset
        while time.monotonic() < end:
            with lock:
                index = next(counter)
            body, headers = signer.forged(index)
            with contextlib.suppress(OSError):
                post(port, body, headers, GENUINE_TIMEOUT_S)
            with lock:
                sent[0] += 1
            next_at += FLOOD_THREADS / FLOOD_PER_SECOND
            time.sleep(max(0.0, next_at - time.monotonic()))

    threads = [
        threading.Thread(target=flood, args=(index / FLOOD_PER_SECOND,)) for index in range(FLOOD_THREADS)
    ]
    for thread in threads:
        thread.start()
    result = work()
    for thread in threads:
        thread.join()
    return result, sent[0]


# --- the run ------------------------------------------------------------------------------------------


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    return "\n".join([line, rule, *body])


def run_setup(
    name: str, port: int, signer: Signer, seconds: float, slow_clients: int, fetch_log: Path
) -> list[list[str]]:
    """Quiet, then the forged flood, then (not for the old code) the slow clients."""
    rows: list[list[str]] = []

    def genuine_for(duration: float) -> Callable[[], Latencies]:
        return lambda: measure_genuine(port, signer, duration)

    warm_up(port, signer)
    quiet = measure_genuine(port, signer, 5.0)
    rows.append([name, "none", *quiet.row(), ""])
    print(rows[-1], file=sys.stderr)
    fetched = fetch_log.stat().st_size
    flood, sent = with_forged_flood(port, signer, seconds, genuine_for(seconds))
    fetched = fetch_log.stat().st_size - fetched
    rows.append([name, "forged flood, new URL each", *flood.row(), f"{sent} forged sent, {fetched} fetched"])
    print(rows[-1], file=sys.stderr)
    if "old code" in name:
        return rows  # slow clients do not depend on the code: measured on today's
    slow, stats = with_slow_clients(port, slow_clients, seconds, genuine_for(seconds - 2.0))
    low, high = min(stats.samples, default=0), max(stats.samples, default=0)
    held = f"{low}-{high} connected, {stats.dropped} dropped"
    rows.append([name, f"{slow_clients} slow clients, 1 byte/s", *slow.row(), held])
    print(rows[-1], file=sys.stderr)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long each attack lasts")
    parser.add_argument("--slow-clients", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    signer = Signer()
    header = ["setup", "attack", "genuine p50", "genuine p99", "genuine max", "failed", "attack detail"]
    rows: list[list[str]] = []
    old_code = exported_tree(OLD_COMMIT, "tpi-old-")
    with tempfile.TemporaryDirectory(prefix="tpi-avail-") as folder, old_code as old:
        env = signer.write(Path(folder))
        setups: list[tuple[str, Callable[[], contextlib.AbstractContextManager[Server]]]] = [
            ("before: gunicorn alone, old code", lambda: bare_gunicorn(old, env)),
            ("gunicorn alone, new code", lambda: bare_gunicorn(ROOT, env)),
            ("after: nginx + gunicorn, new code", lambda: production(env)),
        ]
        for name, start in setups:
            with start() as server:
                print(f"== {name}", file=sys.stderr)
                fetch_log = Path(env["BENCH_FETCH_LOG"])
                rows += run_setup(name, server.port, signer, args.seconds, args.slow_clients, fetch_log)
    print(table(header, rows))
    if args.json:
        args.json.write_text(json.dumps({"header": header, "rows": rows}, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    # Run as a script: `tests` resolves from the checkout. Not when gunicorn imports this module for
    # app_from_env(), which must find `skill` wherever the server's path says (the old code, say).
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
