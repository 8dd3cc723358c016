"""Keeps each locale's compiled NLU index on disk, so a one-shot `tpi-skill ask` neither imports PyYAML
nor rebuilds the index from `model.yaml` (about a third of its time).

The file is only a shortcut, never a source of truth:
- it is keyed by a hash of every file the index is built from (`model.yaml`, `content.yaml`) and of the
  code that builds it, so an edited model or resolver is rebuilt on the next start, never answered stale;
- anything wrong with it (missing, unreadable, corrupt, another version, not ours) means "build", and a
  cache folder that cannot be written only means the next start builds again;
- it holds the model's data alone: what was typed is never written (spelling corrections stay in memory).

Pickle runs code while loading, so a file is only loaded when this user owns it and nobody else can
write it (files are written 0644, whatever the umask), as with any cache in the user's own home.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

FORMAT = b"tpi-skill nlu cache 1"
"""The first line of every cache file; bump the number when the file's layout changes."""
APP_DIR = "tpi-skill"

T = TypeVar("T")


def cache_dir() -> Path | None:
    """`$XDG_CACHE_HOME/tpi-skill`, else `~/.cache/tpi-skill`; None without a home to put it in."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    if base and os.path.isabs(base):  # the XDG spec: a relative path is to be ignored
        return Path(base) / APP_DIR
    try:
        return Path.home() / ".cache" / APP_DIR
    except (RuntimeError, KeyError, OSError):
        return None


def fingerprint(files: Iterable[Path], *parts: str) -> str | None:
    """A hash of the files' names and bytes, `parts` and this Python; None if a file cannot be read
    (then the build itself says what is wrong)."""
    digest = hashlib.sha256(FORMAT + b"\0" + sys.version.encode())
    for part in parts:
        digest.update(b"\0" + part.encode())
    try:
        for path in files:
            data = path.read_bytes()
            digest.update(b"\0%s\0%d\0" % (path.name.encode(), len(data)) + data)
    except OSError:
        return None
    return digest.hexdigest()


def _header(key: str) -> bytes:
    return FORMAT + b"\n" + key.encode("ascii") + b"\n"


def _trusted(path: Path) -> bool:
    """Whether `path` is a file this user owns that no one else can write (see the module's note)."""
    info = path.stat()
    if not hasattr(os, "getuid"):
        return True
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def load(path: Path, key: str, kind: type[T]) -> T | None:
    """The object stored at `path` under `key`, or None when there is none that can be trusted."""
    try:
        if not _trusted(path):
            return None
        data = path.read_bytes()
        header = _header(key)
        if not data.startswith(header):
            return None  # another key: the sources or the code changed since it was written
        found = pickle.loads(memoryview(data)[len(header) :])
    except Exception:  # garbage can make unpickling raise almost anything: then rebuild
        return None
    return found if isinstance(found, kind) else None


def store(path: Path, key: str, value: object) -> bool:
    """Write `value` under `key`, atomically (a reader sees the old file or the new one, never half);
    False when the folder cannot be written, which only costs the next start a build."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _header(key) + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    return True


def load_or_build(
    name: str,
    inputs: Callable[[], str | None],
    build: Callable[[], T],
    kind: type[T],
    *,
    directory: Path | None = None,
) -> T:
    """`build()`'s result, from `directory/name` when it was stored under the key `inputs()` gives now.

    A fresh build is stored only if `inputs()` gives the same key after it as before (a source edited
    while it was being built would otherwise be stored under the key of the file before the edit).
    """
    folder = directory if directory is not None else cache_dir()
    key = inputs()
    if folder is None or key is None:
        return build()
    path = folder / name
    found = load(path, key, kind)
    if found is not None:
        return found
    built = build()
    if inputs() == key:
        store(path, key, built)
    return built
