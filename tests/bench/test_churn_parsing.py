"""The pure parts of bench/churn.py: following a SIPp ports log, rtp_churn's output, loss
by SSRC, socket drops across sockets that come and go, and the tables."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import churn_load
import churn_report
from churn_load import DropTracker, Feed, LogTail, Loss

LOG = b"1 10000 10002\n2 10004 10006\nResolving remote host\n3 0 10010\n4 10012 10014 5\n5 10016 10018\n"
CALLS = [(1, 10000, 10002), (2, 10004, 10006), (5, 10016, 10018)]


def test_log_tail_whole() -> None:
    tail = LogTail(Path("unused"))
    assert tail.feed(LOG) == CALLS
    assert tail.calls == 3


def test_log_tail_byte_by_byte() -> None:
    tail = LogTail(Path("unused"))
    found = [call for i in range(len(LOG)) for call in tail.feed(LOG[i : i + 1])]
    assert found == CALLS


def test_log_tail_torn_line_waits_for_its_end() -> None:
    tail = LogTail(Path("unused"))
    assert tail.feed(b"1 10000 10002\n2 100") == [(1, 10000, 10002)]
    assert tail.feed(b"04 10006") == []
    assert tail.feed(b"\n") == [(2, 10004, 10006)]


@given(st.lists(st.integers(min_value=0, max_value=len(LOG)), max_size=10))
def test_log_tail_any_chunking(cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(LOG)]
    tail = LogTail(Path("unused"))
    found = [call for a, b in itertools.pairwise(bounds) for call in tail.feed(LOG[a:b])]
    assert found == CALLS


def test_log_tail_poll_follows_appends(tmp_path: Path) -> None:
    path = tmp_path / "ports.log"
    tail = LogTail(path)
    assert tail.poll() == []  # SIPp has not created it yet
    path.write_bytes(b"1 10000 10002\n7 100")
    assert tail.poll() == [(1, 10000, 10002)]
    with open(path, "ab") as fh:
        fh.write(b"20 10022\n8 10024 10026\n")
    assert tail.poll() == [(7, 10020, 10022), (8, 10024, 10026)]
    assert tail.poll() == []
    assert tail.calls == 3


SENDER_OUT = """sent 250 streams 4 seconds 2.001 late_slots 7 errors 1 calls 2
ssrc 1380974594 40000 100
ssrc 1380974595 40002 100
ssrc 1381007362 40004 25
ssrc 1381007363 40006 25
"""


def test_parse_sender_output() -> None:
    out = churn_load.parse_sender_output(SENDER_OUT)
    assert (out.sent, out.streams, out.seconds, out.late_slots, out.errors, out.calls) == (
        250,
        4,
        2.001,
        7,
        1,
        2,
    )
    assert out.by_ssrc == {1380974594: 100, 1380974595: 100, 1381007362: 25, 1381007363: 25}
    assert churn_load.in_range(out.by_ssrc, churn_load.SSRC_CHURN_CALLS) == {
        1381007362: 25,
        1381007363: 25,
    }
    assert churn_load.in_range(out.by_ssrc, churn_load.SSRC_BASE_CALLS) == {
        1380974594: 100,
        1380974595: 100,
    }


def test_parse_sender_output_without_summary() -> None:
    with pytest.raises(ValueError, match="rtp_churn printed no summary line: 'ssrc 1 2 3'"):
        churn_load.parse_sender_output("ssrc 1 2 3")


def test_parse_sender_output_counts_must_add_up() -> None:
    text = SENDER_OUT.replace("sent 250", "sent 251")
    with pytest.raises(
        ValueError, match="rtp_churn's per-SSRC counts add up to 250, its summary says 251"
    ):
        churn_load.parse_sender_output(text)


def test_sender_command() -> None:
    cmd = churn_load.sender_command(
        Path("/x/rtp_churn"),
        90,
        [Feed(Path("/w/a.log"), 0, 0x52500000), Feed(Path("/w/b.log"), 1.9, 0x52508000)],
    )
    assert cmd == [
        "/x/rtp_churn",
        "90.000",
        "/w/a.log",
        "0.000",
        "0x52500000",
        "/w/b.log",
        "1.900",
        "0x52508000",
    ]


def test_sipp_churn_command() -> None:
    cmd = churn_load.sipp_churn_command(
        ("127.0.0.1", 5080), 40000, 200, 60, 2, Path("/w/ports-churn.log")
    )
    args = {flag: cmd[cmd.index(flag) + 1] for flag in ("-m", "-d", "-r", "-l", "-stf")}
    assert cmd[3] == "127.0.0.1:5080"
    assert args["-m"] == "12000"  # rate x seconds
    assert args["-d"] == "2000"
    assert args["-r"] == "200"
    assert int(args["-l"]) > 200 * 2  # above the nominal concurrency
    assert args["-stf"] == "/w/ports-churn-stat.csv"
    assert churn_load.rtt_file(Path("/w"), 42) == Path("/w/siprec-churn_42_rtt.csv")


def test_loss_by_ssrc() -> None:
    sent = {1: 100, 2: 100, 3: 50}
    received = {1: 100, 2: 97, 9: 40, 3: 60}  # 9: a stray; 3: more than sent is capped
    got = churn_load.loss(sent, received)
    assert got == Loss(sent=250, received=247, streams=3, streams_with_loss=1)
    assert got.lost == 3
    assert got.pct == pytest.approx(1.2)
    assert churn_load.loss({}, received).pct == 0.0


UDP = """   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  1: 0100007F:2710 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 111 2 0000000000000000 0
  2: 0100007F:2712 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 112 2 0000000000000000 5
  3: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 113 2 0000000000000000 2
  4: 0100007F:9C40 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 999 2 0000000000000000 7
