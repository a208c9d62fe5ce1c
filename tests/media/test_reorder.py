"""ReorderBuffer: ordering, duplicates, late packets, loss, wrap, SSRC change, ts jumps."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from srs.media.reorder import Gap, Packet, Released, ReorderBuffer

SSRC = 0xABC


def feed(
    buf: ReorderBuffer,
    seqs: list[int],
    *,
    ssrc: int = SSRC,
    step: int = 160,
    ts_of: dict[int, int] | None = None,
    arrival_of: dict[int, float] | None = None,
) -> list[Released]:
    """Push ``seqs`` in the given order; ts = seq*step, arrival = position*20 ms."""
    out: list[Released] = []
    for i, seq in enumerate(seqs):
        ts = (ts_of or {}).get(seq, seq * step) & 0xFFFFFFFF
        arrival = (arrival_of or {}).get(seq, i * 0.02)
        out += buf.push(seq & 0xFFFF, ts, ssrc, arrival, bytes([seq & 0xFF]), payload_type=0)
    return out + buf.flush()


def packets(items: list[Released]) -> list[Packet]:
    return [p for p in items if isinstance(p, Packet)]


def gaps(items: list[Released]) -> list[Gap]:
    return [g for g in items if isinstance(g, Gap)]


def check_counters(buf: ReorderBuffer) -> None:
    s = buf.stats
    assert s.pushed == s.released + s.duplicates + s.late + s.strays
    assert s.expected == s.released + s.lost


def test_in_order_passes_through_without_gaps() -> None:
    buf = ReorderBuffer()
    out = feed(buf, list(range(100, 300)))
    assert [p.seq for p in packets(out)] == list(range(100, 300))
    assert gaps(out) == []
    assert buf.stats.reordered == 0 and buf.stats.lost == 0
    check_counters(buf)


def test_in_order_is_released_once_window_is_filled() -> None:
    buf = ReorderBuffer(window=4)
    released = [len(buf.push(s, s * 160, SSRC, s * 0.02, b"")) for s in range(6)]
    assert released == [0, 0, 0, 4, 1, 1]


def test_swapped_pair_is_sorted_and_counted_reordered() -> None:
    buf = ReorderBuffer(window=8)
    out = feed(buf, [1, 2, 4, 3, 5, 6])
    assert [p.seq for p in packets(out)] == [1, 2, 3, 4, 5, 6]
    assert [p.seq for p in packets(out) if p.reordered] == [3]
    assert buf.stats.reordered == 1
    check_counters(buf)


def test_first_packets_out_of_order_start_at_lowest() -> None:
    buf = ReorderBuffer(window=8)
    out = feed(buf, [12, 10, 11, 13, 14])
    assert [p.seq for p in packets(out)] == [10, 11, 12, 13, 14]
    assert buf.stats.late == 0


def test_duplicates_are_dropped_and_counted() -> None:
    buf = ReorderBuffer(window=4)
    out = feed(buf, [1, 2, 2, 3, 4, 5, 6, 3, 7, 7])
    assert [p.seq for p in packets(out)] == [1, 2, 3, 4, 5, 6, 7]
    assert buf.stats.duplicates == 3
    check_counters(buf)


def test_burst_loss_becomes_one_gap_with_ts_range() -> None:
    buf = ReorderBuffer(window=4)
    seqs = [s for s in range(1, 41) if not 10 <= s < 20]
    out = feed(buf, seqs)
    assert [p.seq for p in packets(out)] == seqs
    (gap,) = gaps(out)
    assert gap.lost == 10 and gap.seqs() == list(range(10, 20))
    assert gap.ts_range == (9 * 160, 20 * 160)
    # the gap comes right after seq 9
    idx = out.index(gap)
    before = out[idx - 1]
    assert isinstance(before, Packet) and before.seq == 9
    assert buf.stats.lost == 10 and buf.stats.expected == 40
    check_counters(buf)


def test_packet_after_its_gap_was_declared_is_late() -> None:
    buf = ReorderBuffer(window=3)
    out = feed(buf, [1, 2, 4, 5, 6, 3, 7])
    assert [p.seq for p in packets(out)] == [1, 2, 4, 5, 6, 7]
    assert [g.seqs() for g in gaps(out)] == [[3]]
    assert buf.stats.late == 1 and buf.stats.duplicates == 0
    check_counters(buf)


def test_packet_older_than_the_start_is_late_not_duplicate() -> None:
    buf = ReorderBuffer(window=2)
    out = feed(buf, [10, 11, 12, 9])
    assert [p.seq for p in packets(out)] == [10, 11, 12]
    assert buf.stats.late == 1 and buf.stats.duplicates == 0


def test_sequence_wrap_keeps_order_and_finds_loss_across_it() -> None:
    buf = ReorderBuffer(window=8)
    seqs = [s & 0xFFFF for s in range(65530, 65546) if s != 65537]  # loses seq 1
    order = seqs[:]
    order[3], order[5] = order[5], order[3]
    out = feed(buf, order)
    assert [p.seq for p in packets(out)] == seqs
    assert [g.seqs() for g in gaps(out)] == [[1]]
    exts = [p.ext_seq for p in packets(out)]
    assert exts == sorted(exts) and exts[-1] - exts[0] == 15
    check_counters(buf)


def test_ssrc_change_starts_a_new_substream() -> None:
    buf = ReorderBuffer(window=4)
    out: list[Released] = []
    for i, s in enumerate(range(100, 110)):
        out += buf.push(s, s * 160, 1, i * 0.02, b"a")
    for i, s in enumerate(range(5000, 5010)):
        out += buf.push(s, 777 + i * 160, 2, 0.2 + i * 0.02, b"b")
    out += buf.flush()
    got = packets(out)
    assert [p.seq for p in got] == list(range(100, 110)) + list(range(5000, 5010))
    assert {p.substream for p in got[:10]} == {0} and {p.substream for p in got[10:]} == {1}
    assert got[10].ts_offset == 0 and got[-1].ts_offset == 9 * 160
    assert gaps(out) == [] and buf.stats.ssrcs == [1, 2]
    check_counters(buf)


def test_straggler_of_previous_ssrc_is_late() -> None:
    buf = ReorderBuffer(window=2)
    out = buf.push(1, 0, 1, 0.0, b"") + buf.push(3, 320, 1, 0.02, b"")
    out += buf.push(50, 0, 2, 0.04, b"") + buf.push(2, 160, 1, 0.06, b"")
    out += buf.push(51, 160, 2, 0.08, b"") + buf.flush()
    assert [(p.ssrc, p.seq) for p in packets(out)] == [(1, 1), (1, 3), (2, 50), (2, 51)]
    assert [g.seqs() for g in gaps(out)] == [[2]]
    assert buf.stats.late == 1  # seq 2 of ssrc 1 arrived after ssrc 2 took over
    assert buf.stats.ssrcs == [1, 2]
    check_counters(buf)


def test_alternating_ssrc_is_followed() -> None:
    buf = ReorderBuffer(window=1)
    out = buf.push(1, 0, 1, 0.0, b"") + buf.push(50, 0, 2, 0.02, b"")
    out += buf.push(2, 160, 1, 0.04, b"") + buf.flush()
    assert [(p.ssrc, p.seq, p.substream) for p in packets(out)] == [
        (1, 1, 0),
        (2, 50, 1),
        (1, 2, 2),
    ]


def test_sequence_restart_needs_a_confirming_packet() -> None:
    buf = ReorderBuffer(window=2)
    stray = feed(buf, [1, 2, 3, 40000, 4, 5])
    assert [p.seq for p in packets(stray)] == [1, 2, 3, 4, 5]
    assert buf.stats.strays == 1
    check_counters(buf)

    buf = ReorderBuffer(window=2)
    restart = feed(buf, [1, 2, 3, 40000, 40001, 40002])
    got = packets(restart)
    assert [p.seq for p in got] == [1, 2, 3, 40000, 40001, 40002]
    assert gaps(restart) == [] and buf.stats.strays == 0
    assert buf.stats.ssrcs == [SSRC]
    check_counters(buf)


def test_timestamp_jump_reanchors_instead_of_inventing_silence() -> None:
    buf = ReorderBuffer(window=2, clock_rates={0: 8000})
    ts_of = {s: s * 160 for s in range(10)} | {s: 9_000_000 + s * 160 for s in range(10, 20)}
    out = feed(buf, list(range(20)), ts_of=ts_of)
    got = packets(out)
    assert [p.substream for p in got] == [0] * 10 + [1] * 10
    assert got[10].ts_offset == 0 and got[19].ts_offset == 9 * 160
    assert buf.stats.substreams == 2


def test_packet_without_a_known_clock_is_judged_by_the_substream_clock() -> None:
    """Comfort noise (PT 13, no clock in the table) with a wild timestamp must not ride on
    the substream's offsets: it starts a new substream like any other jump."""
    buf = ReorderBuffer(window=2, clock_rates={0: 8000})
    out = buf.push(0, 0, SSRC, 100.0, b"x", payload_type=0)
    out += buf.push(1, 160, SSRC, 100.02, b"x", payload_type=0)
    out += buf.push(2, 2**28, SSRC, 100.04, b"x", payload_type=13)
    out += buf.flush()
    assert [p.substream for p in packets(out)] == [0, 0, 1]
    assert packets(out)[2].ts_offset == 0


