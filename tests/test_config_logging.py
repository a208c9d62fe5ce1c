"""Logging setup from ``[logging]``: level and text/JSON output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from srs.config import LoggingConfig
from srs.logging import setup_logging


@pytest.fixture(autouse=True)
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_extras() -> None:
    out = io.StringIO()
    setup_logging(LoggingConfig(level="INFO", format="json"), out)
    log = logging.getLogger("srs.test")
    log.debug("hidden")
    log.info("stored %s", "r1", extra={"recording_id": "r1"})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["stored r1", "failed"]
    assert lines[0]["recording_id"] == "r1"
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "srs.test"
    assert lines[0]["ts"].endswith("+00:00")
    assert "ValueError: boom" in lines[1]["exc"]


def test_text_format_and_level() -> None:
    out = io.StringIO()
    setup_logging(LoggingConfig(level="WARNING", format="text"), out)
    logging.getLogger("srs.x").info("quiet")
    logging.getLogger("srs.x").warning("loud")
    text = out.getvalue()
    assert "quiet" not in text
    assert "WARNING srs.x: loud" in text
    assert len(logging.getLogger().handlers) == 1
