"""The recording-session state machine: one explicit ``(state, input) -> (action, state)`` table.

The SIP endpoint already enforces transactions and dialogs; this table enforces the
offer/answer rules on top (RFC 3261 §13-14, RFC 3264, RFC 3311): an offer arriving while
our own offer is unanswered is glare (491), anything after the end is 481.  A missing
pair is a ``SessionStateError`` that carries the SIP status to answer with.
"""

from __future__ import annotations

from enum import Enum


class SessionState(Enum):
    IDLE = "idle"  # created, no INVITE processed yet
    OFFER_SENT = "offer-sent"  # our offer went out in a 2xx; the ACK must carry the answer
    ANSWERED_AWAITING_ACK = "answered-awaiting-ack"  # our answer went out in a 2xx
    ACTIVE = "active"
    TERMINATED = "terminated"


class SessionInput(Enum):
    INVITE_OFFER = "invite-with-offer"
    INVITE_NO_OFFER = "invite-without-offer"
    REINVITE_OFFER = "reinvite-with-offer"
    REINVITE_NO_OFFER = "reinvite-without-offer"
    UPDATE_OFFER = "update-with-offer"
    UPDATE_NO_OFFER = "update-without-offer"
    ACK = "ack"
    ACK_ANSWER = "ack-with-answer"
    INFO = "info"
    TERMINATE = "terminate"


class Action(Enum):
    ANSWER = "answer"  # answer the offer in the request
    OFFER = "offer"  # send our offer (delayed offer / re-INVITE without SDP)
    REFRESH = "refresh"  # no offer/answer: metadata and session refresh only
    CONFIRM = "confirm"  # ACK for our answer
    ACCEPT_ANSWER = "accept-answer"  # ACK carrying the answer to our offer
    MISSING_ANSWER = "missing-answer"  # ACK without the answer we asked for
    INFO = "info"
    END = "end"


class SessionStateError(Exception):
    """An input that is not allowed in the current state; ``status`` is the SIP answer."""

    def __init__(self, state: SessionState, event: SessionInput, status: int, reason: str) -> None:
        self.state = state
        self.event = event
        self.status = status
        self.reason = reason
        super().__init__(f"{event.value} not allowed in state {state.value}: {reason}")


S = SessionState
I = SessionInput  # noqa: E741
A = Action

_LIVE = (S.OFFER_SENT, S.ANSWERED_AWAITING_ACK, S.ACTIVE)

TRANSITIONS: dict[tuple[SessionState, SessionInput], tuple[Action, SessionState]] = {
    (S.IDLE, I.INVITE_OFFER): (A.ANSWER, S.ANSWERED_AWAITING_ACK),
    (S.IDLE, I.INVITE_NO_OFFER): (A.OFFER, S.OFFER_SENT),
    (S.IDLE, I.TERMINATE): (A.END, S.TERMINATED),
    (S.ANSWERED_AWAITING_ACK, I.ACK): (A.CONFIRM, S.ACTIVE),
    (S.ANSWERED_AWAITING_ACK, I.ACK_ANSWER): (A.CONFIRM, S.ACTIVE),  # stray SDP ignored
    (S.ANSWERED_AWAITING_ACK, I.REINVITE_OFFER): (A.ANSWER, S.ANSWERED_AWAITING_ACK),
    (S.ANSWERED_AWAITING_ACK, I.REINVITE_NO_OFFER): (A.OFFER, S.OFFER_SENT),
    (S.ANSWERED_AWAITING_ACK, I.UPDATE_OFFER): (A.ANSWER, S.ANSWERED_AWAITING_ACK),
    (S.ANSWERED_AWAITING_ACK, I.UPDATE_NO_OFFER): (A.REFRESH, S.ANSWERED_AWAITING_ACK),
    (S.OFFER_SENT, I.ACK_ANSWER): (A.ACCEPT_ANSWER, S.ACTIVE),
    (S.OFFER_SENT, I.ACK): (A.MISSING_ANSWER, S.ACTIVE),
    (S.OFFER_SENT, I.UPDATE_NO_OFFER): (A.REFRESH, S.OFFER_SENT),
    (S.ACTIVE, I.REINVITE_OFFER): (A.ANSWER, S.ANSWERED_AWAITING_ACK),
    (S.ACTIVE, I.REINVITE_NO_OFFER): (A.OFFER, S.OFFER_SENT),
    (S.ACTIVE, I.UPDATE_OFFER): (A.ANSWER, S.ACTIVE),
    (S.ACTIVE, I.UPDATE_NO_OFFER): (A.REFRESH, S.ACTIVE),
}
for _state in _LIVE:
    TRANSITIONS[(_state, I.INFO)] = (A.INFO, _state)
    TRANSITIONS[(_state, I.TERMINATE)] = (A.END, S.TERMINATED)

# Why a missing pair is refused, and with which status.
_GLARE = (491, "our offer is still waiting for its answer")
_REFUSALS: dict[tuple[SessionState, SessionInput], tuple[int, str]] = {
    (S.OFFER_SENT, I.REINVITE_OFFER): _GLARE,
    (S.OFFER_SENT, I.REINVITE_NO_OFFER): _GLARE,
    (S.OFFER_SENT, I.UPDATE_OFFER): _GLARE,
    (S.ACTIVE, I.ACK): (200, "no 2xx is waiting for an ACK"),
    (S.ACTIVE, I.ACK_ANSWER): (200, "no 2xx is waiting for an ACK"),
}


def transition(state: SessionState, event: SessionInput) -> tuple[Action, SessionState]:
    """Look up the table; raise ``SessionStateError`` with the status to answer with."""
    found = TRANSITIONS.get((state, event))
    if found is not None:
        return found
    if state is S.TERMINATED:
        raise SessionStateError(state, event, 481, "the recording session has ended")
    if event in (I.INVITE_OFFER, I.INVITE_NO_OFFER):
        raise SessionStateError(state, event, 500, "the dialog already has a session")
    status, reason = _REFUSALS.get((state, event), (500, "no transition defined"))
    raise SessionStateError(state, event, status, reason)


def mermaid() -> str:
    """The table as a Mermaid state diagram (for the docs; generated, never hand-drawn)."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.IDLE.name}"]
    for (state, event), (action, next_state) in TRANSITIONS.items():
        lines.append(f"    {state.name} --> {next_state.name}: {event.value} / {action.value}")
    lines.append(f"    {S.TERMINATED.name} --> [*]")
    return "\n".join(lines) + "\n"
