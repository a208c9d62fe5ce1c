"""Dialog state (RFC 3261 §12) and the session-timer arithmetic (RFC 4028) it carries."""

from __future__ import annotations

import pytest

from srs.sip.dialog import (
    DIALOG_TABLE,
    Dialog,
    DialogError,
    DialogInput,
    DialogSet,
    DialogState,
    new_tag,
    render_dialog_table,
)
from srs.sip.message import SipRequest, parse_message
from srs.sip.session_timer import (
    IntervalTooSmall,
    SessionTimer,
    SessionTimerError,
    negotiate,
)
from srs.transport import Address

SRC = Address("udp", "127.0.0.2", 5062)


def invite(
    *extra: str, method: str = "INVITE", to_tag: str | None = None, cseq: int = 10
) -> SipRequest:
    to = "<sip:srs@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    lines = [
        f"{method} sip:srs@127.0.0.1 SIP/2.0",
        "Via: SIP/2.0/UDP 127.0.0.2:5062;branch=z9hG4bK1",
        'From: "Source" <sip:src@127.0.0.2>;tag=rt',
        f"To: {to}",
        "Call-ID: cid",
        f"CSeq: {cseq} {method}",
        *extra,
    ]
    message = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(message, SipRequest)
    return message


def dialog(*extra: str) -> Dialog:
    return Dialog.from_invite(invite(*extra), "lt", SRC, local_cseq=1)


def test_from_invite_takes_target_routes_and_tags() -> None:
    d = dialog(
        "Contact: <sip:src@127.0.0.2:5070;transport=udp>",
        "Record-Route: <sip:p1;lr>",
        "Record-Route: <sip:p2;lr>",
    )
    assert d.key == ("cid", "lt", "rt")
    assert d.ref.key == "cid;lt;rt"
    assert d.remote_target == "sip:src@127.0.0.2:5070;transport=udp"
    assert d.route_set == ["<sip:p1;lr>", "<sip:p2;lr>"]
    assert d.local_uri == "<sip:srs@127.0.0.1>;tag=lt"
    assert d.remote_uri == '"Source" <sip:src@127.0.0.2>;tag=rt'
    assert d.remote_cseq == 10 and d.state is DialogState.EARLY


def test_without_contact_the_from_uri_is_the_target() -> None:
    assert dialog().remote_target == "sip:src@127.0.0.2"


def test_state_table() -> None:
    d = dialog()
    assert d.handle(DialogInput.SEND_2XX) is DialogState.CONFIRMED
    assert d.handle(DialogInput.RECV_ACK) is DialogState.CONFIRMED
    assert d.handle(DialogInput.RECV_BYE) is DialogState.TERMINATED
    with pytest.raises(DialogError, match="dialog in state Terminated cannot handle ACK received"):
        d.handle(DialogInput.RECV_ACK)
    early = dialog()
    with pytest.raises(DialogError, match="dialog in state Early cannot handle BYE sent"):
        early.handle(DialogInput.SEND_BYE)
    assert early.handle(DialogInput.RECV_CANCEL) is DialogState.TERMINATED
    assert not [key for key in DIALOG_TABLE if key[0] is DialogState.TERMINATED]


def test_cseq_lower_is_rejected_equal_and_higher_pass() -> None:
    d = dialog()
    assert not d.check_cseq(invite(method="BYE", cseq=9))
    assert d.check_cseq(invite(method="INFO", cseq=10))
    assert d.check_cseq(invite(method="INFO", cseq=12))
    assert d.remote_cseq == 12
    assert d.check_cseq(invite(method="ACK", cseq=1))  # ACK/CANCEL are not ordered
    assert not d.check_cseq(invite(method="UPDATE", cseq=11))


