"""Derived media (transcodes, waveform PNGs) cached under ``<data_dir>/media-cache``.

Keys hash the source file's identity (path, size, mtime) together with what was derived
from it, so re-finalizing a recording (a new file) never serves a stale derivative; old
entries are just unused files an operator may delete at any time.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

CACHE_DIR = "media-cache"
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def source_key(path: Path) -> str:
    """A short digest of ``path``'s identity; ``OSError`` when it does not exist."""
    info = path.stat()
    text = f"{path.resolve()}\0{info.st_size}\0{info.st_mtime_ns}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class MediaCache:
    """Files derived from recordings, one sub-directory per recording id."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> MediaCache:
        return cls(data_dir / CACHE_DIR)

    def path(self, recording_id: str, source: Path, variant: str, extension: str) -> Path:
        """Where the ``variant`` of ``source`` (e.g. ``mp3-ch1``) lives; ids are sanitised
        so that a crafted id cannot leave the cache directory."""
        folder = _SAFE.sub("_", recording_id) or "_"
        name = f"{source_key(source)}-{_SAFE.sub('_', variant)}.{extension}"
        return self.root / folder / name

    def get_or_make(self, path: Path, make: Callable[[Path], None]) -> Path:
        """``path`` if it exists, else ``make(path)`` first (``make`` writes atomically)."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            make(path)
        return path

    def write_bytes(self, path: Path, data: bytes) -> None:
        """Write ``data`` atomically (temp file + ``os.replace``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
