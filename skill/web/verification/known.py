"""Signer URLs that have verified a request, remembered in a small file the web workers share.

A URL the cache has not seen counts as "new" and is fetched only within a small budget, which a flood
of forged new URLs can keep spent. Without memory, the real signer's URL is new again in every fresh
worker (a start, a restart, the second worker), so a flood could keep a worker from ever accepting
Alexa. Once any worker has verified a request with a URL, it is written here, and every worker treats
it as known: its fetch does not spend the budget and it is never evicted for a newcomer.

Only canonical URLs that verified a request are written (a forged request cannot add one), at most
``MAX_KNOWN``, newest last, replaced atomically. The file is a hint: absent, unreadable, corrupt or
unwritable, the cache behaves as if it were empty.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import threading
from pathlib import Path

from skill.web.verification.errors import RequestVerificationError
from skill.web.verification.urls import canonical_chain_url

logger = logging.getLogger(__name__)

STATE_DIR_ENV = "TPI_SIGNER_STATE_DIR"
"""The directory the workers share; deploy/production.py and gunicorn.conf.py set it."""
FILE_NAME = "known-signers"
MAX_KNOWN = 8
"""Amazon uses one URL for months; a few cover a move to a new one."""
_MAX_FILE_BYTES = 8 * 1024


def _canonical_lines(text: str) -> tuple[str, ...]:
    """The lines that are canonical chain URLs already (anything else is ignored), newest last."""
    kept: list[str] = []
    for line in text.splitlines():
        try:
            canonical = canonical_chain_url(line)
        except RequestVerificationError:
            continue
        if canonical == line and line not in kept:
            kept.append(line)
    return tuple(kept[-MAX_KNOWN:])


class KnownSigners:
    """The URLs in ``directory``'s file (none when ``directory`` is None); thread-safe."""

    def __init__(self, directory: Path | None) -> None:
        self._directory = directory
        self._path = directory / FILE_NAME if directory is not None else None
        self._urls: tuple[str, ...] = ()
        self._stamp: tuple[int, int, int] | None = None
        self._lock = threading.Lock()
        self.refresh()

    @classmethod
    def from_environment(cls) -> KnownSigners:
        directory = os.environ.get(STATE_DIR_ENV, "").strip()
        return cls(Path(directory) if directory else None)

    def __contains__(self, url: object) -> bool:
        return url in self._urls

    @property
    def urls(self) -> tuple[str, ...]:
        return self._urls

    def refresh(self) -> None:
        """Re-read the file if another worker changed it (a stat when it did not)."""
        if self._path is None:
            return
        try:
            status = self._path.stat()
        except OSError:
            return
        stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
        if stamp == self._stamp:
            return
        try:
            with self._path.open("rb") as file:
                text = file.read(_MAX_FILE_BYTES).decode("ascii", "replace")
        except OSError:
            return
        urls = _canonical_lines(text)
        with self._lock:
            self._stamp = stamp
            self._urls = tuple(dict.fromkeys((*self._urls, *urls)))[-MAX_KNOWN:]

    def add(self, url: str) -> None:
        """Remember ``url`` (canonical, and it verified a request) here and in the file, if writable."""
        if url in self._urls:
            return
        with self._lock:
            self._urls = (*[known for known in self._urls if known != url], url)[-MAX_KNOWN:]
        if self._directory is None:
            return
        try:
            self._write(url)
        except Exception as exc:  # a hint only: nothing here may fail a verified request
            logger.debug("Cannot remember the signer URL in %s (%s)", self._directory, type(exc).__name__)

    def _write(self, url: str) -> None:
        assert self._directory is not None and self._path is not None
        lock = os.open(self._directory, os.O_RDONLY)  # one writer at a time across the workers
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with self._path.open("rb") as file:
                    on_disk = _canonical_lines(file.read(_MAX_FILE_BYTES).decode("ascii", "replace"))
            except FileNotFoundError:
                on_disk = ()
            urls = (*[known for known in on_disk if known != url], url)[-MAX_KNOWN:]
            fd, temporary = tempfile.mkstemp(prefix=".known-", dir=self._directory)
            try:
                with os.fdopen(fd, "wb") as out:  # bytes: no codec to look up
                    out.write("".join(f"{known}\n" for known in urls).encode())
                os.replace(temporary, self._path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
            with self._lock:
                self._urls = tuple(dict.fromkeys((*self._urls, *urls)))[-MAX_KNOWN:]
        finally:
            os.close(lock)
