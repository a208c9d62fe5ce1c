"""UdpPortAllocator against real sockets on 127.0.0.1."""

from __future__ import annotations

import os
import socket

import pytest

from srs.media.ports import UdpPortAllocator
from srs.testing import free_port_range


def free_range(pairs: int) -> tuple[int, int]:
    """An even-aligned range in 40000-40999 whose ports all bind right now."""
    return free_port_range(2 * pairs, low=40000, high=41000)


def test_exhaustion_then_reuse_after_release() -> None:
    low, high = free_range(3)
    alloc = UdpPortAllocator("127.0.0.1", low, high)
    assert alloc.capacity == 3
    ports = [alloc.allocate() for _ in range(3)]
    assert ports == [low, low + 2, low + 4]
    assert alloc.in_use == 3
    assert alloc.allocate() is None
    alloc.release(low + 2)
    assert alloc.in_use == 2
    assert alloc.allocate() == low + 2
    assert alloc.allocate() is None
    alloc.close()
    assert alloc.in_use == 0


def test_released_port_goes_to_the_back_of_the_queue() -> None:
    low, high = free_range(3)
    alloc = UdpPortAllocator("127.0.0.1", low, high)
    first = alloc.allocate()
    assert first == low
    alloc.release(first)
    assert [alloc.allocate(), alloc.allocate(), alloc.allocate()] == [low + 2, low + 4, low]
    alloc.close()


def test_sockets_are_bound_nonblocking_pairs() -> None:
    low, high = free_range(1)
    alloc = UdpPortAllocator("127.0.0.1", low, high)
    port = alloc.allocate()
    assert port == low
    rtp, rtcp = alloc.take_sockets(port)
    assert rtp.getsockname() == ("127.0.0.1", low)
    assert rtcp.getsockname() == ("127.0.0.1", low + 1)
    assert rtp.getblocking() is False and rtcp.getblocking() is False
    if os.geteuid() == 0:  # SO_RCVBUFFORCE: the kernel reports twice the request
        assert rtp.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= 1 << 20
    alloc.release(port)
    assert rtp.fileno() == -1 and rtcp.fileno() == -1
    with pytest.raises(KeyError, match=f"RTP port {port} was not allocated by this allocator"):
        alloc.take_sockets(port)


def test_skips_ports_busy_in_another_socket() -> None:
    low, high = free_range(3)
    squatter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    squatter.bind(("127.0.0.1", low + 1))  # the RTCP half of the first pair
    try:
        alloc = UdpPortAllocator("127.0.0.1", low, high)
        assert alloc.allocate() == low + 2
        assert alloc.allocate() == low + 4
        assert alloc.allocate() is None
        assert alloc.busy_skips >= 2
        squatter.close()
        assert alloc.allocate() == low
        alloc.close()
    finally:
        squatter.close()


def test_range_validation() -> None:
    with pytest.raises(ValueError, match="invalid RTP port range 5000-4000"):
        UdpPortAllocator("127.0.0.1", 5000, 4000)
    with pytest.raises(ValueError, match="RTP port range 5001-5001 holds no even/odd pair"):
        UdpPortAllocator("127.0.0.1", 5001, 5001)
    assert UdpPortAllocator("127.0.0.1", 5001, 5006).capacity == 2  # 5002/3, 5004/5
