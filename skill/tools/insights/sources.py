"""Reading the sources: the Lambda function's EMF log lines, or the web service's /metrics readings.

A /metrics reading only says "so many since the server started", so readings are kept in a history file
and the report shows what grew between them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from skill.runtime import usage
from skill.tools.insights.counts import (
    WEB_ALEXA,
    Counts,
    InsightsError,
    Usage,
    Window,
    _add,
    label_allowed,
    label_names,
)
from skill.web.metrics import ALEXA_REQUESTS, LATENCY, SKILL_PREFIX

# --- reading log lines (Lambda) ----------------------------------------------------------------------


def _json_objects(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object in an export: one per line (maybe after a time stamp), CloudWatch's
    `filter-log-events` JSON (`events[].message`), or Logs Insights' (`@message`)."""
    stripped = text.lstrip()
    if stripped.startswith("{") and '"events"' in stripped[:2000]:
        try:
            whole = json.loads(stripped)
        except ValueError:
            whole = None
        if isinstance(whole, dict) and isinstance(whole.get("events"), list):
            for event in whole["events"]:
                if isinstance(event, dict) and isinstance(event.get("message"), str):
                    yield from _json_objects(event["message"])
            return
    for line in text.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            found = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(found, dict):
            message = found.get("message", found.get("@message"))
            if "_aws" not in found and isinstance(message, str):
                yield from _json_objects(message)
            else:
                yield found


def _bucket_start(moment: dt.datetime, bucket: str) -> dt.datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket == "day" else moment


def read_emf(text: str, bucket: str = "auto") -> Usage:
    """Counts from EMF log lines, in windows of an hour or a day (`auto`: hours up to three days)."""
    turns: list[tuple[dt.datetime, usage.TurnKey]] = []
    for found in _json_objects(text):
        meta = found.get("_aws")
        stamp = meta.get("Timestamp") if isinstance(meta, dict) else None
        key = usage.key_from_emf(found)
        if key is None or not isinstance(stamp, int | float) or isinstance(stamp, bool):
            continue
        try:
            moment = dt.datetime.fromtimestamp(stamp / 1000, dt.UTC)
        except (OverflowError, OSError, ValueError):
            continue
        turns.append((moment, key))
    if not turns:
        raise InsightsError(
            "no usage lines found (expected the skill's CloudWatch Embedded Metric Format lines)"
        )
    first, last = min(moment for moment, _ in turns), max(moment for moment, _ in turns)
    if bucket == "auto":
        bucket = "hour" if last - first <= dt.timedelta(days=3) else "day"
    step = dt.timedelta(hours=1) if bucket == "hour" else dt.timedelta(days=1)
    windows: dict[dt.datetime, Window] = {}
    moment = _bucket_start(first, bucket)
    while moment <= last:  # every window, quiet ones too, so a chart's time axis has no gaps
        windows[moment] = Window(moment, moment + step)
        moment += step
    for moment, key in turns:
        window = windows[_bucket_start(moment, bucket)]
        _add(window.counts, ((increment, 1.0) for increment in usage.Turn(key).increments()))
    return Usage(f"{len(turns)} log lines", list(windows.values()))


# --- reading /metrics (web service) ------------------------------------------------------------------


Snapshot = tuple[dt.datetime, Counts, dict[float, float]]


def parse_metrics(text: str) -> tuple[Counts, dict[float, float]]:
    """The skill's and the web's counts in a /metrics page, and the Alexa endpoint's latency buckets."""
    from prometheus_client.parser import text_string_to_metric_families

    counts: Counts = {}
    latency: dict[float, float] = {}
    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, IndexError, TypeError) as exc:
        raise InsightsError(f"not a Prometheus /metrics page ({type(exc).__name__})") from None
    for family in families:
        if family.name == LATENCY:
            for sample in family.samples:
                if sample.name.endswith("_bucket") and sample.labels.get("route") == "alexa":
                    bound = float(sample.labels.get("le", "nan"))
                    latency[bound] = latency.get(bound, 0.0) + sample.value
            continue
        if family.name == ALEXA_REQUESTS:
            name = WEB_ALEXA
        else:
            name = family.name.removeprefix(SKILL_PREFIX)
            if name == family.name or name not in usage.FAMILIES:
                continue
        names = label_names(name) or ()
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            values = tuple(
                value if label_allowed(name, label, value := sample.labels.get(label, "")) else usage.OTHER
                for label in names
            )
            _add(counts, [((name, values), float(sample.value))])
    if not counts:
        raise InsightsError("no usage figures in this /metrics page (is it the skill's?)")
    return counts, latency


