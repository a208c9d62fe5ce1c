"""Churn bench (issue #5): new SIPREC calls set up and hung up at a steady rate while
long-held calls are up, with media on every call.

    .venv/bin/python bench/churn.py --base 500 --rate 200 --hold 2 --seconds 60

bench/run.py sets calls up, sends media, then hangs up: nothing is set up or ended while
sessions are up.  Here one ``srs serve`` (configured as bench/run.py does) is warmed up,
``--base`` calls are set up at 50/s and held (bench/siprec-load.xml), then SIPp starts
``--rate`` calls/s for ``--seconds`` s, each held ``--hold`` s and hung up by SIPp itself
(bench/siprec-churn.xml).  bench/rtp_churn tails both SIPp ports logs and sends every call's
2 streams as soon as its line appears.  Then the long-held calls are hung up and every
recording row is waited for.  Measured: churn INVITE→200 (SIPp rtd trace), answered calls,
srs CPU and RSS over the churn window, drops on srs's sockets, packets sent vs spooled by
SSRC, finalize latency of the churn calls from the database; and, same run, the same
sender pattern into the C sink (bench/udp_sink) as a baseline.  The tables are printed and
written into the "churn" block of docs/performance.md (the rest of the file is kept).
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import churn_load  # bench/ is on sys.path when run as a script
import churn_report
import loadgen
import procstat
import report
import run
from churn_load import SSRC_BASE_CALLS, SSRC_CHURN_CALLS, DropTracker, Feed, LogTail

ROOT = Path(__file__).resolve().parents[1]
BASE_RATE = 50.0  # long-held calls are set up (and hung up) at 50/s
SAMPLE_S = 0.5  # RSS and socket drops are sampled this often during the churn


def _srs_sockets(pid: int) -> dict[int, tuple[int, int]]:
    inodes = procstat.socket_inodes(pid)
    return churn_load.parse_udp_sockets(Path("/proc/net/udp").read_text(), inodes)


def _loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _sender_cpu(proc: subprocess.Popen[str]) -> float:
    try:
        return procstat.cpu_seconds(proc.pid)
    except (OSError, ValueError):
        return 0.0


def _stop_sender(proc: subprocess.Popen[str]) -> churn_load.SenderResult:
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=30)
    return churn_load.parse_sender_output(stdout)


def _rows(db: Path, pid: int) -> list[float]:
    return run._finalize_latencies(db, f"%-{pid}@%")


def _steady(pid: int, tolerance: float = 0.05, timeout: float = 30.0) -> float:
    """Seconds until srs's CPU use is steady (two successive 1 s samples within
    ``tolerance`` of a core): the database writes the setups queued are done.  Not idle, as
    bench/run.py waits for: the long-held calls' media keeps flowing."""
    started = time.monotonic()
    last = None
    while time.monotonic() - started < timeout:
        cpu0 = procstat.cpu_seconds(pid)
        time.sleep(1.0)
        used = procstat.cpu_seconds(pid) - cpu0
        if last is not None and abs(used - last) < tolerance:
            break
        last = used
    return time.monotonic() - started


def _files(db: Path, pid: int) -> tuple[int, list[float]]:
    """How many of the calls' recordings have their file on disk with the size their row
    says, and the recordings' durations (s)."""
    rows = run._db_query(
        db, "SELECT path, size, duration FROM recording WHERE call_id LIKE ?", f"%-{pid}@%"
    )
    playable = 0
    for path, size, _ in rows:
        try:
            playable += Path(str(path)).stat().st_size == size and isinstance(size, int)
        except OSError:
            pass
    return playable, sorted(float(d) for _, _, d in rows if isinstance(d, (int, float)))


def _start_srs(workdir: Path, args: argparse.Namespace) -> tuple[subprocess.Popen[bytes], int]:
    sip_port = loadgen.free_port()
    http_port = loadgen.free_port(loadgen.socket.SOCK_STREAM)
    # Room for the long-held calls plus ~5 s of churn calls (late finalizes, slow BYEs).
    calls = args.base + math.ceil(args.rate * (args.hold + 5))
    cfg = run._config(workdir, sip_port, http_port, args.port_min, calls, False)
    srs = run.start_srs(workdir, cfg)
    return srs, sip_port


