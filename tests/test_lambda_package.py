"""The Lambda zip, built for real and run from its unpacked copy in an interpreter that sees nothing else.

Building fetches Lambda-platform wheels from PyPI (about 30 s cold), so the zip is built once per run.
The unpacked run uses `python -S -s` with only the unpacked directory on `PYTHONPATH`: no site-packages,
no editable install, no repo checkout, so a dependency missing from the zip fails here, not on Lambda.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
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

from skill.tools import envelopes, lambda_package
from skill.tools.lambda_package import (
    LAMBDA_PYTHON_VERSION,
    PROJECT_ROOT,
    BuildError,
    build_lambda_zip,
    is_pure_python_wheel,
    lambda_python,
)
from tests.pki import OTHER_SKILL_ID, SKILL_ID
from tests.sam_template import load_template

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


# Runs inside an unpacked zip whose every .py says "compiled from source" when executed: imports every
# module the zip holds (argv[1]), answers the envelope on stdin, and prints what failed to import.
_LOAD_EVERYTHING = """
import importlib, json, sys
assert not sys.flags.dont_write_bytecode  # Python may write .pyc files here: the test sees if it does
failed = {}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception as error:
        failed[name] = [type(error).__name__, getattr(error, "name", None), str(error)]
import lambda_function
answer = lambda_function.lambda_handler(json.load(sys.stdin), None)
print(json.dumps({"failed": failed, "loaded": sorted(sys.modules), "answer": answer}))
"""
SOURCE_MARKER = "compiled from source"


def pyc_name(source: str) -> str:
    """Where CPython of Lambda's version looks for a module's bytecode: in __pycache__ beside it."""
    folder, _, file = source.rpartition("/")
    tag = "cpython-" + LAMBDA_PYTHON_VERSION.replace(".", "")
    return f"{folder}/__pycache__/{file[:-3]}.{tag}.pyc".lstrip("/")


def module_name(source: str) -> str | None:
    parts = source[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts.pop()
    if parts[-1] == "__main__" or not all(part.isidentifier() for part in parts):
        return None  # a script, not a module to import
    return ".".join(parts)


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
    unpacked: Path, event: dict[str, Any], skill_id: str | None, *, allow_any_skill: bool = False
) -> subprocess.CompletedProcess[str]:
    """Call the handler from the unpacked zip in a fresh interpreter with a bare environment."""
    env = {"PYTHONPATH": str(unpacked), "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}
    if skill_id is not None:
        env["ALEXA_SKILL_ID"] = skill_id
    if allow_any_skill:
        env["ALEXA_ALLOW_ANY_SKILL"] = "1"
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
    assert sorted(outside_runtime) == ["skill/__init__.py", pyc_name("skill/__init__.py")]
    assert {"ask_sdk_core/__init__.py", "ask_sdk_model/__init__.py"} <= entries
    # The YAML parser is only needed to compile content.json; the Lambda reads the JSON.
    assert not [n for n in entries if n.startswith("yaml/")]


def test_zip_carries_lambda_platform_binaries_and_nothing_machine_specific(lambda_zip: Path) -> None:
    entries = names(lambda_zip)
    assert not [n for n in entries if n.endswith(".pyo") or n.startswith("bin/")]
    # Bytecode only as the zip's own modules compiled for Lambda's CPython, each beside its source.
    sources = {n for n in entries if n.endswith(".py")}
    compiled = {n for n in entries if "__pycache__/" in n or n.endswith(".pyc")}
    assert compiled == {pyc_name(n) for n in sources}
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


def test_every_module_has_unchecked_bytecode_for_lambdas_python(lambda_zip: Path) -> None:
    """Compiled by CPython of the runtime's version, and valid whatever the files' times say."""
    assert load_template()["Resources"]["SkillFunction"]["Properties"]["Runtime"] == (
        f"python{LAMBDA_PYTHON_VERSION}"
    )
    # This interpreter's magic number is the one checked below: it must be Lambda's version too.
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" == LAMBDA_PYTHON_VERSION
    with zipfile.ZipFile(lambda_zip) as archive:
        sources = [n for n in archive.namelist() if n.endswith(".py")]
        assert len(sources) > 100
        for name in sources:
            header = archive.read(pyc_name(name))[:16]
            assert header[:4] == importlib.util.MAGIC_NUMBER, name
            assert int.from_bytes(header[4:8], "little") == 0b01, name  # hash-based, never checked
            assert header[8:16] == importlib.util.source_hash(archive.read(name)), name  # of this source


def _tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_every_module_in_the_zip_loads_from_its_bytecode_without_writing_anything(
    lambda_zip: Path, tmp_path: Path
) -> None:
    """Lambda's code directory is read-only: a module without usable bytecode is compiled on every
    cold start. Here every source file is replaced by one that fails if executed, bytecode writing
    stays on, and every module is imported and a request answered: all of it must come from the
    .pyc files, and no file may be added or changed."""
    with zipfile.ZipFile(lambda_zip) as archive:
        archive.extractall(tmp_path)
        sources = [n for n in archive.namelist() if n.endswith(".py")]
    for name in sources:
        (tmp_path / name).write_text(f"raise RuntimeError({SOURCE_MARKER!r} + ': ' + __name__)\n")
    before = _tree(tmp_path)
    modules = [m for m in map(module_name, sources) if m]
    env = {"PYTHONPATH": str(tmp_path), "LANG": "C.UTF-8", "ALEXA_SKILL_ID": SKILL_ID}
    result = subprocess.run(
        [sys.executable, "-S", "-s", "-c", _LOAD_EVERYTHING, json.dumps(modules)],
        input=json.dumps(launch_envelope()),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert SOURCE_MARKER not in result.stderr
    report = json.loads(result.stdout)
    assert report["answer"]["response"]["outputSpeech"]["type"] == "SSML"
    # What may fail: modules for other platforms or optional extras, missing from the zip (winreg,
    # socks, h2...); never for lack of bytecode.
    shipped = {m.split(".")[0] for m in modules}
    for name, (kind, missing, message) in report["failed"].items():
        assert kind == "ModuleNotFoundError" and missing.split(".")[0] not in shipped, (name, message)
    assert set(modules) - set(report["failed"]) <= set(report["loaded"])
    assert _tree(tmp_path) == before


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
    # What ask-sdk's CustomSkill registers (user_agent_info): only the Dispatcher registers it here, in
    # a process where no other skill was ever built.
    assert response["userAgent"].startswith("ask-python/"), response.get("userAgent")


def test_unpacked_handler_refuses_to_start_without_a_skill_id(unpacked: Path) -> None:
    result = run_unpacked(unpacked, launch_envelope(), skill_id=None)
    assert result.returncode != 0
    assert "MissingSkillId" in result.stderr and "ALEXA_ALLOW_ANY_SKILL=1" in result.stderr
    assert result.stdout == ""


def test_unpacked_handler_answers_any_skill_only_when_told_to(unpacked: Path) -> None:
    result = run_unpacked(unpacked, launch_envelope(OTHER_SKILL_ID), skill_id=None, allow_any_skill=True)
    assert answer(result)["response"]["response"]["outputSpeech"]["type"] == "SSML"


@pytest.mark.parametrize("where", ["context", "session"])
def test_unpacked_handler_refuses_a_request_for_another_skill(unpacked: Path, where: str) -> None:
    event = launch_envelope(SKILL_ID)
    other = {"applicationId": OTHER_SKILL_ID}
    if where == "context":
        event["context"]["System"]["application"] = other
    else:
        event["session"]["application"] = other
    result = run_unpacked(unpacked, event, skill_id=SKILL_ID)
    assert result.returncode != 0
    assert "Skill ID Verification failed" in result.stderr
    assert result.stdout == ""


def test_unpacked_handler_answers_a_request_type_newer_than_its_sdk_with_an_empty_response(
    unpacked: Path,
) -> None:
    event = launch_envelope(SKILL_ID)
    event["request"]["type"] = "Alexa.Future.Request"
    assert answer(run_unpacked(unpacked, event, skill_id=SKILL_ID))["response"] == {
        "version": "1.0",
        "response": {},
    }


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


def test_the_zip_carries_the_sdk_versions_the_tests_ran_against(lambda_zip: Path) -> None:
    """Not whatever newer release PyPI has: skill.runtime.wire and dispatch are checked against these."""
    shipped = {n.split("/")[0] for n in names(lambda_zip) if n.endswith(".dist-info/METADATA")}
    for name in ("ask-sdk-core", "ask-sdk-model", "ask-sdk-runtime"):
        version = importlib.metadata.version(name)
        assert f"{name.replace('-', '_')}-{version}.dist-info" in shipped, (name, version, sorted(shipped))


class _StopBuild(Exception):
    pass


def test_the_build_pins_the_sdk_to_the_versions_installed_here(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """lambda/requirements.txt only bounds the versions; pip is told the exact ones, as constraints."""
    asked: list[tuple[str, ...]] = []
    constraints: list[str] = []

    def pip(python: str, *args: str) -> None:
        asked.append(args)
        constraints.extend(Path(args[args.index("-c") + 1]).read_text().split())
        raise _StopBuild

    monkeypatch.setattr(lambda_package, "_pip", pip)
    with pytest.raises(_StopBuild):
        build_lambda_zip(tmp_path / "lambda.zip")
    assert asked and asked[0][0] == "install"
    sdk = ("ask-sdk-core", "ask-sdk-model", "ask-sdk-runtime")
    assert sorted(constraints) == [f"{name}=={importlib.metadata.version(name)}" for name in sdk]


def test_a_build_where_the_sdk_is_not_installed_stops_before_downloading(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    def pip(python: str, *args: str) -> None:
        raise AssertionError("downloaded without knowing the versions to pin")

    monkeypatch.setattr(importlib.metadata, "version", missing)
    monkeypatch.setattr(lambda_package, "_pip", pip)
    with pytest.raises(BuildError, match=re.escape("scripts/run.sh python scripts/build_lambda.py")):
        build_lambda_zip(tmp_path / "lambda.zip")


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


def _fake_python(tmp_path: Path, says: str) -> Path:
    """An executable that answers the interpreter probe as another Python would."""
    fake = tmp_path / "python-fake"
    fake.write_text(f"#!/bin/sh\necho {says}\n")
    fake.chmod(0o755)
    return fake


@pytest.mark.parametrize("says", ["cpython 3.12", "cpython 3.10", "pypy 3.11"])
def test_bytecode_is_never_compiled_by_a_python_lambda_does_not_run(tmp_path: Path, says: str) -> None:
    """Bytecode of another version would be ignored by Lambda and compiled again on every cold start."""
    fake = str(_fake_python(tmp_path, says))
    with pytest.raises(BuildError, match=f"CPython {LAMBDA_PYTHON_VERSION}"):
        lambda_python(fake)
    with pytest.raises(BuildError):  # before anything is downloaded or written
        build_lambda_zip(tmp_path / "lambda.zip", python=fake)
    assert not (tmp_path / "lambda.zip").exists()
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "scripts" / "build_lambda.py"),
            "--no-skill-package",
            *("--output", str(tmp_path / "lambda.zip"), "--python", fake),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert f"CPython {LAMBDA_PYTHON_VERSION}" in result.stderr and "Traceback" not in result.stderr


def test_this_interpreter_compiles_the_bytecode_when_it_is_lambdas_version() -> None:
    assert lambda_python() == sys.executable


def test_the_lambda_path_imports_no_service_client_and_no_date_parser(unpacked: Path) -> None:
    """ask-sdk's skill class imports every Alexa service client and, through them, dateutil's time zones:
    about 40% of a hello-world's import time that no request of this skill needs."""
    code = (
        "import json, sys, lambda_function\n"
        "for line in sys.stdin:\n"
        "    assert lambda_function.lambda_handler(json.loads(line), None)['response']['outputSpeech']\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    launch = launch_envelope()
    topic = envelopes.envelope(
        envelopes.intent("TreatedMusclesIntent"), session=envelopes.Session(new=False), skill_id=SKILL_ID
    )
    result = subprocess.run(
        [sys.executable, "-S", "-s", "-c", code],
        input=f"{json.dumps(launch)}\n{json.dumps(topic)}\n",
        capture_output=True,
        text=True,
        cwd=unpacked,
        env={"PYTHONPATH": str(unpacked), "PYTHONDONTWRITEBYTECODE": "1", "ALEXA_SKILL_ID": SKILL_ID},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    for heavy in ("ask_sdk_core.skill", "ask_sdk_model.services", "dateutil", "ask_sdk_core.serialize"):
        assert heavy not in loaded
