"""RFC 3261 §17 transactions: every timer, driven by advancing ``now``, and matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from srs.sip.dialog import render_dialog_table
from srs.sip.message import SipRequest, SipResponse, make_response, parse_message
from srs.sip.timers import TimerConfig
from srs.sip.transaction import (
    INITIAL,
    TABLES,
    TIMER_ACTIONS,
    TIMER_INPUTS,
    Action,
    Address,
    Input,
    Kind,
    LocalProtocolError,
    RemoteProtocolError,
    RequestReceived,
    ResponseReceived,
    State,
    TransactionLayer,
    TransactionMachine,
    TransactionTimedOut,
    make_ack,
    render_table,
    render_tables,
    response_destination,
    stamp_via,
)

T = TimerConfig(t1=0.5, t2=4.0, t4=5.0)
UDP = Address("udp", "127.0.0.2", 5062)
TCP = Address("tcp", "127.0.0.2", 40001, 7)


def request(
    method: str = "INVITE",
    *,
    branch: str = "z9hG4bKabc",
    via: str = "127.0.0.2:5062",
    transport: str = "UDP",
    cseq: int = 1,
    to_tag: str | None = None,
    via_params: str = "",
    uri: str = "sip:srs@127.0.0.1",
) -> SipRequest:
    to = "<sip:srs@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    text = (
        f"{method} {uri} SIP/2.0\r\n"
        f"Via: SIP/2.0/{transport} {via};branch={branch}{via_params}\r\n"
        "From: <sip:src@127.0.0.2>;tag=ft\r\n"
        f"To: {to}\r\n"
        "Call-ID: call-1\r\n"
        f"CSeq: {cseq} {method}\r\n"
        "Max-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    )
    message = parse_message(text.encode())
    assert isinstance(message, SipRequest)
    return message


def run_timers(
    machine: TransactionMachine, until: float
) -> list[tuple[float, list[Action], State]]:
    """Fire timers one deadline at a time; returns (time, effects, state) per firing."""
    log = []
    while (deadline := machine.get_timer()) is not None and deadline <= until:
        log.append((deadline, machine.handle_timer(deadline), machine.state))
    return log


# ---------------------------------------------------------------- the pure machines


def test_timer_values_follow_rfc_table_4() -> None:
    assert [T.duration(n, False) for n in "ABDEFGHIJK"] == [
        0.5, 32.0, 32.0, 0.5, 32.0, 0.5, 32.0, 5.0, 32.0, 5.0,
    ]  # fmt: skip
    assert [T.duration(n, True) for n in "ABDEFGHIJK"] == [
        None, 32.0, 0.0, None, 32.0, None, 32.0, 0.0, 0.0, 0.0,
    ]  # fmt: skip
    assert T.backoff("A", 8.0) == 16.0
    assert T.backoff("E", 2.0) == T.backoff("G", 2.0) == 4.0
    assert T.backoff("E", 4.0) == 4.0
    with pytest.raises(ValueError, match="unknown SIP timer 'Z'"):
        T.duration("Z", False)
    with pytest.raises(ValueError, match="invalid SIP timers"):
        TimerConfig(t1=5, t2=4)


def test_invite_client_timer_a_doubles_until_timer_b() -> None:
    m = TransactionMachine(Kind.INVITE_CLIENT, T, reliable=False, now=0.0)
    assert m.initial_effects == [Action.SEND_REQUEST] and m.state is State.CALLING
    log = run_timers(m, 100)
    resends = [t for t, effects, _ in log if Action.RESEND_REQUEST in effects]
    assert resends == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert log[-1] == (32.0, [Action.REPORT_TIMEOUT], State.TERMINATED)
    assert m.get_timer() is None


def test_invite_client_reliable_has_no_timer_a_and_d_is_zero() -> None:
    m = TransactionMachine(Kind.INVITE_CLIENT, T, reliable=True, now=0.0)
    assert m.get_timer() == 32.0  # only B
    effects = m.step(Input.RECV_FINAL, 1.0)
    # Timer D is zero on TCP: the transaction is already gone after sending the ACK.
    assert effects == [Action.PASS_TO_TU, Action.SEND_ACK]
    assert m.state is State.TERMINATED


def test_invite_client_completed_absorbs_final_and_resends_ack_until_d() -> None:
    m = TransactionMachine(Kind.INVITE_CLIENT, T, reliable=False, now=0.0)
    assert m.step(Input.RECV_1XX, 0.1) == [Action.PASS_TO_TU]
    assert m.get_timer() is None  # A and B die in Proceeding
    m.step(Input.RECV_FINAL, 1.0)
    assert m.state is State.COMPLETED and m.get_timer() == 33.0
    assert m.step(Input.RECV_FINAL, 2.0) == [Action.SEND_ACK]
    assert run_timers(m, 40) == [(33.0, [], State.TERMINATED)]


def test_invite_client_accepted_passes_2xx_retransmissions_until_m() -> None:
    m = TransactionMachine(Kind.INVITE_CLIENT, T, reliable=False, now=0.0)
    m.step(Input.RECV_2XX, 0.2)
    assert m.state is State.ACCEPTED
    assert m.step(Input.RECV_2XX, 1.0) == [Action.PASS_TO_TU]
    assert run_timers(m, 40) == [(32.2, [], State.TERMINATED)]


def test_non_invite_client_timer_e_caps_at_t2_and_uses_t2_in_proceeding() -> None:
    m = TransactionMachine(Kind.NON_INVITE_CLIENT, T, reliable=False, now=0.0)
    log = run_timers(m, 8.0)
    assert [t for t, _, _ in log] == [0.5, 1.5, 3.5, 7.5]
    m.step(Input.RECV_1XX, 8.0)
    log = run_timers(m, 20.0)
    assert [t for t, _, _ in log] == [11.5, 15.5, 19.5]
    assert all(effects == [Action.RESEND_REQUEST] for _, effects, _ in log)
    assert run_timers(m, 100)[-1] == (32.0, [Action.REPORT_TIMEOUT], State.TERMINATED)


def test_non_invite_client_timer_k() -> None:
    m = TransactionMachine(Kind.NON_INVITE_CLIENT, T, reliable=False, now=0.0)
    # Timer E (0.5) is due before a response seen at 1.0: the resend happens first.
    assert m.step(Input.RECV_2XX, 1.0) == [Action.RESEND_REQUEST, Action.PASS_TO_TU]
    assert m.step(Input.RECV_FINAL, 2.0) == [Action.ABSORB]
    assert run_timers(m, 100) == [(6.0, [], State.TERMINATED)]
    tcp = TransactionMachine(Kind.NON_INVITE_CLIENT, T, reliable=True, now=0.0)
    assert tcp.get_timer() == 32.0  # F only, no E on TCP
    tcp.step(Input.RECV_FINAL, 1.0)
    assert tcp.state is State.TERMINATED  # K = 0


def test_invite_server_timer_g_h_then_i() -> None:
    m = TransactionMachine(Kind.INVITE_SERVER, T, reliable=False, now=0.0)
    assert m.initial_effects == [Action.PASS_TO_TU] and m.state is State.PROCEEDING
    assert m.step(Input.REQUEST, 0.1) == [Action.RESEND_RESPONSE]
    assert m.step(Input.SEND_FINAL, 1.0) == [Action.SEND_RESPONSE]
    log = run_timers(m, 10.0)
    assert [t for t, _, _ in log] == [1.5, 2.5, 4.5, 8.5]
    m.step(Input.ACK, 10.0)
    assert m.state is State.CONFIRMED
    assert m.step(Input.ACK, 11.0) == [Action.ABSORB]
    assert run_timers(m, 100) == [(15.0, [], State.TERMINATED)]


def test_invite_server_timer_h_without_ack() -> None:
    m = TransactionMachine(Kind.INVITE_SERVER, T, reliable=False, now=0.0)
    m.step(Input.SEND_FINAL, 0.0)
    log = run_timers(m, 100)
    assert [t for t, _, _ in log if t < 32] == [
        0.5,
        1.5,
        3.5,
        7.5,
        11.5,
        15.5,
        19.5,
        23.5,
        27.5,
        31.5,
    ]
    assert log[-1] == (32.0, [Action.REPORT_TIMEOUT], State.TERMINATED)


def test_invite_server_reliable_confirmed_ends_at_once() -> None:
    m = TransactionMachine(Kind.INVITE_SERVER, T, reliable=True, now=0.0)
    m.step(Input.SEND_FINAL, 0.0)
    assert m.get_timer() == 32.0  # H only, G not used on TCP
    m.step(Input.ACK, 1.0)
    assert m.state is State.TERMINATED


def test_invite_server_accepted_timer_l() -> None:
    m = TransactionMachine(Kind.INVITE_SERVER, T, reliable=False, now=0.0)
    m.step(Input.SEND_2XX, 0.0)
    assert m.step(Input.REQUEST, 1.0) == [Action.ABSORB]
    assert m.step(Input.SEND_2XX, 1.0) == [Action.SEND_RESPONSE]
    assert m.step(Input.ACK, 1.0) == [Action.PASS_TO_TU]
    assert run_timers(m, 100) == [(32.0, [], State.TERMINATED)]


def test_non_invite_server_timer_j() -> None:
    m = TransactionMachine(Kind.NON_INVITE_SERVER, T, reliable=False, now=0.0)
    assert m.step(Input.REQUEST, 0.1) == [Action.ABSORB]  # nothing sent yet
    assert m.step(Input.SEND_1XX, 0.2) == [Action.SEND_RESPONSE]
    assert m.step(Input.REQUEST, 0.3) == [Action.RESEND_RESPONSE]
    assert m.step(Input.SEND_2XX, 0.4) == [Action.SEND_RESPONSE]
    assert m.step(Input.REQUEST, 0.5) == [Action.RESEND_RESPONSE]
    assert run_timers(m, 100) == [(32.4, [], State.TERMINATED)]
    tcp = TransactionMachine(Kind.NON_INVITE_SERVER, T, reliable=True, now=0.0)
    tcp.step(Input.SEND_FINAL, 0.0)
    assert tcp.state is State.TERMINATED


def test_second_final_response_is_a_local_protocol_error() -> None:
    m = TransactionMachine(Kind.NON_INVITE_SERVER, T, reliable=False, now=0.0)
    m.step(Input.SEND_2XX, 0.0)
    with pytest.raises(LocalProtocolError) as info:
        m.step(Input.SEND_FINAL, 0.1)
    assert str(info.value) == (
        "non-INVITE server transaction in state Completed cannot handle TU sends 300-699"
    )


def test_unexpected_wire_input_is_a_remote_protocol_error() -> None:
    m = TransactionMachine(Kind.INVITE_CLIENT, T, reliable=False, now=0.0)
    with pytest.raises(
        RemoteProtocolError, match="INVITE client transaction in state Calling cannot handle ACK"
    ):
        m.step(Input.ACK, 0.0)


def test_transport_error_terminates() -> None:
    m = TransactionMachine(Kind.NON_INVITE_CLIENT, T, reliable=False, now=0.0)
    assert m.step(Input.TRANSPORT_ERROR, 0.0) == [Action.REPORT_TRANSPORT_ERROR]
    assert m.terminated and m.get_timer() is None


# ---------------------------------------------------------------- table properties


@pytest.mark.parametrize("kind", list(Kind))
def test_every_started_timer_has_a_transition_where_it_is_started(kind: Kind) -> None:
    table = TABLES[kind]
    transitions = [*table.values(), INITIAL[kind]]
    for actions, next_state in transitions:
        for action in actions:
            if action in TIMER_ACTIONS:
                timer = TIMER_INPUTS[TIMER_ACTIONS[action][0]]
                assert (next_state, timer) in table, (kind, action, next_state)


@pytest.mark.parametrize("kind", list(Kind))
def test_terminated_is_terminal(kind: Kind) -> None:
    assert not [key for key in TABLES[kind] if key[0] is State.TERMINATED]
    reachable = {INITIAL[kind][1]} | {nxt for _, nxt in TABLES[kind].values()}
    assert State.TERMINATED in reachable


def test_render_table_lists_every_transition() -> None:
    text = render_table(Kind.NON_INVITE_SERVER)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == 1 + len(TABLES[Kind.NON_INVITE_SERVER])
    assert "| Completed | Timer J | — | Terminated |" in text
    assert "Starts in **Trying** and does: pass to TU." in text


# ---------------------------------------------------------------- Via / routing


def test_stamp_via_adds_received_and_fills_rport() -> None:
    req = request(via="src.example.com:5062", via_params=";rport")
    via = stamp_via(req, UDP)
    assert via.params == {"branch": "z9hG4bKabc", "rport": "5062", "received": "127.0.0.2"}
    assert req.headers.get("Via") == (
        "SIP/2.0/UDP src.example.com:5062;branch=z9hG4bKabc;rport=5062;received=127.0.0.2"
    )
    assert req.headers.items()[0][0] == "Via"


def test_stamp_via_leaves_matching_host_alone() -> None:
    req = request()
    before = req.headers.items()
    stamp_via(req, UDP)
    assert req.headers.items() == before


def test_stamp_via_keeps_lower_vias_of_a_combined_line() -> None:
    text = (
        request()
        .serialize()
        .replace(b"branch=z9hG4bKabc", b"branch=z9hG4bKabc, SIP/2.0/UDP proxy:5060;branch=z9hG4bKp")
    )
    req = parse_message(text)
    assert isinstance(req, SipRequest)
    stamp_via(req, Address("udp", "127.0.0.9", 5062))
    assert [v.host for v in req.vias] == ["127.0.0.2", "proxy"]
    assert req.vias[0].received == "127.0.0.9"


@pytest.mark.parametrize(
    ("via", "params", "source", "expected"),
    [
        ("127.0.0.2:5070", "", UDP, Address("udp", "127.0.0.2", 5070)),
        ("127.0.0.2", "", UDP, Address("udp", "127.0.0.2", 5060)),
        ("host.invalid:5070", "", UDP, Address("udp", "127.0.0.2", 5070)),  # received
        (
            "127.0.0.2:5070",
            ";rport",
            Address("udp", "127.0.0.2", 33333),
            Address("udp", "127.0.0.2", 33333),
        ),
        ("127.0.0.2:5070", ";maddr=127.0.0.5", UDP, Address("udp", "127.0.0.5", 5070)),
        ("127.0.0.2:5070", "", TCP, TCP),
    ],
)
def test_response_destination(via: str, params: str, source: Address, expected: Address) -> None:
    req = request(via=via, via_params=params, transport=source.transport.upper())
    assert response_destination(stamp_via(req, source), source) == expected


# ---------------------------------------------------------------- the layer


def response(req: SipRequest, status: int, to_tag: str | None = "tt") -> SipResponse:
    return make_response(req, status, to_tag=to_tag)


def test_layer_absorbs_retransmission_and_resends_last_response() -> None:
    layer = TransactionLayer(T)
    event = layer.receive_request(request("OPTIONS"), UDP, 0.0)
    assert isinstance(event, RequestReceived) and event.transaction is not None
    tx = event.transaction
    assert layer.receive_request(request("OPTIONS"), UDP, 0.1) is None
    assert layer.take_outgoing() == []  # Trying: nothing to resend yet
    layer.respond(tx, response(tx.request, 200), 0.2)
    sent = layer.take_outgoing()
    assert len(sent) == 1 and sent[0].dest == UDP
    assert layer.receive_request(request("OPTIONS"), UDP, 0.3) is None
    assert layer.take_outgoing() == sent
    layer.handle_timer(32.2)
    assert layer.server == {} and layer.get_timer() is None


def test_layer_rejects_second_final_response() -> None:
    layer = TransactionLayer(T)
    event = layer.receive_request(request("BYE", to_tag="x"), UDP, 0.0)
    assert event is not None and event.transaction is not None
    layer.respond(event.transaction, response(event.request, 200), 0.0)
    with pytest.raises(LocalProtocolError):
        layer.respond(event.transaction, response(event.request, 500), 0.0)
    assert event.transaction.last_response is not None
    assert event.transaction.last_response.status == 200


def test_layer_different_branch_or_method_is_a_new_transaction() -> None:
    layer = TransactionLayer(T)
    first = layer.receive_request(request("OPTIONS"), UDP, 0.0)
    other_branch = layer.receive_request(request("OPTIONS", branch="z9hG4bKzzz"), UDP, 0.0)
    other_sent_by = layer.receive_request(request("OPTIONS", via="127.0.0.2:5999"), UDP, 0.0)
    assert first and other_branch and other_sent_by
    assert len({id(e.transaction) for e in (first, other_branch, other_sent_by)}) == 3


def test_layer_ack_for_non_2xx_is_absorbed_and_2xx_ack_goes_to_tu() -> None:
    layer = TransactionLayer(T)
    event = layer.receive_request(request(), UDP, 0.0)
    assert event is not None and event.transaction is not None
    layer.respond(event.transaction, response(event.request, 486), 0.0)
    layer.take_outgoing()
    assert layer.receive_request(request("ACK", to_tag="tt"), UDP, 0.1) is None
    assert event.transaction.state is State.CONFIRMED
    # A 2xx ACK has its own branch: no transaction, straight to the TU.
    ack = layer.receive_request(request("ACK", branch="z9hG4bKack", to_tag="tt"), UDP, 0.2)
    assert ack is not None and ack.transaction is None and ack.request.method == "ACK"


def test_layer_timer_g_resends_the_error_response() -> None:
    layer = TransactionLayer(T)
    event = layer.receive_request(request(), UDP, 0.0)
    assert event is not None and event.transaction is not None
    layer.respond(event.transaction, response(event.request, 486), 0.0)
    first = layer.take_outgoing()
    layer.handle_timer(0.5)
    assert layer.take_outgoing() == first
    events = layer.handle_timer(32.0)
    assert [type(e) for e in events] == [TransactionTimedOut]


def test_layer_finds_invite_for_cancel() -> None:
    layer = TransactionLayer(T)
    invite = layer.receive_request(request(), UDP, 0.0)
    cancel = request("CANCEL")
    got = layer.receive_request(cancel, UDP, 0.0)
    assert invite and got and got.transaction is not invite.transaction
    assert layer.find_invite_for_cancel(cancel) is invite.transaction
    assert layer.find_invite_for_cancel(request("CANCEL", branch="z9hG4bKother")) is None


def test_layer_rfc2543_matching_without_magic_cookie() -> None:
    layer = TransactionLayer(T)
    invite = layer.receive_request(request(branch="old1"), UDP, 0.0)
    assert invite is not None and invite.transaction is not None
    assert layer.receive_request(request(branch="old1"), UDP, 0.1) is None  # retransmission
    layer.respond(invite.transaction, response(invite.request, 603, to_tag="t9"), 0.2)
    layer.take_outgoing()
    wrong_tag = layer.receive_request(request("ACK", branch="old1", to_tag="nope"), UDP, 0.3)
    assert wrong_tag is not None and wrong_tag.transaction is None
    assert layer.receive_request(request("ACK", branch="old1", to_tag="t9"), UDP, 0.3) is None
    assert invite.transaction.state is State.CONFIRMED
    cancel = request("CANCEL", branch="old1")
    assert layer.find_invite_for_cancel(cancel) is invite.transaction
    # A new CSeq is a new transaction even with the same (non-cookie) branch.
    assert layer.receive_request(request(branch="old1", cseq=2), UDP, 0.4) is not None


def client_request(method: str = "BYE") -> SipRequest:
    return request(method, branch="z9hG4bKclient", to_tag="rt", via="127.0.0.1:5060")


def test_layer_client_transaction_matches_responses() -> None:
    layer = TransactionLayer(T)
    req = client_request()
    tx = layer.send_request(req, UDP, 0.0)
    assert layer.take_outgoing()[0].data == req.serialize()
    ok = make_response(req, 200)
    event = layer.receive_response(ok, UDP, 0.1)
    assert isinstance(event, ResponseReceived) and event.transaction is tx
    assert layer.receive_response(ok, UDP, 0.2) is None  # absorbed in Completed
    other = make_response(client_request("OPTIONS"), 200)
    assert layer.receive_response(other, UDP, 0.3) is None  # CSeq method differs
    layer.handle_timer(5.1)
    assert layer.client == {}


def test_layer_client_timeout_event() -> None:
    layer = TransactionLayer(T)
    tx = layer.send_request(client_request(), UDP, 0.0)
    resent = 0
    events = []
    while (deadline := layer.get_timer()) is not None:
        events += layer.handle_timer(deadline)
        resent += len(layer.take_outgoing())
    assert resent == 11
    assert [type(e) for e in events] == [TransactionTimedOut] and events[0].transaction is tx


def test_layer_invite_client_acks_error_itself() -> None:
    layer = TransactionLayer(T)
    req = request(branch="z9hG4bKinv", via="127.0.0.1:5060")
    req.headers.add("Route", "<sip:proxy;lr>")
    layer.send_request(req, UDP, 0.0)
    layer.take_outgoing()
    busy = make_response(req, 486, to_tag="t1")
    event = layer.receive_response(busy, UDP, 0.1)
    assert isinstance(event, ResponseReceived)
    (ack_out,) = layer.take_outgoing()
    ack = parse_message(ack_out.data)
    assert isinstance(ack, SipRequest)
    assert ack.headers.items()[:-1] == make_ack(req, busy).headers.items()
    assert ack.method == "ACK" and ack.cseq == (1, "ACK") and ack.to.tag == "t1"
    assert ack.top_via.branch == "z9hG4bKinv" and ack.headers.get_all("Route") == ["<sip:proxy;lr>"]
    assert layer.receive_response(busy, UDP, 0.2) is None
    assert len(layer.take_outgoing()) == 1  # ACK resent for the retransmitted 486


def test_layer_stray_2xx_for_invite_reaches_tu() -> None:
    layer = TransactionLayer(T)
    ok = make_response(request(branch="z9hG4bKgone"), 200, to_tag="x")
    event = layer.receive_response(ok, UDP, 0.0)
    assert isinstance(event, ResponseReceived) and event.transaction is None
    assert layer.receive_response(make_response(request("BYE"), 200), UDP, 0.0) is None


def test_layer_send_request_requires_magic_cookie() -> None:
    layer = TransactionLayer(T)
    with pytest.raises(ValueError, match="client request needs a z9hG4bK branch, got 'abc'"):
        layer.send_request(request(branch="abc"), UDP, 0.0)


def test_layer_transport_error_reports_and_terminates() -> None:
    layer = TransactionLayer(T)
    tx = layer.send_request(client_request(), UDP, 0.0)
    events = layer.transport_error(tx, 0.1)
    assert len(events) == 1 and events[0].transaction is tx
    assert layer.client == {}
    assert layer.transport_error(tx, 0.2) == []


def test_docs_contain_the_current_tables() -> None:
    """docs/sip.md embeds the rendered tables; regenerate with python -m srs.sip.transaction."""
    doc = (Path(__file__).parents[2] / "docs" / "sip.md").read_text(encoding="utf-8")
    assert render_tables() in doc
    assert render_dialog_table() in doc


def test_late_handle_timer_never_lets_a_message_meet_a_stale_state() -> None:
    layer = TransactionLayer(T)
    first = layer.receive_request(request("OPTIONS"), UDP, 0.0)
    assert first is not None and first.transaction is not None
    layer.respond(first.transaction, response(first.request, 200), 0.0)
    layer.take_outgoing()
    # Timer J (32 s) is overdue and nobody called handle_timer: same branch = new request.
    again = layer.receive_request(request("OPTIONS"), UDP, 40.0)
    assert again is not None and again.transaction is not first.transaction
    assert layer.take_outgoing() == []


def test_timeout_found_while_catching_up_is_reported() -> None:
    layer = TransactionLayer(T)
    tx = layer.send_request(client_request(), UDP, 0.0)
    late = make_response(client_request(), 200)
    assert layer.receive_response(late, UDP, 40.0) is None  # Timer F fired first
    events = layer.take_events()
    assert [type(e) for e in events] == [TransactionTimedOut] and events[0].transaction is tx
    assert layer.take_events() == []