def test_silence_suppression_keeps_the_substream() -> None:
    """A marker-bit talkspurt after 3 s of DTX: timestamps agree with arrival times."""
    buf = ReorderBuffer(window=2, clock_rates={0: 8000})
    ts_of = {s: s * 160 + (24000 if s >= 10 else 0) for s in range(20)}
    arrival_of = {s: s * 0.02 + (3.0 if s >= 10 else 0) for s in range(20)}
    got = packets(feed(buf, list(range(20)), ts_of=ts_of, arrival_of=arrival_of))
    assert {p.substream for p in got} == {0}
    assert got[10].ts_offset == 10 * 160 + 24000


def test_timestamp_wrap_is_continuous() -> None:
    buf = ReorderBuffer(window=2, clock_rates={0: 8000})
    ts_of = {s: (0xFFFFFF00 + s * 160) & 0xFFFFFFFF for s in range(10)}
    got = packets(feed(buf, list(range(10)), ts_of=ts_of))
    assert [p.ts_offset for p in got] == [s * 160 for s in range(10)]
    assert {p.substream for p in got} == {0}


def test_clock_rate_change_reanchors() -> None:
    buf = ReorderBuffer(window=1, clock_rates={0: 8000, 111: 48000})
    out = buf.push(1, 0, SSRC, 0.0, b"", payload_type=0)
    out += buf.push(2, 160, SSRC, 0.02, b"", payload_type=0)
    out += buf.push(3, 5000, SSRC, 0.04, b"", payload_type=111)
    assert [p.substream for p in packets(out)] == [0, 0, 1]


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window must be at least 1, got 0"):
        ReorderBuffer(window=0)


