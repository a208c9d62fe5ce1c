"""The recording server's SIP user agent server, sans-IO.

``SipEndpoint`` sits on the transaction layer and turns SIP into :class:`CallHandler`
calls: it owns everything a recorder must get right but that is not about recording —
Require/Supported, session timers, CANCEL, 2xx retransmission until ACK, reliable
provisionals and PRACK (RFC 3262), glare, OPTIONS, method policy and error answers.  Like
aioquic's connection it never reads the clock or touches a socket: feed it with
``receive``/``handle_timer`` and drain ``take_outgoing``.  Every call files its earliest
deadline in a :class:`TimerHeap`, so no per-packet or per-tick work grows with the number
of calls.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from srs.sip.dialog import Dialog, DialogError, DialogInput, DialogSet, DialogState
from srs.sip.errors import SipParseError
from srs.sip.handler import CallHandler, Decision
from srs.sip.headers import parse_name_addr
from srs.sip.message import SipRequest, SipResponse, make_response
from srs.sip.multipart import parse_multipart
from srs.sip.reliable import MAX_RSEQ, Retransmission, parse_rack
from srs.sip.session_timer import (
    IntervalTooSmall,
    SessionTimer,
    SessionTimerError,
    negotiate,
)
from srs.sip.timer_heap import TimerHeap
from srs.sip.timers import TimerConfig
from srs.sip.transaction import (
    MAGIC_COOKIE,
    Address,
    ClientTransaction,
    Event,
    Outgoing,
    ResponseReceived,
    ServerTransaction,
    State,
    TransactionError,
    TransactionLayer,
    TransactionTimedOut,
    TransportFailed,
    default_port,
    is_reliable,
    response_destination,
    stamp_via,
)
from srs.sip.uri import format_host, get_param, parse_params, parse_uri

__all__ = ["EndpointConfig", "Outgoing", "SipEndpoint"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

#: Methods of RFC 3261 and its common extensions: known but maybe not allowed (405),
#: anything else is 501.
KNOWN_METHODS = frozenset(
    {
        "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
        "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
    }
)  # fmt: skip

URI_SCHEMES = frozenset({"sip", "sips", "tel"})


@dataclass(frozen=True)
class EndpointConfig:
    """What the endpoint says about itself and how patient it is."""

    #: Our host and port per transport ("udp", "tcp", "tls") for Via and Contact.
    addresses: Mapping[str, tuple[str, int]] = field(
        default_factory=lambda: {"udp": ("127.0.0.1", 5060)}
    )
    user_agent: str = "srs/0.1"
    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0
    #: Smallest session interval we accept (RFC 4028 Min-SE); never below 90.
    min_se: int = 90
    #: Session interval we propose when the UAC supports timers but asked for none.
    session_expires: int = 1800
    allowed_methods: tuple[str, ...] = (
        "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "UPDATE", "INFO", "PRACK",
    )  # fmt: skip
    #: Option tags we understand (Require check) and advertise (Supported).
    supported: tuple[str, ...] = ("siprec", "timer", "100rel", "replaces")
    accept: tuple[str, ...] = (
        "application/sdp",
        "application/rs-metadata+xml",
        "application/rs-metadata",
        "multipart/mixed",
    )
    accept_language: str = "en"
    #: Seconds to ring (180) before answering a new INVITE; 0 answers at once.  Lets an
    #: SRC (or a test) CANCEL before the answer, and spaces out answers to a burst.  The
    #: 180 is reliable (RFC 3262) when the INVITE has ``Require: 100rel``.
    answer_delay: float = 0.0

    @property
    def timers(self) -> TimerConfig:
        return TimerConfig(self.t1, self.t2, self.t4)

    def host_port(self, transport: str) -> tuple[str, int]:
        """Our address for ``transport``, falling back to the first one configured."""
        found = self.addresses.get(transport.lower())
        if found is not None:
            return found
        if not self.addresses:
            return ("127.0.0.1", default_port(transport))
        return next(iter(self.addresses.values()))


@dataclass(eq=False)
class _Call:
    """UAS-core state of one dialog beyond RFC 3261 §12: 2xx retransmission, reliable
    provisional, offer state, session timer."""

    dialog: Dialog
    invite_tx: ServerTransaction | None
    awaiting_ack_cseq: int | None = None
    #: Our 2xx, resent until the ACK comes.
    ok: Retransmission | None = None
    offer_outstanding: bool = False
    timer: SessionTimer | None = None
    timer_at: float | None = None
    #: A new INVITE waiting out ``answer_delay``: when, and what to answer it with.  Once
    #: ``answer_at`` passed (None) with ``pending`` still set, the answer waits for PRACK.
    answer_at: float | None = None
    pending: tuple[SipRequest, SessionTimer | None, _Call | None] | None = None
    #: Our reliable 180, resent until the PRACK whose RAck names ``rseq`` comes.
    provisional: Retransmission | None = None
    rseq: int = 0
    #: Our session-refresh UPDATEs still waiting for an answer.
    refreshes: set[ClientTransaction] = field(default_factory=set)

    def next_deadline(self) -> float | None:
        times = (
            self.ok.deadline() if self.ok is not None else None,
            self.provisional.deadline() if self.provisional is not None else None,
            self.timer_at,
            self.answer_at,
        )
        return min((t for t in times if t is not None), default=None)


def _quote(text: str) -> str:
    """A quoted-string for Warning text: no CR/LF, escaped quotes and backslashes."""
    flat = " ".join(text.split())
    return '"' + flat.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _requires(request: SipRequest, tag: str) -> bool:
    return any(t.lower() == tag for t in request.headers.get_all("Require"))


def _has_body(request: SipRequest) -> bool:
    return bool(request.body.strip())


def _has_sdp(request: SipRequest) -> bool:
    """Does the body carry SDP (alone or as a multipart part)?  A metadata-only UPDATE
    (SIPREC partial update) is not an offer and must not get SDP back."""
    if not _has_body(request):
        return False
    ctype = request.content_type
    if ctype == "application/sdp":
        return True
    if ctype is None or not ctype.startswith("multipart/"):
        return False
    try:
        parts = parse_multipart(request.headers.get("Content-Type") or "", request.body)
    except SipParseError:
        return b"application/sdp" in request.body.lower()
    return any(part.content_type == "application/sdp" for part in parts)


class SipEndpoint:
    """A SIPREC-capable UAS: one object per listening endpoint, fed by the I/O layer."""

    def __init__(
        self,
        config: EndpointConfig,
        handler: CallHandler,
        *,
        token: Callable[[int], str] = secrets.token_hex,
    ) -> None:
        self.config = config
        self.handler = handler
        self._token = token
        self.layer = TransactionLayer(config.timers)
        self.dialogs = DialogSet()
        self._calls: dict[tuple[str, str, str], _Call] = {}
        self._refreshes: dict[ClientTransaction, _Call] = {}
        self._timers: TimerHeap[_Call] = TimerHeap()

    # ------------------------------------------------------------------ public sans-IO API

    def receive(
        self, message: SipRequest | SipResponse | SipParseError, source: Address, now: float
    ) -> None:
        """Handle one parsed message (or parse error) from ``source``; never raises."""
        try:
            if isinstance(message, SipParseError):
                self._on_parse_error(message, source)
            elif isinstance(message, SipResponse):
                self._on_response(message, source, now)
            else:
                self._on_request(message, source, now)
            for event in self.layer.take_events():
                self._on_event(event, now)
        except Exception:
            log.exception("internal error while handling a message from %s", source)

    def handle_timer(self, now: float) -> None:
        """Run every timer due at ``now``; only calls with a due deadline are touched."""
        try:
            for event in self.layer.handle_timer(now):
                self._on_event(event, now)
        except Exception:
            log.exception("internal error while handling transaction timers")
        for call in self._timers.pop_due(now):
            if self._calls.get(call.dialog.key) is not call:
                continue  # ended by an earlier call's timer (e.g. replaced)
            try:
                self._call_timers(call, now)
            except Exception:
                # Drop the call rather than leave an overdue deadline that would make the
                # I/O loop call us again at once, forever.
                log.exception("internal error in the timers of %s", call.dialog.call_id)
                self._drop_call(call)
                self._guard(self.handler.on_terminated, call.dialog.ref, "error", now)
            else:
                self._arm(call)

    def get_timer(self) -> float | None:
        """When ``handle_timer`` must next be called (None: nothing pending)."""
        deadlines = (self._timers.earliest(), self.layer.get_timer())
        return min((t for t in deadlines if t is not None), default=None)

    def take_outgoing(self) -> list[Outgoing]:
        """Datagrams / stream writes produced since the last call, in order."""
        return self.layer.take_outgoing()

    @property
    def calls(self) -> int:
        """Dialogs currently alive."""
        return len(self._calls)

    # ------------------------------------------------------------------ helpers

    def _guard(
        self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> tuple[bool, T | None]:
        """Call the handler; a crash there is logged and becomes (False, None)."""
        try:
            return True, fn(*args, **kwargs)
        except Exception:
            log.exception("call handler %s failed", getattr(fn, "__name__", fn))
            return False, None

    def _arm(self, call: _Call) -> None:
        """File ``call``'s earliest deadline; every change to one of them ends here."""
        if self._calls.get(call.dialog.key) is call:
            self._timers.schedule(call, call.next_deadline())

    def _host(self, transport: str) -> str:
        return self.config.host_port(transport)[0]

    def _warning(self, transport: str, text: str) -> tuple[str, str]:
        return ("Warning", f"399 {format_host(self._host(transport))} {_quote(text)}")

    def _respond(
        self,
        tx: ServerTransaction,
        status: int,
        reason: str | None = None,
        *,
        now: float,
        to_tag: str | None = None,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        content_type: str | None = None,
    ) -> SipResponse | None:
        """Answer through ``tx``; a state that forbids it is logged, not raised."""
        extra = list(headers or [])
        if status != 100:
            extra.append(("Server", self.config.user_agent))
            if to_tag is None and tx.request.to.tag is None:
                to_tag = self._token(8)
        response = make_response(
            tx.request,
            status,
            reason,
            to_tag=to_tag if status != 100 else None,
            headers=extra,
            body=body,
            content_type=content_type,
        )
        try:
            self.layer.respond(tx, response, now)
        except TransactionError as exc:
            log.warning("not sending %d: %s", status, exc)
            return None
        return response

    def _allow(self) -> tuple[str, str]:
        return ("Allow", ", ".join(self.config.allowed_methods))

    def _capabilities(self) -> list[tuple[str, str]]:
        return [
            self._allow(),
            ("Accept", ", ".join(self.config.accept)),
            ("Supported", ", ".join(self.config.supported)),
            ("Accept-Language", self.config.accept_language),
        ]

    def _decision_response(
        self, tx: ServerTransaction, decision: Decision, now: float, to_tag: str | None
    ) -> None:
        """An error Decision from the handler as a SIP response."""
        status = decision.status if 300 <= decision.status <= 699 else 500
        headers = list(decision.headers)
        if decision.warning:
            headers.append(self._warning(tx.source.transport, decision.warning))
        self._respond(tx, status, decision.reason, now=now, to_tag=to_tag, headers=headers)

    def _via(self, transport: str) -> str:
        host, port = self.config.host_port(transport)
        branch = MAGIC_COOKIE + self._token(10)
        return f"SIP/2.0/{transport.upper()} {format_host(host)}:{port};branch={branch};rport"

    def _contact(self, request: SipRequest, transport: str) -> str:
        host, port = self.config.host_port(transport)
        scheme = "sips" if request.request_uri.scheme == "sips" else "sip"
        param = "" if transport.lower() == "udp" else f";transport={transport.lower()}"
        contact = f"<{scheme}:{format_host(host)}:{port}{param}>"
        raw = request.headers.get("Contact")
        if raw is not None:
            try:
                if any(k.lower() == "+sip.src" for k in parse_name_addr(raw).params):
                    contact += ";+sip.srs"
            except SipParseError:
                pass
        return contact

    # ------------------------------------------------------------------ malformed input

    def _on_parse_error(self, error: SipParseError, source: Address) -> None:
        """400 (or the error's status) with a Warning when the request can be answered."""
        partial = error.partial
        if partial is None or partial.method == "ACK":
            log.info("dropping unparseable message from %s: %s", source, error.message)
            return
        try:
            partial.cseq, partial.from_, partial.to, partial.call_id  # noqa: B018
            via = stamp_via(partial, source)
            existing = self.layer.find_server(partial)
        except (SipParseError, ValueError, IndexError):
            log.info("dropping unanswerable message from %s: %s", source, error.message)
            return
        if existing is not None:
            # A damaged copy of a request we already answer: its transaction speaks for it.
            log.info("dropping damaged retransmission from %s: %s", source, error.message)
            return
        response = make_response(
            partial,
            error.status,
            error.reason,
            to_tag=self._token(8),
            headers=[
                self._warning(source.transport, error.message),
                ("Server", self.config.user_agent),
            ],
        )
        self.layer.send_raw(response.serialize(), response_destination(via, source))

    # ------------------------------------------------------------------ responses & events

    def _on_response(self, response: SipResponse, source: Address, now: float) -> None:
        event = self.layer.receive_response(response, source, now)
        if event is not None:
            self._on_event(event, now)

    def _on_event(self, event: Event, now: float) -> None:
        """Only our session refreshes care about their outcome (RFC 4028 §10: 408/481 or
        no answer end the session); BYE answers need nothing."""
        if isinstance(event, ResponseReceived):
            ctx = event.transaction
            if ctx is None or event.response.status < 200:
                return
            call = self._forget_refresh(ctx)
            if call is not None and event.response.status in (408, 481):
                self._end_call(call, "session-timer", now, send_bye=event.response.status == 408)
        elif isinstance(event, TransactionTimedOut | TransportFailed):
            tx = event.transaction
            call = self._forget_refresh(tx) if isinstance(tx, ClientTransaction) else None
            if call is not None:
                self._end_call(call, "session-timer", now, send_bye=True)

    def _forget_refresh(self, tx: ClientTransaction) -> _Call | None:
        """The call whose refresh ``tx`` was (None: not a refresh), no longer tracked."""
        call = self._refreshes.pop(tx, None)
        if call is not None:
            call.refreshes.discard(tx)
        return call

    # ------------------------------------------------------------------ requests

    def _on_request(self, request: SipRequest, source: Address, now: float) -> None:
        event = self.layer.receive_request(request, source, now)
        if event is None:
            return
        tx = event.transaction
        if request.method == "ACK" or tx is None:
            self._on_ack(request, source, now)
            return
        try:
            self._dispatch(tx, request, now)
        except Exception:
            log.exception("internal error handling %s %s", request.method, request.call_id)
            if tx.last_response is None or tx.last_response.status < 200:
                self._respond(tx, 500, now=now)

    def _dispatch(self, tx: ServerTransaction, request: SipRequest, now: float) -> None:
        method = request.method
        if method == "INVITE":
            self._respond(tx, 100, now=now)
        if method not in KNOWN_METHODS:
            self._respond(tx, 501, now=now, headers=[self._allow()])
            return
        if method not in self.config.allowed_methods:
            self._respond(tx, 405, now=now, headers=[self._allow()])
            return
        if method == "CANCEL":
            self._on_cancel(tx, request, now)
            return
        try:
            scheme = request.request_uri.scheme
        except SipParseError as exc:
            self._respond(
                tx,
                400,
                "Bad Request-URI",
                now=now,
                headers=[self._warning(tx.source.transport, exc.message)],
            )
            return
        if scheme not in URI_SCHEMES:
            self._respond(tx, 416, now=now)
            return
        understood = {tag.lower() for tag in self.config.supported}
        unsupported = [t for t in request.headers.get_all("Require") if t.lower() not in understood]
        if unsupported:
            self._respond(tx, 420, now=now, headers=[("Unsupported", ", ".join(unsupported))])
            return
        if method in ("INVITE", "UPDATE") and not self._acceptable_body(tx, request, now):
            return
        if method in ("INVITE", "UPDATE") and not self._readable_targets(tx, request, now):
            return
        if request.to.tag is not None:
            self._in_dialog(tx, request, now)
            return
        if method == "INVITE":
            self._on_invite(tx, request, now)
        elif method == "OPTIONS":
            self._respond(tx, 200, now=now, headers=self._capabilities())
        else:
            self._respond(tx, 481, now=now)

    def _acceptable_body(self, tx: ServerTransaction, request: SipRequest, now: float) -> bool:
        """§8.2.3: a body we cannot read is a 415 listing what we accept."""
        if not _has_body(request):
            return True
        encoding = request.headers.get("Content-Encoding")
        if encoding is not None and encoding.strip().lower() not in ("", "identity"):
            self._respond(tx, 415, now=now, headers=[("Accept-Encoding", "identity")])
            return False
        ctype = request.content_type
        if ctype is not None and ctype not in self.config.accept:
            self._respond(tx, 415, now=now, headers=[("Accept", ", ".join(self.config.accept))])
            return False
        return True

    def _readable_targets(self, tx: ServerTransaction, request: SipRequest, now: float) -> bool:
        """Contact and Record-Route become our remote target and route set: a value we
        cannot parse now would break every request we send later, so it is a 400."""
        try:
            for name in ("Contact", "Record-Route"):
                for value in request.headers.get_all(name):
                    parse_uri(parse_name_addr(value).uri)
        except SipParseError as exc:
            warning = self._warning(tx.source.transport, exc.message)
            self._respond(tx, 400, f"Bad {name}", now=now, headers=[warning])
            return False
        return True

    def _negotiate_timer(
        self,
        tx: ServerTransaction,
        request: SipRequest,
        now: float,
        to_tag: str | None,
        previous: SessionTimer | None = None,
    ) -> tuple[bool, SessionTimer | None]:
        """RFC 4028 §9; answers 422/400 itself and returns (False, None) then."""
        try:
            result = negotiate(
                request,
                min_se=self.config.min_se,
                default_interval=self.config.session_expires,
                previous=previous,
            )
        except SessionTimerError as exc:
            self._respond(
                tx,
                400,
                now=now,
                to_tag=to_tag,
                headers=[self._warning(tx.source.transport, str(exc))],
            )
            return False, None
        if isinstance(result, IntervalTooSmall):
            self._respond(tx, 422, now=now, to_tag=to_tag, headers=[("Min-SE", str(result.min_se))])
            return False, None
        return True, result

    # -- INVITE -----------------------------------------------------------------------

    def _on_invite(self, tx: ServerTransaction, request: SipRequest, now: float) -> None:
        if self.dialogs.find_invite(request) is not None:
            # Same Call-ID/From tag/CSeq as a dialog we created, other branch: a merged
            # request (forked INVITE reaching us twice), §8.2.2.2.
            self._respond(tx, 482, now=now)
            return
        ok, timer = self._negotiate_timer(tx, request, now, None)
        if not ok:
            return
        ok, replaced = self._find_replaced(tx, request, now)
        if not ok:
            return
        fine, admission = self._guard(self.handler.can_accept_session, request, now)
        if not fine:
            self._respond(tx, 500, now=now)
            return
        if admission is not None:
            self._decision_response(tx, admission, now, None)
            return
        tag = self._token(8)
        dialog = Dialog.from_invite(request, tag, tx.source, local_cseq=1)
        call = _Call(dialog, tx)
        self.dialogs.add(dialog)
        self._calls[dialog.key] = call
        if self.config.answer_delay > 0:
            call.answer_at = now + self.config.answer_delay
            call.pending = (request, timer, replaced)
            self._ring(call, tx, request, now)
            self._arm(call)
            return
        self._answer_invite(call, tx, request, timer, replaced, now)

    def _dialog_headers(self, request: SipRequest, transport: str) -> list[tuple[str, str]]:
        """Contact and the copied Record-Route of a response that creates a dialog
        (§12.1.1), provisional or final."""
        headers = [("Contact", self._contact(request, transport))]
        return headers + [("Record-Route", rr) for rr in request.headers.raw_values("Record-Route")]

    def _ring(self, call: _Call, tx: ServerTransaction, request: SipRequest, now: float) -> None:
        """180 while ``answer_delay`` runs; reliable (RSeq, resent until PRACK) when the
        INVITE requires 100rel (RFC 3262 §3)."""
        headers = self._dialog_headers(request, tx.source.transport)
        reliable = _requires(request, "100rel")
        if reliable:
            call.rseq = int(self._token(4), 16) % MAX_RSEQ + 1
            headers += [("Require", "100rel"), ("RSeq", str(call.rseq))]
        response = self._respond(tx, 180, now=now, to_tag=call.dialog.local_tag, headers=headers)
        if reliable and response is not None and tx.last_bytes is not None:
            call.provisional = Retransmission.start(
                tx.last_bytes, tx.response_dest, self.config.timers, now, capped=False
            )

    def _answer_pending(self, call: _Call, now: float) -> None:
        """Answer the INVITE that waited out ``answer_delay`` (and its PRACK)."""
        pending, call.pending = call.pending, None
        tx = call.invite_tx
        if pending is not None and tx is not None and tx.state is State.PROCEEDING:
            request, timer, replaced = pending
            self._answer_invite(call, tx, request, timer, replaced, now)

    def _answer_invite(
        self,
        call: _Call,
        tx: ServerTransaction,
        request: SipRequest,
        timer: SessionTimer | None,
        replaced: _Call | None,
        now: float,
    ) -> None:
        """Ask the handler and send the final response to a new INVITE."""
        dialog = call.dialog
        tag = dialog.local_tag
        fine, decision = self._guard(self.handler.on_invite, dialog.ref, request, now)
        if not fine or decision is None or not 200 <= decision.status <= 699:
            self._respond(tx, 500, now=now, to_tag=tag)
            self._drop_call(call)
            dialog.handle(DialogInput.SEND_ERROR)
            self._guard(self.handler.on_terminated, dialog.ref, "error", now)
            return
        if decision.status >= 300:
            self._decision_response(tx, decision, now, tag)
            dialog.handle(DialogInput.SEND_ERROR)
            self._drop_call(call)
            return
        self._send_2xx(call, tx, request, decision, timer, now)
        if replaced is not None and call.dialog.state is DialogState.CONFIRMED:
            # RFC 3891 §3: the new dialog takes over; the old one ends with a BYE.
            self._end_call(replaced, "replaced", now, send_bye=True)

    def _find_replaced(
        self, tx: ServerTransaction, request: SipRequest, now: float
    ) -> tuple[bool, _Call | None]:
        """RFC 3891: the dialog a ``Replaces`` header names (to-tag is our tag).  No such
        dialog is 481, ``early-only`` against a confirmed one 486; answers those itself."""
        raw = request.headers.get("Replaces")
        if raw is None or "replaces" not in {t.lower() for t in self.config.supported}:
            return True, None
        call_id, _, ptext = raw.partition(";")
        params = parse_params(ptext)
        to_tag = get_param(params, "to-tag")
        from_tag = get_param(params, "from-tag")
        if not call_id.strip() or to_tag is None or from_tag is None:
            warning = self._warning(tx.source.transport, f"Malformed Replaces header {raw!r}")
            self._respond(tx, 400, "Bad Replaces", now=now, headers=[warning])
            return False, None
        call = self._calls.get((call_id.strip(), to_tag, from_tag))
        if call is None:
            self._respond(tx, 481, now=now)
            return False, None
        early_only = any(key.lower() == "early-only" for key in params)
        if early_only and call.dialog.state is DialogState.CONFIRMED:
            self._respond(tx, 486, now=now)
            return False, None
        return True, call

    def _send_2xx(
        self,
        call: _Call,
        tx: ServerTransaction,
        request: SipRequest,
        decision: Decision,
        timer: SessionTimer | None,
        now: float,
    ) -> None:
        """2xx to an (re-)INVITE: Contact, capabilities, Record-Route, session timer; then
        retransmit it until the ACK comes (§13.3.1.4)."""
        headers = self._dialog_headers(request, tx.source.transport)
        headers += [self._allow(), ("Supported", ", ".join(self.config.supported))]
        headers += [("Accept", ", ".join(self.config.accept))]
        if timer is not None:
            headers += timer.response_headers()
        headers += decision.headers
        sdp = decision.sdp
        response = self._respond(
            tx,
            decision.status,
            decision.reason,
            now=now,
            to_tag=call.dialog.local_tag,
            headers=headers,
            body=sdp or b"",
            content_type="application/sdp" if sdp else None,
        )
        if response is None:
            return
        call.dialog.handle(DialogInput.SEND_2XX)
        call.invite_tx = tx
        call.awaiting_ack_cseq = request.cseq.number
        if tx.last_bytes is not None:
            call.ok = Retransmission.start(
                tx.last_bytes, tx.response_dest, self.config.timers, now, capped=True
            )
        call.offer_outstanding = not _has_sdp(request) and bool(sdp)
        self._start_timer(call, timer, now)

    def _start_timer(self, call: _Call, timer: SessionTimer | None, now: float) -> None:
        call.timer = timer
        if timer is None:
            call.timer_at = None
        elif timer.refresher == "uac":
            call.timer_at = timer.expiry_deadline(now)
        else:
            call.timer_at = timer.refresh_deadline(now)
        self._arm(call)

    # -- ACK / CANCEL / BYE ---------------------------------------------------------------

    def _on_ack(self, request: SipRequest, source: Address, now: float) -> None:
        dialog = self.dialogs.find(request)
        call = self._calls.get(dialog.key) if dialog is not None else None
        if call is None or call.awaiting_ack_cseq != request.cseq.number:
            return  # stray or retransmitted ACK: nothing to do (§17.2.3, §13.3.2.4)
        call.awaiting_ack_cseq = None
        call.ok = None
        self._arm(call)
        call.offer_outstanding = False
        call.dialog.handle(DialogInput.RECV_ACK)
        if is_reliable(source.transport):
            call.dialog.source = source
        self._guard(self.handler.on_ack, call.dialog.ref, request, now)

    def _on_cancel(self, tx: ServerTransaction, request: SipRequest, now: float) -> None:
        """§9.2: 200 to the CANCEL; 487 to the INVITE if it still has no final answer."""
        invite = self.layer.find_invite_for_cancel(request)
        if invite is None:
            self._respond(tx, 481, now=now)
            return
        call = self._call_of(invite)
        tag = call.dialog.local_tag if call is not None else None
        self._respond(tx, 200, now=now, to_tag=tag)
        if invite.state is not State.PROCEEDING:
            return
        self._respond(invite, 487, now=now, to_tag=tag)
        if call is not None:
            call.dialog.handle(DialogInput.RECV_CANCEL)
            self._drop_call(call)
            self._guard(self.handler.on_terminated, call.dialog.ref, "cancel", now)

    def _call_of(self, invite: ServerTransaction) -> _Call | None:
        """The call whose current INVITE transaction is ``invite``, found by its dialog."""
        request = invite.request
        if request.to.tag is None:
            dialog = self.dialogs.find_invite(request)
        else:
            dialog = self.dialogs.find(request)
        call = self._calls.get(dialog.key) if dialog is not None else None
        return call if call is not None and call.invite_tx is invite else None

    # -- in-dialog --------------------------------------------------------------------------

    def _in_dialog(self, tx: ServerTransaction, request: SipRequest, now: float) -> None:
        dialog = self.dialogs.find(request)
        call = self._calls.get(dialog.key) if dialog is not None else None
        if call is None or dialog is None:
            self._respond(tx, 481, now=now)
            return
        if not dialog.check_cseq(request):
            self._respond(tx, 500, "Out of order CSeq", now=now, headers=[("Retry-After", "1")])
            return
        if is_reliable(tx.source.transport):
            dialog.source = tx.source
        method = request.method
        if method == "BYE":
            self._on_bye(call, tx, now)
            return
        dialog.handle(DialogInput.RECV_REQUEST)
        if method == "INVITE":
            self._on_reinvite(call, tx, request, now)
        elif method == "UPDATE":
            self._on_update(call, tx, request, now)
        elif method == "INFO":
            fine, decision = self._guard(self.handler.on_info, dialog.ref, request, now)
            if not fine or decision is None:
                self._respond(tx, 500, now=now)
            elif 200 <= decision.status < 300:
                self._respond(
                    tx, decision.status, decision.reason, now=now, headers=list(decision.headers)
                )
            else:
                self._decision_response(tx, decision, now, None)
        elif method == "OPTIONS":
            self._respond(tx, 200, now=now, headers=self._capabilities())
        else:
            self._on_prack(call, tx, request, now)

    def _on_prack(
        self, call: _Call, tx: ServerTransaction, request: SipRequest, now: float
    ) -> None:
        """RFC 3262 §3: a PRACK whose RAck names our unacknowledged reliable 180 stops its
        retransmission, gets 200, and frees a final answer that waited for it; any other
        PRACK is a 481."""
        try:
            rack = parse_rack(request.headers.get("RAck") or "")
        except SipParseError as exc:
            warning = self._warning(tx.source.transport, exc.message)
            self._respond(tx, exc.status, exc.reason, now=now, headers=[warning])
            return
        expected = (call.rseq, call.dialog.invite_cseq, "INVITE")
        if call.provisional is None or rack != expected:
            self._respond(tx, 481, "No Matching Reliable Provisional", now=now)
            return
        call.provisional = None
        self._respond(tx, 200, now=now)
        if call.answer_at is None and call.pending is not None:
            self._answer_pending(call, now)
        self._arm(call)

    def _on_bye(self, call: _Call, tx: ServerTransaction, now: float) -> None:
        self._respond(tx, 200, now=now)
        invite = call.invite_tx
        if invite is not None and invite.state is State.PROCEEDING:
            self._respond(invite, 487, now=now, to_tag=call.dialog.local_tag)
        try:
            call.dialog.handle(DialogInput.RECV_BYE)
        except DialogError as exc:
            log.info("%s", exc)
        self._drop_call(call)
        self._guard(self.handler.on_terminated, call.dialog.ref, "bye", now)

    def _on_reinvite(
        self, call: _Call, tx: ServerTransaction, request: SipRequest, now: float
    ) -> None:
        """Target refresh + new offer; 491 while an earlier INVITE still waits for its
        ACK (RFC 3261 §14.2: one INVITE at a time per dialog)."""
        glare = call.awaiting_ack_cseq is not None
        ok, timer = self._begin_refresh(call, tx, request, now, glare=glare)
        if not ok:
            return
        decision = self._reoffer(call, tx, request, now)
        if decision is not None:
            self._send_2xx(call, tx, request, decision, timer, now)

    def _begin_refresh(
        self, call: _Call, tx: ServerTransaction, request: SipRequest, now: float, *, glare: bool
    ) -> tuple[bool, SessionTimer | None]:
        """What a re-INVITE and an UPDATE do first: 491 on ``glare``, session-timer
        negotiation (answered itself when it fails), target refresh; (False, None) when
        the request has been answered."""
        if glare:
            self._respond(tx, 491, now=now, headers=[("Retry-After", "1")])
            return False, None
        ok, timer = self._negotiate_timer(tx, request, now, None, call.timer)
        if ok:
            call.dialog.refresh_target(request)
        return ok, timer

    def _reoffer(
        self, call: _Call, tx: ServerTransaction, request: SipRequest, now: float
    ) -> Decision | None:
        """``handler.on_reoffer`` for a re-INVITE or UPDATE: its 2xx Decision, or None
        once a crash or bad status (500) or an error Decision has been answered."""
        fine, decision = self._guard(self.handler.on_reoffer, call.dialog.ref, request, now)
        if not fine or decision is None or not 200 <= decision.status <= 699:
            self._respond(tx, 500, now=now)
            return None
        if decision.status >= 300:
            self._decision_response(tx, decision, now, None)
            return None
        return decision

    def _on_update(
        self, call: _Call, tx: ServerTransaction, request: SipRequest, now: float
    ) -> None:
        """RFC 3311: a new offer, a metadata update, or a bare session refresh; 491 when
        it offers while an offer of ours is still unanswered (§5.2)."""
        has_offer = _has_sdp(request)
        glare = has_offer and call.offer_outstanding
        ok, timer = self._begin_refresh(call, tx, request, now, glare=glare)
        if not ok:
            return
        sdp: bytes | None = None
        extra: list[tuple[str, str]] = []
        if _has_body(request):
            decision = self._reoffer(call, tx, request, now)
            if decision is None:
                return
            sdp = decision.sdp if has_offer else None  # no offer, no answer (RFC 3311 §5.1)
            extra = list(decision.headers)
        headers = [("Contact", self._contact(request, tx.source.transport))]
        if timer is not None:
            headers += timer.response_headers()
        headers += extra
        self._respond(
            tx,
            200,
            now=now,
            headers=headers,
            body=sdp or b"",
            content_type="application/sdp" if sdp else None,
        )
        self._start_timer(call, timer, now)

    # ------------------------------------------------------------------ our requests & timers

    def _call_timers(self, call: _Call, now: float) -> None:
        if call.answer_at is not None and call.answer_at <= now:
            call.answer_at = None
            if call.provisional is None:  # else the PRACK answers (RFC 3262 §3)
                self._answer_pending(call, now)
                return
        if call.provisional is not None and call.provisional.expired(now):
            self._prack_timeout(call, now)
            return
        if call.ok is not None and call.ok.expired(now):
            log.info("no ACK for the 2xx of %s: ending the call", call.dialog.call_id)
            self._end_call(call, "ack-timeout", now, send_bye=True)
            return
        for resend in (call.provisional, call.ok):
            if resend is not None and resend.due(now):
                self.layer.send_raw(resend.data, resend.dest)
                resend.advance(now)
        if call.timer_at is not None and call.timer_at <= now and call.timer is not None:
            if call.timer.refresher == "uac":
                log.info("session timer of %s expired", call.dialog.call_id)
                self._end_call(call, "session-timer", now, send_bye=True)
            else:
                self._send_refresh(call, now)

    def _prack_timeout(self, call: _Call, now: float) -> None:
        """No PRACK within 64*T1: the UAS SHOULD reject the INVITE with a 5xx (RFC 3262
        §3); the early dialog ends."""
        log.info("no PRACK for the reliable 180 of %s: rejecting it", call.dialog.call_id)
        call.provisional = None
        tx = call.invite_tx
        if tx is not None and tx.state is State.PROCEEDING:
            warning = self._warning(tx.source.transport, "no PRACK for the reliable 180")
            self._respond(
                tx,
                500,
                "Reliable Provisional Not Acknowledged",
                now=now,
                to_tag=call.dialog.local_tag,
                headers=[warning],
            )
            call.dialog.handle(DialogInput.SEND_ERROR)
        self._drop_call(call)
        self._guard(self.handler.on_terminated, call.dialog.ref, "prack-timeout", now)

    def _send_refresh(self, call: _Call, now: float) -> None:
        """We are the refresher (UAC without timer support): a bodiless UPDATE (§7.4)."""
        assert call.timer is not None
        extra = [
            ("Session-Expires", f"{call.timer.interval};refresher=uas"),
            ("Supported", "timer"),
            ("User-Agent", self.config.user_agent),
        ]
        tx = self._send_in_dialog(call, "UPDATE", now, extra)
        self._refreshes[tx] = call
        call.refreshes.add(tx)
        call.timer_at = call.timer.refresh_deadline(now)

    def _send_in_dialog(
        self, call: _Call, method: str, now: float, extra: list[tuple[str, str]]
    ) -> ClientTransaction:
        dialog = call.dialog
        source = dialog.source
        if is_reliable(source.transport):
            dest = source
            transport = source.transport
        else:
            hop = dialog.next_hop()
            transport = (hop.transport or source.transport).lower()
            if hop.scheme == "sips" and transport not in ("tls", "wss"):
                transport = "tls"
            port = hop.port or default_port(transport)
            maddr = get_param(hop.params, "maddr")
            dest = Address(transport, maddr or hop.host, port, None)
        request = dialog.create_request(method, self._via(transport), extra)
        if method == "UPDATE":
            request.headers.add("Contact", self._contact_for(dialog, transport))
        return self.layer.send_request(request, dest, now)

    def _contact_for(self, dialog: Dialog, transport: str) -> str:
        host, port = self.config.host_port(transport)
        param = "" if transport.lower() == "udp" else f";transport={transport.lower()}"
        return f"<{'sips' if dialog.secure else 'sip'}:{format_host(host)}:{port}{param}>"

    def _end_call(self, call: _Call, reason: str, now: float, *, send_bye: bool) -> None:
        if call.dialog.key not in self._calls:
            return
        if send_bye and call.dialog.state is DialogState.CONFIRMED:
            self._send_in_dialog(call, "BYE", now, [("User-Agent", self.config.user_agent)])
            call.dialog.handle(DialogInput.SEND_BYE)
        self._drop_call(call)
        self._guard(self.handler.on_terminated, call.dialog.ref, reason, now)

    def _drop_call(self, call: _Call) -> None:
        self._calls.pop(call.dialog.key, None)
        self._timers.cancel(call)
        self.dialogs.remove(call.dialog)
        for tx in call.refreshes:
            self._refreshes.pop(tx, None)
        call.refreshes.clear()
