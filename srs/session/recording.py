"""The SIPREC recording layer: ``Recorder`` (the endpoint's ``CallHandler``) and one
``RecordingSession`` per dialog.

Both are sans-IO and clock-free: the endpoint calls them with ``now`` and they queue
``MediaEvent`` values that the I/O layer drains with ``Recorder.take_events()``.  Which
request is allowed when is decided by the table in ``srs.session.state``; what to answer
by ``srs.sdp.answer.Negotiator``; who is speaking by ``srs.session.metadata_link``.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from srs.sdp.answer import (
    DEFAULT_CODECS,
    Negotiation,
    NegotiationError,
    Negotiator,
    NotAcceptable,
    PortsExhausted,
)
from srs.sdp.description import SdpError, SessionDescription
from srs.session.body import (
    ACCEPT,
    MultipartParser,
    SplitBody,
    UnsupportedBody,
    default_multipart_parser,
    is_siprec,
    split_body,
)
from srs.session.metadata_link import MetadataLink
from srs.session.plan import (
    CodecSpec,
    MediaEvent,
    PortAllocator,
    RecordingEnded,
    SessionSnapshot,
)
from srs.session.state import (
    Action,
    SessionInput,
    SessionState,
    SessionStateError,
    transition,
)
from srs.session.streams import StreamBook
from srs.sip.handler import Decision, DialogRef

if TYPE_CHECKING:
    from srs.sip.message import SipRequest

__all__ = ["Recorder", "RecorderConfig", "RecordingSession"]

_HEADERS_OF_INTEREST = (
    "From",
    "To",
    "Call-ID",
    "Session-ID",
    "Cisco-Guid",
    "Cisco-Gucid",
    "User-to-User",
    "P-Asserted-Identity",
)
_VENDOR_HEADER = re.compile(r"^x-", re.IGNORECASE)


@dataclass(frozen=True)
class RecorderConfig:
    """Recording-layer settings (the names appear in Warning texts when they refuse a call)."""

    media_address: str = "127.0.0.1"
    record_video: bool = False
    max_sessions: int | None = None
    accept_non_siprec: bool = True
    retry_after: int = 5
    delayed_offer_streams: int = 1  # INVITE without SDP from a plain trunk
    delayed_offer_streams_siprec: int = 2  # … from an SRC (one per direction)
    sdp_username: str = "srs"


def _uuid_hex() -> str:
    return uuid.uuid4().hex


def _warning(status: int, text: str, reason: str | None = None) -> Decision:
    return Decision(status=status, reason=reason, warning=text)


class RecordingSession:
    """One dialog's recording: offer/answer, metadata versions, streams and snapshot."""

    def __init__(
        self,
        recording_id: str,
        dialog: DialogRef,
        negotiator: Negotiator,
        link: MetadataLink,
        config: RecorderConfig,
        multipart: MultipartParser,
        emit: Callable[[MediaEvent], None],
    ) -> None:
        self.recording_id = recording_id
        self.dialog = dialog
        self.state = SessionState.IDLE
        self.siprec = False
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.end_reason: str | None = None
        self.headers: dict[str, str] = {}
        self.notes: list[dict[str, object]] = []  # protocol oddities worth keeping
        self._negotiator = negotiator
        self._link = link
        self._config = config
        self._multipart = multipart
        self._emit = emit
        self._book = StreamBook(recording_id, link)
        self._remote_sdp: str | None = None

    # -- inputs ----------------------------------------------------------------------
    def invite(self, request: SipRequest, now: float) -> Decision:
        """The dialog-creating INVITE."""
        try:
            split = self._split(request)
        except UnsupportedBody as exc:
            return Decision(415, warning=str(exc), headers=[("Accept", ACCEPT)])
        self.siprec = is_siprec(request.headers, split)
        if not self.siprec and not self._config.accept_non_siprec:
            return _warning(403, "not a SIPREC session and accept_non_siprec is off")
        try:
            offer = self._parse_sdp(split)
        except SdpError as exc:
            return _warning(400, f"bad SDP: {exc}", "Bad SDP")
        event = SessionInput.INVITE_OFFER if offer is not None else SessionInput.INVITE_NO_OFFER
        action, next_state = transition(self.state, event)
        try:
            if action is Action.ANSWER:
                assert offer is not None
                negotiation = self._negotiator.answer(offer, initial=True)
                body = negotiation.sdp
            else:
                negotiation = None
                body = self._negotiator.build_offer(self._delayed_offer_streams())
        except PortsExhausted as exc:
            return Decision(
                503, warning=str(exc), headers=[("Retry-After", str(self._config.retry_after))]
            )
        except NotAcceptable as exc:
            return _warning(488, str(exc))
        self.started_at = now
        self.headers = _interesting_headers(request.headers)
        self._apply_metadata(split, now)
        self.state = next_state
        if negotiation is not None:
            self._remote_sdp = _text(split.sdp)
            self._emit_all(self._book.apply(negotiation.streams, now))
        self._snapshot()
        return Decision(200, sdp=body)

    def reoffer(self, request: SipRequest, now: float) -> Decision:
        """re-INVITE or UPDATE inside the dialog, with or without SDP and metadata."""
        try:
            split = self._split(request)
        except UnsupportedBody as exc:
            return Decision(415, warning=str(exc), headers=[("Accept", ACCEPT)])
        try:
            offer = self._parse_sdp(split)
        except SdpError as exc:
            return _warning(400, f"bad SDP: {exc}", "Bad SDP")
        event = _reoffer_input(request.method.upper(), offer is not None)
        try:
            action, next_state = transition(self.state, event)
        except SessionStateError as exc:
            return _warning(exc.status, exc.reason)
        negotiation: Negotiation | None = None
        body: bytes | None = None
        try:
            if action is Action.ANSWER:
                assert offer is not None
                negotiation = self._negotiator.answer(offer)
                body = negotiation.sdp
            elif action is Action.OFFER:
                body = self._negotiator.reoffer()
        except NegotiationError as exc:  # exhaustion on a re-offer is 488, not 503
            return _warning(488, str(exc))
        self._apply_metadata(split, now)
        self.state = next_state
        if negotiation is not None:
            self._remote_sdp = _text(split.sdp)
            self._emit_all(self._book.apply(negotiation.streams, now))
        elif split.metadata:
            self._emit_all(self._book.remap(now))
        self._snapshot()
        return Decision(200, sdp=body)

    def ack(self, request: SipRequest, now: float) -> None:
        """ACK for our 2xx; carries the answer when the 2xx carried our offer."""
        try:
            split = self._split(request)
        except UnsupportedBody:
            split = SplitBody()
        event = SessionInput.ACK_ANSWER if split.sdp is not None else SessionInput.ACK
        try:
            action, next_state = transition(self.state, event)
        except SessionStateError as exc:
            self._note(now, "ignored-ack", exc.reason)
            return
        if action is Action.ACCEPT_ANSWER:
            try:
                answer = self._parse_sdp(split)
                assert answer is not None
                negotiation = self._negotiator.accept_answer(answer)
            except (SdpError, NegotiationError) as exc:
                self._negotiator.cancel_offer()
                self._note(now, "bad-answer-in-ack", str(exc))
            else:
                self._remote_sdp = _text(split.sdp)
                self._emit_all(self._book.apply(negotiation.streams, now))
        elif action is Action.MISSING_ANSWER:
            self._negotiator.cancel_offer()
            self._note(now, "ack-without-answer", "our offer was not answered")
        self.state = next_state
        self._snapshot()

    def info(self, request: SipRequest, now: float) -> Decision:
        try:
            split = self._split(request)
        except UnsupportedBody:
            return Decision(200)
        try:
            transition(self.state, SessionInput.INFO)
        except SessionStateError as exc:
            return _warning(exc.status, exc.reason)
        if split.metadata:
            self._apply_metadata(split, now)
            self._emit_all(self._book.remap(now))
            self._snapshot()
        return Decision(200)

    def terminate(self, reason: str, now: float) -> None:
        try:
            _, next_state = transition(self.state, SessionInput.TERMINATE)
        except SessionStateError:
            return
        self.state = next_state
        self.ended_at = now
        self.end_reason = reason
        self._emit_all(self._book.close_all(now))
        self._negotiator.release()
        self._snapshot()
        self._emit(RecordingEnded(self.recording_id, reason, now))

    # -- helpers ---------------------------------------------------------------------
    def _split(self, request: SipRequest) -> SplitBody:
        return split_body(
            request.content_type,
            request.headers.get("Content-Type"),
            request.body,
            self._multipart,
        )

    @staticmethod
    def _parse_sdp(split: SplitBody) -> SessionDescription | None:
        return SessionDescription.parse(split.sdp) if split.sdp is not None else None

    def _delayed_offer_streams(self) -> int:
        if self.siprec:
            return self._config.delayed_offer_streams_siprec
        return self._config.delayed_offer_streams

    def _apply_metadata(self, split: SplitBody, now: float) -> None:
        for part in split.metadata:
            self._link.apply(part.raw, part.content_type, now)

    def _note(self, now: float, event: str, detail: str) -> None:
        self.notes.append({"event": event, "detail": detail, "at": now})

    def _emit_all(self, events: Sequence[MediaEvent]) -> None:
        for event in events:
            self._emit(event)

    def _snapshot(self) -> None:
        self._emit(SessionSnapshot(self.recording_id, self.snapshot()))

    def snapshot(self) -> dict[str, object]:
        """Everything finalize needs (``session.json``); JSON-serialisable."""
        book = self._book
        return {
            "recording_id": self.recording_id,
            "call_id": self.dialog.call_id,
            "local_tag": self.dialog.local_tag,
            "remote_tag": self.dialog.remote_tag,
            "state": self.state.value,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "end_reason": self.end_reason,
            "siprec": self.siprec,
            "headers": dict(self.headers),
            "metadata": [v.to_json() for v in self._link.versions],
            "metadata_error": self._link.error,
            "metadata_state": self._link.state_json(),
            "facts": self._link.facts_json(),
            "participants": [
                {"participant_id": p.participant_id, "name": p.name, "aor": p.aor}
                for p in self._link.participants()
            ],
            "streams": [record.to_json() for record in book.records.values()],
            "events": list(book.events),
            "notes": list(self.notes),
            "mapping_confidence": book.mapping_confidence,
            "sdp": {"remote": self._remote_sdp, "local": _text(self._negotiator.last_sdp)},
        }


