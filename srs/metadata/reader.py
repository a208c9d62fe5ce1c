"""The generic RFC 7865 reader: one pass over ``<recording>`` filling a MetadataDocument.

It reads the RFC element and attribute names in any namespace of the recording family and
also accepts the pre-RFC attribute spellings (``id=``/``session=``) so that every dialect
starts from the same participants, sessions and streams.  Structural draft-isms (send/recv
inside participant, ``<aor>``) are left to the ``draft`` dialect.
"""

from __future__ import annotations

import re

from lxml import etree

from srs.metadata.identity import normalise_aor, phone_number, split_name, uri_user
from srs.metadata.model import (
    Group,
    MetadataDocument,
    Participant,
    ParticipantSessionAssoc,
    ParticipantStreamAssoc,
    Session,
    Stream,
)
from srs.metadata.timestamp import Timestamp, parse_time
from srs.metadata.xmlutil import (
    all_text,
    attr,
    child,
    children,
    elements,
    is_core,
    local_name,
    namespace,
    text,
    to_object,
)

_ISO_IN_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
_URI_IN_TEXT = re.compile(r"(?:sips?|tel):[^\s<>\"]+?(?=sips?:|urn:|\d{4}-\d{2}-\d{2}T|$|\s)")
_UUID_IN_TEXT = re.compile(r"urn:uuid:[0-9a-zA-Z-]{36}")

_KNOWN_ROOT_CHILDREN = {
    "datamode",
    "group",
    "session",
    "participant",
    "stream",
    "sessionrecordingassoc",
    "participantsessionassoc",
    "participantstreamassoc",
    "extensiondata",
}


def time_of(doc: MetadataDocument, element: etree._Element | None) -> Timestamp | None:
    """Parse a time element, recording zone assumptions and errors on the document."""
    value = text(element)
    if element is None or value is None:
        return None
    stamp = parse_time(value)
    if stamp.error:
        doc.errors.append(f"<{local_name(element)}>: {stamp.error}")
    elif stamp.zone_assumed:
        message = f"<{local_name(element)}> {value!r} has no zone; read as UTC"
        if message not in doc.warnings:
            doc.warnings.append(message)
    return stamp


# Core-namespace element names that RFC 7865 or the drafts define inside an object; any
# other child (namespaced or not: Metaswitch sends un-namespaced ones) is an extension.
_STANDARD_CHILDREN = {
    "associate-time",
    "disassociate-time",
    "start-time",
    "stop-time",
    "sipsessionid",
    "group-ref",
    "nameid",
    "aor",
    "name",
    "send",
    "recv",
    "label",
    "mode",
    "content-type",
}


def collect_extensions(element: etree._Element, into: dict[str, object]) -> None:
    """Extension children (and the children of ``<extensiondata>``) keyed by local name."""
    for kid in elements(element):
        name = local_name(kid).lower()
        if name == "extensiondata":
            collect_extensions(kid, into)
        elif not is_core(kid) or name not in _STANDARD_CHILDREN:
            add_extension(kid, into)


