"""The ``Range`` header parser on its own, including a fuzz target."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.errors import RangeNotSatisfiableError
from api.recordings.media import ByteRange, parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("", 10, None),
        ("bytes=0-4", 10, ByteRange(0, 4)),
        ("BYTES = 2 - ", 10, ByteRange(2, 9)),
        ("bytes=-3", 10, ByteRange(7, 9)),
        ("bytes=-30", 10, ByteRange(0, 9)),
        ("bytes=5-500", 10, ByteRange(5, 9)),
        ("bytes=-", 10, None),
        ("bytes=4-2", 10, None),
        ("bytes=0-1, 3-4", 10, None),
        ("pages=1-2", 10, None),
    ],
)
def test_parse_range(header: str | None, size: int, expected: ByteRange | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=10-", 10), ("bytes=-0", 10), ("bytes=-5", 0), ("bytes=0-", 0)]
)
def test_unsatisfiable(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiableError) as info:
        parse_range(header, size)
    assert info.value.headers == {"Content-Range": f"bytes */{size}"}
    assert info.value.field == "Range"


@given(st.text(max_size=30), st.integers(min_value=0, max_value=10**9))
def test_fuzz_parse_range(header: str, size: int) -> None:
    try:
        result = parse_range(header, size)
    except RangeNotSatisfiableError:
        return
    if result is not None:
        assert 0 <= result.first <= result.last < size
        assert result.content_range(size) == f"bytes {result.first}-{result.last}/{size}"


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 10**6))
def test_well_formed_ranges(first: int, length: int, size: int) -> None:
    header = f"bytes={first}-{first + length}"
    if first >= size:
        with pytest.raises(RangeNotSatisfiableError):
            parse_range(header, size)
    else:
        assert parse_range(header, size) == ByteRange(first, min(first + length, size - 1))
