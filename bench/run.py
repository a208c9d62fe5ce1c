"""End-to-end load bench: N concurrent 2-stream G.711 SIPREC calls against ``srs serve``.

    .venv/bin/python bench/run.py --calls 50,100,200 --seconds 20

For each concurrency level: start ``srs serve`` with a temporary config (own ports, data
dir, RTP range), warm it up with 2 calls, set up N calls with SIPp (bench/siprec-load.xml),
send 2 x 50 packets/s of PCMU per call from bench/rtp_blast (C, sendmmsg) to the answered
ports for the steady-state window, hang up, wait for every recording to be finalized, and
read srs's CPU and RSS from /proc, socket drops from /proc/net/udp, packets from the spool
files, setup latency from SIPp and finalize latency from the database.  Then the same
sender runs into a C and a Python sink on as many sockets (the machine's ceiling).
The tables are printed and written into docs/performance.md (between the generated-block
markers; the rest of the file is kept).
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import loadgen  # bench/ is on sys.path when run as a script
import procstat
import report

from srs.media.spool import RTP, iter_records

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "performance.md"
SSRC_BASE = 0x52500000  # rtp_blast: stream k sends with SSRC SSRC_BASE + k
WARMUP_CALLS = 2
_CHILDREN: list[subprocess.Popen[bytes]] = []  # SIPp runs, stopped if a level fails


def _config(
    workdir: Path, sip_port: int, http_port: int, port_min: int, calls: int, http: bool
) -> Path:
    port_max = port_min + max(1000, 4 * calls + 200) - 1
    path = workdir / "srs.toml"
    path.write_text(
        f"""[sip]
host = "127.0.0.1"
advertised_host = "127.0.0.1"
udp_port = {sip_port}
tcp_port = 0
max_sessions = {2 * calls + 100}

[media]
port_min = {port_min}
port_max = {port_max}

[storage]
data_dir = "{workdir / "data"}"

[http]
enabled = {"true" if http else "false"}
host = "127.0.0.1"
port = {http_port}
"""
    )
    return path


def _wait_for(predicate: object, timeout: float, what: str, step: float = 0.2) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


def _db_query(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return list(conn.execute(sql, params))


def _finalize_latencies(db: Path, call_id_like: str) -> list[float]:
    rows = _db_query(
        db, "SELECT finalize_latency_ms FROM recording WHERE call_id LIKE ?", call_id_like
    )
    return [float(row[0]) for row in rows if isinstance(row[0], (int, float))]


def _db_packets(db: Path, call_id_like: str) -> int:
    rows = _db_query(
        db,
        "SELECT COALESCE(SUM(COALESCE(s.packets, s.expected - s.lost)), 0)"
        " FROM stream s JOIN recording_session r"
        " ON s.recording_id = r.id WHERE r.call_id LIKE ?",
        call_id_like,
    )
    return int(rows[0][0]) if rows and isinstance(rows[0][0], int) else 0


def _spooled_by_ssrc(spool_root: Path) -> Counter[int]:
    counts: Counter[int] = Counter()
    for path in spool_root.glob("*/*.spool"):
        for record in iter_records(path):
            if record.kind == RTP and len(record.data) >= 12:
                counts[int.from_bytes(record.data[8:12], "big")] += 1
    return counts


@dataclass
class _Sipp:
    proc: subprocess.Popen[bytes]
    port: int  # SIPp's own SIP port (where hang-up INFOs go)
    ports_log: Path

    def answered(self) -> list[tuple[int, int, int]]:
        return loadgen.parse_ports_log(_read(self.ports_log))

    def call_id(self, number: int) -> str:
        return f"{number}-{self.proc.pid}@127.0.0.1"  # SIPp's default -cid_str %u-%p@%s


def _settle(pid: int, idle: float = 0.05, timeout: float = 60.0) -> float:
    """Seconds until srs uses under ``idle`` of a core over half a second (its database
    thread drains the upserts the setups queued), ``timeout`` at most."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        cpu0 = procstat.cpu_seconds(pid)
        time.sleep(0.5)
        if procstat.cpu_seconds(pid) - cpu0 < idle * 0.5:
            break
    return time.monotonic() - started