def add_extension(element: etree._Element, into: dict[str, object]) -> None:
    """Store one extension element under its local name (a list when repeated)."""
    key = local_name(element)
    value = to_object(element)
    if isinstance(value, dict):
        value.setdefault("@ns", namespace(element))
    if key in into:
        existing = into[key]
        into[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
    else:
        into[key] = value


def ref_text(element: etree._Element | None) -> str | None:
    """Ids are compared exactly, but surrounding whitespace is formatting, not content."""
    value = text(element)
    return "".join(value.split()) if value else None


def make_participant(participant_id: str) -> Participant:
    return Participant(participant_id=participant_id)


def set_aor(participant: Participant, aor: str | None) -> None:
    if not aor:
        return
    participant.aor_original = aor
    participant.aor = normalise_aor(aor)
    if participant.number is None:
        participant.number = phone_number(uri_user(participant.aor))


def set_name(participant: Participant, name_element: etree._Element | None) -> None:
    if name_element is None:
        return
    raw = all_text(name_element)
    name, params = split_name(raw)
    participant.name = name
    participant.name_params = params
    lang = attr(name_element, "lang")
    participant.name_lang = lang or participant.name_lang
    if participant.number is None and name:
        participant.number = phone_number(name)


def _read_group(doc: MetadataDocument, element: etree._Element) -> None:
    group_id = attr(element, "group_id", "id")
    if group_id is None:
        doc.errors.append("<group> without group_id")
        return
    group = Group(group_id=group_id)
    group.associate_time = time_of(doc, child(element, "associate-time"))
    group.disassociate_time = time_of(doc, child(element, "disassociate-time"))
    collect_extensions(element, group.extensions)
    doc.groups.append(group)


def _session_for(doc: MetadataDocument, session_id: str) -> Session:
    session = doc.session(session_id)
    if session is None:
        session = Session(session_id=session_id)
        doc.sessions.append(session)
    return session


def _read_session(doc: MetadataDocument, element: etree._Element) -> None:
    session_id = attr(element, "session_id", "id")
    if session_id is None:
        doc.errors.append("<session> without session_id")
        return
    session = _session_for(doc, session_id)
    for sip_id in children(element, "sipSessionID"):
        value = ref_text(sip_id)
        if value:
            session.sip_session_ids.append(value)
    group_ref = ref_text(child(element, "group-ref"))
    session.group_ref = group_ref or attr(element, "group", "group_ref") or session.group_ref
    session.start_time = time_of(doc, child(element, "start-time")) or session.start_time
    session.stop_time = time_of(doc, child(element, "stop-time")) or session.stop_time
    session.associate_time = (
        time_of(doc, child(element, "associate-time")) or session.associate_time
    )
    collect_extensions(element, session.extensions)


def _read_participant(doc: MetadataDocument, element: etree._Element) -> None:
    participant_id = attr(element, "participant_id", "id")
    if participant_id is None:
        doc.errors.append("<participant> without participant_id")
        return
    participant = doc.participant(participant_id)
    if participant is None:
        participant = make_participant(participant_id)
        doc.participants.append(participant)
    name_id = child(element, "nameID")
    if name_id is not None:
        set_aor(participant, attr(name_id, "aor"))
        set_name(participant, child(name_id, "name"))
    collect_extensions(element, participant.extensions)


def _read_stream(doc: MetadataDocument, element: etree._Element) -> None:
    stream_id = attr(element, "stream_id", "id")
    if stream_id is None:
        doc.errors.append("<stream> without stream_id")
        return
    stream = Stream(stream_id=stream_id, session_id=attr(element, "session_id", "session"))
    stream.label = ref_text(child(element, "label"))
    stream.associate_time = time_of(doc, child(element, "associate-time"))
    stream.disassociate_time = time_of(doc, child(element, "disassociate-time"))
    collect_extensions(element, stream.extensions)
    doc.streams.append(stream)


def _read_session_recording_assoc(doc: MetadataDocument, element: etree._Element) -> None:
    session_id = attr(element, "session_id", "session")
    if session_id is None:
        doc.errors.append("<sessionrecordingassoc> without session_id")
        return
    session = _session_for(doc, session_id)
    session.associate_time = (
        time_of(doc, child(element, "associate-time")) or session.associate_time
    )
    session.disassociate_time = (
        time_of(doc, child(element, "disassociate-time")) or session.disassociate_time
    )


def _read_participant_session_assoc(doc: MetadataDocument, element: etree._Element) -> None:
    participant_id = attr(element, "participant_id", "participant")
    if participant_id is None:
        doc.errors.append("<participantsessionassoc> without participant_id")
        return
    doc.participant_session_assocs.append(
        ParticipantSessionAssoc(
            participant=participant_id,
            session=attr(element, "session_id", "session"),
            associate_time=time_of(doc, child(element, "associate-time")),
            disassociate_time=time_of(doc, child(element, "disassociate-time")),
        )
    )


def _read_participant_stream_assoc(doc: MetadataDocument, element: etree._Element) -> None:
    participant_id = attr(element, "participant_id", "participant")
    if participant_id is None:
        doc.errors.append("<participantstreamassoc> without participant_id")
        return
    assoc = doc.stream_assoc(participant_id)
    if assoc is None:
        assoc = ParticipantStreamAssoc(participant=participant_id)
        doc.participant_stream_assocs.append(assoc)
    for kid in children(element, "send", "recv"):
        ref = ref_text(kid)
        if ref:
            (assoc.send if local_name(kid).lower() == "send" else assoc.recv).append(ref)


_READERS = {
    "group": _read_group,
    "session": _read_session,
    "participant": _read_participant,
    "stream": _read_stream,
    "sessionrecordingassoc": _read_session_recording_assoc,
    "participantsessionassoc": _read_participant_session_assoc,
    "participantstreamassoc": _read_participant_stream_assoc,
}


def _scavenge(doc: MetadataDocument, root: etree._Element) -> None:
    """A root holding only text (tags stripped in transit): keep what can be recognised."""
    blob = all_text(root)
    doc.errors.append(
        f"<{local_name(root)}> holds only text, no metadata elements (tags stripped?)"
    )
    first = blob.strip().lower()
    if first.startswith(("complete", "partial")):
        doc.data_mode = "partial" if first.startswith("partial") else "complete"
    doc.extensions["scavenged"] = {
        "times": [m.group(0) for m in _ISO_IN_TEXT.finditer(blob)],
        "uris": [m.group(0) for m in _URI_IN_TEXT.finditer(blob)],
        "uuids": sorted(set(_UUID_IN_TEXT.findall(blob))),
    }


def read_document(root: etree._Element, doc: MetadataDocument) -> None:
    """Fill ``doc`` from a ``<recording>`` root (or a recovered fragment wrapper)."""
    doc.root_tag = local_name(root)
    doc.namespace = namespace(root) or None
    kids = list(elements(root))
    if not kids and text(root):
        _scavenge(doc, root)
        return
    for element in kids:
        name = local_name(element).lower()
        if not is_core(element):
            add_extension(element, doc.extensions)
            continue
        if name == "datamode":
            mode = (text(element) or "").lower()
            if mode in ("complete", "partial"):
                doc.data_mode = "partial" if mode == "partial" else "complete"
                doc.data_mode_stated = True
            else:
                doc.errors.append(f"<{local_name(element)}> has unknown value {text(element)!r}")
            continue
        if name == "extensiondata":
            collect_extensions(element, doc.extensions)
            continue
        reader = _READERS.get(name)
        if reader is not None:
            reader(doc, element)
        elif name not in _KNOWN_ROOT_CHILDREN:
            add_extension(element, doc.extensions)
            doc.warnings.append(f"non-RFC element <{local_name(element)}> kept as extension")
