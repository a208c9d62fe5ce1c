"""CPU and wall time per ``finalize_job`` (spool directory → WAV + ``finalized.json``).

Builds ``--calls`` synthetic spool directories per variant (two PCMU streams of
``--seconds`` each, like a SIPREC call) and finalizes each of them in ``--repeat`` passes,
timing CPU (``time.process_time``) and wall (which adds the fsyncs of the WAV and the
marker); the best pass is shown, the machine being shared.  Variants: ``clean`` (in
order, one SSRC: the common case), ``lossy`` (3 % loss, in order) and ``messy`` (loss,
reordering, duplicates, an SSRC change, DTMF and comfort noise: the general per-packet
path).  The baseline, measured in the same run on the same directories, is only reading
every spool record with ``iter_records``; "no fsync" repeats the finalize with
``os.fsync`` stubbed out, to tell the CPU of finalize from the disk's.  Run it with ``PYTHONPATH`` on another checkout
to compare implementations on the same inputs.

    .venv/bin/python bench/finalize_microbench.py [--calls 40] [--seconds 2.5] [--repeat 5]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from srs.media.rtp import build_dtmf
from srs.media.spool import iter_records
from srs.server import finalize_job
from srs.testing_media import (
    Record,
    RtpFrame,
    StreamFixture,
    event_record,
    params_event,
    rtp_packets,
    timed_records,
    write_recording,
)

T = 1000.0


def _clean(freq: float, seconds: float, ssrc: int) -> list[Record]:
    return timed_records(rtp_packets("pcmu", freq, seconds, ssrc=ssrc), T)


def _lossy(freq: float, seconds: float, ssrc: int, rng: random.Random) -> list[Record]:
    """3 % of the packets lost, the rest in order: a typical real-network call."""
    return [r for r in _clean(freq, seconds, ssrc) if rng.random() >= 0.03]


def _messy(freq: float, seconds: float, ssrc: int, rng: random.Random) -> list[Record]:
    """Loss, local reordering, duplicates, an SSRC change half-way, DTMF and CN."""
    frames = rtp_packets("pcmu", freq, seconds, ssrc=ssrc)
    half = len(frames) // 2
    frames = frames[:half] + [
        RtpFrame(f.seq + 7000, f.ts + 123456, ssrc + 1, f.pt, f.marker, f.payload)
        for f in frames[half:]
    ]
    records = timed_records(frames, T)
    out: list[Record] = []
    for rec in records:
        roll = rng.random()
        if roll < 0.03:
            continue  # lost
        out.append(rec)
        if roll > 0.97:
            out.append(rec)  # duplicated
    for i in range(1, len(out) - 1, 9):  # swap neighbours: reordered
        out[i], out[i + 1] = out[i + 1], out[i]
    last = frames[half - 1]
    for k in range(3):
        body = build_dtmf(5, k == 2, 10, 400 * (k + 1))
        dtmf = RtpFrame(last.seq, last.ts, ssrc, 101, k == 0, body)
        out.insert(half // 2, (out[0][0], T + half * 0.01 + k * 0.001, dtmf.packet()))
    cn = RtpFrame(frames[3].seq, frames[3].ts, ssrc, 13, False, b"\x40")
    out.insert(4, (out[0][0], T + 0.07, cn.packet()))
    return out


def build(root: Path, calls: int, seconds: float, variant: str) -> list[Path]:
    rng = random.Random(7)
    dirs = []
    for i in range(calls):
        streams = []
        for k, freq in enumerate((440.0, 660.0)):
            ssrc = 100 + 10 * i + k
            if variant == "clean":
                records = _clean(freq, seconds, ssrc)
            elif variant == "lossy":
                records = _lossy(freq, seconds, ssrc, rng)
            else:
                records = _messy(freq, seconds, ssrc, rng)
            streams.append(
                StreamFixture(f"s{k}", k, [event_record(T - 0.5, params_event()), *records])
            )
        dirs.append(
            write_recording(
                root / variant / f"r{i}",
                streams,
                recording_id=f"{variant}-{i}",
                started_at=T,
                ended_at=T + seconds,
            )
        )
    return dirs


def _time(fn: Callable[[Path], object], dirs: list[Path], repeat: int) -> tuple[float, float]:
    """µs per call of CPU (user + system: ``time.process_time``) and of wall: the best of
    ``repeat`` passes over ``dirs`` (the machine is shared; the minimum is the least
    disturbed pass)."""
    best_cpu = best_wall = float("inf")
    for _ in range(repeat):
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for d in dirs:
            fn(d)
        best_cpu = min(best_cpu, time.process_time() - cpu0)
        best_wall = min(best_wall, time.perf_counter() - wall0)
    return best_cpu / len(dirs) * 1e6, best_wall / len(dirs) * 1e6


def _read_only(d: Path) -> int:
    return sum(1 for p in sorted(d.glob("*.spool")) for _ in iter_records(p))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=2.5)
    parser.add_argument("--repeat", type=int, default=5, help="passes; the best is shown")
    parser.add_argument("--profile", action="store_true", help="cProfile the clean variant")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="srs-finbench-") as tmp:
        root = Path(tmp)
        print(f"{args.calls} calls × 2 PCMU streams × {args.seconds:g} s")
        print(
            f"{'variant':8} {'path':14} {'CPU µs':>9} {'wall µs':>9} {'CPU µs/s':>10} "
            f"{'× base':>8}   (per call; µs/s: per second of call)"
        )
        for variant in ("clean", "lossy", "messy"):
            dirs = build(root, args.calls, args.seconds, variant)
            out = root / "out"
            finalize_job(str(dirs[0]), str(out / "warm"), "wav", "stereo")  # imports, tables
            base_cpu, base_wall = _time(_read_only, dirs, args.repeat)

            def job(d: Path, out: Path = out) -> object:
                return finalize_job(str(d), str(out / d.name), "wav", "stereo")

            if args.profile and variant == "clean":
                profile = cProfile.Profile()
                profile.enable()
            cpu, wall = _time(job, dirs, 1 if args.profile else args.repeat)
            if args.profile and variant == "clean":
                profile.disable()
                pstats.Stats(profile).sort_stats("tottime").print_stats(25)
            real_fsync = os.fsync
            os.fsync = lambda fd: None  # what is left: Python, numpy and file creation
            try:
                bare_cpu, bare_wall = _time(job, dirs, args.repeat)
            finally:
                os.fsync = real_fsync
            for name, c, w in (
                ("read spool", base_cpu, base_wall),
                ("finalize_job", cpu, wall),
                ("  no fsync", bare_cpu, bare_wall),
            ):
                print(
                    f"{variant:8} {name:14} {c:9.0f} {w:9.0f} "
                    f"{c / args.seconds:10.0f} {c / base_cpu:8.2f}"
                )


if __name__ == "__main__":
    main()