"""


def test_parse_udp_sockets_keeps_only_the_inodes_asked() -> None:
    assert churn_load.parse_udp_sockets(UDP, {111, 112, 113}) == {
        111: (10000, 0),
        112: (10002, 5),
        113: (5060, 2),
    }


def test_drop_tracker_counts_sockets_opened_and_closed_during_the_window() -> None:
    tracker = DropTracker({111: (10000, 0), 112: (10002, 5), 113: (5060, 2)})
    tracker.update({111: (10000, 3), 112: (10002, 5), 113: (5060, 4), 200: (10004, 6)})
    tracker.update({113: (5060, 4), 201: (10000, 1)})  # 111, 112 and 200 closed; 201 new
    assert tracker.drops(port=5060) == 2
    assert tracker.drops(exclude=5060) == 3 + 0 + 6 + 1
    assert tracker.drops() == 12


def _result(**kw: object) -> churn_report.ChurnResult:
    r = churn_report.ChurnResult(base=500, rate=200, hold=2, seconds=60)
    r.base_up, r.attempted, r.answered = 500, 12000, 12000
    r.setup_ms = [float(v) for v in range(1, 101)]  # p50 50, p95 95, p99 99
    r.finalize_ms = [100.0] * 90 + [900.0] * 9 + [5000.0]
    r.finalized = r.playable = 12000
    r.duration_min_s, r.duration_p50_s = 1.84, 1.9
    r.window_s, r.srs_cpu_s, r.sink_cpu_s, r.sink_seconds = 62.0, 31.0, 6.2, 62.0
    r.rss_before_kb, r.rss_peak_kb = 100_000, 190_000
    r.churn_loss = Loss(sent=2_000_000, received=1_999_000, streams=24000, streams_with_loss=3)
    for key, value in kw.items():
        setattr(r, key, value)
    return r


def test_summary_row() -> None:
    table = churn_report.summary_table(_result())
    row = table.splitlines()[2]
    assert row.startswith("| 500/500 | 200 x 2 | 12000 / 12000 (100.00) | 50 / 95 / 99 ")
    assert "| 100 / 900 / 5000 |" in row  # finalize p50 / p95 / max
    assert "| 50.0 | 10.0 | 5.0x |" in row  # srs, C sink, ratio
    assert "| 100 |" in row  # (190000 - 100000) KB / (500 + 200 x 2) sessions
    assert "| 1000 (0.050%) | - |" in row
    assert len(table.splitlines()[0].split("|")) == len(row.split("|"))


def test_detail_row_has_as_many_cells_as_the_header() -> None:
    table = churn_report.detail_table(_result(base_loss=Loss(100, 100, 2, 0)))
    head, _, row = table.splitlines()
    assert len(head.split("|")) == len(row.split("|"))
    assert "| 12000/12000 | 1.84 / 1.90 | 2000100 / 1999100 | 3/24002 |" in row


def test_targets() -> None:
    assert [line.rsplit("|", 2)[1].strip() for line in _targets(_result())] == [
        "met",
        "not met",  # p50 50 ms
        "met",  # p95 900 ms
    ]
    fast = _result(setup_ms=[4.0, 5.0, 30.0], answered=11999, finalized=11999, playable=11999)
    assert [line.rsplit("|", 2)[1].strip() for line in _targets(fast)] == [
        "not met",
        "met",
        "met",
    ]
    missing_rows = _result(finalized=11000)
    assert _targets(missing_rows)[2].rsplit("|", 2)[1].strip() == "not met"
    missing_files = _result(playable=11999)
    assert _targets(missing_files)[2].rsplit("|", 2)[1].strip() == "not met"


def _targets(r: churn_report.ChurnResult) -> list[str]:
    return churn_report.targets_table(r).splitlines()[2:]


def test_generated_block_is_between_the_section_markers() -> None:
    block = churn_report.generated_block(
        _result(notes=["a note"]), {"nproc": "2"}, "cmd", "2026-11-29 14:00 UTC", "churn"
    )
    lines = block.splitlines()
    assert lines[0] == "<!-- bench/run.py churn: generated results begin -->"
    assert lines[-1] == "<!-- bench/run.py churn: generated results end -->"
    assert "Run 2026-11-29 14:00 UTC with `cmd`." in lines
    assert "- a note" in lines
