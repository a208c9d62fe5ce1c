"""Python ceiling for bench/run.py: uvloop + DatagramProtocol that only counts packets.

    .venv/bin/python bench/py_sink.py N PORTS_FILE [HOST] [RCVBUF_BYTES]

Binds N UDP sockets (OS-chosen ports, SO_RCVBUF like srs's ``media.rcvbuf``), writes their
ports to PORTS_FILE, prints ``ready``, counts until SIGTERM, then prints
``received <packets> sockets <n>``.  What srs costs above this line is srs's own work
(RTP checks, spool appends, flushes), not Python's per-datagram floor.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys

import uvloop


class _Counter(asyncio.DatagramProtocol):
    """Counts rtp_blast's packets (SSRC 0x5250xxxx), not strays on a reused port."""

    count = 0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if data[8:10] == b"RP":
            _Counter.count += 1


async def _run(n: int, ports_file: str, host: str, rcvbuf: int) -> None:
    loop = asyncio.get_running_loop()
    ports = []
    for _ in range(n):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if rcvbuf > 0:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.bind((host, 0))
        ports.append(sock.getsockname()[1])
        await loop.create_datagram_endpoint(_Counter, sock=sock)
    with open(ports_file, "w") as fh:
        fh.write("".join(f"{port}\n" for port in ports))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print("ready", flush=True)
    await stop.wait()
    print(f"received {_Counter.count} sockets {n}", flush=True)


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit("usage: py_sink.py N PORTS_FILE [HOST] [RCVBUF_BYTES]")
    n = int(sys.argv[1])
    host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    rcvbuf = int(sys.argv[4]) if len(sys.argv) > 4 else 1048576
    uvloop.run(_run(n, sys.argv[2], host, rcvbuf))


if __name__ == "__main__":
    main()