def test_create_request_loose_routing() -> None:
    d = dialog(
        "Contact: <sip:src@127.0.0.2:5070>",
        "Record-Route: <sip:p1.invalid;lr>, <sip:p2.invalid;lr>",
    )
    bye = d.create_request("BYE", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx")
    assert bye.uri == "sip:src@127.0.0.2:5070"
    assert bye.headers.get_all("Route") == ["<sip:p1.invalid;lr>", "<sip:p2.invalid;lr>"]
    assert bye.cseq == (2, "BYE") and bye.from_.tag == "lt" and bye.to.tag == "rt"
    assert bye.headers.get("Max-Forwards") == "70"
    assert d.create_request("BYE", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKy").cseq.number == 3
    assert d.next_hop().host == "p1.invalid"


def test_create_request_strict_routing() -> None:
    d = dialog(
        "Contact: <sip:src@127.0.0.2:5070>",
        "Record-Route: <sip:strict.invalid>, <sip:p2.invalid;lr>",
    )
    bye = d.create_request("BYE", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx")
    assert bye.uri == "sip:strict.invalid"
    assert bye.headers.get_all("Route") == ["<sip:p2.invalid;lr>", "<sip:src@127.0.0.2:5070>"]


def test_target_refresh() -> None:
    d = dialog("Contact: <sip:a@127.0.0.2>")
    d.refresh_target(invite("Contact: <sip:b@127.0.0.3>", to_tag="lt"))
    assert d.remote_target == "sip:b@127.0.0.3"
    d.refresh_target(invite(to_tag="lt"))
    assert d.remote_target == "sip:b@127.0.0.3"


def test_dialog_set_finds_by_tags_and_by_initial_invite() -> None:
    dialogs = DialogSet()
    d = dialog()
    dialogs.add(d)
    assert dialogs.find(invite(method="BYE", to_tag="lt")) is d
    assert dialogs.find(invite(method="BYE", to_tag="other")) is None
    assert dialogs.find(invite(method="BYE")) is None
    assert dialogs.find_invite(invite()) is d
    assert dialogs.find_invite(invite(cseq=11)) is None
    assert list(dialogs) == [d] and len(dialogs) == 1
    dialogs.remove(d)
    assert dialogs.find_invite(invite()) is None and len(dialogs) == 0


def test_new_tag_is_64_random_bits() -> None:
    tags = {new_tag() for _ in range(50)}
    assert len(tags) == 50 and all(len(t) == 16 for t in tags)


def test_render_dialog_table() -> None:
    text = render_dialog_table()
    assert text.count("\n") == 2 + len(DIALOG_TABLE)
    assert "| Confirmed | BYE received | Terminated |" in text


# ---------------------------------------------------------------- RFC 4028 arithmetic


def negotiated(*extra: str, min_se: int = 90, previous: SessionTimer | None = None) -> object:
    return negotiate(invite(*extra), min_se=min_se, default_interval=1800, previous=previous)


def test_negotiate_cases() -> None:
    assert negotiated() is None
    assert negotiated("Supported: timer") == SessionTimer(1800, "uac", True)
    assert negotiated("Supported: timer", "Min-SE: 3600") == SessionTimer(3600, "uac", True)
    assert negotiated("k: timer", "x: 600;refresher=uas") == SessionTimer(600, "uas", True)
    assert negotiated("Session-Expires: 600;refresher=uac") == SessionTimer(600, "uas", False)
    assert negotiated("Session-Expires: 89", "Supported: timer") == IntervalTooSmall(90)
    assert negotiated("Session-Expires: 200", min_se=300) == IntervalTooSmall(300)
    assert negotiated("Session-Expires: 200", min_se=30) == SessionTimer(200, "uas", False)
    assert negotiated("Session-Expires: 60", min_se=30) == IntervalTooSmall(90)
    previous = SessionTimer(300, "uac", True)
    assert negotiated("Supported: timer", previous=previous) == SessionTimer(300, "uac", True)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Session-Expires: soon", "Invalid Session-Expires header 'soon'"),
        (
            "Session-Expires: 100;refresher=me",
            "Invalid refresher parameter in Session-Expires '100;refresher=me'",
        ),
        ("Min-SE: -5", "Invalid Min-SE header '-5'"),
    ],
)
def test_negotiate_errors(header: str, message: str) -> None:
    with pytest.raises(SessionTimerError) as info:
        negotiated(header, "Supported: timer")
    assert str(info.value) == message


def test_session_timer_deadlines_and_headers() -> None:
    timer = SessionTimer(90, "uac", True)
    assert timer.expiry_deadline(10.0) == 10.0 + 90 - 30
    assert SessionTimer(1800, "uac", True).expiry_deadline(0.0) == 1800 - 32
    assert timer.refresh_deadline(10.0) == 55.0
    assert timer.response_headers() == [
        ("Session-Expires", "90;refresher=uac"),
        ("Require", "timer"),
    ]
    assert SessionTimer(90, "uas", False).response_headers() == [
        ("Session-Expires", "90;refresher=uas")
    ]
