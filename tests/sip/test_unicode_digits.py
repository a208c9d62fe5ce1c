"""Numbers in SIP are ASCII: Unicode digits such as '²' (which ``str.isdigit`` accepts and
``int()`` rejects) must read as malformed, never raise ValueError."""

from __future__ import annotations

import pytest

from srs.sip.headers import parse_via
from srs.sip.message import SipParseError
from srs.sip.reliable import parse_rack


def test_rack_with_a_unicode_digit_is_a_bad_rack() -> None:
    with pytest.raises(SipParseError) as info:
        parse_rack("\u00b2 1 INVITE")
    assert info.value.message == "Malformed RAck header '\u00b2 1 INVITE'"


def test_via_rport_with_a_unicode_digit_is_not_a_port() -> None:
    assert parse_via("SIP/2.0/UDP h;rport=\u00b2;branch=z9hG4bKx").rport is None
