"""Builds the AWS Lambda deployment zip and a symlink-free copy of the ASK skill package.

Lives in the package (not in the script) so tests can call it; `scripts/build_lambda.py` is the CLI.
Dependencies are installed for Lambda's platform, not this machine's, so a zip built on any Linux,
macOS or CI runner carries the right binary wheels (PyYAML's C extension, for one).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The source checkout this module sits in; the build reads `skill/` and `lambda/` from here."""

LAMBDA_PYTHON_VERSION = "3.11"
LAMBDA_PLATFORM = "manylinux2014_x86_64"
DEFAULT_OUTPUT = Path("dist/lambda.zip")
DEFAULT_SKILL_PACKAGE_OUTPUT = Path("build/skill-package")

# Zip's earliest representable time: every build of the same inputs gives the same bytes.
_FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644  # regular file, rw-r--r--: Lambda only needs to read
_EXCLUDED_DIRS = frozenset({"__pycache__"})
_EXCLUDED_SUFFIXES = (".pyc", ".pyo")
_LAMBDA_ARN = re.compile(
    r"arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9_$-]+)?"
)


class BuildError(RuntimeError):
    """The zip could not be built; the message says what to do."""


def load_handler_module(name: str = "lambda_function", root: Path = PROJECT_ROOT) -> ModuleType:
    """Import `lambda/lambda_function.py` by file, as Lambda does (it is not in a package), under `name`."""
    spec = importlib.util.spec_from_file_location(name, root / "lambda" / "lambda_function.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pip(python: str, *args: str) -> None:
    """Run pip quietly; a failure surfaces pip's own output, which names the package at fault."""
    command = [python, "-m", "pip", "--disable-pip-version-check", "--no-input", *args]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def is_pure_python_wheel(filename: str) -> bool:
    """True for wheels that run on any platform (tag `none-any`), so a local build suits Lambda."""
    if not filename.endswith(".whl"):
        return False
    parts = filename[: -len(".whl")].split("-")
    return len(parts) >= 5 and parts[-2] == "none" and parts[-1] == "any"


def install_dependencies(requirements: Path, target: Path, *, python: str = sys.executable) -> None:
    """Install `requirements` into `target` as Lambda's python3.11 on x86_64 would need them.

    Binary wheels only, because pip cannot build for another platform. If some requirement is
    published only as a source archive, it is built here and accepted only when the result is pure
    Python; a compiled one would not be Lambda's, so the build stops and says so.
    """
    platform_args = [
        "install",
        "--target",
        str(target),
        "--platform",
        LAMBDA_PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",
        "-r",
        str(requirements),
    ]
    try:
        _pip(python, *platform_args)
        return
    except subprocess.CalledProcessError:
        pass
    with tempfile.TemporaryDirectory(prefix="tpi-wheelhouse-") as tmp:
        wheelhouse = Path(tmp)
        _pip(python, "wheel", "--wheel-dir", str(wheelhouse), "-r", str(requirements))
        for wheel in wheelhouse.iterdir():
            if not is_pure_python_wheel(wheel.name):
                wheel.unlink()  # the platform install fetches Lambda's build of these
        shutil.rmtree(target, ignore_errors=True)
        try:
            _pip(python, *platform_args, "--find-links", str(wheelhouse))
        except subprocess.CalledProcessError as error:
            raise BuildError(
                "a dependency has no wheel for Lambda (manylinux2014_x86_64, CPython 3.11) and is not "
                "pure Python; pin a version that publishes one"
            ) from error


def _included(relative: Path) -> bool:
    """Leave out byte code and console scripts: they are machine-specific and Lambda does not need them."""
    if relative.parts[0] == "bin":  # pip's console scripts, with this machine's interpreter in the shebang
        return False
    if any(part in _EXCLUDED_DIRS for part in relative.parts[:-1]):
        return False
    return not relative.name.endswith(_EXCLUDED_SUFFIXES)


def _files_under(root: Path, prefix: str = "") -> Iterable[tuple[str, Path]]:
    """Yield (name in the zip, file on disk) for every regular file below `root`."""
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and _included(relative):
            yield prefix + relative.as_posix(), path


def collect_entries(dependencies: Path, root: Path = PROJECT_ROOT) -> list[tuple[str, Path]]:
    """Everything the zip holds, sorted by name: dependencies, `skill.runtime`, the entry point.

    The web service and the tools live beside the runtime, not in it, so the zip takes the whole of
    `skill/runtime/` and nothing else of `skill/`.
    """
    entries = dict(_files_under(dependencies))
    skill_files = [("skill/__init__.py", root / "skill" / "__init__.py")]
    for name, path in skill_files + list(_files_under(root / "skill" / "runtime", "skill/runtime/")):
        if name in entries:
            raise BuildError(f"{name} is both a dependency and part of the skill package")
        entries[name] = path
    entries["lambda_function.py"] = root / "lambda" / "lambda_function.py"
    return sorted(entries.items())


def write_deterministic_zip(entries: Sequence[tuple[str, Path]], output: Path) -> Path:
    """Write `entries` with fixed times and modes, in the given order, so equal inputs give equal bytes."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    # Each entry is a ZipInfo, whose compression writestr sets: the archive's own default is never used.
    with zipfile.ZipFile(partial, "w") as archive:
        for name, path in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE_TIME)
            info.create_system = 3  # Unix, so external_attr carries the mode
            info.external_attr = _FILE_MODE << 16
            archive.writestr(info, path.read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    partial.replace(output)  # never leave a half-written zip where a deploy would pick it up
    return output


def build_lambda_zip(
    output: Path | None = None,
    *,
    root: Path = PROJECT_ROOT,
    requirements: Path | None = None,
    python: str = sys.executable,
) -> Path:
    """Build the deployable zip at `output` (default: `dist/lambda.zip` under `root`); return its path."""
    output = output or root / DEFAULT_OUTPUT
    requirements = requirements or root / "lambda" / "requirements.txt"
    with tempfile.TemporaryDirectory(prefix="tpi-lambda-") as tmp:
        dependencies = Path(tmp) / "dependencies"
        install_dependencies(requirements, dependencies, python=python)
        return write_deterministic_zip(collect_entries(dependencies, root), output)


def stage_skill_package(
    destination: Path | None = None,
    *,
    root: Path = PROJECT_ROOT,
    endpoint_arn: str | None = None,
    without_endpoint: bool = False,
) -> Path:
    """Copy `skill-package/` to `destination` (default: `build/skill-package` under `root`) with
    symlinks replaced by the files they point at.

    `skill-package/interactionModels/custom` is a symlink to `interaction_models/` so the models are
    committed once. ASK CLI v2 zips the skill package without following symlinks (it would upload
    a link, not the models), so `ask deploy` reads this copy instead (see ask-resources.json).

    The committed endpoint is a placeholder ARN. `endpoint_arn` puts the deployed function's ARN in
    the copy; `without_endpoint` leaves the endpoint out, for the first `ask deploy` that creates the
    skill and its ID before the Lambda (which needs that ID) exists.
    """
    if endpoint_arn is not None and without_endpoint:
        raise ValueError("give an endpoint ARN or leave the endpoint out, not both")
    destination = destination or root / DEFAULT_SKILL_PACKAGE_OUTPUT
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(root / "skill-package", destination, symlinks=False)
    if endpoint_arn is not None or without_endpoint:
        manifest_path = destination / "skill.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        custom = manifest["manifest"]["apis"]["custom"]
        if without_endpoint:
            custom.pop("endpoint", None)
        else:
            if not _LAMBDA_ARN.fullmatch(endpoint_arn or ""):
                raise ValueError(f"not a Lambda function ARN: {endpoint_arn!r}")
            custom["endpoint"] = {"uri": endpoint_arn}
        manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return destination
