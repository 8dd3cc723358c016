"""The web service's figures in Prometheus' text format at `GET /metrics`.

Three kinds, all counts from closed sets (see `skill.runtime.usage`): the skill's usage (what was asked,
how it was answered), what became of each Alexa request (accepted, or refused by reason class), and how
long each request took in the app, by route (the app's own paths; any other is "other") and status
class.

gunicorn runs several worker processes; with `PROMETHEUS_MULTIPROC_DIR` set (gunicorn.conf.py sets it)
each worker writes its counts to files there and a scrape adds every worker up, so the figures do not
depend on which worker answers the scrape.

`/metrics` is not an Alexa endpoint and never needs Alexa's signature. It answers only loopback clients
that came straight in (no proxy's forwarding header), unless `METRICS_TOKEN` is set: then it answers
whoever presents `Authorization: Bearer <token>`, and nobody else.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, has_request_context, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

from skill.runtime import usage
from skill.runtime.usage import Turn, TurnKey

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)

TOKEN_ENV = "METRICS_TOKEN"
MIN_TOKEN_LENGTH = 16
"""A shorter token can be guessed; the service refuses to start with one."""
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
"""A proxy on this machine makes every client look local: a request it forwarded is not a local one."""

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0)
"""Seconds; Alexa gives up at 8."""

REASON_CLASSES: tuple[tuple[str, str], ...] = (
    ("application_id", "the envelope names another skill, or none"),
    ("timestamp", "the request is stale or has no timestamp"),
    ("signature", "Signature-256 does not match the body"),
    ("headers", "a signature header is missing or malformed"),
    ("cert_url", "the certificate URL breaks Amazon's rules"),
    ("cert_fetch", "the certificate could not be fetched, or the fetch budget was spent"),
    ("cert_chain", "the certificate chain does not validate"),
    ("body", "the body is not an Alexa envelope"),
)
"""(class, what it means): the refusal's ``RequestVerificationError.kind``; only the class is counted."""
OTHER_REASON = "other"
NO_REASON = "none"
_CLASSES = frozenset(name for name, _ in REASON_CLASSES)


SKILL_PREFIX = "tpi_skill_"
"""Each usage family's counter is this prefix and the family's name."""
LATENCY = "tpi_web_request_duration_seconds"
ALEXA_REQUESTS = "tpi_web_alexa_requests"
ALEXA_LABELS = ("result", "reason")
"""The Alexa endpoint's outcome counter and its labels; `tpi-skill insights` reads them back."""
ACCEPTED, REFUSED, TOO_LARGE, BAD_REQUEST, OTHER_RESULT = (
    "accepted",
    "refused",
    "too_large",
    "bad_request",
    "other",
)
ALEXA_RESULTS = (ACCEPTED, REFUSED, TOO_LARGE, BAD_REQUEST, OTHER_RESULT)
"""Every ``result`` label `_outcome` gives."""


def reason_class(kind: str) -> str:
    """The class counted for a refusal of ``kind``, from a closed set (see REASON_CLASSES)."""
    return kind if kind in _CLASSES else OTHER_REASON


REFUSAL_KEY = "tpi.refusal"
"""Where the refused request's reason class waits in its WSGI environ for the timing middleware."""


def note_refusal(kind: str) -> None:
    """Called by the Alexa view when it refuses a request: keeps the refusal's class for this request."""
    if has_request_context():
        request.environ[REFUSAL_KEY] = reason_class(kind)


