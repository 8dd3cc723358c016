"""The Lambda zip, built for real and run from its unpacked copy in an interpreter that sees nothing else.

Building fetches Lambda-platform wheels from PyPI (about 30 s cold), so the zip is built once per run.
The unpacked run uses `python -S -s` with only the unpacked directory on `PYTHONPATH`: no site-packages,
no editable install, no repo checkout, so a dependency missing from the zip fails here, not on Lambda.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skill.tools import envelopes
from skill.tools.lambda_package import PROJECT_ROOT, build_lambda_zip, is_pure_python_wheel
from tests.pki import OTHER_SKILL_ID, SKILL_ID

# Printed by the runner through `logging.debug`: seeing it on stderr proves records at every level get there.
DEBUG_MARKER = "runner: logging at DEBUG"

# Runs inside the unpacked zip: reads an envelope on stdin, prints the handler's answer as JSON.
# Logging goes to stderr at DEBUG, so whatever the handler or the SDK logs, at any level, is seen.
_RUNNER = f"""
import importlib.util, json, logging, sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
logging.getLogger("runner").debug({DEBUG_MARKER!r})
for forbidden in ("flask", "cryptography", "gunicorn"):
    try:
        found = importlib.util.find_spec(forbidden) is not None
    except ModuleNotFoundError:
        found = False
    if found:
        sys.exit("not for Lambda, yet importable: " + forbidden)