def _run_sipp(
    workdir: Path, sip_port: int, calls: int, rate: float, hold_ms: int, tag: str
) -> _Sipp:
    ports_log = workdir / f"ports-{tag}.log"
    port = loadgen.free_port()
    cmd = loadgen.sipp_command(("127.0.0.1", sip_port), port, calls, rate, hold_ms, ports_log)
    with open(workdir / f"sipp-{tag}.err", "wb") as err:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=err)
    _CHILDREN.append(proc)
    return _Sipp(proc, port, ports_log)


def _end_calls(sipp: _Sipp, numbers: list[int], rate: float, result: report.LevelResult) -> None:
    """Hang the calls up at ``rate``/s and wait for SIPp to finish its BYEs."""
    loadgen.hang_up([sipp.call_id(n) for n in numbers], sipp.port, rate)
    try:
        sipp.proc.wait(len(numbers) / rate + 60)
    except subprocess.TimeoutExpired:
        result.notes.append("SIPp had calls left 60 s after the last hang-up; killed")
        sipp.proc.kill()
        sipp.proc.wait()


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def start_srs(workdir: Path, cfg: Path) -> subprocess.Popen[bytes]:
    """``srs serve --config cfg`` in ``workdir``, logging to ``srs.log``; returns once it
    listens (stopped again and ``RuntimeError`` if it exits or never listens)."""
    log_path = workdir / "srs.log"
    with open(log_path, "wb") as log:
        srs = subprocess.Popen(
            [sys.executable, "-m", "srs", "serve", "--config", str(cfg)],
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(
            lambda: "srs listening" in _read(log_path) or srs.poll() is not None,
            60,
            "srs to listen",
        )
    except BaseException:
        _stop(srs)
        raise
    if srs.poll() is not None:
        raise RuntimeError(f"srs exited at start:\n{_read(log_path)[-2000:]}")
    return srs


def _stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_level(
    calls: int, rate: float, args: argparse.Namespace, exes: dict[str, Path], workdir: Path
) -> report.LevelResult:
    result = report.LevelResult(calls=calls, rate=rate)
    sip_port = loadgen.free_port()
    http_port = loadgen.free_port(loadgen.socket.SOCK_STREAM)
    cfg = _config(workdir, sip_port, http_port, args.port_min, calls, args.http)
    db = workdir / "data" / "srs.db"
    srs = start_srs(workdir, cfg)
    pid = srs.pid
    ports: list[int] = []
    blast_out: loadgen.BlastResult | None = None
    try:
        # Warm-up: first INVITE imports, first finalize spawns the worker processes.
        warm = _run_sipp(workdir, sip_port, WARMUP_CALLS, 10, 60_000, "warmup")
        _wait_for(lambda: len(warm.answered()) >= WARMUP_CALLS, 60, "warm-up calls")
        _end_calls(warm, [n for n, _, _ in warm.answered()], 10, result)
        _wait_for(
            lambda: len(_finalize_latencies(db, f"%-{warm.proc.pid}@%")) >= WARMUP_CALLS,
            60,
            "warm-up recordings",
        )
        time.sleep(1.0)
        result.rss_before_kb = procstat.rss_kb(pid)

        # Setup: N calls at --rate; they last until _end_calls (or hold_ms at most).
        setup_budget = calls / rate * 3 + 30
        hold_ms = int((setup_budget + args.seconds + 60) * 1000)
        cpu0 = procstat.cpu_seconds(pid)
        sipp = _run_sipp(workdir, sip_port, calls, rate, hold_ms, "load")
        setup_spy = _start_profiler(args, pid, None, f"setup-{calls}")
        try:
            _wait_for(
                lambda: len(sipp.answered()) >= calls or sipp.proc.poll() is not None,
                setup_budget,
                "calls to be set up",
                step=0.05,
            )
        except TimeoutError as exc:
            result.notes.append(str(exc))
        if setup_spy is not None:
            setup_spy.send_signal(signal.SIGINT)
            setup_spy.wait(30)
        answered = sipp.answered()
        result.established = len(answered)
        if not answered:
            raise RuntimeError(f"no call was set up; see {workdir}")
        ports = [port for _, p1, p2 in answered for port in (p1, p2)]
        ports_file = workdir / "ports.txt"
        ports_file.write_text("".join(f"{port}\n" for port in ports))

        # Let srs finish what the setups queued (database writes) before measuring.
        result.settle_s = _settle(pid)
        result.setup_cpu_s = procstat.cpu_seconds(pid) - cpu0

        # Steady state: every call up, 2 streams each.
        window = args.seconds
        rtp_drops0 = procstat.socket_drops(pid)
        result.load_average = float(Path("/proc/loadavg").read_text().split()[0])
        snmp0, cpu0 = procstat.snmp_udp(), procstat.cpu_seconds(pid)
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        blast = loadgen.start_blast(exes["rtp_blast"], ports_file, window)
        profiler = _start_profiler(args, pid, window, f"window-{calls}")
        peak = 0
        while blast.poll() is None:
            peak = max(peak, procstat.rss_kb(pid))
            time.sleep(0.25)
        stdout, _ = blast.communicate()
        cpu1, snmp1 = procstat.cpu_seconds(pid), procstat.snmp_udp()
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        drops = procstat.socket_drops(pid)
        result.socket_drops = sum(drops.get(port, 0) - rtp_drops0.get(port, 0) for port in ports)
        result.sip_drops = drops.get(sip_port, 0)
        blast_out = loadgen.parse_blast_output(stdout)
        result.srs_cpu_s = cpu1 - cpu0
        result.seconds = blast_out.seconds
        result.sent = blast_out.sent
        result.late_slots = blast_out.late_slots
        result.sender_cpu_s = (children1.ru_utime + children1.ru_stime) - (
            children0.ru_utime + children0.ru_stime
        )
        result.rss_during_kb = peak
        result.snmp_rcvbuf_errors = snmp1["RcvbufErrors"] - snmp0["RcvbufErrors"]
        if profiler is not None:
            profiler.wait(window + 30)

        # Teardown: BYEs at --rate, srs finalizes.
        _end_calls(sipp, [n for n, _, _ in answered], rate, result)
        rtt = loadgen.find_rtt_file(workdir, sipp.proc.pid)
        result.setup_ms = loadgen.parse_rtt_csv(_read(rtt)) if rtt else []
        like = f"%-{sipp.proc.pid}@%"
        try:
            _wait_for(
                lambda: len(_finalize_latencies(db, like)) >= result.established,
                60 + calls * 0.1,
                "recordings to be finalized",
                step=0.5,
            )
        except TimeoutError as exc:
            result.notes.append(str(exc))
        result.sipp = loadgen.parse_stat_csv(_read(workdir / "ports-load-stat.csv"))
        result.finalize_ms = _finalize_latencies(db, like)
        result.finalized = len(result.finalize_ms)
        result.finalize_workers_cpu_s = procstat.children_cpu_seconds(pid)
        result.db_packets = _db_packets(db, like)
    finally:
        for child in _CHILDREN:
            _stop(child, 5)
        _CHILDREN.clear()
        _stop(srs)
    by_ssrc = _spooled_by_ssrc(workdir / "data" / "spool")
    result.spooled = sum(by_ssrc.get(SSRC_BASE + k, 0) for k in range(len(ports)))
    if blast_out is not None:
        result.streams_with_loss = sum(
            1
            for k, port in enumerate(ports)
            if by_ssrc.get(SSRC_BASE + k, 0) < blast_out.per_port.get(port, 0)
        )
    for kind in args.baseline:
        result.baselines.append(_baseline(kind, exes, len(ports), result.seconds, workdir))
    return result


def _baseline(
    kind: str, exes: dict[str, Path], sockets: int, seconds: float, workdir: Path
) -> report.Baseline:
    ports_file = workdir / f"sink-{kind}-ports.txt"
    sink = loadgen.start_sink(kind, exes["udp_sink"], sockets, ports_file)
    try:
        time.sleep(0.5)
        cpu0 = procstat.cpu_seconds(sink.pid)
        blast = loadgen.start_blast(exes["rtp_blast"], ports_file, seconds)
        stdout, _ = blast.communicate()
        time.sleep(0.2)  # let the sink drain what is queued
        cpu = procstat.cpu_seconds(sink.pid) - cpu0
        drops = sum(procstat.socket_drops(sink.pid).values())
    finally:
        _stop(sink)
    out, _ = sink.communicate()
    sent = loadgen.parse_blast_output(stdout)
    return report.Baseline(
        kind=kind,
        sockets=sockets,
        sent=sent.sent,
        received=loadgen.parse_sink_output(out),
        cpu_s=cpu,
        seconds=sent.seconds,
        drops=drops,
    )


def _start_profiler(
    args: argparse.Namespace, pid: int, seconds: float | None, name: str
) -> subprocess.Popen[bytes] | None:
    """``--profile``: py-spy samples srs into bench/out/pyspy-<name>.txt (collapsed stacks)
    for ``seconds`` or until SIGINT.  It costs srs some CPU itself: profile runs are for
    finding where the time goes, not for the table."""
    if not args.profile:
        return None
    out = loadgen.OUT / f"pyspy-{name}.txt"
    spy = Path(sys.executable).with_name("py-spy")
    cmd = [
        str(spy),
        "record",
        "--pid",
        str(pid),
        "--rate",
        str(args.profile_rate),
        "--format",
        "raw",
        "--output",
        str(out),
        "--nonblocking",
    ]
    if seconds is not None:
        cmd += ["--duration", str(max(1, int(seconds) - 1))]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)  # attach before the phase starts
    return proc


