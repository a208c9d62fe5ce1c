"""Generic call facts derived from any parsed document, after dialects had their say.

Dialects that know who called (Oracle ``callingParty``, Sonus ``callData``, NetSapiens
``callingParty``) fill ``doc.facts`` first; this fills the gaps.  Without vendor knowledge
the first real participant is taken as the caller (the OpenSIPS and CUBE order), and
``caller_source`` says so.
"""

from __future__ import annotations

from srs.metadata.facts import CallFacts, Party
from srs.metadata.model import MetadataDocument, Participant
from srs.metadata.timestamp import Timestamp


def party_of(participant: Participant) -> Party:
    return Party(
        number=participant.number,
        name=participant.name,
        aor=participant.aor,
        participant_id=participant.participant_id,
    )


def complete_party(doc_participants: list[Participant], party: Party) -> Party:
    """Fill a party known only by participant id (or AOR) from the participant list."""
    for participant in doc_participants:
        if (party.participant_id and participant.participant_id == party.participant_id) or (
            not party.participant_id and party.aor and participant.aor == party.aor
        ):
            return party_of(participant).merged(party)
    return party


def _earliest(stamps: list[Timestamp | None]) -> str | None:
    known = [(s.value, s) for s in stamps if s is not None and s.value is not None]
    if not known:
        return None
    return min(known, key=lambda pair: pair[0])[1].iso()


def derive_facts(doc: MetadataDocument) -> CallFacts:
    """Complete ``doc.facts`` in place and return it."""
    facts = doc.facts
    real = [p for p in doc.participants if not p.placeholder]
    if not facts.caller.empty():
        facts.caller = complete_party(doc.participants, facts.caller)
    if not facts.callee.empty():
        facts.callee = complete_party(doc.participants, facts.callee)
    if facts.caller.empty() and facts.callee.empty() and real:
        facts.caller = party_of(real[0])
        if len(real) > 1:
            facts.callee = party_of(real[1])
        facts.caller_source = facts.caller_source or "document-order"
    elif facts.callee.empty() and real:
        others = [p for p in real if p.participant_id != facts.caller.participant_id]
        if others:
            facts.callee = party_of(others[0])
    elif facts.caller.empty() and real:
        others = [p for p in real if p.participant_id != facts.callee.participant_id]
        if others:
            facts.caller = party_of(others[0])
    for session in doc.sessions:
        if session.session_id not in facts.session_ids:
            facts.session_ids.append(session.session_id)
        for sip_id in session.sip_session_ids:
            if sip_id not in facts.sip_session_ids:
                facts.sip_session_ids.append(sip_id)
    group_ids = [g.group_id for g in doc.groups] + [
        s.group_ref for s in doc.sessions if s.group_ref
    ]
    for group_id in group_ids:
        if group_id not in facts.group_ids:
            facts.group_ids.append(group_id)
    if facts.start_time is None:
        facts.start_time = _earliest(
            [s.start_time for s in doc.sessions]
            + [s.associate_time for s in doc.sessions]
            + [g.associate_time for g in doc.groups]
            + [a.associate_time for a in doc.participant_session_assocs]
        )
    return facts