def test_random_loss_duplicates_and_jitter_counters_add_up() -> None:
    rng = random.Random(7)
    seqs = [s for s in range(65000, 65000 + 2000) if rng.random() > 0.05]
    dups = set(rng.sample(range(len(seqs)), 50))
    keyed = [(i + rng.uniform(0, 10), s) for i, s in enumerate(seqs)]
    keyed += [(i + rng.uniform(0, 10), seqs[i]) for i in dups]
    buf = ReorderBuffer(window=32)
    out = feed(buf, [s for _, s in sorted(keyed)])
    got = [p.ext_seq for p in packets(out)]
    assert got == sorted(set(got))
    assert buf.stats.duplicates == 50 and buf.stats.late == 0
    assert buf.stats.expected == 2000 - (seqs[0] - 65000) - (65000 + 1999 - seqs[-1])
    check_counters(buf)


@st.composite
def displaced(draw: st.DrawFn) -> tuple[int, list[int], int]:
    """Consecutive numbers shuffled inside blocks of ``window`` (blocks start at a drawn
    offset so that shuffles straddle any boundary): every displacement is < window."""
    window = draw(st.integers(1, 16))
    n = draw(st.integers(1, 80))
    start = draw(st.integers(0, 0xFFFF))
    cut = draw(st.integers(0, window - 1))
    bounds = [0, *range(cut or window, n, window), n]
    perm: list[int] = []
    for lo, hi in itertools.pairwise(bounds):
        perm += draw(st.permutations(range(start + lo, start + hi)))
    return window, perm, start


