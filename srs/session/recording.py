"""The SIPREC recording layer: ``Recorder`` (the endpoint's ``CallHandler``) and one
``RecordingSession`` per dialog.

Both are sans-IO and clock-free: the endpoint calls them with ``now`` and they queue
``MediaEvent`` values that the I/O layer drains with ``Recorder.take_events()``.  Which
request is allowed when is decided by the table in ``srs.session.state``; what to answer
by ``srs.sdp.answer.Negotiator``; who is speaking by ``srs.session.metadata_link``.

Dialogs that a plugin classified as legs of one group (Cisco BIB forks) are recorded into
one recording (``srs.session.group``); the group's end may wait for a missing leg, which
is why the Recorder has ``get_timer()``/``handle_timer(now)`` like the SIP endpoint.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from srs.metadata.facts import CallFacts
from srs.metadata.headers import facts_from_headers
from srs.metadata.identity import parse_name_addr, uri_user
from srs.plugins.classification import CallClassification
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
from srs.session.facts import call_facts_from_json
from srs.session.group import GroupBook, GroupConflict, Leg, RecordingGroup
from srs.session.metadata_link import MetadataLink, ParticipantInfo
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
from srs.session.streams import LegPlacement, StreamBook
from srs.sip.handler import Decision, DialogRef

if TYPE_CHECKING:
    from srs.sip.message import SipRequest

__all__ = ["Classifier", "FactsEnricher", "Recorder", "RecorderConfig", "RecordingSession"]

log = logging.getLogger("srs.session")

Classifier = Callable[["SipRequest", float], CallClassification | None]
"""``srs_classify_call`` as the Recorder sees it: (INVITE, now) -> classification or None."""
FactsEnricher = Callable[[CallFacts, Mapping[str, Any]], CallFacts]
"""``srs_enrich_call_facts`` as the Recorder sees it: (facts, snapshot) -> facts to store."""

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
        leg: LegPlacement | None = None,
    ) -> None:
        self.recording_id = recording_id
        self.dialog = dialog
        self.state = SessionState.IDLE
        self.siprec = False
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.end_reason: str | None = None
        self.headers: dict[str, str] = {}
        #: facts() for the metadata rendering it was computed from (the headers are set
        #: once, by the initial INVITE, before any metadata is applied)
        self._facts: tuple[dict[str, Any] | None, CallFacts] | None = None
        self.notes: list[dict[str, object]] = []  # protocol oddities worth keeping
        self._negotiator = negotiator
        self._link = link
        self._config = config
        self._multipart = multipart
        self._emit = emit
        self._book = StreamBook(recording_id, link, leg)
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
        self._facts = None
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

    def facts(self) -> CallFacts:
        """The metadata's facts with the ids the INVITE's headers carry (Call-ID, Cisco-Guid,
        X-Acme-Call-ID, the UCID in User-to-User …)."""
        rendered = self._link.facts_json()
        if self._facts is not None and self._facts[0] is rendered:
            return self._facts[1]  # neither metadata nor headers changed since
        facts = call_facts_from_json(rendered)
        if self.headers:
            facts = facts.merged(facts_from_headers(self.headers))
        self._facts = (rendered, facts)
        return facts

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
            "facts": self.facts().to_json(),
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
    """``CallHandler`` for the SIP endpoint: one ``RecordingSession`` per dialog.

    ``classify`` (the server passes ``srs_classify_call``) may put a dialog into a group;
    the legs of a group share one recording id, and the group's recording ends when its
    legs ended and either every expected leg came or the wait ran out (``handle_timer``).
    ``enrich_facts`` (``srs_enrich_call_facts``) runs on every snapshot's facts.
    ``overloaded`` (the server's loop-lag monitor) names a reason to refuse new sessions.
    """

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
        classify: Classifier | None = None,
        enrich_facts: FactsEnricher | None = None,
        overloaded: Callable[[], str | None] | None = None,
    ) -> None:
        self._ports = ports
        self._overloaded = overloaded
        self._codecs = tuple(codecs)
        self.config = config or RecorderConfig()
        self._new_id = new_id
        self._random_bytes = random_bytes
        self._multipart = multipart
        self._metadata = metadata
        self._classify = classify
        self._enrich_facts = enrich_facts
        self._sessions: dict[str, RecordingSession] = {}
        self._events: list[MediaEvent] = []
        self.groups = GroupBook()

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

    def get_timer(self) -> float | None:
        """When a group waiting for a missing leg must be ended (``None``: no such group)."""
        return self.groups.get_timer()

    def handle_timer(self, now: float) -> None:
        """End the groups whose wait for a missing leg is over."""
        for group in self.groups.due(now):
            self._end_group(group, now)

    # -- CallHandler -----------------------------------------------------------------
    def can_accept_session(self, request: SipRequest, now: float) -> Decision | None:
        limit = self.config.max_sessions
        if limit is not None and len(self._sessions) >= limit:
            return Decision(
                503,
                warning=f"session limit reached (max_sessions={limit})",
                headers=[("Retry-After", str(self.config.retry_after))],
            )
        reason = self._overloaded() if self._overloaded is not None else None
        if reason is not None:  # the calls being recorded come first (srs.overload)
            return Decision(
                503, warning=reason, headers=[("Retry-After", str(self.config.retry_after))]
            )
        return None

    def on_invite(self, dialog: DialogRef, request: SipRequest, now: float) -> Decision:
        if dialog.key in self._sessions:
            return _warning(500, "the dialog already has a recording session")
        refused = self.can_accept_session(request, now)
        if refused is not None:
            return refused
        classification = self._classification(request, now)
        group: RecordingGroup | None = None
        created = False
        if classification is not None:
            group = self.groups.get(classification.group_id)
            if group is None:
                group = self.groups.create(classification, self._new_id(), now)
                created = True
            else:
                try:
                    group.check(classification)
                except GroupConflict as exc:
                    log.warning("%s", exc)
                    group = classification = None
        recording_id = group.recording_id if group is not None else self._new_id()
        negotiator = Negotiator(
            self._ports,
            address=self.config.media_address,
            session_id=_session_id(recording_id if group is None else dialog.key),
            codecs=self._codecs,
            record_video=self.config.record_video,
            username=self.config.sdp_username,
            random_bytes=self._random_bytes,
        )
        cell: list[RecordingSession] = []
        placement: LegPlacement | None = None
        if group is not None and classification is not None:
            placement = LegPlacement(
                classification.leg,
                classification.channel,
                _leg_sender(classification, request),
            )
            emit: Callable[[MediaEvent], None] = lambda event: self._leg_event(  # noqa: E731
                group, cell[0], event
            )
        else:
            emit = self._ordinary_event
        # a refused INVITE emits nothing (every refusal returns before the first event)
        session = RecordingSession(
            recording_id,
            dialog,
            negotiator,
            self._metadata(),
            self.config,
            self._multipart or default_multipart_parser(),
            emit,
            placement,
        )
        cell.append(session)
        leg: Leg | None = None
        if group is not None and classification is not None:
            leg = Leg(
                classification.leg,
                classification.channel,
                dialog.call_id,
                now,
                session,
                facts=dict(classification.facts),
            )
            group.legs.append(leg)
        decision = session.invite(request, now)
        if decision.status == 200:
            self._sessions[dialog.key] = session
        elif group is not None and leg is not None:
            group.legs.remove(leg)
            if created:
                self.groups.forget(group)
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

    # -- classification and groups ---------------------------------------------------
    def _classification(self, request: SipRequest, now: float) -> CallClassification | None:
        """The plugin's word on this INVITE; a failing plugin never fails the call."""
        if self._classify is None:
            return None
        try:
            found = self._classify(request, now)
        except Exception:
            log.exception("srs_classify_call failed; recording the call as an ordinary one")
            return None
        if found is not None and not isinstance(found, CallClassification):
            log.warning(
                "srs_classify_call returned %r, not a CallClassification; ignoring it",
                type(found).__name__,
            )
            return None
        return found

    def _ordinary_event(self, event: MediaEvent) -> None:
        if isinstance(event, SessionSnapshot):
            event = SessionSnapshot(event.recording_id, self._enriched(dict(event.data), None))
        self._events.append(event)

    def _leg_event(
        self, group: RecordingGroup, session: RecordingSession, event: MediaEvent
    ) -> None:
        """A leg's events: streams pass through; snapshots become the group's; the leg's end
        ends the recording only when the group may end."""
        if isinstance(event, SessionSnapshot):
            if session.ended_at is None:  # a leg's last snapshot: see RecordingEnded below
                self._emit_group_snapshot(group)
        elif isinstance(event, RecordingEnded):
            leg = next(leg for leg in group.legs if leg.session is session)
            leg.ended_at = event.now
            leg.end_reason = event.reason
            group.end_reason = event.reason
            if group.may_end(event.now):
                self._end_group(group, event.now)
            else:
                self._emit_group_snapshot(group)
        else:
            self._events.append(event)

    def _end_group(self, group: RecordingGroup, now: float) -> None:
        group.ended_at = now
        self.groups.forget(group)
        self._emit_group_snapshot(group)
        self._events.append(RecordingEnded(group.recording_id, group.end_reason or "bye", now))

    def _emit_group_snapshot(self, group: RecordingGroup) -> None:
        self._events.append(SessionSnapshot(group.recording_id, self.group_snapshot(group)))

    def group_snapshot(self, group: RecordingGroup) -> dict[str, object]:
        """One ``session.json`` for the legs of a group (first leg's SIP identity)."""
        legs = [(leg, leg.session.snapshot()) for leg in group.legs]
        first = legs[0][1]
        data: dict[str, object] = dict(first)
        data["recording_id"] = group.recording_id
        starts = [float(v) for _, s in legs if isinstance(v := s.get("started_at"), int | float)]
        data["started_at"] = min(starts, default=group.created_at)
        data["ended_at"] = group.ended_at
        data["end_reason"] = group.end_reason if group.ended_at is not None else None
        live = [s for leg, s in legs if leg.live]
        data["state"] = (
            "terminated" if group.ended_at is not None else (live or [first])[0]["state"]
        )
        data["siprec"] = any(bool(s.get("siprec")) for _, s in legs)
        data["metadata"] = [m for _, s in legs for m in _list(s.get("metadata"))]
        data["metadata_error"] = any(bool(s.get("metadata_error")) for _, s in legs)
        # a leg that rejoins under the same name appends to the same spool: list it once
        by_key = {st.get("key"): st for _, s in legs for st in _list(s.get("streams"))}
        data["streams"] = list(by_key.values())
        data["events"] = sorted(
            (e for _, s in legs for e in _list(s.get("events"))),
            key=lambda e: float(e.get("at") or 0.0) if isinstance(e, dict) else 0.0,
        )
        data["notes"] = [n for _, s in legs for n in _list(s.get("notes"))]
        data["participants"] = _group_participants(legs)
        data["mapping_confidence"] = next(
            (s["mapping_confidence"] for _, s in legs if s.get("mapping_confidence")), None
        )
        data["group"] = group.to_json()
        data["facts"] = _group_facts(group, legs).to_json()
        return self._enriched(data, None)

    def _enriched(self, data: dict[str, object], facts: CallFacts | None) -> dict[str, object]:
        """Run ``enrich_facts`` over the snapshot's facts; a failing hook changes nothing."""
        if self._enrich_facts is None:
            return data
        base = facts or call_facts_from_json(_dict(data.get("facts")))
        try:
            data["facts"] = self._enrich_facts(base, data).to_json()
        except Exception:
            log.exception("srs_enrich_call_facts failed; storing the facts as they were")
        return data


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: object) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _leg_sender(classification: CallClassification, request: SipRequest) -> ParticipantInfo | None:
    """Who a leg carries when it has no metadata: ``<plugin>.<leg>_number`` (and ``_name``)
    from the classification's facts; the From display name when From's user is that number
    (a CUCM near-end fork's From names the recorded phone)."""
    prefix = f"{classification.plugin}.{classification.leg}" if classification.plugin else None
    facts = classification.facts
    number = facts.get(f"{prefix}_number") if prefix else None
    if not number:
        return None
    name = facts.get(f"{prefix}_name") if prefix else None
    if name is None:
        display, uri = parse_name_addr(request.headers.get("From") or "")
        if display and uri and uri_user(uri) == number:
            name = display
    return ParticipantInfo(classification.leg, name, number)


