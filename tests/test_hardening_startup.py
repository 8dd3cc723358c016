"""The production web entry point refuses to start without a skill ID, unless told on purpose.

``skill.web.wsgi`` (and so gunicorn, and so ``deploy/production.py``) exits with one line naming what
to set; ``ALEXA_ALLOW_ANY_SKILL=1`` is the documented opt-out. ``tpi-skill serve`` is for development
and keeps serving without one (tests/test_web_serve.py).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import skill.web.wsgi as wsgi
from skill.runtime.app import MissingSkillId
from tests.helpers_server import ROOT, free_port
from tests.pki import SKILL_ID

REFUSAL = "Refusing to start: set ALEXA_SKILL_ID"


@pytest.fixture
def fresh_wsgi(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No skill ID in the environment, and no ``app`` built by an earlier test."""
    monkeypatch.delenv("ALEXA_SKILL_ID", raising=False)
    monkeypatch.delenv("ALEXA_ALLOW_ANY_SKILL", raising=False)
    vars(wsgi).pop("app", None)
    yield
    vars(wsgi).pop("app", None)


@pytest.mark.usefixtures("fresh_wsgi")
def test_build_app_without_a_skill_id_raises() -> None:
    with pytest.raises(MissingSkillId, match="ALEXA_ALLOW_ANY_SKILL=1"):
        wsgi.build_app()


@pytest.mark.usefixtures("fresh_wsgi")
@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_skill_id_counts_as_none(monkeypatch: pytest.MonkeyPatch, blank: str) -> None:
    monkeypatch.setenv("ALEXA_SKILL_ID", blank)
    with pytest.raises(MissingSkillId):
        wsgi.build_app()


@pytest.mark.usefixtures("fresh_wsgi")
def test_the_servers_app_attribute_exits_with_gunicorns_app_load_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(SystemExit) as exited:
        _ = wsgi.app
    assert exited.value.code == 4
    assert any(r.levelno == logging.CRITICAL and REFUSAL in r.getMessage() for r in caplog.records)


@pytest.mark.usefixtures("fresh_wsgi")
@pytest.mark.parametrize("value", ["true", "yes", "0", ""])
def test_only_exactly_1_opts_out(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ALEXA_ALLOW_ANY_SKILL", value)
    with pytest.raises(MissingSkillId):
        wsgi.build_app()


@pytest.mark.usefixtures("fresh_wsgi")
def test_the_opt_out_starts_and_still_verifies_signatures(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ALEXA_ALLOW_ANY_SKILL", "1")
    client = wsgi.app.test_client()
    assert "application ID is not checked" in caplog.text
    assert client.post("/", data=b'{"version": "1.0", "request": {}}').status_code == 400


@pytest.mark.usefixtures("fresh_wsgi")
def test_with_a_skill_id_the_app_is_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALEXA_SKILL_ID", SKILL_ID)
    assert wsgi.app is wsgi.app


@pytest.mark.parametrize("attempt", range(3))  # two workers exiting at once made gunicorn print a traceback
def test_gunicorn_without_a_skill_id_stops_with_one_line_and_no_traceback(attempt: int) -> None:
    env = {"PATH": os.environ["PATH"], "LOG_LEVEL": "info"}
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    command += ["--bind", f"127.0.0.1:{free_port()}", "skill.web.wsgi:app"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=60, check=False)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 4, stderr  # gunicorn's "app failed to load": a supervisor should not retry
    assert REFUSAL in stderr
    assert "Traceback" not in stderr
    assert "Booting worker" not in stderr


def test_the_production_launcher_without_a_skill_id_exits_4() -> None:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LOG_LEVEL": "warning"}
    command = [sys.executable, str(ROOT / "deploy" / "production.py"), "--listen", f"127.0.0.1:{free_port()}"]
    # A session of its own: should it start after all, everything it started can be stopped with it.
    launcher = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _, err = launcher.communicate(timeout=120)
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
    stderr = err.decode("utf-8", "replace")
    assert launcher.returncode == 4, stderr
    assert REFUSAL in stderr
    assert "Traceback" not in stderr


# --- gunicorn.conf.py leaves nothing behind; bad settings stop it in one line ----------------------------


def gunicorn(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), *args]
    full_env = {"PATH": os.environ["PATH"], "LOG_LEVEL": "info", **env}
    return subprocess.run(
        command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--check-config", "skill.web.wsgi:app"],
        ["--bind", "127.0.0.1:0", "tests.no_such_module:app"],  # the app fails to load in the workers
        ["--bind", "127.0.0.1:0", "skill.web.wsgi:app"],  # no skill ID: refused in when_ready
    ],
    ids=["check-config", "app-fails-to-load", "refused"],
)
def test_gunicorn_leaves_no_counts_directory_behind(tmp_path: Path, args: list[str]) -> None:
    done = gunicorn(args, {"TMPDIR": str(tmp_path)})
    assert done.returncode != 0 or "--check-config" in args, done.stderr
    assert list(tmp_path.iterdir()) == [], done.stderr


SHORT_TOKEN = "Refusing to start: METRICS_TOKEN must be at least 16 characters long"


def test_gunicorn_with_a_short_metrics_token_stops_with_one_line_and_exit_4() -> None:
    env = {"ALEXA_SKILL_ID": SKILL_ID, "METRICS_TOKEN": "short"}
    done = gunicorn(["--bind", f"127.0.0.1:{free_port()}", "skill.web.wsgi:app"], env)
    assert done.returncode == 4, done.stderr
    assert SHORT_TOKEN in done.stderr
    assert "Traceback" not in done.stderr
    assert "Booting worker" not in done.stderr


def launch(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "deploy" / "production.py"), *args]
    full_env = {"PATH": os.environ["PATH"], **env}
    return subprocess.run(
        command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_launcher_with_a_short_metrics_token_exits_4_in_one_line() -> None:
    done = launch(
        ["--listen", f"127.0.0.1:{free_port()}"], {"ALEXA_SKILL_ID": SKILL_ID, "METRICS_TOKEN": "short"}
    )
    assert (done.returncode, done.stderr) == (
        4,
        "production: refusing to start: METRICS_TOKEN must be at least 16 characters long\n",
    )


def test_the_launcher_serves_another_app_only_in_tests() -> None:
    done = launch(["--app", "bench_wsgi:app"], {"ALEXA_SKILL_ID": SKILL_ID})
    assert (done.returncode, done.stderr) == (
        2,
        "production: --app is for tests only; the service serves skill.web.wsgi:app\n",
    )
