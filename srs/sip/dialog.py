"""SIP dialogs on the UAS side (RFC 3261 §12), table-driven like the transactions.

A dialog is keyed by Call-ID + local tag + remote tag and remembers what in-dialog
requests need: the remote target (Contact), the route set (Record-Route), both CSeq
counters, and the From/To values to reuse.  Its life (early → confirmed → terminated)
is one small table; a missing pair is a :class:`DialogError`.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from srs.sip.handler import DialogRef
from srs.sip.headers import Headers, parse_name_addr
from srs.sip.message import SipRequest
from srs.sip.transaction import Address
from srs.sip.uri import SipUri, parse_uri


class DialogState(enum.Enum):
    """RFC 3261 §12 dialog states."""

    EARLY = "Early"
    CONFIRMED = "Confirmed"
    TERMINATED = "Terminated"


class DialogInput(enum.Enum):
    """What moves a UAS dialog."""

    SEND_2XX = "2xx sent to the INVITE"
    SEND_ERROR = "300-699 sent to the INVITE"
    RECV_CANCEL = "CANCEL received"
    RECV_ACK = "ACK received"
    RECV_REQUEST = "in-dialog request received"
    RECV_BYE = "BYE received"
    SEND_BYE = "BYE sent"


_S = DialogState
_I = DialogInput

DIALOG_TABLE: dict[tuple[DialogState, DialogInput], DialogState] = {
    (_S.EARLY, _I.SEND_2XX): _S.CONFIRMED,
    (_S.EARLY, _I.SEND_ERROR): _S.TERMINATED,
    (_S.EARLY, _I.RECV_CANCEL): _S.TERMINATED,
    (_S.EARLY, _I.RECV_REQUEST): _S.EARLY,
    (_S.EARLY, _I.RECV_BYE): _S.TERMINATED,
    (_S.CONFIRMED, _I.SEND_2XX): _S.CONFIRMED,
    (_S.CONFIRMED, _I.SEND_ERROR): _S.CONFIRMED,
    (_S.CONFIRMED, _I.RECV_ACK): _S.CONFIRMED,
    (_S.CONFIRMED, _I.RECV_REQUEST): _S.CONFIRMED,
    (_S.CONFIRMED, _I.RECV_BYE): _S.TERMINATED,
    (_S.CONFIRMED, _I.SEND_BYE): _S.TERMINATED,
}


class DialogError(Exception):
    """A dialog input its state does not allow."""

    def __init__(self, state: DialogState, input: DialogInput) -> None:
        self.state = state
        self.input = input
        super().__init__(f"dialog in state {state.value} cannot handle {input.value}")


def new_tag(token: Callable[[int], str] = secrets.token_hex) -> str:
    """A local tag: 64 random bits in hex (RFC 3261 §19.3 asks for >= 32)."""
    return token(8)


def _uri_of(value: str) -> str:
    return parse_name_addr(value).uri


def _loose(route: str) -> bool:
    """``;lr`` on the Route URI marks a loose router (RFC 3261 §16.12.1.1)."""
    return any(key.lower() == "lr" for key in parse_uri(_uri_of(route)).params)


@dataclass
class Dialog:
    """One dialog's state, seen from the UAS that answered the INVITE."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: str  # our To value including our tag (our From in requests we send)
    remote_uri: str  # their From value (our To in requests we send)
    remote_target: str
    route_set: list[str]
    remote_cseq: int
    local_cseq: int
    source: Address
    secure: bool = False
    state: DialogState = DialogState.EARLY
    invite_cseq: int = 0

    @property
    def ref(self) -> DialogRef:
        return DialogRef(self.call_id, self.local_tag, self.remote_tag)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def from_invite(
        cls, request: SipRequest, local_tag: str, source: Address, local_cseq: int
    ) -> Dialog:
        """UAS dialog creation (§12.1.1): route set = Record-Route in order, target =
        Contact, remote CSeq from the INVITE."""
        to_value = request.headers.get("To") or ""
        if request.to.tag is None:
            to_value = f"{to_value};tag={local_tag}"
        contact = request.headers.get("Contact")
        target = _uri_of(contact) if contact else str(request.from_.uri)
        return cls(
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=request.from_.tag or "",
            local_uri=to_value,
            remote_uri=request.headers.get("From") or "",
            remote_target=target,
            route_set=list(request.headers.get_all("Record-Route")),
            remote_cseq=request.cseq.number,
            local_cseq=local_cseq,
            source=source,
            secure=request.request_uri.scheme == "sips",
            invite_cseq=request.cseq.number,
        )

    def handle(self, input: DialogInput) -> DialogState:
        """Apply one input through :data:`DIALOG_TABLE`."""
        next_state = DIALOG_TABLE.get((self.state, input))
        if next_state is None:
            raise DialogError(self.state, input)
        self.state = next_state
        return next_state

    def check_cseq(self, request: SipRequest) -> bool:
        """§12.2.2: a CSeq lower than the last one is out of order (answer 500).

        ACK and CANCEL reuse the INVITE's number and are not checked; an accepted request
        raises the remote CSeq.
        """
        if request.method in ("ACK", "CANCEL"):
            return True
        number = request.cseq.number
        if number < self.remote_cseq:
            return False
        self.remote_cseq = number
        return True

    def refresh_target(self, request: SipRequest) -> None:
        """Target refresh requests (re-INVITE, UPDATE) may move the remote target."""
        contact = request.headers.get("Contact")
        if contact:
            self.remote_target = _uri_of(contact)

    def next_hop(self) -> SipUri:
        """First Route if any (loose routing), else the remote target (§12.2.1.1)."""
        first = self.route_set[0] if self.route_set else None
        return parse_uri(_uri_of(first) if first else self.remote_target)

    def create_request(
        self, method: str, via: str, extra: Iterable[tuple[str, str]] = ()
    ) -> SipRequest:
        """Build an in-dialog request (§12.2.1.1), strict-routing aware."""
        self.local_cseq += 1
        uri = self.remote_target
        routes = list(self.route_set)
        if routes and not _loose(routes[0]):
            uri = _uri_of(routes[0])
            routes = [*routes[1:], f"<{self.remote_target}>"]
        headers = Headers()
        headers.add("Via", via)
        headers.add("Max-Forwards", "70")
        for route in routes:
            headers.add("Route", route)
        headers.add("From", self.local_uri)
        headers.add("To", self.remote_uri)
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{self.local_cseq} {method}")
        for name, value in extra:
            headers.add(name, value)
        return SipRequest(method, uri, headers)