def _group_participants(legs: list[tuple[Leg, dict[str, Any]]]) -> list[dict[str, object]]:
    seen: dict[str, dict[str, object]] = {}
    for _, snap in legs:
        for item in _list(snap.get("participants")):
            if isinstance(item, dict) and item.get("participant_id"):
                seen.setdefault(str(item["participant_id"]), dict(item))
    for _, snap in legs:  # senders named by the leg (no metadata)
        for stream in _list(snap.get("streams")):
            pid = stream.get("participant_id") if isinstance(stream, dict) else None
            if pid and str(pid) not in seen:
                seen[str(pid)] = {
                    "participant_id": pid,
                    "name": stream.get("participant_name"),
                    "aor": stream.get("participant_aor"),
                    "number": stream.get("participant_aor"),
                }
    return list(seen.values())


def _group_facts(group: RecordingGroup, legs: list[tuple[Leg, dict[str, Any]]]) -> CallFacts:
    """Every leg's facts (the lowest channel wins), the plugin's facts, the group's ids."""
    facts = CallFacts()
    per_leg: list[tuple[str, str, str]] = []
    for leg, snap in sorted(legs, key=lambda pair: -pair[0].channel):
        own = call_facts_from_json(_dict(snap.get("facts")))
        facts = facts.merged(own)
        facts.attributes.update(leg.facts)
        per_leg += [(f"{kind}.{leg.name}", kind, value) for kind, value in own.vendor_ids.items()]
    for leg_kind, kind, value in per_leg:  # every leg's ids stay searchable
        if facts.vendor_ids.get(kind) != value:
            facts.vendor_ids[leg_kind] = value
    for leg in group.legs:
        facts.vendor_ids[f"sip_call_id.{leg.name}"] = leg.sip_call_id
    facts.vendor_ids["sip_call_id"] = group.legs[0].sip_call_id
    facts.vendor_ids["group_call_id"] = group.call_id
    facts.vendor_ids["group_id"] = group.group_id
    facts.attributes.update(
        {
            "group.id": group.group_id,
            "group.call_id": group.call_id,
            "group.segment": str(group.segment),
            "group.legs": ",".join(leg.name for leg in group.legs),
            "group.incomplete": "true" if group.incomplete else "false",
        }
    )
    if group.plugin:
        facts.attributes["group.plugin"] = group.plugin
    return facts


def _session_id(recording_id: str) -> int:
    """A stable o= session id derived from the recording id (fits in 63 bits)."""
    return int.from_bytes(hashlib.sha256(recording_id.encode()).digest()[:8], "big") >> 1