def _print_level(r: report.LevelResult) -> None:
    c, py = r.baseline("c"), r.baseline("python")
    print(
        f"[{r.established}/{r.calls} calls] {r.pps:,.0f} pkt/s for {r.seconds:.1f} s: "
        f"srs CPU {r.cpu_pct:.1f}% of a core ({r.cpu_per_call_second:.5f} s per call-s), "
        f"RSS +{r.rss_per_call_kb:.0f} KB/call, loss {r.lost} ({r.loss_pct:.3f}%), "
        f"socket drops {r.socket_drops}, setup p50 {report.percentile(r.setup_ms, 50)} ms, "
        f"finalize p95 {report.percentile(r.finalize_ms, 95)} ms"
        + (f", C sink {c.cpu_pct:.1f}%" if c else "")
        + (f", Python sink {py.cpu_pct:.1f}%" if py else ""),
        flush=True,
    )
    for note in r.notes:
        print(f"  note: {note}", flush=True)


TEMPLATE = """# Performance

Numbers from `bench/run.py` (see the method below); regenerate them with the command in
the generated block.

"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--calls",
        default="50,100,200",
        help="comma-separated concurrency levels (default 50,100,200)",
    )
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="steady-state window per level (default 20)"
    )
    parser.add_argument(
        "--rate",
        default="200",
        help="SIPp call setup (and hang-up) rate, calls/s; a comma-separated list runs "
        "every level at every rate (default 200)",
    )
    parser.add_argument(
        "--port-min", type=int, default=20000, help="first RTP port given to srs (default 20000)"
    )
    parser.add_argument(
        "--baseline", default="c,python", help="sinks to measure: c, python, both (default) or none"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy record srs over each window into bench/out/pyspy-N.txt",
    )
    parser.add_argument(
        "--profile-rate",
        type=int,
        default=100,
        help="py-spy samples per second with --profile (default 100; more costs srs more)",
    )
    parser.add_argument(
        "--tmpdir",
        default=None,
        help="where the per-level srs data dirs go (default: $TMPDIR or /tmp; "
        "/dev/shm takes the disk's fsync latency out)",
    )
    parser.add_argument(
        "--http", action="store_true", help="run srs's HTTP API too (off: the bench reads SQLite)"
    )
    parser.add_argument(
        "--section",
        default="default",
        help="name of the generated block of docs/performance.md to replace (default: default)",
    )
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args()
    levels = [int(c) for c in args.calls.split(",") if c.strip()]
    args.baseline = [b for b in args.baseline.split(",") if b in ("c", "python")]
    exes = loadgen.build_native()
    info = report.machine_info(
        uvloop_used=find_spec("uvloop") is not None,
        data_root=Path(args.tmpdir or tempfile.gettempdir()),
        root=ROOT,
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results = []
    rates = [float(r) for r in args.rate.split(",") if r.strip()]
    for calls in levels:
        for rate in rates:
            workdir = Path(tempfile.mkdtemp(prefix=f"srs-bench-{calls}-", dir=args.tmpdir))
            try:
                result = run_level(calls, rate, args, exes, workdir)
            finally:
                if not args.keep:
                    subprocess.run(["rm", "-rf", str(workdir)], check=False)
            _print_level(result)
            results.append(result)
    print()
    print(report.summary_table(results))
    print()
    print(report.detail_table(results))
    (loadgen.OUT / "results.json").write_text(
        json.dumps(
            {"when": when, "machine": info, "levels": [r.to_json() for r in results]}, indent=1
        )
    )
    if not args.no_doc:
        command = ".venv/bin/python bench/run.py " + " ".join(sys.argv[1:])
        block = report.generated_block(results, info, command.strip(), when, args.section)
        report.update_doc(DOC, block, TEMPLATE, args.section)
        print(f"\nwrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
