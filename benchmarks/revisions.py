"""Another revision of this checkout, as files: the "before" side of the before/after benchmarks."""

from __future__ import annotations

import contextlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def exported_tree(revision: str, prefix: str = "tpi-rev-") -> Iterator[Path]:
    """The tree at ``revision`` (`git archive`) in a temporary folder, removed afterwards.

    No checkout: nothing in this working tree is touched, so other work in it carries on.
    """
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        git = ["git", "-C", str(ROOT), "archive", revision]
        archive = subprocess.run(git, capture_output=True, check=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)