def _hang_up(sipp: run._Sipp, numbers: list[int], result: churn_report.ChurnResult) -> None:
    loadgen.hang_up([sipp.call_id(n) for n in numbers], sipp.port, BASE_RATE)
    try:
        sipp.proc.wait(len(numbers) / BASE_RATE + 60)
    except subprocess.TimeoutExpired:
        result.notes.append("SIPp had long-held calls left 60 s after the last hang-up; killed")
        sipp.proc.kill()
        sipp.proc.wait()


def run_churn(
    args: argparse.Namespace, sender_exe: Path, sink_exe: Path, workdir: Path
) -> churn_report.ChurnResult:
    result = churn_report.ChurnResult(
        base=args.base, rate=args.rate, hold=args.hold, seconds=args.seconds
    )
    db = workdir / "data" / "srs.db"
    srs, sip_port = _start_srs(workdir, args)
    pid = srs.pid
    base_log, churn_log = workdir / "ports-base.log", workdir / "ports-churn.log"
    sender: subprocess.Popen[str] | None = None
    sent: churn_load.SenderResult | None = None
    try:
        warm = run._run_sipp(workdir, sip_port, run.WARMUP_CALLS, 10, 60_000, "warmup")
        run._wait_for(lambda: len(warm.answered()) >= run.WARMUP_CALLS, 60, "warm-up calls")
        _hang_up(warm, [n for n, _, _ in warm.answered()], result)
        run._wait_for(
            lambda: len(_rows(db, warm.proc.pid)) >= run.WARMUP_CALLS, 60, "warm-up recordings"
        )
        time.sleep(1.0)
        result.rss_before_kb = procstat.rss_kb(pid)

        # The sender follows both ports logs from now on (they do not exist yet).
        max_seconds = args.base / BASE_RATE * 3 + args.seconds + args.hold + 600
        feeds = [
            Feed(base_log, 0, SSRC_BASE_CALLS),
            Feed(churn_log, max(args.hold - args.guard, 0.02), SSRC_CHURN_CALLS),
        ]
        sender = subprocess.Popen(
            churn_load.sender_command(sender_exe, max_seconds, feeds),
            stdout=subprocess.PIPE,
            text=True,
        )
        run._CHILDREN.append(sender)  # type: ignore[arg-type]

        # Long-held calls: up until the churn is over.
        setup_budget = args.base / BASE_RATE * 3 + 30
        hold_ms = int((setup_budget + args.seconds + args.hold + 300) * 1000)
        base = run._run_sipp(workdir, sip_port, args.base, BASE_RATE, hold_ms, "base")
        try:
            run._wait_for(
                lambda: len(base.answered()) >= args.base or base.proc.poll() is not None,
                setup_budget,
                "long-held calls to be set up",
                step=0.1,
            )
        except TimeoutError as exc:
            result.notes.append(str(exc))
        base_calls = base.answered()
        result.base_up = len(base_calls)
        settle = _steady(pid)
        print(f"{result.base_up} long-held calls up; srs steady after {settle:.1f} s", flush=True)

        # The churn window.
        result.load_start = _loadavg()
        drops = DropTracker(_srs_sockets(pid))
        snmp0 = procstat.snmp_udp()
        cpu0, workers0 = procstat.cpu_seconds(pid), procstat.children_cpu_seconds(pid)
        sender0 = _sender_cpu(sender)
        peak = procstat.rss_kb(pid)
        sipp_port = loadgen.free_port()
        cmd = churn_load.sipp_churn_command(
            ("127.0.0.1", sip_port), sipp_port, args.rate, args.seconds, args.hold, churn_log
        )
        started = time.monotonic()
        with open(workdir / "sipp-churn.err", "wb") as err:
            churn = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=err)
        run._CHILDREN.append(churn)
        spy = run._start_profiler(args, pid, args.seconds + args.hold, "churn")
        tail = LogTail(churn_log)
        next_print = started + 10
        deadline = started + args.seconds + args.hold + 240
        while churn.poll() is None and time.monotonic() < deadline:
            time.sleep(SAMPLE_S)
            peak = max(peak, procstat.rss_kb(pid))
            drops.update(_srs_sockets(pid))
            tail.poll()
            if time.monotonic() >= next_print:
                next_print += 10
                print(
                    f"  churn {time.monotonic() - started:.0f} s: {tail.calls} answered, "
                    f"RSS {peak / 1024:.0f} MB",
                    flush=True,
                )
        if churn.poll() is None:
            result.notes.append("churn SIPp still running 240 s after its last call; killed")
            churn.kill()
            churn.wait()
        result.window_s = time.monotonic() - started
        result.srs_cpu_s = procstat.cpu_seconds(pid) - cpu0
        result.workers_cpu_s = procstat.children_cpu_seconds(pid) - workers0
        result.sender_cpu_s = _sender_cpu(sender) - sender0
        result.rss_peak_kb = peak
        result.load_end = _loadavg()
        drops.update(_srs_sockets(pid))
        result.sip_drops = drops.drops(port=sip_port)
        result.rtp_drops = drops.drops(exclude=sip_port)
        result.snmp_rcvbuf_errors = procstat.snmp_udp()["RcvbufErrors"] - snmp0["RcvbufErrors"]
        if spy is not None:
            spy.wait(60)
        tail.poll()
        result.answered = tail.calls
        result.sipp = loadgen.parse_stat_csv(run._read(loadgen.stat_file(churn_log)))
        result.attempted = result.sipp.get("OutgoingCall", 0)
        result.setup_ms = loadgen.parse_rtt_csv(run._read(churn_load.rtt_file(workdir, churn.pid)))

        # The sender stops before the long-held calls are hung up (no packet after a BYE).
        sent = _stop_sender(sender)
        result.late_slots, result.sender_errors = sent.late_slots, sent.errors
        _hang_up(base, [n for n, _, _ in base_calls], result)
        expected = result.answered + result.base_up
        try:
            run._wait_for(
                lambda: len(_rows(db, churn.pid)) + len(_rows(db, base.proc.pid)) >= expected,
                120 + expected * 0.01,
                "recordings to be finalized",
                step=1.0,
            )
        except TimeoutError as exc:
            result.notes.append(str(exc))
        result.finalize_ms = _rows(db, churn.pid)
        result.finalized = len(result.finalize_ms)
        result.base_finalized = len(_rows(db, base.proc.pid))
        result.playable, durations = _files(db, churn.pid)
        result.duration_min_s = durations[0] if durations else 0.0
        result.duration_p50_s = report.percentile(durations, 50) or 0.0
    except BaseException:
        print(f"srs log tail:\n{run._read(workdir / 'srs.log')[-3000:]}", file=sys.stderr)
        raise
    finally:
        for child in run._CHILDREN:
            run._stop(child, 5)
        run._CHILDREN.clear()
        run._stop(srs)
    spooled = run._spooled_by_ssrc(workdir / "data" / "spool")
    if sent is not None:
        result.churn_loss = churn_load.loss(
            churn_load.in_range(sent.by_ssrc, SSRC_CHURN_CALLS), spooled
        )
        result.base_loss = churn_load.loss(
            churn_load.in_range(sent.by_ssrc, SSRC_BASE_CALLS), spooled
        )
    _baseline(args, sender_exe, sink_exe, workdir, result)
    return result


