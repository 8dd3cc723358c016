"""The command line: ``bash scripts/run.sh python deploy/production.py [options]``."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from deploy.launch.config import METRICS_LISTEN, StartError, is_loopback_listen
from deploy.launch.supervision import Service, catch_stop_signals
from deploy.launch.users import DEFAULT_USER, service_user
from skill.web.metrics import TOKEN_ENV as METRICS_TOKEN_ENV
from skill.web.metrics import token_problem

DEFAULT_APP = "skill.web.wsgi:app"
TEST_APP_ENV = "TPI_PRODUCTION_TEST_APP"
"""Set to 1 by the tests and benchmarks, which serve an app trusting their own CA: --app is refused
without it, so a typo cannot put an unverified app on a public port."""
WILL_NOT_START = 4
"""Exit status for "will not start as configured": the documented systemd unit does not retry it."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bash scripts/run.sh python deploy/production.py",
        description="Serve the skill in production: nginx in front of gunicorn. Needs ALEXA_SKILL_ID "
        "(or ALEXA_ALLOW_ANY_SKILL=1 to answer any skill's requests on purpose).",
    )
    parser.add_argument(
        "--listen",
        help="address:port for nginx (default 0.0.0.0:443 with TLS, else 127.0.0.1:8080 for a TLS proxy "
        "or load balancer in front)",
    )
    parser.add_argument("--tls-cert", help="PEM certificate chain for HTTPS (the leaf first)")
    parser.add_argument("--tls-key", help="PEM private key of that certificate")
    parser.add_argument(
        "--metrics-listen",
        default=METRICS_LISTEN,
        help=f"address:port where nginx serves only GET /metrics to this machine (default {METRICS_LISTEN}); "
        f"another address needs {METRICS_TOKEN_ENV}",
    )
    parser.add_argument(
        "--user",
        help=f"when started as root, the unprivileged user nginx's and gunicorn's workers run as (default "
        f"{DEFAULT_USER}, created if missing)",
    )
    parser.add_argument(
        "--app", default=DEFAULT_APP, help=f"WSGI app for gunicorn (tests only: needs {TEST_APP_ENV}=1)"
    )
    parser.add_argument(
        "--run-dir", type=Path, help="directory for the socket, nginx's config and temp files"
    )
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if args.app != DEFAULT_APP and os.environ.get(TEST_APP_ENV) != "1":
        parser.exit(2, f"production: --app is for tests only; the service serves {DEFAULT_APP}\n")
    if args.listen is None:
        args.listen = "0.0.0.0:443" if args.tls_cert else "127.0.0.1:8080"
    if args.metrics_listen == args.listen:
        parser.error("--metrics-listen must differ from --listen")
    problem = token_problem(os.environ)
    if problem is not None:
        parser.exit(WILL_NOT_START, f"production: refusing to start: {problem}\n")
    if not is_loopback_listen(args.metrics_listen) and not os.environ.get(METRICS_TOKEN_ENV, "").strip():
        parser.exit(
            2,
            f"production: --metrics-listen {args.metrics_listen} is not a loopback address; set "
            f"{METRICS_TOKEN_ENV} to serve the usage figures beyond this machine\n",
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    catch_stop_signals()
    owned = args.run_dir is None
    run_dir = Path(tempfile.mkdtemp(prefix="tpi-skill-")) if owned else args.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    service: Service | None = None
    try:
        service = Service(args, run_dir, service_user(args.user))
        service.start()
        return service.wait()
    except StartError as error:
        print(f"production: {error}", file=sys.stderr)
        code = service.gunicorn.returncode if service is not None and service.gunicorn is not None else None
        return code if code else 1
    finally:
        if service is not None:
            service.stop()
        if owned:
            shutil.rmtree(run_dir, ignore_errors=True)
        elif service is not None:
            for made in service.made:
                shutil.rmtree(made, ignore_errors=True)
