"""SpoolWriter on its own: appends, flushes, and files opened on another thread."""

from __future__ import annotations

import errno
from concurrent.futures import Future
from pathlib import Path

import pytest

from srs.media.spool import EVENT, FILE_HEADER, RTP, SpoolWriter, iter_records, open_spool


def test_writer_appends_records_after_one_header(tmp_path: Path) -> None:
    path = tmp_path / "a.spool"
    writer = SpoolWriter(path)
    writer.append(RTP, 1.5, b"\x80abc")
    assert writer.flush() == len(FILE_HEADER) + 11 + 4
    writer.close()
    again = SpoolWriter(path)  # reopened for appending: no second header
    again.append_event(2.0, {"event": "hold"})
    again.close()
    assert path.read_bytes().count(FILE_HEADER) == 1
    assert [(r.kind, r.arrival) for r in iter_records(path)] == [(RTP, 1.5), (EVENT, 2.0)]


def test_pending_open_buffers_until_the_file_is_open(tmp_path: Path) -> None:
    path = tmp_path / "new-dir" / "b.spool"
    opening: Future[int] = Future()
    writer = SpoolWriter(path, opening=opening)
    writer.append(RTP, 1.0, b"one")
    assert writer.flush() == 0 and writer.pending == 11 + 3  # not open yet: kept
    assert not path.parent.exists()
    opening.set_result(open_spool(path))  # what the file thread does
    writer.append(RTP, 2.0, b"two")
    assert writer.flush() == len(FILE_HEADER) + 2 * 14
    writer.close()
    assert [r.data for r in iter_records(path)] == [b"one", b"two"]


def test_flush_with_wait_and_close_wait_for_the_open(tmp_path: Path) -> None:
    path = tmp_path / "c.spool"
    opening: Future[int] = Future()
    writer = SpoolWriter(path, opening=opening)
    writer.append(RTP, 1.0, b"x")
    opening.set_result(open_spool(path))
    assert writer.flush(wait=True) > 0
    closing: Future[int] = Future()
    late = SpoolWriter(tmp_path / "d.spool", opening=closing)
    late.append(RTP, 1.0, b"y")
    closing.set_result(open_spool(tmp_path / "d.spool"))
    late.close()
    assert [r.data for r in iter_records(tmp_path / "d.spool")] == [b"y"]
    writer.close()


def test_failed_background_open_is_retried_by_the_next_flush(tmp_path: Path) -> None:
    path = tmp_path / "gone" / "e.spool"
    opening: Future[int] = Future()
    opening.set_exception(OSError(errno.EMFILE, "Too many open files"))
    writer = SpoolWriter(path, opening=opening)
    writer.append(RTP, 1.0, b"kept")
    assert writer.flush() > 0  # opened (directory included) here instead
    writer.close()
    assert [r.data for r in iter_records(path)] == [b"kept"]


def test_an_open_that_keeps_failing_raises_and_keeps_the_buffer(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    path = blocker / "f.spool"  # its directory cannot exist: a file is in the way
    opening: Future[int] = Future()
    opening.set_exception(OSError(errno.ENOTDIR, "Not a directory"))
    writer = SpoolWriter(path, opening=opening)
    writer.append(RTP, 1.0, b"data")
    with pytest.raises(OSError):
        writer.flush()
    assert writer.pending == 11 + 4
