"""SIP transactions (RFC 3261 §17), sans-IO and table-driven.

Each of the four machines is a ``(state, input) -> (actions, next_state)`` table, like
h11's ``_state.py``: reading the table is reading the RFC's figures 5-8.  A pair missing
from a table is a protocol error, raised as :class:`LocalProtocolError` when our own
side asked for it (e.g. a second final response) and :class:`RemoteProtocolError` when
the peer's message caused it (the layer then drops that message).

The INVITE machines include the ``Accepted`` state of RFC 6026, which fixes RFC 3261's
hole where a server transaction died on sending a 2xx and INVITE retransmissions reached
the core as new requests.  Timers L and M come from the same RFC.

Time is never read: every call takes ``now`` and ``get_timer()`` says when to call
``handle_timer(now)`` next.  Timers that are zero on reliable transports fire within the
same call that started them.  The layer keeps each live transaction's next deadline in a
:class:`TimerHeap`, so neither ``get_timer`` nor ``handle_timer`` scans every transaction.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from srs.sip.headers import Headers, Via, parse_via, split_list
from srs.sip.message import SipRequest, SipResponse
from srs.sip.timer_heap import TimerHeap
from srs.sip.timers import TimerConfig
from srs.transport import Address

log = logging.getLogger(__name__)

MAGIC_COOKIE = "z9hG4bK"
RELIABLE_TRANSPORTS = frozenset({"tcp", "tls", "ws", "wss", "sctp"})


class State(enum.Enum):
    """Transaction states, named as in RFC 3261 §17 (plus Accepted from RFC 6026)."""

    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    ACCEPTED = "Accepted"
    TERMINATED = "Terminated"


class Input(enum.Enum):
    """What can happen to a transaction: wire messages, TU requests, timers, transport."""

    REQUEST = "request retransmission"
    ACK = "ACK"
    SEND_1XX = "TU sends 1xx"
    SEND_2XX = "TU sends 2xx"
    SEND_FINAL = "TU sends 300-699"
    RECV_1XX = "1xx received"
    RECV_2XX = "2xx received"
    RECV_FINAL = "300-699 received"
    TIMER_A = "Timer A"
    TIMER_B = "Timer B"
    TIMER_D = "Timer D"
    TIMER_E = "Timer E"
    TIMER_F = "Timer F"
    TIMER_G = "Timer G"
    TIMER_H = "Timer H"
    TIMER_I = "Timer I"
    TIMER_J = "Timer J"
    TIMER_K = "Timer K"
    TIMER_L = "Timer L"
    TIMER_M = "Timer M"
    TRANSPORT_ERROR = "transport error"


#: Inputs caused by the peer's messages; a missing table pair for them is the peer's fault.
REMOTE_INPUTS = frozenset(
    {Input.REQUEST, Input.ACK, Input.RECV_1XX, Input.RECV_2XX, Input.RECV_FINAL}
)

TIMER_INPUTS = {
    name: Input[f"TIMER_{name}"]
    for name in ("A", "B", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M")
}


class Action(enum.Enum):
    """Effects of a transition.  ``START_x`` arms timer x with its initial duration,
    ``BACKOFF_x`` re-arms it with the next interval, ``E_AT_T2`` re-arms E with T2."""

    SEND_REQUEST = "send request"
    RESEND_REQUEST = "resend request"
    SEND_RESPONSE = "send response"
    RESEND_RESPONSE = "resend last response"
    SEND_ACK = "send ACK"
    PASS_TO_TU = "pass to TU"
    ABSORB = "absorb"
    REPORT_TIMEOUT = "report timeout to TU"
    REPORT_TRANSPORT_ERROR = "report transport error to TU"
    START_A = "start A"
    BACKOFF_A = "restart A (double)"
    START_B = "start B"
    START_D = "start D"
    START_E = "start E"
    BACKOFF_E = "restart E (double, cap T2)"
    E_AT_T2 = "restart E (T2)"
    START_F = "start F"
    START_G = "start G"
    BACKOFF_G = "restart G (double, cap T2)"
    START_H = "start H"
    START_I = "start I"
    START_J = "start J"
    START_K = "start K"
    START_L = "start L"
    START_M = "start M"


#: Actions the transaction object itself carries out (timer bookkeeping).
TIMER_ACTIONS: dict[Action, tuple[str, str]] = {
    action: (action.name[-1], "backoff" if action.name.startswith("BACKOFF") else "start")
    for action in Action
    if action.name.startswith(("START_", "BACKOFF_"))
}
TIMER_ACTIONS[Action.E_AT_T2] = ("E", "t2")


class Kind(enum.Enum):
    """The four machines of RFC 3261 §17."""

    INVITE_CLIENT = "INVITE client"
    NON_INVITE_CLIENT = "non-INVITE client"
    INVITE_SERVER = "INVITE server"
    NON_INVITE_SERVER = "non-INVITE server"

    @property
    def is_server(self) -> bool:
        return self in (Kind.INVITE_SERVER, Kind.NON_INVITE_SERVER)


A = Action
S = State
I = Input  # noqa: E741 - reads like the RFC figures

Transition = tuple[tuple[Action, ...], State]
Table = dict[tuple[State, Input], Transition]

#: RFC 3261 figure 5 (+ RFC 6026 Accepted / Timer M).
INVITE_CLIENT_TABLE: Table = {
    (S.CALLING, I.TIMER_A): ((A.RESEND_REQUEST, A.BACKOFF_A), S.CALLING),
    (S.CALLING, I.TIMER_B): ((A.REPORT_TIMEOUT,), S.TERMINATED),
    (S.CALLING, I.RECV_1XX): ((A.PASS_TO_TU,), S.PROCEEDING),
    (S.CALLING, I.RECV_2XX): ((A.PASS_TO_TU, A.START_M), S.ACCEPTED),
    (S.CALLING, I.RECV_FINAL): ((A.PASS_TO_TU, A.SEND_ACK, A.START_D), S.COMPLETED),
    (S.CALLING, I.TRANSPORT_ERROR): ((A.REPORT_TRANSPORT_ERROR,), S.TERMINATED),
    (S.PROCEEDING, I.RECV_1XX): ((A.PASS_TO_TU,), S.PROCEEDING),
    (S.PROCEEDING, I.RECV_2XX): ((A.PASS_TO_TU, A.START_M), S.ACCEPTED),
    (S.PROCEEDING, I.RECV_FINAL): ((A.PASS_TO_TU, A.SEND_ACK, A.START_D), S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): ((A.REPORT_TRANSPORT_ERROR,), S.TERMINATED),
    (S.COMPLETED, I.RECV_1XX): ((A.ABSORB,), S.COMPLETED),
    (S.COMPLETED, I.RECV_FINAL): ((A.SEND_ACK,), S.COMPLETED),
    (S.COMPLETED, I.TIMER_D): ((), S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): ((A.REPORT_TRANSPORT_ERROR,), S.TERMINATED),
    (S.ACCEPTED, I.RECV_1XX): ((A.ABSORB,), S.ACCEPTED),
    (S.ACCEPTED, I.RECV_2XX): ((A.PASS_TO_TU,), S.ACCEPTED),
    (S.ACCEPTED, I.TIMER_M): ((), S.TERMINATED),
}

#: RFC 3261 figure 6.
NON_INVITE_CLIENT_TABLE: Table = {
    (S.TRYING, I.TIMER_E): ((A.RESEND_REQUEST, A.BACKOFF_E), S.TRYING),
    (S.TRYING, I.TIMER_F): ((A.REPORT_TIMEOUT,), S.TERMINATED),
    (S.TRYING, I.RECV_1XX): ((A.PASS_TO_TU,), S.PROCEEDING),
    (S.TRYING, I.RECV_2XX): ((A.PASS_TO_TU, A.START_K), S.COMPLETED),
    (S.TRYING, I.RECV_FINAL): ((A.PASS_TO_TU, A.START_K), S.COMPLETED),
    (S.TRYING, I.TRANSPORT_ERROR): ((A.REPORT_TRANSPORT_ERROR,), S.TERMINATED),
    (S.PROCEEDING, I.TIMER_E): ((A.RESEND_REQUEST, A.E_AT_T2), S.PROCEEDING),
    (S.PROCEEDING, I.TIMER_F): ((A.REPORT_TIMEOUT,), S.TERMINATED),
    (S.PROCEEDING, I.RECV_1XX): ((A.PASS_TO_TU,), S.PROCEEDING),
    (S.PROCEEDING, I.RECV_2XX): ((A.PASS_TO_TU, A.START_K), S.COMPLETED),
    (S.PROCEEDING, I.RECV_FINAL): ((A.PASS_TO_TU, A.START_K), S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): ((A.REPORT_TRANSPORT_ERROR,), S.TERMINATED),
    (S.COMPLETED, I.RECV_1XX): ((A.ABSORB,), S.COMPLETED),
    (S.COMPLETED, I.RECV_2XX): ((A.ABSORB,), S.COMPLETED),
    (S.COMPLETED, I.RECV_FINAL): ((A.ABSORB,), S.COMPLETED),
    (S.COMPLETED, I.TIMER_K): ((), S.TERMINATED),
}

#: RFC 3261 figure 7 (+ RFC 6026 Accepted / Timer L).
INVITE_SERVER_TABLE: Table = {
    (S.PROCEEDING, I.REQUEST): ((A.RESEND_RESPONSE,), S.PROCEEDING),
    (S.PROCEEDING, I.SEND_1XX): ((A.SEND_RESPONSE,), S.PROCEEDING),
    (S.PROCEEDING, I.SEND_2XX): ((A.SEND_RESPONSE, A.START_L), S.ACCEPTED),
    (S.PROCEEDING, I.SEND_FINAL): ((A.SEND_RESPONSE, A.START_G, A.START_H), S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): ((A.REPORT_TRANSPORT_ERROR,), S.TERMINATED),
    (S.COMPLETED, I.REQUEST): ((A.RESEND_RESPONSE,), S.COMPLETED),
    (S.COMPLETED, I.TIMER_G): ((A.RESEND_RESPONSE, A.BACKOFF_G), S.COMPLETED),
    (S.COMPLETED, I.ACK): ((A.START_I,), S.CONFIRMED),
    (S.COMPLETED, I.TIMER_H): ((A.REPORT_TIMEOUT,), S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): ((A.REPORT_TRANSPORT_ERROR,), S.TERMINATED),
    (S.CONFIRMED, I.REQUEST): ((A.ABSORB,), S.CONFIRMED),
    (S.CONFIRMED, I.ACK): ((A.ABSORB,), S.CONFIRMED),
    (S.CONFIRMED, I.TIMER_I): ((), S.TERMINATED),
    (S.ACCEPTED, I.REQUEST): ((A.ABSORB,), S.ACCEPTED),
    (S.ACCEPTED, I.ACK): ((A.PASS_TO_TU,), S.ACCEPTED),
    (S.ACCEPTED, I.SEND_2XX): ((A.SEND_RESPONSE,), S.ACCEPTED),
    (S.ACCEPTED, I.TRANSPORT_ERROR): ((), S.ACCEPTED),
    (S.ACCEPTED, I.TIMER_L): ((), S.TERMINATED),
}

#: RFC 3261 figure 8.
NON_INVITE_SERVER_TABLE: Table = {
    (S.TRYING, I.REQUEST): ((A.ABSORB,), S.TRYING),
    (S.TRYING, I.SEND_1XX): ((A.SEND_RESPONSE,), S.PROCEEDING),
    (S.TRYING, I.SEND_2XX): ((A.SEND_RESPONSE, A.START_J), S.COMPLETED),
    (S.TRYING, I.SEND_FINAL): ((A.SEND_RESPONSE, A.START_J), S.COMPLETED),
    (S.PROCEEDING, I.REQUEST): ((A.RESEND_RESPONSE,), S.PROCEEDING),
    (S.PROCEEDING, I.SEND_1XX): ((A.SEND_RESPONSE,), S.PROCEEDING),
    (S.PROCEEDING, I.SEND_2XX): ((A.SEND_RESPONSE, A.START_J), S.COMPLETED),
    (S.PROCEEDING, I.SEND_FINAL): ((A.SEND_RESPONSE, A.START_J), S.COMPLETED),
    (S.PROCEEDING, I.TRANSPORT_ERROR): ((A.REPORT_TRANSPORT_ERROR,), S.TERMINATED),
    (S.COMPLETED, I.REQUEST): ((A.RESEND_RESPONSE,), S.COMPLETED),
    (S.COMPLETED, I.TIMER_J): ((), S.TERMINATED),
    (S.COMPLETED, I.TRANSPORT_ERROR): ((A.REPORT_TRANSPORT_ERROR,), S.TERMINATED),
}

del A, S, I

TABLES: dict[Kind, Table] = {
    Kind.INVITE_CLIENT: INVITE_CLIENT_TABLE,
    Kind.NON_INVITE_CLIENT: NON_INVITE_CLIENT_TABLE,
    Kind.INVITE_SERVER: INVITE_SERVER_TABLE,
    Kind.NON_INVITE_SERVER: NON_INVITE_SERVER_TABLE,
}

#: Where each machine starts and what it does on creation.
INITIAL: dict[Kind, Transition] = {
    Kind.INVITE_CLIENT: ((Action.SEND_REQUEST, Action.START_A, Action.START_B), State.CALLING),
    Kind.NON_INVITE_CLIENT: ((Action.SEND_REQUEST, Action.START_E, Action.START_F), State.TRYING),
    Kind.INVITE_SERVER: ((Action.PASS_TO_TU,), State.PROCEEDING),
    Kind.NON_INVITE_SERVER: ((Action.PASS_TO_TU,), State.TRYING),
}


class TransactionError(Exception):
    """A transition the table does not allow."""

    def __init__(self, kind: Kind, state: State, input: Input) -> None:
        self.kind = kind
        self.state = state
        self.input = input
        super().__init__(
            f"{kind.value} transaction in state {state.value} cannot handle {input.value}"
        )


class LocalProtocolError(TransactionError):
    """We (the TU or the transport) asked for something the RFC forbids."""


class RemoteProtocolError(TransactionError):
    """The peer's message does not fit the transaction's state; it is dropped."""


class TransactionMachine:
    """One transaction's state and timers, with no messages: the pure RFC machine.

    ``step`` and ``handle_timer`` return the non-timer actions for the owner to perform.
    """

    def __init__(self, kind: Kind, timers: TimerConfig, reliable: bool, now: float) -> None:
        self.kind = kind
        self.timers = timers
        self.reliable = reliable
        self.table = TABLES[kind]
        self._deadlines: dict[str, float] = {}
        self._intervals: dict[str, float] = {}
        actions, self.state = INITIAL[kind]
        self.initial_effects = self._perform(actions, now)

    def step(self, input: Input, now: float) -> list[Action]:
        """Apply one input; raises Local/RemoteProtocolError for a pair not in the table."""
        effects = self.handle_timer(now)
        transition = self.table.get((self.state, input))
        if transition is None:
            error = RemoteProtocolError if input in REMOTE_INPUTS else LocalProtocolError
            raise error(self.kind, self.state, input)
        actions, next_state = transition
        self._enter(next_state)
        effects += self._perform(actions, now)
        effects += self.handle_timer(now)
        return effects

    def _enter(self, state: State) -> None:
        self.state = state
        # A timer with no transition out of the new state is dead: cancel it, so that the
        # table alone decides which timers live in which state.
        for name in list(self._deadlines):
            if (state, TIMER_INPUTS[name]) not in self.table:
                del self._deadlines[name]

    def _perform(self, actions: Iterable[Action], now: float) -> list[Action]:
        effects: list[Action] = []
        for action in actions:
            timer = TIMER_ACTIONS.get(action)
            if timer is None:
                effects.append(action)
                continue
            name, how = timer
            if how == "start":
                duration = self.timers.duration(name, self.reliable)
                if duration is None:
                    continue
            elif how == "t2":
                duration = self.timers.t2
            else:
                duration = self.timers.backoff(name, self._intervals[name])
            self._intervals[name] = duration
            self._deadlines[name] = now + duration
        return effects

    def get_timer(self) -> float | None:
        return min(self._deadlines.values(), default=None)

    def handle_timer(self, now: float) -> list[Action]:
        """Fire every timer due at ``now`` (earliest first)."""
        effects: list[Action] = []
        while self._deadlines:
            name = min(self._deadlines, key=self._deadlines.__getitem__)
            if self._deadlines[name] > now:
                break
            del self._deadlines[name]
            actions, next_state = self.table[(self.state, TIMER_INPUTS[name])]
            self._enter(next_state)
            effects += self._perform(actions, now)
        return effects

    @property
    def terminated(self) -> bool:
        return self.state is State.TERMINATED


# --------------------------------------------------------------------------------------
# Messages around the machines


class Outgoing(NamedTuple):
    """Bytes to send and where."""

    data: bytes
    dest: Address


@dataclass
class RequestReceived:
    """A request for the TU: new transaction, or ACK/stray request with no transaction."""

    request: SipRequest
    source: Address
    transaction: ServerTransaction | None


@dataclass
class ResponseReceived:
    """A response for the TU (``transaction`` None for a stray 2xx retransmission)."""

    response: SipResponse
    source: Address
    transaction: ClientTransaction | None


@dataclass
class TransactionTimedOut:
    """Timer B/F/H fired: the peer never answered (or never ACKed)."""

    transaction: ServerTransaction | ClientTransaction


@dataclass
class TransportFailed:
    """The transport reported a send failure on this transaction."""

    transaction: ServerTransaction | ClientTransaction


Event = RequestReceived | ResponseReceived | TransactionTimedOut | TransportFailed


def response_class(status: int) -> str:
    """1xx, 2xx or final (300-699): the three response inputs of the tables."""
    if status < 200:
        return "1xx"
    if status < 300:
        return "2xx"
    return "final"


def is_reliable(transport: str) -> bool:
    return transport.lower() in RELIABLE_TRANSPORTS


@dataclass(eq=False)
class ServerTransaction:
    """A server transaction: the request, where answers go, and the last answer sent."""

    key: tuple[object, ...]
    request: SipRequest
    source: Address
    response_dest: Address
    machine: TransactionMachine
    last_response: SipResponse | None = None
    last_bytes: bytes | None = None

    @property
    def state(self) -> State:
        return self.machine.state

    @property
    def method(self) -> str:
        return self.request.method


@dataclass(eq=False)
class ClientTransaction:
    """A client transaction: the request we sent, its bytes, and where it went."""

    key: tuple[object, ...]
    request: SipRequest
    dest: Address
    machine: TransactionMachine
    request_bytes: bytes = b""
    ack_bytes: bytes | None = None
    responses: list[SipResponse] = field(default_factory=list)

    @property
    def state(self) -> State:
        return self.machine.state

    @property
    def method(self) -> str:
        return self.request.method


def _sent_by(via: Via) -> tuple[str, int | None]:
    return via.host.lower(), via.port


def server_key(request: SipRequest, method: str | None = None) -> tuple[object, ...]:
    """Matching key of RFC 3261 §17.2.3; ``method`` overrides (CANCEL → INVITE lookup).

    With the magic cookie: branch + sent-by + method (ACK matches INVITE).  Without it
    (RFC 2543 peers): Request-URI, From tag, Call-ID, CSeq, top Via, and the To tag for
    everything but INVITE/ACK (whose To tag is checked against our response instead).
    """
    method = method or request.method
    if method == "ACK":
        method = "INVITE"
    via = request.top_via
    branch = via.branch or ""
    if branch.startswith(MAGIC_COOKIE):
        return ("rfc3261", branch, *_sent_by(via), method)
    to_tag = None if method == "INVITE" else request.to.tag
    return (
        "rfc2543",
        str(request.uri),
        request.from_.tag,
        request.call_id,
        request.cseq.number,
        method,
        via.transport.upper(),
        *_sent_by(via),
        branch,
        to_tag,
    )


def client_key(branch: str, method: str) -> tuple[object, ...]:
    """Responses match a client transaction by top-Via branch and CSeq method (§17.1.3)."""
    return (branch, "INVITE" if method == "ACK" else method)


def stamp_via(request: SipRequest, source: Address) -> Via:
    """Add ``received``/``rport`` to the top Via (RFC 3261 §18.2.1, RFC 3581 §4).

    ``received`` is added when the sent-by host differs from the packet's source, and
    always when ``rport`` is requested; an empty ``rport`` gets the source port.
    """
    vias = request.headers.get_all("Via")
    top = parse_via(vias[0])
    params = dict(top.params)
    rport_requested = any(k.lower() == "rport" for k in params)
    changed = False
    if top.host.lower() != source.host.lower() or rport_requested:
        params = {k: v for k, v in params.items() if k.lower() != "received"}
        params["received"] = source.host
        changed = True
    if rport_requested:
        params = {k: (str(source.port) if k.lower() == "rport" else v) for k, v in params.items()}
        changed = True
    if not changed:
        return top
    top = Via(top.transport, top.host, top.port, params)
    _replace_top_via(request.headers, str(top))
    return top


def _replace_top_via(headers: Headers, value: str) -> None:
    """Rewrite the first Via entry in place, keeping every line where it was."""
    items = headers.items()
    index = next(i for i, (name, _) in enumerate(items) if name == "Via")
    rest = split_list(items[index][1])[1:]
    items[index] = ("Via", ", ".join([value, *rest]))
    for name in {name for name, _ in items}:
        headers.remove(name)
    for name, line in items:
        headers.add(name, line)


def default_port(transport: str) -> int:
    return 5061 if transport.lower() in ("tls", "wss") else 5060


def response_destination(via: Via, source: Address) -> Address:
    """Where responses to ``request`` go (RFC 3261 §18.2.2, RFC 3581 §4).

    Reliable transports answer on the connection the request came on.  Over UDP: to
    ``maddr`` if present, to the source ip:port when ``rport`` was requested, else to
    ``received`` (or sent-by host) at the sent-by port.
    """
    if is_reliable(source.transport):
        return source
    port = via.port or default_port(via.transport)
    maddr = next((v for k, v in via.params.items() if k.lower() == "maddr"), None)
    if maddr:
        return Address(source.transport, maddr, port, None)
    if any(k.lower() == "rport" for k in via.params):
        return Address(source.transport, source.host, source.port, source.connection_id)
    host = via.received or via.host
    return Address(source.transport, host, port, None)


def make_ack(request: SipRequest, response: SipResponse) -> SipRequest:
    """ACK for a non-2xx final response (RFC 3261 §17.1.1.3): same branch, To from the
    response, Route from the request."""
    headers = Headers()
    headers.add("Via", request.headers.get_all("Via")[0])
    for name in ("Max-Forwards", "From"):
        value = request.headers.get(name)
        if value is not None:
            headers.add(name, value)
    to = response.headers.get("To")
    if to is not None:
        headers.add("To", to)
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", f"{request.cseq.number} ACK")
    for value in request.headers.get_all("Route"):
        headers.add("Route", value)
    return SipRequest("ACK", request.uri, headers)


class TransactionLayer:
    """All transactions of one endpoint: matching, retransmission absorption, timers.

    ``receive_*`` return what the TU must see (None when the transaction layer absorbed
    the message), ``respond``/``send_request`` queue bytes, ``take_outgoing`` hands them
    over.
    """

    def __init__(self, timers: TimerConfig | None = None) -> None:
        self.timers = timers or TimerConfig()
        self.server: dict[tuple[object, ...], ServerTransaction] = {}
        self.client: dict[tuple[object, ...], ClientTransaction] = {}
        self._outgoing: list[Outgoing] = []
        self._pending: list[Event] = []
        self._timers: TimerHeap[ServerTransaction | ClientTransaction] = TimerHeap()

    # -- inbound ------------------------------------------------------------------------

    def receive_request(
        self, request: SipRequest, source: Address, now: float
    ) -> RequestReceived | None:
        """Match a request to a server transaction or create one (ACK never creates one)."""
        via = stamp_via(request, source)
        key = server_key(request)
        tx = self.server.get(key)
        if tx is not None and not self._catch_up(tx, now):
            tx = None  # it ended before this request: a new transaction
        if tx is not None and request.method == "ACK" and key[0] == "rfc2543":
            sent_tag = tx.last_response.to.tag if tx.last_response is not None else None
            if sent_tag != request.to.tag:
                tx = None
        if tx is None:
            if request.method == "ACK":
                return RequestReceived(request, source, None)
            reliable = is_reliable(source.transport)
            kind = Kind.INVITE_SERVER if request.method == "INVITE" else Kind.NON_INVITE_SERVER
            machine = TransactionMachine(kind, self.timers, reliable, now)
            dest = response_destination(via, source)
            tx = ServerTransaction(key, request, source, dest, machine)
            self.server[key] = tx
            self._settle(tx)
            return RequestReceived(request, source, tx)
        input = Input.ACK if request.method == "ACK" else Input.REQUEST
        try:
            effects = tx.machine.step(input, now)
        except TransactionError as exc:
            log.info("dropping %s: %s", request.method, exc)
            self._settle(tx)
            return None
        event = self._run_server(tx, effects)
        self._settle(tx)
        if isinstance(event, RequestReceived):
            return RequestReceived(request, source, tx)
        return None

    def receive_response(
        self, response: SipResponse, source: Address, now: float
    ) -> ResponseReceived | None:
        """Match a response to a client transaction (§17.1.3) and run its machine."""
        branch = response.top_via.branch
        if branch is None:
            return None
        tx = self.client.get(client_key(branch, response.cseq.method))
        if tx is not None and not self._catch_up(tx, now):
            tx = None
        if tx is None:
            # 2xx retransmissions for an INVITE whose transaction is gone go to the core.
            if response.cseq.method == "INVITE" and 200 <= response.status < 300:
                return ResponseReceived(response, source, None)
            return None
        cls = response_class(response.status)
        input = {"1xx": Input.RECV_1XX, "2xx": Input.RECV_2XX, "final": Input.RECV_FINAL}[cls]
        try:
            effects = tx.machine.step(input, now)
        except TransactionError as exc:
            log.info("dropping %s response: %s", response.status, exc)
            self._settle(tx)
            return None
        tx.responses.append(response)
        events = self._run_client(tx, effects)
        self._settle(tx)
        for event in events:
            if isinstance(event, ResponseReceived):
                return ResponseReceived(response, source, tx)
        return None

    # -- outbound -----------------------------------------------------------------------

    def respond(self, tx: ServerTransaction, response: SipResponse, now: float) -> None:
        """Send a response through ``tx``; LocalProtocolError if its state forbids it."""
        self._catch_up(tx, now)
        cls = response_class(response.status)
        input = {"1xx": Input.SEND_1XX, "2xx": Input.SEND_2XX, "final": Input.SEND_FINAL}[cls]
        if input is Input.SEND_2XX and tx.last_response is not None and tx.state is State.ACCEPTED:
            if tx.last_response.status != response.status:
                raise LocalProtocolError(tx.machine.kind, tx.state, input)
        previous = (tx.last_response, tx.last_bytes)
        tx.last_response = response
        tx.last_bytes = response.serialize()
        try:
            effects = tx.machine.step(input, now)
        except LocalProtocolError:
            tx.last_response, tx.last_bytes = previous
            raise
        self._run_server(tx, effects)
        self._settle(tx)

    def send_request(self, request: SipRequest, dest: Address, now: float) -> ClientTransaction:
        """Start a client transaction; the request's top Via must carry our branch."""
        branch = request.top_via.branch
        if not branch or not branch.startswith(MAGIC_COOKIE):
            raise ValueError(f"client request needs a {MAGIC_COOKIE} branch, got {branch!r}")
        kind = Kind.INVITE_CLIENT if request.method == "INVITE" else Kind.NON_INVITE_CLIENT
        machine = TransactionMachine(kind, self.timers, is_reliable(dest.transport), now)
        tx = ClientTransaction(client_key(branch, request.method), request, dest, machine)
        tx.request_bytes = request.serialize()
        self.client[tx.key] = tx
        self._run_client(tx, machine.initial_effects)
        self._settle(tx)
        return tx

    def transport_error(self, tx: ServerTransaction | ClientTransaction, now: float) -> list[Event]:
        """The transport could not send for ``tx``."""
        self._catch_up(tx, now)
        try:
            effects = tx.machine.step(Input.TRANSPORT_ERROR, now)
        except TransactionError as exc:
            log.info("ignoring transport error: %s", exc)
            return []
        events = self._run(tx, effects)
        self._settle(tx)
        return events

    # -- lookups --------------------------------------------------------------------------

    def find_server(self, request: SipRequest) -> ServerTransaction | None:
        """The server transaction ``request`` would match, without running it."""
        return self.server.get(server_key(request))

    def find_invite_for_cancel(self, cancel: SipRequest) -> ServerTransaction | None:
        """The INVITE server transaction a CANCEL targets (RFC 3261 §9.2)."""
        tx = self.server.get(server_key(cancel, "INVITE"))
        return tx if tx is not None and tx.method == "INVITE" else None

    # -- timers ---------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        return self._timers.earliest()

    def handle_timer(self, now: float) -> list[Event]:
        """Fire due timers; returns timeouts for the TU (with any found while catching up).
        Only transactions with a due deadline are touched."""
        events, self._pending = self._pending, []
        due = self._timers.pop_due(now)
        try:
            for tx in due:
                events += self._run(tx, tx.machine.handle_timer(now))
                self._settle(tx)
        finally:
            for tx in due:  # re-file any left out by an exception (settling is idempotent)
                self._settle(tx)
        return events

    def take_events(self) -> list[Event]:
        """Timeouts found while catching a transaction up outside ``handle_timer``."""
        events, self._pending = self._pending, []
        return events

    def send_raw(self, data: bytes, dest: Address) -> None:
        """Queue bytes outside any transaction (2xx retransmissions by the UAS core,
        stateless answers to malformed requests), in order with transaction output."""
        self._outgoing.append(Outgoing(data, dest))

    def take_outgoing(self) -> list[Outgoing]:
        out, self._outgoing = self._outgoing, []
        return out

    # -- effects --------------------------------------------------------------------------

    def _run(self, tx: ServerTransaction | ClientTransaction, effects: list[Action]) -> list[Event]:
        """Carry out ``effects`` for either kind of transaction; the TU's events."""
        if isinstance(tx, ClientTransaction):
            return self._run_client(tx, effects)
        event = self._run_server(tx, effects)
        return [event] if event is not None else []

    def _run_server(self, tx: ServerTransaction, effects: list[Action]) -> Event | None:
        event: Event | None = None
        for action in effects:
            if action in (Action.SEND_RESPONSE, Action.RESEND_RESPONSE):
                if tx.last_bytes is not None:
                    self._outgoing.append(Outgoing(tx.last_bytes, tx.response_dest))
            elif action is Action.PASS_TO_TU:
                event = RequestReceived(tx.request, tx.source, tx)
            elif action is Action.REPORT_TIMEOUT:
                event = TransactionTimedOut(tx)
            elif action is Action.REPORT_TRANSPORT_ERROR:
                event = TransportFailed(tx)
        return event

    def _run_client(self, tx: ClientTransaction, effects: list[Action]) -> list[Event]:
        events: list[Event] = []
        for action in effects:
            if action in (Action.SEND_REQUEST, Action.RESEND_REQUEST):
                self._outgoing.append(Outgoing(tx.request_bytes, tx.dest))
            elif action is Action.SEND_ACK:
                if tx.ack_bytes is None and tx.responses:
                    tx.ack_bytes = make_ack(tx.request, tx.responses[-1]).serialize()
                if tx.ack_bytes is not None:
                    self._outgoing.append(Outgoing(tx.ack_bytes, tx.dest))
            elif action is Action.PASS_TO_TU:
                if tx.responses:
                    events.append(ResponseReceived(tx.responses[-1], tx.dest, tx))
            elif action is Action.REPORT_TIMEOUT:
                events.append(TransactionTimedOut(tx))
            elif action is Action.REPORT_TRANSPORT_ERROR:
                events.append(TransportFailed(tx))
        return events

    def _catch_up(self, tx: ServerTransaction | ClientTransaction, now: float) -> bool:
        """Fire ``tx``'s overdue timers before it sees a new input, so a late
        ``handle_timer`` never makes a message meet a stale state; False if it ended."""
        self._pending += self._run(tx, tx.machine.handle_timer(now))
        self._settle(tx)
        return not tx.machine.terminated

    def _settle(self, tx: ServerTransaction | ClientTransaction) -> None:
        """After ``tx`` ran: forget it when it ended, else file its next deadline."""
        if not tx.machine.terminated:
            self._timers.schedule(tx, tx.machine.get_timer())
            return
        self._timers.cancel(tx)
        if isinstance(tx, ServerTransaction):
            if self.server.get(tx.key) is tx:
                del self.server[tx.key]
        elif self.client.get(tx.key) is tx:
            del self.client[tx.key]


# --------------------------------------------------------------------------------------
# Documentation


def render_table(kind: Kind) -> str:
    """The transition table of ``kind`` as Markdown (docs/sip.md embeds these)."""
    actions, start = INITIAL[kind]
    lines = [
        f"### {kind.value} transaction",
        "",
        f"Starts in **{start.value}**"
        + (f" and does: {', '.join(a.value for a in actions)}." if actions else "."),
        "",
        "| state | input | actions | next state |",
        "| --- | --- | --- | --- |",
    ]
    for (state, input), (acts, next_state) in TABLES[kind].items():
        done = ", ".join(a.value for a in acts) or "—"
        lines.append(f"| {state.value} | {input.value} | {done} | {next_state.value} |")
    return "\n".join(lines) + "\n"


def render_tables() -> str:
    """All four machines, in RFC figure order."""
    return "\n".join(render_table(kind) for kind in Kind)


if __name__ == "__main__":  # pragma: no cover - regenerates the tables in docs/sip.md
    print(render_tables())
