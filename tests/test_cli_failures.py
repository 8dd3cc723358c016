"""Every way `chat`, `ask` and `serve` can fail for a newcomer ends in one or two plain lines that say what
to do, and a non-zero exit: the real command in a child process, never a traceback."""

from __future__ import annotations

import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import pytest

from tests.cli_process import (
    TPI_SKILL,
    assert_fails_helpfully,
    command_env,
    free_port,
    serving,
    tpi_skill,
)
from tests.helpers_server import http_server

QUESTION = "which muscles are treated"


@contextmanager
def answering(status: int, body: bytes, content_type: str = "text/html") -> Iterator[str]:
    """A web server that is not the skill: every POST gets `status` and `body`."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    with http_server(Handler) as base:
        yield f"{base}/"


@pytest.mark.parametrize("command", [["ask", QUESTION], ["chat"]])
def test_nothing_listening_at_url_says_how_to_start_a_server(command: list[str]) -> None:
    port = free_port()
    result = tpi_skill(*command, "--url", f"http://127.0.0.1:{port}/", stdin=f"{QUESTION}\n")
    assert_fails_helpfully(result, "Connection refused", f"tpi-skill serve --no-verify --port {port}")


@pytest.mark.parametrize("command", [["ask", QUESTION], ["chat"]])
def test_a_verifying_server_at_url_says_how_to_start_one_that_answers(command: list[str]) -> None:
    with serving() as (url, _):  # what `bash scripts/run.sh` starts: verification on
        result = tpi_skill(*command, "--url", url, stdin=f"{QUESTION}\n")
    assert_fails_helpfully(result, "HTTP 400", "not signed", "serve --no-verify --port")
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    assert f"--url http://127.0.0.1:{port + 1}/" in result.stderr  # a free port beside the verifying one


def test_the_hints_show_the_command_as_the_user_runs_it() -> None:
    port = free_port()
    result = tpi_skill(
        "ask",
        "--url",
        f"http://127.0.0.1:{port}/",
        QUESTION,
        env={"TPI_SKILL_COMMAND": "bash scripts/run.sh"},
    )
    assert_fails_helpfully(result, f"bash scripts/run.sh serve --no-verify --port {port}")


def test_the_wrong_path_at_url_points_to_the_server_s_root() -> None:
    with serving("--no-verify") as (url, _):
        result = tpi_skill("ask", "--url", f"{url}healthz", QUESTION)
    assert_fails_helpfully(result, "HTTP 405", f"--url {url}")


def test_a_server_that_is_not_the_skill_is_named_as_such() -> None:
    with answering(200, b"<html>hello</html>") as url:
        result = tpi_skill("ask", "--url", url, QUESTION)
    assert_fails_helpfully(result, "not an Alexa response", "serve --no-verify")


def test_a_failing_server_points_to_its_log() -> None:
    with answering(500, b'{"error": "internal server error"}', "application/json") as url:
        result = tpi_skill("ask", "--url", url, QUESTION)
    assert_fails_helpfully(result, "HTTP 500: internal server error", "log")


def test_chat_keeps_its_transcript_when_the_server_goes_away() -> None:
    with serving("--no-verify") as (url, server):
        process = subprocess.Popen(
            [str(TPI_SKILL), "chat", "--url", url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=command_env(),
        )
        assert process.stdout is not None and process.stdin is not None
        assert b"Welcome" in process.stdout.readline() + process.stdout.readline()
        server.terminate()
        server.wait(timeout=10)
        out, err = process.communicate(f"{QUESTION}\n".encode(), timeout=60)
    result = subprocess.CompletedProcess(process.args, process.returncode, out.decode(), err.decode())
    assert_fails_helpfully(result, "No answer from the skill", "serve --no-verify")


def test_serve_on_a_port_in_use_says_how_to_pick_another() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = tpi_skill("serve", "--port", str(port), timeout=30)
    assert_fails_helpfully(result, f"port {port} on 127.0.0.1 is already in use", f"serve --port {port + 1}")


def test_serve_keeps_the_user_s_options_in_the_hint() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = tpi_skill("serve", "--no-verify", "--port", str(port), timeout=30)
    assert_fails_helpfully(result, f"serve --no-verify --port {port + 1}")


@pytest.mark.parametrize(
    ("host", "says"),
    [("192.0.2.1", "192.0.2.1 is not an address of this machine"), ("no-such-host.invalid", "Cannot serve")],
)
def test_serve_on_an_address_that_is_not_this_machine_s(host: str, says: str) -> None:
    result = tpi_skill("serve", "--host", host, timeout=60)
    assert_fails_helpfully(result, says, "tpi-skill serve (127.0.0.1)")


def test_serve_without_verification_off_loopback_is_refused_plainly() -> None:
    result = tpi_skill("serve", "--no-verify", "--host", "0.0.0.0")
    assert_fails_helpfully(result, "loopback", "--no-verify")
    assert result.returncode == 2


def test_a_verifying_server_tells_how_to_talk_to_it() -> None:
    with serving() as (url, process):
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "verification on" in err.decode()
    assert f"chat --url {url}" in err.decode()
    assert "serve --no-verify" in err.decode()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["ask"], "the following arguments are required: text"),
        (["ask", "  "], "no question"),
        (["chat", "--locale", "fr-FR"], "invalid choice: 'fr-FR'"),
        (["ask", "--url", "localhost:5000", QUESTION], "not a web address"),
        (["serve", "--port", "http"], "not a port number"),
        (["serve", "--port", "70000"], "not a port number"),
        (["chta"], "invalid choice: 'chta'"),
        ([], "the following arguments are required"),
    ],
)
def test_bad_arguments_say_what_is_wrong_and_where_to_look(args: list[str], says: str) -> None:
    result = tpi_skill(*args)
    assert_fails_helpfully(result, says)
    assert result.returncode == 2
    assert "usage:" not in result.stderr  # no wall of usage text, a pointer to it
    assert "--help" in result.stderr or "ask " in result.stderr


def test_input_that_is_not_text_is_refused_plainly() -> None:
    result = tpi_skill("chat", stdin=b"\xff\xfe which muscles\n")
    assert_fails_helpfully(result, "not UTF-8 text")
    assert "Welcome" in result.stdout


def test_a_question_that_is_not_text_is_refused_plainly() -> None:
    result = tpi_skill("ask", b"\xff\xfe")
    assert_fails_helpfully(result, "not UTF-8 text")


def test_ctrl_c_leaves_chat_without_a_traceback() -> None:
    process = subprocess.Popen(
        [str(TPI_SKILL), "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=command_env(),
    )
    assert process.stdout is not None
    assert b"Welcome" in process.stdout.readline() + process.stdout.readline()  # waiting for a line now
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert b"Traceback" not in err


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    with tempfile.TemporaryFile() as typed:
        typed.write(b"help\n" * 2000)  # far more answers than a pipe holds
        typed.seek(0)
        process = subprocess.Popen(
            [str(TPI_SKILL), "chat"],
            stdin=typed,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=command_env(),
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()  # like `| head -1`
        process.stdout.close()
        err = process.stderr.read()
        process.wait(timeout=60)
    assert b"Traceback" not in err
    assert b"Exception ignored" not in err
    assert process.returncode != 0