def _baseline(
    args: argparse.Namespace,
    sender_exe: Path,
    sink_exe: Path,
    workdir: Path,
    result: churn_report.ChurnResult,
) -> None:
    """The same sender pattern (the long-held calls' streams plus ``--rate`` new calls/s of
    ``--hold`` s) into bench/udp_sink: what receiving it costs at the least."""
    pairs = result.base_up + math.ceil(args.rate * (args.hold + 1))
    ports_file = workdir / "sink-ports.txt"
    sink = loadgen.start_sink("c", sink_exe, 2 * pairs, ports_file)
    try:
        ports = [int(line) for line in ports_file.read_text().split()]
        base_ports, churn_ports = ports[: 2 * result.base_up], ports[2 * result.base_up :]
        base_log, churn_log = workdir / "sink-base.log", workdir / "sink-churn.log"
        base_log.write_text(
            "".join(
                f"{n + 1} {base_ports[2 * n]} {base_ports[2 * n + 1]}\n"
                for n in range(result.base_up)
            )
        )
        churn_log.write_text("")
        feeds = [
            Feed(base_log, 0, SSRC_BASE_CALLS),
            Feed(churn_log, max(args.hold - args.guard, 0.02), SSRC_CHURN_CALLS),
        ]
        sender = subprocess.Popen(
            churn_load.sender_command(sender_exe, args.seconds + args.hold + 60, feeds),
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(1.0)  # the long-held streams are up, as when the churn starts
        feeder = churn_load.LogFeeder(churn_log, churn_ports, args.rate, args.seconds)
        cpu0, sender0, started = (
            procstat.cpu_seconds(sink.pid),
            _sender_cpu(sender),
            time.monotonic(),
        )
        feeder.start()
        feeder.join()
        time.sleep(args.hold)  # the last calls' media
        result.sink_seconds = time.monotonic() - started
        result.sink_cpu_s = procstat.cpu_seconds(sink.pid) - cpu0
        result.sink_sender_cpu_s = _sender_cpu(sender) - sender0
        sent = _stop_sender(sender)
        time.sleep(0.2)  # let the sink drain what is queued
    finally:
        run._stop(sink)
    out, _ = sink.communicate()
    result.sink_sent = sent.sent
    result.sink_received = loadgen.parse_sink_output(out)


def _print(r: churn_report.ChurnResult) -> None:
    print()
    print(churn_report.summary_table(r))
    print()
    print(churn_report.detail_table(r))
    print()
    print(churn_report.targets_table(r))
    for note in r.notes:
        print(f"  note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", type=int, default=500, help="long-held calls (default 500)")
    parser.add_argument("--rate", type=float, default=200, help="new calls/s (default 200)")
    parser.add_argument("--hold", type=float, default=2, help="churn call length, s (default 2)")
    parser.add_argument(
        "--seconds", type=float, default=60, help="how long new calls start (default 60)"
    )
    parser.add_argument(
        "--guard",
        type=float,
        default=0.1,
        help="a churn call's media stops this many s before its BYE (default 0.1)",
    )
    parser.add_argument(
        "--port-min", type=int, default=10000, help="first RTP port given to srs (default 10000)"
    )
    parser.add_argument(
        "--tmpdir", default=None, help="where srs's data dir goes (default $TMPDIR or /tmp)"
    )
    parser.add_argument("--section", default="churn", help="generated block (default churn)")
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy srs over the churn (bench/out/)"
    )
    parser.add_argument("--profile-rate", type=int, default=100, help="py-spy samples/s")
    args = parser.parse_args()
    if args.base >= 0x4000 or args.rate * args.seconds >= 0x4000:
        parser.error("at most 16383 long-held and 16383 churn calls (SSRC ranges)")
    sender_exe = churn_load.build_sender()
    sink_exe = loadgen.build_native()["udp_sink"]
    info = report.machine_info(
        uvloop_used=find_spec("uvloop") is not None,
        data_root=Path(args.tmpdir or tempfile.gettempdir()),
        root=ROOT,
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    workdir = Path(tempfile.mkdtemp(prefix="srs-churn-", dir=args.tmpdir))
    try:
        result = run_churn(args, sender_exe, sink_exe, workdir)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            subprocess.run(["rm", "-rf", str(workdir)], check=False)
    _print(result)
    (loadgen.OUT / "churn.json").write_text(
        json.dumps({"when": when, "machine": info, "result": result.to_json()}, indent=1)
    )
    if not args.no_doc:
        command = ".venv/bin/python bench/churn.py " + " ".join(sys.argv[1:])
        block = churn_report.generated_block(result, info, command.strip(), when, args.section)
        report.update_doc(run.DOC, block, run.TEMPLATE, args.section)
        print(f"\nwrote {run.DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
