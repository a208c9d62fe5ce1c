"""What bench/run.py reads from /proc: a process's CPU and RSS, its sockets' drop counters,
and the kernel-wide UDP counters.  Plain functions over text so they are easy to check."""

from __future__ import annotations

import os
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_stat(text: str) -> tuple[int, float]:
    """``(ppid, user+system CPU seconds)`` from a /proc/<pid>/stat line.

    The command name (field 2) may hold spaces and parentheses, so fields are counted
    from the last ``)``.
    """
    fields = text[text.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state): ppid = field 4, utime = 14, stime = 15
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_seconds(pid: int) -> float:
    """User + system CPU of every thread of ``pid`` so far."""
    return parse_stat(Path(f"/proc/{pid}/stat").read_text())[1]


def children_cpu_seconds(pid: int) -> float:
    """CPU of the live direct children of ``pid`` (srs's finalize worker processes)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid, cpu = parse_stat((entry / "stat").read_text())
        except (OSError, ValueError):
            continue
        if ppid == pid:
            total += cpu
    return total


def parse_status_kb(text: str, key: str = "VmRSS") -> int:
    """A ``kB`` line of /proc/<pid>/status, e.g. ``VmRSS:  51234 kB`` -> 51234."""
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise ValueError(f"no {key} line in /proc status")


def rss_kb(pid: int) -> int:
    return parse_status_kb(Path(f"/proc/{pid}/status").read_text())


def socket_inodes(pid: int) -> set[int]:
    """Inodes of the sockets ``pid`` holds open (from its /proc/<pid>/fd links)."""
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def parse_udp_drops(text: str, inodes: set[int]) -> dict[int, int]:
    """Drops per local port over the /proc/net/udp rows whose inode is in ``inodes``.

    Columns: sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops;
    ``local`` is ``HEXADDR:HEXPORT``.
    """
    drops: dict[int, int] = {}
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 13 and int(cols[9]) in inodes:
            port = int(cols[1].rsplit(":", 1)[1], 16)
            drops[port] = drops.get(port, 0) + int(cols[12])
    return drops


def socket_drops(pid: int) -> dict[int, int]:
    """Datagrams the kernel dropped (receive buffer full) on ``pid``'s UDP sockets, by port."""
    return parse_udp_drops(Path("/proc/net/udp").read_text(), socket_inodes(pid))


def parse_snmp_udp(text: str) -> dict[str, int]:
    """The ``Udp:`` counters of /proc/net/snmp (a header line, then a value line)."""
    rows = [line.split() for line in text.splitlines() if line.startswith("Udp:")]
    return {name: int(value) for name, value in zip(rows[0][1:], rows[1][1:], strict=True)}


def snmp_udp() -> dict[str, int]:
    return parse_snmp_udp(Path("/proc/net/snmp").read_text())