class _Redirected(Exception):
    """A /metrics URL answered with a redirect; never followed (see ``_NoRedirects``)."""

    def __init__(self, code: int, location: str) -> None:
        super().__init__(code, location)
        self.code, self.location = code, location


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib keeps the Authorization header across a redirect, to any host: the bearer token would go
    wherever the server (or anyone between) points. A /metrics page has no reason to move."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        raise _Redirected(code, newurl)


_opener = urllib.request.build_opener(_NoRedirects)


def fetch_metrics(url: str, token: str | None, timeout: float = 10.0) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with _opener.open(urllib.request.Request(url, headers=headers), timeout=timeout) as reply:
            body: bytes = reply.read()
    except _Redirected as redirect:
        raise InsightsError(
            f"{url} answered HTTP {redirect.code}, a redirect; not followed (give the final /metrics URL)"
        ) from None
    except urllib.error.HTTPError as exc:
        hint = " (set METRICS_TOKEN to the server's token)" if exc.code in (401, 403) else ""
        raise InsightsError(f"{url} answered HTTP {exc.code}{hint}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InsightsError(f"cannot read {url}: {reason}") from None
    return body.decode("utf-8", "replace")


def _save_snapshot(history: Path, snapshot: Snapshot) -> None:
    moment, counts, latency = snapshot
    record = {
        "time": moment.isoformat(),
        "counts": [[family, list(values), value] for (family, values), value in sorted(counts.items())],
        "latency": [[bound, value] for bound, value in sorted(latency.items())],
    }
    with history.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def _load_history(history: Path) -> list[Snapshot]:
    snapshots: list[Snapshot] = []
    if not history.exists():
        return snapshots
    for number, line in enumerate(history.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            counts: Counts = {}
            for family, values, value in record["counts"]:
                labels = label_names(family)
                if labels is None:
                    continue
                checked = tuple(
                    v if label_allowed(family, n, v) else usage.OTHER
                    for n, v in zip(labels, values, strict=True)
                )
                _add(counts, [((family, checked), float(value))])
            latency = {float(bound): float(value) for bound, value in record.get("latency", [])}
            snapshots.append((dt.datetime.fromisoformat(record["time"]), counts, latency))
        except (ValueError, KeyError, TypeError) as exc:
            raise InsightsError(
                f"history line {number} is not a saved reading ({type(exc).__name__})"
            ) from None
    return snapshots


def from_snapshots(snapshots: Sequence[Snapshot]) -> Usage:
    """Windows between consecutive readings (a counter that went down restarted with its server); the
    first reading alone is everything since the service started."""
    ordered = sorted(snapshots, key=lambda snapshot: snapshot[0])
    first_time, first_counts, _ = ordered[0]
    windows = [Window(None, first_time, dict(first_counts))]
    for (before_time, before, _), (after_time, after, _) in itertools.pairwise(ordered):
        delta: Counts = {}
        for key, value in after.items():
            grown = value - before.get(key, 0.0)
            if grown or value:
                delta[key] = value if grown < 0 else grown
        windows.append(Window(before_time, after_time, {key: n for key, n in delta.items() if n}))
    readings = len(ordered)
    return Usage(f"{readings} /metrics reading{'s' if readings > 1 else ''}", windows, ordered[-1][2])


def read_sources(
    sources: Sequence[str], *, history: Path | None = None, bucket: str = "auto", token: str | None = None
) -> Usage:
    """The usage in `sources`: /metrics URLs and saved pages, or log files (not both kinds at once)."""
    snapshots: list[Snapshot] = []
    logs: list[str] = []
    for source in sources:
        if source.startswith(("http://", "https://")):
            snapshots.append((dt.datetime.now(dt.UTC), *parse_metrics(fetch_metrics(source, token))))
            continue
        path = Path(source)
        try:
            text = path.read_text("utf-8", errors="replace")
        except OSError as exc:
            raise InsightsError(f"cannot read {source}: {exc.strerror or type(exc).__name__}") from None
        if "# TYPE tpi_" in text or text.lstrip().startswith("tpi_"):
            moment = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            snapshots.append((moment, *parse_metrics(text)))
        else:
            logs.append(text)
    if snapshots and logs:
        raise InsightsError("give either /metrics readings or log files, not both")
    if logs:
        return read_emf("\n".join(logs), bucket)
    if history is not None:
        earlier = _load_history(history)
        for snapshot in snapshots:
            _save_snapshot(history, snapshot)
        snapshots = earlier + snapshots
    return from_snapshots(snapshots)