@dataclass
class DialogSet:
    """All dialogs of an endpoint, found by the (Call-ID, To tag, From tag) of a request."""

    dialogs: dict[tuple[str, str, str], Dialog] = field(default_factory=dict)
    _by_invite: dict[tuple[str, str, int], Dialog] = field(default_factory=dict)

    def add(self, dialog: Dialog) -> None:
        self.dialogs[dialog.key] = dialog
        self._by_invite[(dialog.call_id, dialog.remote_tag, dialog.invite_cseq)] = dialog

    def remove(self, dialog: Dialog) -> None:
        self.dialogs.pop(dialog.key, None)
        invite_key = (dialog.call_id, dialog.remote_tag, dialog.invite_cseq)
        if self._by_invite.get(invite_key) is dialog:
            del self._by_invite[invite_key]

    def find(self, request: SipRequest) -> Dialog | None:
        """The dialog an incoming in-dialog request belongs to (§12.2.2)."""
        local = request.to.tag
        if local is None:
            return None
        return self.dialogs.get((request.call_id, local, request.from_.tag or ""))

    def find_invite(self, request: SipRequest) -> Dialog | None:
        """The dialog a retransmitted initial INVITE (no To tag) already created."""
        return self._by_invite.get((request.call_id, request.from_.tag or "", request.cseq.number))

    def __len__(self) -> int:
        return len(self.dialogs)

    def __iter__(self) -> Iterator[Dialog]:
        return iter(list(self.dialogs.values()))


def render_dialog_table() -> str:
    """The dialog table as Markdown (docs/sip.md)."""
    lines = ["| state | input | next state |", "| --- | --- | --- |"]
    for (state, input), next_state in DIALOG_TABLE.items():
        lines.append(f"| {state.value} | {input.value} | {next_state.value} |")
    return "\n".join(lines) + "\n"