@settings(max_examples=300, deadline=None)
@given(displaced())
def test_any_permutation_within_the_window_comes_out_sorted(
    case: tuple[int, list[int], int],
) -> None:
    window, perm, start = case
    n = len(perm)
    assert all(abs(perm.index(start + i) - i) < window for i in range(n))
    buf = ReorderBuffer(window=window)
    out = feed(buf, perm)
    got = packets(out)
    assert [p.ext_seq - got[0].ext_seq for p in got] == list(range(n))
    assert [p.seq for p in got] == [(start + i) & 0xFFFF for i in range(n)]
    assert gaps(out) == []
    assert buf.stats.late == buf.stats.duplicates == 0
    check_counters(buf)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 300), min_size=1, max_size=200),
    st.integers(1, 32),
    st.integers(0, 0xFFFF),
)
def test_arbitrary_arrivals_keep_counters_consistent(
    offsets: list[int], window: int, base: int
) -> None:
    buf = ReorderBuffer(window=window)
    out = feed(buf, [base + o for o in offsets])
    runs: dict[int, list[int]] = {}
    for p in packets(out):  # a confirmed sequence restart begins a new sub-stream
        runs.setdefault(p.substream, []).append(p.ext_seq)
    for exts in runs.values():
        assert exts == sorted(set(exts))
    for g in gaps(out):
        assert not set(g.expected_seq_range) & set(runs.get(g.substream, []))
    check_counters(buf)


def test_returning_ssrc_far_behind_its_old_sequence_is_followed() -> None:
    buf = ReorderBuffer(window=1)
    out = feed(buf, [5000, 5001], ssrc=1)
    out += feed(buf, [10, 11], ssrc=2)
    out += feed(buf, [100, 101], ssrc=1)  # same SSRC back, sequence restarted
    assert [p.seq for p in packets(out)] == [5000, 5001, 10, 11, 100, 101]
    assert buf.stats.late == 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.integers(-200, 5000)), max_size=150),
    st.integers(1, 16),
)
def test_mixed_ssrcs_and_jumps_keep_counters_consistent(
    ops: list[tuple[int, int]], window: int
) -> None:
    buf = ReorderBuffer(window=window, clock_rates={0: 8000})
    out: list[Released] = []
    for i, (ssrc, seq) in enumerate(ops):
        out += buf.push(seq & 0xFFFF, (seq * 160) & 0xFFFFFFFF, ssrc, i * 0.02, b"", payload_type=0)
    out += buf.flush()
    check_counters(buf)
    got = packets(out)
    assert len(got) == buf.stats.released
    # inside one sub-stream: one SSRC, strictly increasing extended sequence numbers
    for a, b in itertools.pairwise(got):
        if a.substream == b.substream:
            assert a.ssrc == b.ssrc and b.ext_seq > a.ext_seq
        else:
            assert b.substream == a.substream + 1 and b.ts_offset == 0