import ask_sdk_core, lambda_function, skill
print(json.dumps({{
    "paths": [ask_sdk_core.__file__, skill.__file__, lambda_function.__file__],
    "response": lambda_function.lambda_handler(json.load(sys.stdin), None),
}}))
"""


def launch_envelope(application_id: str = SKILL_ID) -> dict[str, Any]:
    """A LaunchRequest opening a session, as Alexa sends it to Lambda."""
    return envelopes.envelope(envelopes.launch(), session=envelopes.Session(), skill_id=application_id)


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_lambda_zip(tmp_path_factory.mktemp("dist") / "lambda.zip")


@pytest.fixture(scope="module")
def unpacked(lambda_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(lambda_zip) as archive:
        archive.extractall(target)
    return target


def run_unpacked(
    unpacked: Path, event: dict[str, Any], skill_id: str | None
) -> subprocess.CompletedProcess[str]:
    """Call the handler from the unpacked zip in a fresh interpreter with a bare environment."""
    env = {"PYTHONPATH": str(unpacked), "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
    if skill_id is not None:
        env["ALEXA_SKILL_ID"] = skill_id
    return subprocess.run(
        [sys.executable, "-S", "-s", "-c", _RUNNER],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=unpacked,
        env=env,
        timeout=60,
        check=False,
    )


def answer(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def names(lambda_zip: Path) -> list[str]:
    with zipfile.ZipFile(lambda_zip) as archive:
        return archive.namelist()


def test_zip_holds_entry_point_skill_and_dependencies_at_its_root(lambda_zip: Path) -> None:
    entries = set(names(lambda_zip))
    assert "lambda_function.py" in entries
    assert {
        "skill/__init__.py",
        "skill/runtime/app.py",
        "skill/runtime/data/content.json",
    } <= entries
    # The runtime is the whole of what ships: no web service, tools or reviewed sources.
    outside_runtime = [n for n in entries if n.startswith("skill/") and not n.startswith("skill/runtime/")]
    assert outside_runtime == ["skill/__init__.py"]
    assert {"ask_sdk_core/__init__.py", "ask_sdk_model/__init__.py"} <= entries
    # The YAML parser is only needed to compile content.json; the Lambda reads the JSON.
    assert not [n for n in entries if n.startswith("yaml/")]


def test_zip_carries_lambda_platform_binaries_and_nothing_machine_specific(lambda_zip: Path) -> None:
    entries = names(lambda_zip)
    assert not [
        n for n in entries if "__pycache__" in n or n.endswith((".pyc", ".pyo")) or n.startswith("bin/")
    ]
    # Any compiled extension must be CPython 3.11 on x86_64 Linux, whatever machine built the zip.
    extensions = [n for n in entries if n.endswith(".so")]
    assert all(re.search(r"cpython-311-x86_64-linux-gnu\.so$", n) for n in extensions), extensions


def test_zip_leaves_out_the_web_service_stack(lambda_zip: Path) -> None:
    top_level = {name.split("/", 1)[0].lower() for name in names(lambda_zip)}
    for package in (
        "flask",
        "flask_ask_sdk",
        "cryptography",
        "gunicorn",
        "werkzeug",
        "ask_sdk_webservice_support",
    ):
        assert package not in top_level
    # Nor the YAML sources: the runtime reads their compiled JSON.
    assert not any(name.endswith(".yaml") for name in names(lambda_zip))


def test_zip_is_deterministic(lambda_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(lambda_zip) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    # Two builds from one frozen copy of the sources (the checkout may change while tests run).
    snapshot = tmp_path / "src"
    for part in ("skill", "lambda"):
        shutil.copytree(PROJECT_ROOT / part, snapshot / part, ignore=shutil.ignore_patterns("__pycache__"))
    first = build_lambda_zip(tmp_path / "first.zip", root=snapshot)  # wheels are in pip's cache by now
    second = build_lambda_zip(tmp_path / "second.zip", root=snapshot)
    assert first.read_bytes() == second.read_bytes()


def test_unpacked_handler_answers_a_launch_request_in_an_isolated_interpreter(unpacked: Path) -> None:
    result = answer(run_unpacked(unpacked, launch_envelope(), skill_id=SKILL_ID))
    for path in result["paths"]:
        assert Path(path).resolve().is_relative_to(unpacked.resolve()), path
    response = result["response"]
    assert response["version"] == "1.0"
    speech = response["response"]["outputSpeech"]
    assert speech["type"] == "SSML"
    assert speech["ssml"].startswith("<speak>") and speech["ssml"].endswith("</speak>")
    assert len(speech["ssml"]) > len("<speak></speak>")


def test_unpacked_handler_answers_without_a_configured_skill_id(unpacked: Path) -> None:
    response = answer(run_unpacked(unpacked, launch_envelope(OTHER_SKILL_ID), skill_id=None))["response"]
    assert response["response"]["outputSpeech"]["type"] == "SSML"


def test_unpacked_handler_refuses_a_request_for_another_skill(unpacked: Path) -> None:
    result = run_unpacked(unpacked, launch_envelope(OTHER_SKILL_ID), skill_id=SKILL_ID)
    assert result.returncode != 0
    assert "Skill ID Verification failed" in result.stderr
    assert result.stdout == ""


def test_handler_logs_nothing_about_the_person(unpacked: Path) -> None:
    result = run_unpacked(unpacked, launch_envelope(), skill_id=SKILL_ID)
    assert result.returncode == 0, result.stderr
    assert DEBUG_MARKER in result.stderr  # debug records reach stderr, so the check below sees all levels
    for identifier in (envelopes.LOCAL_USER_ID, envelopes.LOCAL_DEVICE_ID):
        assert identifier not in result.stderr


def _requirements(lines: Iterator[str]) -> dict[str, str]:
    parsed = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", line)
            assert match, line
            parsed[match.group(1).lower().replace("_", "-")] = match.group(2).replace(" ", "")
    return parsed


def test_lambda_requirements_match_the_project_dependencies() -> None:
    """lambda/requirements.txt is a subset of pyproject.toml's dependencies, with the same specifiers."""
    lambda_requirements = _requirements(
        iter((PROJECT_ROOT / "lambda" / "requirements.txt").read_text().splitlines())
    )
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    project_requirements = _requirements(iter(project["project"]["dependencies"]))
    assert set(lambda_requirements) == {"ask-sdk-core", "ask-sdk-model"}
    for name, specifier in lambda_requirements.items():
        assert project_requirements.get(name) == specifier, name


@pytest.mark.parametrize(
    ("filename", "pure"),
    [
        ("six-1.17.0-py2.py3-none-any.whl", True),
        ("ask_sdk_core-1.19.0-py2.py3-none-any.whl", True),
        ("PyYAML-6.0.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", False),
        ("pkg-1.0-cp311-cp311-linux_x86_64.whl", False),
        ("pkg-1.0.tar.gz", False),
    ],
)
def test_only_pure_python_wheels_built_here_are_accepted_for_lambda(filename: str, pure: bool) -> None:
    assert is_pure_python_wheel(filename) is pure


def test_the_build_command_writes_the_zip_where_asked(tmp_path: Path) -> None:
    output = tmp_path / "out" / "lambda.zip"
    staged = tmp_path / "skill-package"
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "scripts" / "build_lambda.py"),
            "--output",
            str(output),
            "--skill-package-output",
            str(staged),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert zipfile.is_zipfile(output)
    assert (staged / "skill.json").is_file()
