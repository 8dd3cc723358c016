"""Nobody but nginx reaches gunicorn, and the app does not run as root.

The review found gunicorn's socket srwxrwxrwx in a 0711 run directory whose name shows in /tmp: any
local user could read /metrics (a peer on the socket counts as this machine) or hold every gunicorn
thread with half-sent requests, bypassing nginx; and the README's command, run as root, ran the app as
root. Started as root, ``deploy/production.py`` now runs nginx's and gunicorn's workers as the
unprivileged ``tpi-skill`` user; started as anyone else, everything runs as that user, and the socket
is theirs alone either way.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import pki
from tests.helpers_server import ROOT, Production, running_production
from tests.test_hardening_nginx import bench_env, genuine, post

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="starting as root is what is tested (CI runs as root)")


@pytest.fixture(scope="module")
def signing() -> pki.SigningChain:
    return pki.chain_valid_around(dt.datetime.now(dt.UTC))


@pytest.fixture(scope="module")
def temp() -> Iterator[Path]:
    """The launcher's temp folder, so the test can find its run directory."""
    folder = Path(tempfile.mkdtemp(prefix="tpi-test-tmp-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def production(
    temp: Path, tmp_path_factory: pytest.TempPathFactory, signing: pki.SigningChain
) -> Iterator[Production]:
    env = {**bench_env(tmp_path_factory.mktemp("privileges"), signing), "TMPDIR": str(temp)}
    with running_production(env, app="bench_wsgi:app") as running:
        yield running


def run_dir(temp: Path) -> Path:
    (found,) = [entry for entry in temp.iterdir() if entry.name.startswith("tpi-skill-")]
    return found


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat_line = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat_line.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def command_of(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def uid_of(pid: int) -> int:
    return os.stat(f"/proc/{pid}").st_uid


def connects_as(user: str, path: Path) -> str:
    """Try to connect to the unix socket ``path`` as ``user`` (a forked child); what happened."""
    entry = pwd.getpwnam(user)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: only already-imported code, then _exit
        outcome = b"connected"
        try:
            os.setgroups([])
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect(str(path))
        except PermissionError:
            outcome = b"refused"
        except BaseException as exc:
            outcome = type(exc).__name__.encode()
        os.write(write, outcome)
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    with os.fdopen(read, "rb") as pipe:
        return pipe.read().decode()


@as_root
def test_started_as_root_the_socket_is_the_service_users_alone(production: Production, temp: Path) -> None:
    service = pwd.getpwnam("tpi-skill")
    folder = run_dir(temp)
    info = folder.stat()
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o710, 0, service.pw_gid)
    sock = (folder / "gunicorn.sock").stat()
    assert stat.S_ISSOCK(sock.st_mode)
    assert (stat.S_IMODE(sock.st_mode), sock.st_uid) == (0o600, service.pw_uid)
    for private in ("metrics", "state"):
        info = (folder / private).stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o700, service.pw_uid), private


@as_root
def test_another_local_user_cannot_reach_gunicorn(production: Production, temp: Path) -> None:
    sock = run_dir(temp) / "gunicorn.sock"
    assert connects_as("nobody", sock) == "refused"
    assert connects_as("tpi-skill", sock) == "connected"  # nginx's workers do, as this user


@as_root
def test_started_as_root_the_app_and_nginxs_workers_run_as_the_service_user(
    production: Production, signing: pki.SigningChain
) -> None:
    body, headers = genuine(signing)
    assert post(production, body, headers)[0] == 200  # the workers answer, as tpi-skill
    service = pwd.getpwnam("tpi-skill").pw_uid
    launched = children(production.process.pid)
    (gunicorn,) = [pid for pid in launched if b"gunicorn" in command_of(pid)]
    (nginx,) = [pid for pid in launched if b"nginx" in command_of(pid)]
    gunicorn_workers, nginx_workers = children(gunicorn), children(nginx)
    assert gunicorn_workers and nginx_workers
    assert {uid_of(pid) for pid in gunicorn_workers + nginx_workers} == {service}


def test_a_unix_socket_from_gunicorn_conf_is_its_users_alone(tmp_path: Path) -> None:
    """Run as anyone (no --user), gunicorn.conf.py's umask makes the socket 0600."""
    sock = tmp_path / "g.sock"
    env = {
        "PATH": os.environ["PATH"],
        "ALEXA_ALLOW_ANY_SKILL": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "LOG_LEVEL": "warning",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"unix:{sock}",
    ]
    server = subprocess.Popen([*command, "skill.web.wsgi:app"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not sock.exists() and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
    finally:
        server.terminate()
        server.wait(timeout=30)


def _every_kind_of_request() -> dict[str, dict[str, object]]:
    """One envelope per code path a patient can reach, including those that import lazily (a re-ask's
    dialog directive, the screen, CanFulfill): a worker that dropped root may not read what it imports."""
    from skill.tools import envelopes
    from skill.tools.envelopes import Session, SlotFill

    def wrapped(request: dict[str, object], screen: bool = False) -> dict[str, object]:
        return envelopes.envelope(request, session=Session(), screen=screen, skill_id=pki.SKILL_ID)

    def body_part(fill: SlotFill) -> dict[str, object]:
        return wrapped(envelopes.intent("BodyPartIntent", {"bodyPart": fill}))

    can_fulfill = envelopes.intent("TreatedMusclesIntent")
    can_fulfill["type"] = "CanFulfillIntentRequest"
    return {
        "launch": wrapped(envelopes.launch()),
        "topic on a screen": wrapped(envelopes.intent("TreatedMusclesIntent"), screen=True),
        "body part": wrapped(
            envelopes.intent("BodyPartIntent", {"bodyPart": SlotFill("neck", "neck", "neck")})
        ),
        "unheard body part (re-ask)": wrapped(
            envelopes.intent("BodyPartIntent", {"bodyPart": SlotFill(None)})
        ),
        "unlisted body part": body_part(SlotFill("knee")),
        "screen touch": wrapped(envelopes.user_event(["topic", "benefits"]), screen=True),
        "help": wrapped(envelopes.intent("AMAZON.HelpIntent", locale="en-GB")),
        "fallback": wrapped(envelopes.intent("AMAZON.FallbackIntent", locale="en-IN")),
        "slower": wrapped(envelopes.intent("SpeakSlowerIntent", locale="en-AU")),
        "can fulfill": wrapped(can_fulfill),
        "session ended": wrapped(envelopes.session_ended()),
    }


@as_root
def test_the_service_users_workers_answer_every_kind_of_request(
    production: Production, signing: pki.SigningChain
) -> None:
    import json

    from skill.runtime.content import load_content

    apology = load_content().phrases["error"]
    for kind, event in _every_kind_of_request().items():
        body = json.dumps(event).encode()
        headers = {"Content-Type": "application/json", **pki.signed_headers(body, signing)}
        status, reply = post(production, body, headers)
        assert status == 200, (kind, reply[:300])
        answer = json.loads(reply)
        if kind not in ("can fulfill", "session ended"):
            speech = answer["response"]["outputSpeech"]["ssml"]
            assert speech.count(" ") > 2 and apology not in speech, (kind, speech)
