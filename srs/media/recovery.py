"""Crash recovery: find spool directories that were never finalized and mark the done ones.

A recording is finished when ``finalized.json`` (the ``FinalizeResult``) sits in its spool
directory; the marker is written atomically after the output files are in place, so a
crash at any point leaves either no marker (finalize again: outputs are replaced
atomically, nothing is duplicated) or a complete one.  A directory whose session.json
still says ``ended_at: null`` was cut off by a crash: finalize marks it ``recovered`` and
takes the last packet's arrival as its end.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Collection
from pathlib import Path

from srs.media.finalize import FinalizeConfig, FinalizeError, FinalizeResult, finalize_recording

log = logging.getLogger(__name__)

MARKER = "finalized.json"


def is_spool_dir(path: Path) -> bool:
    return path.is_dir() and ((path / "session.json").exists() or any(path.glob("*.spool")))


def find_unfinished(spool_root: Path, skip: Collection[str] = ()) -> list[Path]:
    """Spool directories under ``spool_root`` with no ``finalized.json``, oldest first.

    At start-up every one of them is a recording to recover (those with ``ended_at``
    null were cut off by the crash).  A sweep while the server runs must ``skip`` the
    recordings capture still owns (their directory names = recording ids)."""
    root = Path(spool_root)
    if not root.is_dir():
        return []
    found = [
        p
        for p in root.iterdir()
        if p.name not in skip and is_spool_dir(p) and not (p / MARKER).exists()
    ]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))


def is_live(spool_dir: Path) -> bool:
    """True while session.json says the call has not ended (``ended_at`` null)."""
    try:
        data = json.loads((spool_dir / "session.json").read_text())
    except (OSError, ValueError):
        return True
    return not isinstance(data, dict) or data.get("ended_at") is None


def mark_finalized(spool_dir: Path, result: FinalizeResult) -> Path:
    """Write ``finalized.json`` atomically (temp + fsync + ``os.replace``).  Compact JSON:
    ``indent`` would send ``json.dumps`` to its pure-Python encoder, several times slower
    than the C one for what only machines read (``read_marker``)."""
    path = Path(spool_dir) / MARKER
    tmp = path.with_name(f".{MARKER}.{os.getpid()}.tmp")
    body = json.dumps(result.to_json(), separators=(",", ":"), sort_keys=True).encode()
    with open(tmp, "wb") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_marker(spool_dir: Path) -> FinalizeResult | None:
    path = Path(spool_dir) / MARKER
    if not path.exists():
        return None
    return FinalizeResult.from_json(json.loads(path.read_text()))


def recover(
    spool_root: Path,
    out_root: Path,
    config: FinalizeConfig | None = None,
    skip: Collection[str] = (),
) -> list[FinalizeResult]:
    """Finalize every unfinished directory into ``out_root/<dir name>/`` and mark it;
    returns the results in order (call at start-up, or pass capture's live ids).  A
    directory that cannot be finalized is logged and left unmarked."""
    results = []
    for spool_dir in find_unfinished(spool_root, skip):
        try:
            result = finalize_recording(spool_dir, Path(out_root) / spool_dir.name, config)
        except FinalizeError as exc:  # one broken directory must not block the others
            log.error("cannot recover %s: %s", spool_dir, exc)
            continue
        mark_finalized(spool_dir, result)
        results.append(result)
    return results
