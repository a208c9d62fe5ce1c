"""``ReorderBuffer`` keeps the lowest held sequence number before its first release
instead of computing ``min()`` per packet; the kept value must always be that minimum."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from srs.media.reorder import ReorderBuffer

pushes = st.lists(
    st.tuples(
        st.sampled_from([1, 1, 1, 2, 3]),  # SSRC: mostly one, some switches
        st.integers(0, 0xFFFF) | st.integers(-80, 80),  # absolute or relative sequence
        st.integers(0, 400),  # timestamp step
        st.booleans(),  # flush after this push
    ),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(pushes, st.sampled_from([1, 2, 8, 64]))
def test_kept_minimum_is_the_minimum_of_the_held_packets(
    ops: list[tuple[int, int, int, bool]], window: int
) -> None:
    buf = ReorderBuffer(window, clock_rates={0: 8000})
    seq, ts, arrival = 1000, 0, 0.0
    for ssrc, jump, step, flush in ops:
        seq = (seq + jump) & 0xFFFF if -80 <= jump <= 80 else jump
        ts += step
        arrival += 0.02
        buf.push(seq, ts, ssrc, arrival, b"\xff", payload_type=0)
        if buf._next is None and buf._held:
            assert buf._held_min == min(buf._held)
        if flush:
            buf.flush()
    buf.flush()
    stats = buf.stats
    assert stats.pushed == stats.released + stats.duplicates + stats.late + stats.strays
