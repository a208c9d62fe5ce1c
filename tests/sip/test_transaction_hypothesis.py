"""Hypothesis over every (state x input) sequence of the four transaction machines,
and over message sequences through the TransactionLayer (h2 ``test_state_machines``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from srs.sip.message import SipRequest, make_response, parse_message
from srs.sip.timers import TimerConfig
from srs.sip.transaction import (
    TABLES,
    TIMER_ACTIONS,
    TIMER_INPUTS,
    Address,
    Input,
    Kind,
    LocalProtocolError,
    RemoteProtocolError,
    State,
    TransactionLayer,
    TransactionMachine,
)

T = TimerConfig(t1=0.5, t2=4.0, t4=5.0)
DRIVABLE = [i for i in Input if i not in TIMER_INPUTS.values()]
steps = st.lists(
    st.one_of(
        st.tuples(st.just("input"), st.sampled_from(DRIVABLE)),
        st.tuples(st.just("advance"), st.floats(min_value=0.0, max_value=40.0)),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(list(Kind)), reliable=st.booleans(), script=steps)
def test_machine_invariants(kind: Kind, reliable: bool, script: list[tuple[str, object]]) -> None:
    now = 0.0
    m = TransactionMachine(kind, T, reliable, now)
    finals = 0
    sent_error = False
    for what, value in script:
        was_terminated = m.terminated
        if what == "advance":
            assert isinstance(value, float)
            now += value
            effects = m.handle_timer(now)
        else:
            assert isinstance(value, Input)
            before = m.handle_timer(now)
            state = m.state
            allowed = (state, value) in TABLES[kind]
            try:
                effects = before + m.step(value, now)
            except (LocalProtocolError, RemoteProtocolError) as exc:
                assert not allowed
                assert exc.state is state and exc.input is value
                assert isinstance(exc, RemoteProtocolError) == (
                    value
                    in (Input.REQUEST, Input.ACK, Input.RECV_1XX, Input.RECV_2XX, Input.RECV_FINAL)
                )
                continue
            assert allowed
            if value in (Input.SEND_2XX, Input.SEND_FINAL) and state is not State.ACCEPTED:
                finals += 1
                sent_error = sent_error or value is Input.SEND_FINAL
            if value is Input.SEND_2XX and state is State.ACCEPTED:
                assert not sent_error
        if was_terminated:
            assert m.terminated and effects == []
        assert not any(a in TIMER_ACTIONS for a in effects)
        assert finals <= 1
        deadline = m.get_timer()
        if m.terminated:
            assert deadline is None
        if deadline is not None:
            assert deadline > now
            for name, _ in m._deadlines.items():
                assert (m.state, TIMER_INPUTS[name]) in TABLES[kind]
    if m.terminated:
        for value in Input:
            if value in TIMER_INPUTS.values():
                continue
            try:
                m.step(value, now)
            except (LocalProtocolError, RemoteProtocolError):
                pass
            else:  # pragma: no cover - would be a bug
                raise AssertionError(f"Terminated accepted {value}")


SRC = Address("udp", "127.0.0.2", 5062)


def _req(method: str, branch: str, to_tag: str | None = None) -> SipRequest:
    to = "<sip:srs@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    text = (
        f"{method} sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5062;branch={branch}\r\n"
        f"From: <sip:a@127.0.0.2>;tag=f\r\nTo: {to}\r\nCall-ID: c\r\nCSeq: 1 {method}\r\n\r\n"
    )
    msg = parse_message(text.encode())
    assert isinstance(msg, SipRequest)
    return msg


layer_ops = st.lists(
    st.one_of(
        st.tuples(st.just("request"), st.sampled_from(["INVITE", "OPTIONS", "CANCEL", "ACK"]), st.sampled_from(["z9hG4bK1", "z9hG4bK2", "legacy"])),
        st.tuples(st.just("respond"), st.sampled_from([100, 180, 200, 486]), st.integers(0, 3)),
        st.tuples(st.just("advance"), st.floats(0, 40), st.just(0)),
    ),
    max_size=30,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(ops=layer_ops)
def test_layer_never_crashes_and_sends_at_most_one_final(
    ops: list[tuple[str, object, object]],
) -> None:
    layer = TransactionLayer(T)
    now = 0.0
    txs = []
    finals: dict[int, set[int]] = {}
    for op, a, b in ops:
        if op == "request":
            assert isinstance(a, str) and isinstance(b, str)
            event = layer.receive_request(_req(a, b, "tt" if a == "ACK" else None), SRC, now)
            if event is not None and event.transaction is not None and event.transaction not in txs:
                txs.append(event.transaction)
        elif op == "respond" and txs:
            assert isinstance(a, int) and isinstance(b, int)
            tx = txs[b % len(txs)]
            try:
                layer.respond(tx, make_response(tx.request, a, to_tag="tt"), now)
            except LocalProtocolError:
                continue
            if a >= 200:
                finals.setdefault(id(tx), set()).add(a)
        elif op == "advance":
            assert isinstance(a, float)
            now += a
            layer.handle_timer(now)
        for out in layer.take_outgoing():
            assert out.dest == SRC
        assert all(len(codes) == 1 for codes in finals.values())
        assert all(not tx.machine.terminated for tx in layer.server.values())
    assert all(tx.state is not State.TERMINATED or tx not in layer.server.values() for tx in txs)