def is_direct_loopback() -> bool:
    """The client is on this machine and no proxy forwarded its request: a loopback address, or a peer
    on gunicorn's unix socket (no address at all). deploy/production.py makes that socket 0600, owned
    by the user gunicorn's workers run as, in a run directory only that user can enter, so only nginx's
    workers (the same user) and root can connect; any local user can reach a loopback TCP port."""
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False
    remote = request.environ.get("REMOTE_ADDR")
    if remote == "" or (isinstance(remote, str) and remote.startswith("/")):
        return True
    try:
        address = ipaddress.ip_address((remote or "").split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _outcome(status: int, refusal: str | None) -> tuple[str, str]:
    """(result, reason class) of one request to the Alexa endpoint."""
    if status == 200:
        return ACCEPTED, NO_REASON
    if refusal is not None:
        return REFUSED, refusal
    if status == 413:
        return TOO_LARGE, NO_REASON
    if status == 400:
        return BAD_REQUEST, NO_REASON
    return OTHER_RESULT, NO_REASON


class WebMetrics:
    """Every Prometheus figure of one app, and the hooks and view that keep and serve them."""

    def __init__(self, *, multiprocess: bool, token: str | None) -> None:
        self.multiprocess = multiprocess
        self.token = token.encode() if token else None
        # Per app in one process (tests build many apps); in multiprocess mode the files are the registry.
        self.registry = None if multiprocess else CollectorRegistry()
        self.skill = {
            family: Counter(f"{SKILL_PREFIX}{family}", doc, labels, registry=self.registry)
            for family, (labels, doc) in usage.FAMILIES.items()
        }
        self.alexa = Counter(
            ALEXA_REQUESTS,
            "Requests to the Alexa endpoint: accepted, refused (by reason class), bad_request, too_large",
            ALEXA_LABELS,
            registry=self.registry,
        )
        self.latency = Histogram(
            LATENCY,
            "Time in the app per request, by route and status class",
            ("route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # Children by label values, kept: prometheus_client's labels() takes a lock and builds a key.
        self._timers: dict[tuple[str, str], Callable[[float], None]] = {}
        self._outcomes: dict[tuple[str, str], Callable[[], None]] = {}

    def __call__(self, key: TurnKey) -> None:
        """The skill's usage sink: add one to each count the turn is part of."""
        self.prepare(key)()

    def prepare(self, key: TurnKey) -> Callable[[], None]:
        """What counts `key`: its counters' children, looked up once (see usage.prepared)."""
        incs = [
            (self.skill[family].labels(*values) if values else self.skill[family]).inc
            for family, values in Turn(key).increments()
        ]

        def count() -> None:
            for inc in incs:
                inc()

        return count

    def middleware(self, app: WSGIApplication, routes: dict[str, str]) -> WSGIApplication:
        """`app` timed, and its Alexa requests' outcomes counted. A WSGI wrapper rather than Flask's
        request hooks: a third of their cost. `routes` maps the app's paths to their endpoint names (a
        closed set: any other path is "other")."""
        timers, outcomes = self._timers, self._outcomes
        latency, alexa = self.latency, self.alexa

        def timed(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            status = 0

            def started(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                nonlocal status
                status = int(code[:3]) if code[:3].isdigit() else 0
                return start_response(code, headers, exc_info)

            began = time.perf_counter()
            body = app(environ, started)
            elapsed = time.perf_counter() - began
            route = routes.get(environ.get("PATH_INFO", ""), "other")
            labels = (route, f"{status // 100}xx")
            observe = timers.get(labels)
            if observe is None:
                observe = timers[labels] = latency.labels(*labels).observe
            observe(elapsed)
            if route == "alexa":
                outcome = _outcome(status, environ.get(REFUSAL_KEY))
                inc = outcomes.get(outcome)
                if inc is None:
                    inc = outcomes[outcome] = alexa.labels(*outcome).inc
                inc()
            return body

        return timed

    def allowed(self) -> Response | None:
        """None when this request may read the figures, else the refusal to send."""
        if self.token is not None:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            presented = given.strip().encode("utf-8", "replace")
            if scheme.lower() == "bearer" and hmac.compare_digest(presented, self.token):
                return None
            refused = Response("a bearer token is required\n", status=401, mimetype="text/plain")
            refused.headers["WWW-Authenticate"] = "Bearer"
            return refused
        if is_direct_loopback():
            return None
        return Response(
            "metrics are served to this machine only; set METRICS_TOKEN to read them from elsewhere\n",
            status=403,
            mimetype="text/plain",
        )

    def view(self) -> Response:
        refused = self.allowed()
        if refused is not None:
            return refused
        if self.registry is None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = self.registry
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def token_problem(environ: Mapping[str, str]) -> str | None:
    """Why ``METRICS_TOKEN`` in ``environ`` cannot be used, or None. deploy/production.py and
    gunicorn.conf.py check it before any worker starts, to refuse in one line (exit 4), not a traceback
    in each worker."""
    if environ.get(usage.USAGE_ENV, "").strip().lower() == "off":
        return None
    token = environ.get(TOKEN_ENV, "").strip()
    if token and len(token) < MIN_TOKEN_LENGTH:
        return f"{TOKEN_ENV} must be at least {MIN_TOKEN_LENGTH} characters long"
    return None


def install(app: Flask) -> None:
    """Serve `GET /metrics` from `app`, time its requests, and count the skill's turns into it.

    `USAGE_METRICS=off` leaves the app as it was (no route, no counting)."""
    if os.environ.get(usage.USAGE_ENV, "").strip().lower() == "off":
        return
    problem = token_problem(os.environ)
    if problem is not None:
        raise ValueError(problem)
    token = os.environ.get(TOKEN_ENV, "").strip() or None
    disable_created_metrics()  # type: ignore[no-untyped-call]  # creation times would date first requests
    metrics = WebMetrics(multiprocess=bool(os.environ.get(MULTIPROCESS_ENV)), token=token)
    usage.set_sink(metrics)
    app.extensions["tpi_metrics"] = metrics
    app.add_url_rule(
        "/metrics",
        endpoint="metrics",
        view_func=metrics.view,
        methods=["GET"],
        provide_automatic_options=False,
    )
    routes = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules() if not rule.arguments}
    app.wsgi_app = metrics.middleware(app.wsgi_app, routes)  # type: ignore[method-assign, assignment]
