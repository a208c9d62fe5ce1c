"""The recording-session transition table: every state × input has a defined outcome."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srs.session.state import (
    TRANSITIONS,
    Action,
    SessionInput,
    SessionState,
    SessionStateError,
    transition,
)

S, E, A = SessionState, SessionInput, Action
LIVE = (S.OFFER_SENT, S.ANSWERED_AWAITING_ACK, S.ACTIVE)


@pytest.mark.parametrize(
    ("state", "event", "expected"),
    [
        (S.IDLE, E.INVITE_OFFER, (A.ANSWER, S.ANSWERED_AWAITING_ACK)),
        (S.IDLE, E.INVITE_NO_OFFER, (A.OFFER, S.OFFER_SENT)),
        (S.ANSWERED_AWAITING_ACK, E.ACK, (A.CONFIRM, S.ACTIVE)),
        (S.OFFER_SENT, E.ACK_ANSWER, (A.ACCEPT_ANSWER, S.ACTIVE)),
        (S.OFFER_SENT, E.ACK, (A.MISSING_ANSWER, S.ACTIVE)),
        (S.ACTIVE, E.REINVITE_OFFER, (A.ANSWER, S.ANSWERED_AWAITING_ACK)),
        (S.ACTIVE, E.REINVITE_NO_OFFER, (A.OFFER, S.OFFER_SENT)),
        (S.ACTIVE, E.UPDATE_OFFER, (A.ANSWER, S.ACTIVE)),
        (S.ACTIVE, E.UPDATE_NO_OFFER, (A.REFRESH, S.ACTIVE)),
        (S.ACTIVE, E.TERMINATE, (A.END, S.TERMINATED)),
    ],
)
def test_allowed(
    state: SessionState, event: SessionInput, expected: tuple[Action, SessionState]
) -> None:
    assert transition(state, event) == expected


@pytest.mark.parametrize(
    ("state", "event", "status", "message"),
    [
        (
            S.OFFER_SENT,
            E.REINVITE_OFFER,
            491,
            "reinvite-with-offer not allowed in state offer-sent: "
            "our offer is still waiting for its answer",
        ),
        (
            S.OFFER_SENT,
            E.UPDATE_OFFER,
            491,
            "update-with-offer not allowed in state offer-sent: "
            "our offer is still waiting for its answer",
        ),
        (
            S.TERMINATED,
            E.INFO,
            481,
            "info not allowed in state terminated: the recording session has ended",
        ),
        (
            S.ACTIVE,
            E.INVITE_OFFER,
            500,
            "invite-with-offer not allowed in state active: the dialog already has a session",
        ),
        (S.IDLE, E.ACK, 500, "ack not allowed in state idle: no transition defined"),
    ],
)
def test_refused(state: SessionState, event: SessionInput, status: int, message: str) -> None:
    with pytest.raises(SessionStateError) as info:
        transition(state, event)
    assert info.value.status == status
    assert str(info.value) == message


@given(st.sampled_from(SessionState), st.sampled_from(SessionInput))
def test_every_pair_is_defined_or_a_precise_error(state: SessionState, event: SessionInput) -> None:
    try:
        action, next_state = transition(state, event)
    except SessionStateError as exc:
        assert (state, event) not in TRANSITIONS
        assert exc.status in (481, 491, 500, 200)
        assert exc.state is state and exc.event is event
        if state is S.TERMINATED:
            assert exc.status == 481
        return
    assert TRANSITIONS[(state, event)] == (action, next_state)
    assert state is not S.TERMINATED
    if event is E.TERMINATE:
        assert next_state is S.TERMINATED
    if next_state is S.OFFER_SENT and state is not S.OFFER_SENT:
        assert action is A.OFFER  # only our own offer leads there


@pytest.mark.parametrize("state", LIVE)
def test_info_and_terminate_from_every_live_state(state: SessionState) -> None:
    assert transition(state, E.INFO) == (A.INFO, state)
    assert transition(state, E.TERMINATE) == (A.END, S.TERMINATED)


def test_mermaid_diagram_has_every_transition() -> None:
    from srs.session.state import mermaid

    diagram = mermaid().splitlines()
    assert diagram[0] == "stateDiagram-v2"
    assert "    ACTIVE --> OFFER_SENT: reinvite-without-offer / offer" in diagram
    assert len(diagram) == len(TRANSITIONS) + 3