def _reoffer_input(method: str, has_offer: bool) -> SessionInput:
    if method == "UPDATE":
        return SessionInput.UPDATE_OFFER if has_offer else SessionInput.UPDATE_NO_OFFER
    return SessionInput.REINVITE_OFFER if has_offer else SessionInput.REINVITE_NO_OFFER


def _text(data: bytes | None) -> str | None:
    return data.decode("utf-8", "replace") if data is not None else None


def _interesting_headers(headers: Any) -> dict[str, str]:
    """From/To/Call-ID/Session-ID, Cisco ids and every ``X-`` vendor header."""
    wanted = {name.lower() for name in _HEADERS_OF_INTEREST}
    out: dict[str, str] = {}
    for name, value in headers.items():
        if name.lower() in wanted or _VENDOR_HEADER.match(name):
            out[name] = f"{out[name]}, {value}" if name in out else value
    return out


class Recorder:
    """``CallHandler`` for the SIP endpoint: one ``RecordingSession`` per dialog."""

    def __init__(
        self,
        ports: PortAllocator,
        *,
        codecs: Sequence[CodecSpec] = DEFAULT_CODECS,
        config: RecorderConfig | None = None,
        new_id: Callable[[], str] = _uuid_hex,
        random_bytes: Callable[[int], bytes] = os.urandom,
        multipart: MultipartParser | None = None,
        metadata: Callable[[], MetadataLink] = MetadataLink,
    ) -> None:
        self._ports = ports
        self._codecs = tuple(codecs)
        self.config = config or RecorderConfig()
        self._new_id = new_id
        self._random_bytes = random_bytes
        self._multipart = multipart
        self._metadata = metadata
        self._sessions: dict[str, RecordingSession] = {}
        self._events: list[MediaEvent] = []

    # -- for the I/O layer -----------------------------------------------------------
    def take_events(self) -> list[MediaEvent]:
        """Drain the queued media events (in the order they happened)."""
        events = list(self._events)
        self._events.clear()  # in place: sessions hold a reference to ``append``
        return events

    @property
    def active_sessions(self) -> int:
        return len(self._sessions)

    def session(self, dialog: DialogRef) -> RecordingSession | None:
        return self._sessions.get(dialog.key)

    # -- CallHandler -----------------------------------------------------------------
    def can_accept_session(self, request: SipRequest, now: float) -> Decision | None:
        limit = self.config.max_sessions
        if limit is not None and len(self._sessions) >= limit:
            return Decision(
                503,
                warning=f"session limit reached (max_sessions={limit})",
                headers=[("Retry-After", str(self.config.retry_after))],
            )
        return None

    def on_invite(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        if dialog.key in self._sessions:
            return _warning(500, "the dialog already has a recording session")
        refused = self.can_accept_session(request, now)
        if refused is not None:
            return refused
        recording_id = self._new_id()
        negotiator = Negotiator(
            self._ports,
            address=self.config.media_address,
            session_id=_session_id(recording_id),
            codecs=self._codecs,
            record_video=self.config.record_video,
            username=self.config.sdp_username,
            random_bytes=self._random_bytes,
        )
        # a refused INVITE emits nothing (every refusal returns before the first event)
        session = RecordingSession(
            recording_id,
            dialog,
            negotiator,
            self._metadata(),
            self.config,
            self._multipart or default_multipart_parser(),
            self._events.append,
        )
        decision = session.invite(request, now)
        if decision.status == 200:
            self._sessions[dialog.key] = session
        return decision

    def on_reoffer(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        session = self._sessions.get(dialog.key)
        if session is None:
            return _warning(481, "no recording session for this dialog")
        return session.reoffer(request, now)

    def on_ack(self, dialog: DialogRef, request: SipRequest, now: float) -> None:
        session = self._sessions.get(dialog.key)
        if session is not None:
            session.ack(request, now)

    def on_info(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        session = self._sessions.get(dialog.key)
        if session is None:
            return _warning(481, "no recording session for this dialog")
        return session.info(request, now)

    def on_terminated(self, dialog: DialogRef, reason: str, now: float) -> None:
        session = self._sessions.pop(dialog.key, None)
        if session is not None:
            session.terminate(reason, now)


def _session_id(recording_id: str) -> int:
    """A stable o= session id derived from the recording id (fits in 63 bits)."""
    return int.from_bytes(hashlib.sha256(recording_id.encode()).digest()[:8], "big") >> 1
