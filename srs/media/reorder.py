"""Sans-IO reorder buffer for recording: packets out in sequence order, losses as ``Gap``.

A recorder is not a player: it never has to keep a playout deadline, so the buffer waits
by *packet count* (``window``) instead of time, and reports loss explicitly rather than
stalling (aiortc's jitter buffer) or guessing.

Rules, in order, for each pushed packet:

- a new SSRC flushes the old one and starts a new *sub-stream* (re-anchored timeline); a
  packet of a replaced SSRC up to ``MAX_MISORDER`` behind its last one is a late
  straggler, any other switches back (a source that alternates is followed, not dropped);
- 16-bit sequence numbers are extended (wrap-aware) against the highest one seen;
- a jump of more than ``MAX_DROPOUT`` ahead or ``MAX_MISORDER`` behind is a sequence
  restart only if the next packet follows it (RFC 3550 §A.1 probation), else a stray;
- a sequence number already buffered or released is a duplicate; one the buffer already
  gave up on (reported in a ``Gap``) is late; both are dropped and counted;
- while a packet is missing, later ones are held; once ``window`` of them are held the
  missing range is declared lost (a ``Gap``).  So any arrival order in which no packet
  is displaced by ``window`` or more positions comes out sorted with no loss.  The first
  release of an SSRC likewise waits for ``window`` packets (or ``flush``), so a stream
  whose first packets arrive out of order still starts at its lowest sequence number.

With ``clock_rates`` (payload type → RTP clock), released packets also carry their
timestamp offset inside the sub-stream, and a timestamp that disagrees with arrival time
by more than ``max_skew`` seconds (a sender that restarted its timestamps, a marker-bit
talkspurt after a jump) or a clock-rate change starts a new sub-stream: the timeline then
re-anchors on arrival time instead of inventing minutes of silence.  Payload types
without a clock rate (telephone-event, comfort noise) follow the audio's clock untested.

CSRCs, header extensions and padding are already stripped by the RTP parse
(``srs.media.rtp.payload_bounds``): ``payload`` is the codec payload.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from srs.media.rtp import seq_diff, ts_diff

MAX_DROPOUT = 3000
MAX_MISORDER = 100
_RETIRED_KEPT = 8  # replaced SSRCs remembered to recognise their stragglers
_LOST_KEPT = 4096  # how many lost sequence numbers we remember to tell late from duplicate


class Packet(NamedTuple):
    """A released packet (a NamedTuple: one is built per RTP packet, so it must be cheap).  ``ext_seq`` is the wrap-extended sequence number (unique within
    one SSRC run); ``ts_offset`` counts RTP clock ticks since the first packet of its
    ``substream``; ``reordered`` means a higher sequence number arrived before it."""

    seq: int
    ts: int
    ssrc: int
    arrival: float
    payload: bytes
    marker: bool
    payload_type: int
    tag: int
    ext_seq: int
    substream: int
    ts_offset: int
    reordered: bool


@dataclass(frozen=True, slots=True)
class Gap:
    """Sequence numbers given up as lost: ``expected_seq_range`` over extended numbers
    (``len()`` is the loss), ``ts_range`` the RTP timestamps of the packets around it."""

    expected_seq_range: range
    ts_range: tuple[int, int]
    ssrc: int
    substream: int

    @property
    def lost(self) -> int:
        return len(self.expected_seq_range)

    def seqs(self) -> list[int]:
        """The lost 16-bit sequence numbers."""
        return [s & 0xFFFF for s in self.expected_seq_range]


Released = Packet | Gap


@dataclass(slots=True)
class _Held:
    seq: int
    ts: int
    ssrc: int
    arrival: float
    payload: bytes
    marker: bool
    payload_type: int
    tag: int
    ext_seq: int
    reordered: bool


@dataclass
class ReorderStats:
    """Counters; after ``flush()``: ``pushed == released + duplicates + late + strays``
    and, per SSRC run, ``expected == released + lost``."""

    pushed: int = 0
    released: int = 0
    duplicates: int = 0
    late: int = 0
    strays: int = 0
    reordered: int = 0
    lost: int = 0
    expected: int = 0
    substreams: int = 0
    ssrcs: list[int] = field(default_factory=list)


class ReorderBuffer:
    """See the module docstring.  ``push``/``flush`` return what became releasable."""

    def __init__(
        self,
        window: int = 64,
        *,
        clock_rates: Mapping[int, int] | None = None,
        max_skew: float = 1.0,
    ) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        self.window = window
        self.clock_rates: Mapping[int, int] = dict(clock_rates or {})
        self.max_skew = max_skew
        self.stats = ReorderStats()
        self._ssrc: int | None = None
        self._retired: dict[int, int] = {}  # replaced SSRC -> its highest sequence number
        self._held: dict[int, _Held] = {}
        self._held_min = 0  # lowest key of ``_held`` while ``_next`` is None
        self._next: int | None = None  # next extended seq to release; None until started
        self._highest = 0
        self._first_released: int | None = None
        self._lost: set[int] = set()
        self._probe: tuple[int, int] | None = None  # (ssrc, seq) that would confirm a restart
        self._probe_packet: _Held | None = None
        # timing of the current sub-stream
        self._substream = -1
        self._new_substream = True
        self._prev_ts = 0
        self._prev_offset = 0
        self._anchor_arrival = 0.0
        self._anchor_offset = 0
        self._rate: int | None = None

    # --- public ---------------------------------------------------------------------

    def push(
        self,
        seq: int,
        ts: int,
        ssrc: int,
        arrival: float,
        payload: bytes,
        marker: bool = False,
        *,
        payload_type: int = 0,
        tag: int = 0,
    ) -> list[Released]:
        """Take one received packet; return packets (in order) and gaps now releasable.
        ``tag`` is carried through untouched (finalize uses it for the codec generation)."""
        self.stats.pushed += 1
        out: list[Released] = []
        if (
            ssrc == self._ssrc
            and not self._held
            and self._next is not None
            and self._probe_packet is None
            and self._highest + seq_diff(seq, self._highest & 0xFFFF) == self._next
        ):  # fast path: the next packet, in order, nothing waiting
            self._highest = self._next
            self._next += 1
            self._probe = None
            self._emit(
                _Held(
                    seq, ts, ssrc, arrival, payload, marker, payload_type, tag, self._highest, False
                ),
                out,
            )
            return out
        if ssrc != self._ssrc:
            retired = self._retired.get(ssrc)
            if retired is not None and -MAX_MISORDER <= seq_diff(seq, retired) <= 0:
                self.stats.late += 1  # straggler of an SSRC that was already replaced
                return out
            if self._ssrc is not None:
                self._drain(out)
                self._retired[self._ssrc] = self._highest & 0xFFFF
                while len(self._retired) > _RETIRED_KEPT:
                    del self._retired[next(iter(self._retired))]
            self._start_run(ssrc)
        held = _Held(seq, ts, ssrc, arrival, payload, marker, payload_type, tag, 0, False)
        if not self._held and self._next is None and self._first_released is None:
            held.ext_seq = self._highest = seq + 0x10000  # headroom for early stragglers
            self._hold(held, out)
            return out
        ext = self._highest + seq_diff(seq, self._highest & 0xFFFF)
        held.ext_seq = ext
        floor = self._next if self._next is not None else (self._held_min if self._held else ext)
        if ext > self._highest + MAX_DROPOUT or ext < floor - MAX_MISORDER:
            self._on_jump(held, out)
            return out
        self._probe = None
        if self._probe_packet is not None:
            self._probe_packet = None
            self.stats.strays += 1
        if ext in self._held:
            self.stats.duplicates += 1
            return out
        if self._next is not None and ext < self._next:
            released = self._first_released is not None and ext >= self._first_released
            if released and ext not in self._lost:
                self.stats.duplicates += 1
            else:
                self.stats.late += 1
            return out
        held.reordered = ext < self._highest
        self._highest = max(self._highest, ext)
        self._hold(held, out)
        return out

    def flush(self) -> list[Released]:
        """Release everything held (missing packets become gaps); the buffer stays usable."""
        out: list[Released] = []
        if self._probe_packet is not None:
            self._probe_packet = None
            self._probe = None
            self.stats.strays += 1
        self._drain(out)
        return out

    def reanchor(self) -> None:
        """Start a new sub-stream at the next released packet (e.g. codec change)."""
        self._new_substream = True

    # --- sequence handling ----------------------------------------------------------

    def _start_run(self, ssrc: int) -> None:
        self._ssrc = ssrc
        self._held.clear()
        self._next = None
        self._first_released = None
        self._highest = 0
        self._lost.clear()
        self._new_substream = True
        self.stats.ssrcs.append(ssrc)

    def _on_jump(self, held: _Held, out: list[Released]) -> None:
        """RFC 3550 §A.1: a far jump counts only once the following packet confirms it."""
        if self._probe == (held.ssrc, held.seq) and self._probe_packet is not None:
            first = self._probe_packet
            self._probe_packet = self._probe = None
            self._drain(out)
            self._start_run(held.ssrc)
            self.stats.ssrcs.pop()  # same SSRC, not a new one
            first.ext_seq = self._highest = first.seq + 0x10000
            self._hold(first, out)
            held.ext_seq = self._highest + seq_diff(held.seq, first.seq)
            self._highest = max(self._highest, held.ext_seq)
            self._hold(held, out)
            return
        if self._probe_packet is not None:
            self.stats.strays += 1
        self._probe = (held.ssrc, (held.seq + 1) & 0xFFFF)
        self._probe_packet = held

    def _hold(self, held: _Held, out: list[Released]) -> None:
        self._held[held.ext_seq] = held
        if self._next is None:
            # until the first release nothing leaves ``_held`` (``_start_run`` empties
            # it), so its minimum is kept here instead of a ``min()`` per packet
            if len(self._held) == 1 or held.ext_seq < self._held_min:
                self._held_min = held.ext_seq
            if len(self._held) < self.window:
                return
            self._next = self._held_min
        self._release_ready(out)

    def _release_ready(self, out: list[Released]) -> None:
        held = self._held
        assert self._next is not None
        while held:
            packet = held.pop(self._next, None)
            if packet is not None:
                self._emit(packet, out)
                self._next += 1
                continue
            if len(held) < self.window:
                return
            self._gap(min(held), out)

    def _drain(self, out: list[Released]) -> None:
        if not self._held:
            return
        if self._next is None:
            self._next = min(self._held)
        while self._held:
            if self._next not in self._held:
                self._gap(min(self._held), out)
            self._emit(self._held.pop(self._next), out)
            self._next += 1

    def _gap(self, upto: int, out: list[Released]) -> None:
        assert self._next is not None
        missing = range(self._next, upto)
        before = self._prev_ts
        after = self._held[upto].ts
        out.append(Gap(missing, (before, after), self._ssrc or 0, max(self._substream, 0)))
        self.stats.lost += len(missing)
        self.stats.expected += len(missing)
        self._lost.update(missing)
        if len(self._lost) > _LOST_KEPT:
            floor = upto - _LOST_KEPT
            self._lost = {s for s in self._lost if s >= floor}
        self._next = upto

    # --- timing -----------------------------------------------------------------------

    def _emit(self, held: _Held, out: list[Released]) -> None:
        rate = self.clock_rates.get(held.payload_type)
        if not self._new_substream:
            offset = self._prev_offset + ts_diff(held.ts, self._prev_ts)
            if rate is not None and self._rate is None:
                self._rate, self._anchor_arrival, self._anchor_offset = (
                    rate,
                    held.arrival,
                    offset,
                )
            elif rate is not None and rate != self._rate:
                self._new_substream = True
            elif self._rate is not None:
                # Same clock, or a payload type without a known clock (comfort noise, an
                # unnegotiated PT): either way it is judged by the substream's clock, so a
                # wild timestamp cannot place it hours away from when it arrived.
                skew = (offset - self._anchor_offset) / self._rate - (
                    held.arrival - self._anchor_arrival
                )
                if abs(skew) > self.max_skew:
                    self._new_substream = True
        if self._new_substream:
            self._new_substream = False
            self._substream += 1
            self.stats.substreams += 1
            offset = 0
            self._rate = rate
            self._anchor_arrival, self._anchor_offset = held.arrival, 0
        self._prev_ts, self._prev_offset = held.ts, offset
        if self._first_released is None:
            self._first_released = held.ext_seq
        self.stats.released += 1
        self.stats.expected += 1
        if held.reordered:
            self.stats.reordered += 1
        out.append(
            Packet(
                held.seq,
                held.ts,
                held.ssrc,
                held.arrival,
                held.payload,
                held.marker,
                held.payload_type,
                held.tag,
                held.ext_seq,
                self._substream,
                offset,
                held.reordered,
            )
        )
