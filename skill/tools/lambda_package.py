"""Builds the AWS Lambda deployment zip (the ASK skill package is `skill.tools.skill_package`'s).

Lives in the package (not in the script) so tests can call it; `scripts/build_lambda.py` is the CLI.
Dependencies are installed for Lambda's platform, not this machine's, so a zip built on any Linux,
macOS or CI runner carries the right binary wheels (PyYAML's C extension, for one).

The zip carries bytecode. Lambda's code directory is read-only, so without it every cold start
compiles every module from source (2.8x the cold start of a hello-world installed with pip, which
leaves .pyc files). The .pyc files are "unchecked-hash" ones: valid whatever the files' times (the
zip pins them to 1980, for reproducible bytes), and compiled by a CPython of Lambda's own version,
because bytecode from any other version would be ignored and recompiled on every cold start.
Unchecked means Python never compares them with the source: a .py edited in the Lambda console
changes nothing (the old bytecode still runs). Change the source here and deploy a new zip.
"""

from __future__ import annotations

import importlib.util
import json
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

# Zip's earliest representable time: every build of the same inputs gives the same bytes.
_FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644  # regular file, rw-r--r--: Lambda only needs to read
_EXCLUDED_DIRS = frozenset({"__pycache__"})
_EXCLUDED_SUFFIXES = (".pyc", ".pyo")  # this machine's bytecode: the build compiles its own


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


PINNED = ("ask-sdk-core", "ask-sdk-model", "ask-sdk-runtime")
"""The SDK the skill's fast paths (skill.runtime.wire, dispatch) are tested against: the zip gets the
versions installed in the environment that builds it, never a newer release the tests have not seen."""


def sdk_pins(names: Sequence[str] = PINNED) -> list[str]:
    """`name==version` for each of `names` as installed in this environment (the one the tests use)."""
    from importlib import metadata

    try:
        return [f"{name}=={metadata.version(name)}" for name in names]
    except metadata.PackageNotFoundError as error:
        raise BuildError(
            f"{error.name} is not installed here, so the zip cannot get the version the tests ran against; "
            "build from the project's environment: bash scripts/run.sh python scripts/build_lambda.py"
        ) from error


def install_dependencies(
    requirements: Path, target: Path, *, python: str = sys.executable, pins: Sequence[str] = ()
) -> None:
    """Install `requirements` into `target` as Lambda's python3.11 on x86_64 would need them, with
    `pins` (`name==version`) as constraints.

    Binary wheels only, because pip cannot build for another platform. If some requirement is
    published only as a source archive, it is built here and accepted only when the result is pure
    Python; a compiled one would not be Lambda's, so the build stops and says so.
    """
    with tempfile.TemporaryDirectory(prefix="tpi-pins-") as tmp:
        constraints = Path(tmp) / "constraints.txt"
        constraints.write_text("".join(f"{pin}\n" for pin in pins), encoding="utf-8")
        _install(target, python, ["-r", str(requirements), "-c", str(constraints)])


def _install(target: Path, python: str, wanted: list[str]) -> None:
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
        *wanted,
    ]
    try:
        _pip(python, *platform_args)
        return
    except subprocess.CalledProcessError:
        pass
    with tempfile.TemporaryDirectory(prefix="tpi-wheelhouse-") as tmp:
        wheelhouse = Path(tmp)
        _pip(python, "wheel", "--wheel-dir", str(wheelhouse), *wanted)
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


# Runs in the interpreter that compiles: reads [[zip name, source, output dir]] from stdin, writes
# each module's .pyc under the output dir and prints [[zip name of the .pyc, file]].
_COMPILE = """
import importlib.util, json, os, py_compile, sys
compiled = []
for name, source, out in json.load(sys.stdin):
    cached = importlib.util.cache_from_source(name)
    target = os.path.join(out, cached)
    py_compile.compile(source, cfile=target, dfile=name, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    compiled.append([cached, target])
json.dump(compiled, sys.stdout)
"""


def python_version_of(python: str) -> str:
    """`major.minor` of a CPython interpreter, or "" when `python` is not CPython or does not run."""
    probe = "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2])"
    try:
        done = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return ""
    implementation, _, version = done.stdout.strip().partition(" ")
    return version if implementation == "cpython" else ""


def lambda_python(python: str | None = None) -> str:
    """The interpreter to compile Lambda's bytecode with: `python` if given, else this one, else
    `python3.11` from PATH. It must be CPython of Lambda's version, or the build stops and says so."""
    candidates = [python] if python else [sys.executable, shutil.which(f"python{LAMBDA_PYTHON_VERSION}")]
    found: list[tuple[str, str]] = []  # (interpreter, its version), for the message: each is started once
    for candidate in candidates:
        if not candidate:
            continue
        version = python_version_of(candidate)
        if version == LAMBDA_PYTHON_VERSION:
            return candidate
        found.append((candidate, version))
    tried = ", ".join(f"{c} ({version or 'not CPython'})" for c, version in found)
    raise BuildError(
        f"the zip's bytecode must be compiled by CPython {LAMBDA_PYTHON_VERSION}, the version of the Lambda "
        f"runtime in template.yaml; tried {tried}. Run the build with a {LAMBDA_PYTHON_VERSION} interpreter "
        "(--python)"
    )


def compile_bytecode(
    entries: Sequence[tuple[str, Path]], output: Path, python: str
) -> list[tuple[str, Path]]:
    """Unchecked-hash .pyc files for every module in `entries`, as (zip name, file) pairs.

    One isolated interpreter (`-I`: it reads no PYTHON* variables and no user site) compiles them all.
    Equal sources give equal bytes because CPython 3.11 writes the same bytes for the same source
    whatever its hash seed (marshal orders set constants itself); `tests/test_lambda_package.py`
    builds twice and compares. The file name recorded in each code object is the module's path inside
    the zip, not this machine's.
    """
    jobs = [[name, str(path), str(output)] for name, path in entries if name.endswith(".py")]
    try:
        done = subprocess.run(
            [python, "-I", "-c", _COMPILE],
            input=json.dumps(jobs),
            capture_output=True,
            text=True,
            check=True,
        )
    except subprocess.CalledProcessError as error:
        reason = (error.stderr.strip().splitlines() or ["no output"])[-1]
        raise BuildError(f"compiling the zip's bytecode failed: {reason}") from error
    return [(name, Path(path)) for name, path in json.loads(done.stdout)]


def build_lambda_zip(
    output: Path | None = None,
    *,
    root: Path = PROJECT_ROOT,
    requirements: Path | None = None,
    python: str | None = None,
) -> Path:
    """Build the deployable zip at `output` (default: `dist/lambda.zip` under `root`); return its path.

    `python` compiles the bytecode (see `lambda_python`); pip runs from it too. ask-sdk's packages get
    the versions installed in this environment (`PINNED`), whatever newer release the index has.
    """
    output = output or root / DEFAULT_OUTPUT
    requirements = requirements or root / "lambda" / "requirements.txt"
    compiler = lambda_python(python)  # first: a wrong interpreter should stop the build before any download
    pins = sdk_pins()
    with tempfile.TemporaryDirectory(prefix="tpi-lambda-") as tmp:
        dependencies = Path(tmp) / "dependencies"
        install_dependencies(requirements, dependencies, python=compiler, pins=pins)
        entries = collect_entries(dependencies, root)
        entries += compile_bytecode(entries, Path(tmp) / "bytecode", compiler)
        return write_deterministic_zip(sorted(entries), output)
