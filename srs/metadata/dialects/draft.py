"""The pre-RFC metadata shape (draft-ietf-siprec-metadata before RFC 7865).

Oracle/Acme, AudioCodes and BroadWorks still send it: namespace without ``:1``,
``<dataMode>``, ``id=``/``session=`` attributes, and ``<aor>``, ``<name>``, ``<send>``,
``<recv>``, ``<start-time>``/``<associate-time>`` directly inside ``<participant>``, streams
with ``<mode>``.  Participants may send streams that are only declared by a later partial
update (forward references); those references are kept as they are.
"""

from __future__ import annotations

from lxml import etree

from srs.metadata.model import MetadataDocument, ParticipantSessionAssoc, ParticipantStreamAssoc
from srs.metadata.reader import ref_text, set_aor, set_name, time_of
from srs.metadata.xmlutil import DRAFT_NS, SIPREC_NS, attr, child, children, local_name, namespace

_PARTICIPANT_DRAFT_CHILDREN = ("aor", "send", "recv", "start-time", "associate-time", "name")


class DraftDialect:
    name = "draft"

    def recognise(self, root: etree._Element, raw: bytes) -> int:
        score = 0
        if namespace(root) in (DRAFT_NS, SIPREC_NS):
            score = 5
        if any(local_name(e) == "dataMode" for e in children(root, "datamode")):
            score = max(score, 5)
        for element in children(root, "participant", "stream", "session"):
            if attr(element, "participant_id", "stream_id", "session_id") is None and attr(
                element, "id"
            ):
                score = 10
            if (
                local_name(element) == "participant"
                and child(element, *_PARTICIPANT_DRAFT_CHILDREN) is not None
            ):
                score = 10
        return score

    def normalise(self, root: etree._Element, raw: bytes, doc: MetadataDocument) -> None:
        for element in children(root, "participant"):
            participant_id = attr(element, "participant_id", "id")
            participant = doc.participant(participant_id) if participant_id else None
            if participant is None:
                continue
            if participant.aor is None:
                aor = child(element, "aor")
                set_aor(participant, ref_text(aor) if aor is not None else None)
            if participant.name is None:
                set_name(participant, child(element, "name"))
            sends = [r for r in map(ref_text, children(element, "send")) if r]
            recvs = [r for r in map(ref_text, children(element, "recv")) if r]
            if sends or recvs:
                assoc = doc.stream_assoc(participant.participant_id)
                if assoc is None:
                    assoc = ParticipantStreamAssoc(participant=participant.participant_id)
                    doc.participant_stream_assocs.append(assoc)
                assoc.send.extend(r for r in sends if r not in assoc.send)
                assoc.recv.extend(r for r in recvs if r not in assoc.recv)
            session_id = attr(element, "session", "session_id")
            start = time_of(doc, child(element, "associate-time", "start-time"))
            stop = time_of(doc, child(element, "disassociate-time", "stop-time"))
            known = any(
                a.participant == participant.participant_id and a.session == session_id
                for a in doc.participant_session_assocs
            )
            if (session_id or start or stop) and not known:
                doc.participant_session_assocs.append(
                    ParticipantSessionAssoc(
                        participant=participant.participant_id,
                        session=session_id,
                        associate_time=start,
                        disassociate_time=stop,
                    )
                )
        for element in children(root, "stream"):
            stream = doc.stream(attr(element, "stream_id", "id") or "")
            if stream is None:
                continue
            stream.mode = (ref_text(child(element, "mode"))) or stream.mode
            if stream.associate_time is None:
                stream.associate_time = time_of(doc, child(element, "start-time"))
