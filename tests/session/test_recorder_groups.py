"""Multi-leg recordings: CUCM Built-in-Bridge forks (Cisco doc 200788, CUCM 11.5 traces)
classified by a plugin and recorded into one recording (docs/plugins.md steps 1-9)."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from corpus_messages import corpus, dialog_for, parse_request, with_body
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from session_fakes import FakePorts, counting_key, id_sequence

from srs.media.finalize import FinalizeConfig, finalize_recording
from srs.media.wavfile import read_wav
from srs.metadata.facts import CallFacts
from srs.plugins.classification import CallClassification
from srs.session.plan import (
    MediaEvent,
    RecordingEnded,
    SessionSnapshot,
    StreamClosed,
    StreamOpened,
)
from srs.session.recording import Recorder, RecorderConfig
from srs.sip.message import SipRequest
from srs.testing_media import (
    StreamFixture,
    dominant_frequency,
    event_record,
    params_event,
    rtp_packets,
    timed_records,
    write_recording,
)

NEAR_INVITE = "cisco-doc-200788__cucm11.5-bib-invite1-nearend.txt"
FAR_INVITE = "cisco-doc-200788__cucm11.5-bib-invite2-farend.txt"
NEAR_ACK = "cisco-doc-200788__cucm11.5-bib-ack-to-recorder-nearend-sdp.txt"
FAR_ACK = "cisco-doc-200788__cucm11.5-bib-ack-to-recorder-farend-sdp.txt"
WAIT = 2.0


class FakeBib:
    """A classifier as the cisco_bib plugin answers: role from the From URI flag, group from
    the refci pair, near end on channel 0; ``calls`` records what it was asked."""

    def __init__(self, *, group: str = "bib-1", fail: bool = False, channel: int | None = None):
        self.group = group
        self.fail = fail
        self.channel = channel
        self.calls: list[float] = []

    def __call__(self, request: SipRequest, now: float) -> CallClassification | None:
        self.calls.append(now)
        if self.fail:
            raise RuntimeError("plugin bug")
        from_value = (request.headers.get("From") or "").lower()
        flag = re.search(r";x-(nearend|farend)[;>]", from_value)
        if flag is None:
            return None
        role = flag.group(1)
        return CallClassification(
            group_id=self.group,
            leg=role,
            channel=self.channel if self.channel is not None else (0 if role == "nearend" else 1),
            channels=2,
            expected_legs=2,
            wait=WAIT,
            call_id="call-1",
            facts={
                "cisco_bib.refci": "19301625",
                "cisco_bib.nearend_number": "1001",
                "cisco_bib.farend_number": "1000",
            },
            plugin="cisco_bib",
        )


def recorder(classify: Any, enrich: Any = None) -> Recorder:
    return Recorder(
        FakePorts(),
        config=RecorderConfig(media_address="192.0.2.10"),
        new_id=id_sequence(),
        random_bytes=counting_key,
        classify=classify,
        enrich_facts=enrich,
    )


def fork(name: str) -> SipRequest:
    return parse_request(corpus(name))


def ack_for(invite: SipRequest, ack_file: str) -> SipRequest:
    ack = parse_request(corpus(ack_file))
    return with_body(invite, "ACK", ack.body, "application/sdp")


def answer(rec: Recorder, invite_file: str, ack_file: str, now: float) -> SipRequest:
    invite = fork(invite_file)
    decision = rec.on_invite(dialog_for(invite), invite, now)
    assert decision.status == 200, decision.warning
    assert decision.sdp is not None and b"a=recvonly" in decision.sdp  # delayed offer
    rec.on_ack(dialog_for(invite), ack_for(invite, ack_file), now + 0.05)
    return invite


def snapshots(events: list[MediaEvent]) -> list[dict[str, Any]]:
    out = [e.data for e in events if isinstance(e, SessionSnapshot)]
    for data in out:
        json.dumps(data)  # session.json must be writable as is
    return out


def test_farend_first_pair_is_one_stereo_recording_near_end_left() -> None:
    classify = FakeBib()
    rec = recorder(classify)
    far = answer(rec, FAR_INVITE, FAR_ACK, 100.0)
    near = answer(rec, NEAR_INVITE, NEAR_ACK, 100.5)
    events = rec.take_events()
    assert classify.calls == [100.0, 100.5]
    opened = [e for e in events if isinstance(e, StreamOpened)]
    assert {e.recording_id for e in events if hasattr(e, "recording_id")} == {"rec1"}
    assert [(e.spec.key, e.spec.participant_aor) for e in opened] == [
        ("farend", "1000"),
        ("nearend", "1001"),
    ]
    snap = snapshots(events)[-1]
    streams = {s["key"]: s for s in snap["streams"]}
    assert streams["nearend"]["channel"] == 0 and streams["farend"]["channel"] == 1
    assert streams["nearend"]["participant_name"] == "SJ User 2"  # From display of 1001
    assert streams["farend"]["participant_name"] is None
    assert streams["farend"]["remote_rtp"] == ["10.48.38.107", 17904]
    assert snap["group"]["id"] == "bib-1" and snap["group"]["incomplete"] is False
    assert [leg["leg"] for leg in snap["group"]["legs"]] == ["farend", "nearend"]
    assert snap["call_id"] == far.headers.get("Call-ID")
    ids = snap["facts"]["vendor_ids"]
    assert ids["sip_call_id.nearend"] == near.headers.get("Call-ID")
    assert ids["group_call_id"] == "call-1"
    assert ids["cisco_guid"] == near.headers.get("Cisco-Guid")  # the near end's wins
    assert ids["cisco_guid.farend"] == far.headers.get("Cisco-Guid")  # still searchable
    assert snap["facts"]["attributes"]["cisco_bib.refci"] == "19301625"
    assert {p["participant_id"] for p in snap["participants"]} == {"nearend", "farend"}

    rec.on_terminated(dialog_for(far), "bye", 103.0)
    events = rec.take_events()
    assert [type(e).__name__ for e in events] == ["StreamClosed", "SessionSnapshot"]
    assert rec.get_timer() is None  # the other leg is live: nothing to wait for
    rec.on_terminated(dialog_for(near), "bye", 104.0)
    events = rec.take_events()
    ended = [e for e in events if isinstance(e, RecordingEnded)]
    assert ended == [RecordingEnded("rec1", "bye", 104.0)]
    final = snapshots(events)[-1]
    assert final["state"] == "terminated" and final["ended_at"] == 104.0
    assert [leg["ended_at"] for leg in final["group"]["legs"]] == [103.0, 104.0]
    assert rec.get_timer() is None and len(rec.groups) == 0


def test_lone_leg_waits_for_the_deadline_then_ends_incomplete() -> None:
    rec = recorder(FakeBib())
    near = answer(rec, NEAR_INVITE, NEAR_ACK, 200.0)
    rec.on_terminated(dialog_for(near), "bye", 201.0)
    events = rec.take_events()
    assert not [e for e in events if isinstance(e, RecordingEnded)]
    assert rec.get_timer() == 200.0 + WAIT
    rec.handle_timer(201.9)
    assert not rec.take_events()
    rec.handle_timer(202.0)
    events = rec.take_events()
    assert [type(e).__name__ for e in events] == ["SessionSnapshot", "RecordingEnded"]
    final = snapshots(events)[0]
    assert final["group"]["incomplete"] is True
    assert final["facts"]["attributes"]["group.incomplete"] == "true"
    assert events[-1] == RecordingEnded("rec1", "bye", 202.0)
    assert rec.get_timer() is None


def test_leg_after_the_deadline_still_joins_while_the_recording_is_live() -> None:
    rec = recorder(FakeBib())
    answer(rec, NEAR_INVITE, NEAR_ACK, 300.0)
    rec.handle_timer(310.0)  # past the deadline, but the near end is live
    answer(rec, FAR_INVITE, FAR_ACK, 310.0)
    snap = snapshots(rec.take_events())[-1]
    assert snap["recording_id"] == "rec1"
    assert snap["group"]["incomplete"] is False


def test_ended_group_id_starts_a_new_recording() -> None:
    rec = recorder(FakeBib())
    near = answer(rec, NEAR_INVITE, NEAR_ACK, 400.0)
    rec.on_terminated(dialog_for(near), "bye", 401.0)
    rec.handle_timer(402.0)
    rec.take_events()
    answer(rec, FAR_INVITE, FAR_ACK, 403.0)
    opened = [e for e in rec.take_events() if isinstance(e, StreamOpened)]
    assert [e.recording_id for e in opened] == ["rec2"]


def test_conflicting_leg_is_recorded_as_an_ordinary_call(caplog: pytest.LogCaptureFixture) -> None:
    rec = recorder(FakeBib(channel=0))  # both forks claim channel 0
    answer(rec, NEAR_INVITE, NEAR_ACK, 500.0)
    with caplog.at_level(logging.WARNING, logger="srs.session"):
        answer(rec, FAR_INVITE, FAR_ACK, 500.5)
    assert "plugin 'cisco_bib'" in caplog.text and "held by live leg 'nearend'" in caplog.text
    opened = [e for e in rec.take_events() if isinstance(e, StreamOpened)]
    assert [(e.recording_id, e.spec.key) for e in opened] == [("rec1", "nearend"), ("rec2", "m0")]


def test_failing_classifier_means_an_ordinary_call(caplog: pytest.LogCaptureFixture) -> None:
    rec = recorder(FakeBib(fail=True))
    with caplog.at_level(logging.ERROR, logger="srs.session"):
        near = answer(rec, NEAR_INVITE, NEAR_ACK, 600.0)
    assert "srs_classify_call failed" in caplog.text
    rec.on_terminated(dialog_for(near), "bye", 601.0)
    events = rec.take_events()
    assert [e for e in events if isinstance(e, RecordingEnded)] == [
        RecordingEnded("rec1", "bye", 601.0)
    ]
    assert "group" not in snapshots(events)[-1]


def test_enrich_facts_sees_the_group_and_its_result_is_stored() -> None:
    seen: list[dict[str, Any]] = []

    def enrich(facts: CallFacts, snapshot: Any) -> CallFacts:
        seen.append(dict(snapshot))
        facts.caller.name = "Directory Name"
        return facts

    rec = recorder(FakeBib(), enrich)
    answer(rec, NEAR_INVITE, NEAR_ACK, 700.0)
    snap = snapshots(rec.take_events())[-1]
    assert snap["facts"]["caller"]["name"] == "Directory Name"
    assert seen and seen[-1]["group"]["id"] == "bib-1"


def test_failing_enrich_keeps_the_facts(caplog: pytest.LogCaptureFixture) -> None:
    def enrich(facts: CallFacts, snapshot: Any) -> CallFacts:
        raise RuntimeError("directory down")

    rec = recorder(None, enrich)
    invite = fork(NEAR_INVITE)
    rec.on_invite(dialog_for(invite), invite, 800.0)
    snap = snapshots(rec.take_events())[-1]
    assert snap["facts"]["vendor_ids"]["sip_call_id"] == invite.headers.get("Call-ID")
    assert "srs_enrich_call_facts failed" in caplog.text


def test_bye_closes_only_that_legs_streams() -> None:
    rec = recorder(FakeBib())
    far = answer(rec, FAR_INVITE, FAR_ACK, 900.0)
    answer(rec, NEAR_INVITE, NEAR_ACK, 900.2)
    rec.take_events()
    rec.on_terminated(dialog_for(far), "bye", 901.0)
    closed = [e for e in rec.take_events() if isinstance(e, StreamClosed)]
    assert closed == [StreamClosed("rec1", "farend")]


# -- finalize honours the group's channels ----------------------------------------------

T = 1_000.0


def _leg(key: str, channel: int, freq: float) -> StreamFixture:
    frames = rtp_packets("pcmu", freq, 1.0, ssrc=0x100 + channel)
    return StreamFixture(
        key, channel, [event_record(T - 0.1, params_event()), *timed_records(frames, T)]
    )


def _finalize(tmp_path: Path, legs: list[StreamFixture], layout: str) -> Any:
    spool = write_recording(tmp_path / "spool" / "g1", legs, recording_id="g1", started_at=T)
    session = json.loads((spool / "session.json").read_text())
    session["group"] = {"id": "bib-1", "channels": 2}
    (spool / "session.json").write_text(json.dumps(session))
    config = FinalizeConfig(layout=layout)  # type: ignore[arg-type]
    return finalize_recording(spool, tmp_path / "out", config)


@pytest.mark.parametrize("layout", ["stereo", "mixed", "multichannel", "separate"])
def test_finalize_puts_each_leg_on_its_channel(tmp_path: Path, layout: str) -> None:
    result = _finalize(tmp_path, [_leg("farend", 1, 1000.0), _leg("nearend", 0, 440.0)], layout)
    (file,) = result.files
    assert file.channels == 2
    wav = read_wav(Path(file.path))
    left, right = wav.samples[:, 0], wav.samples[:, 1]
    assert abs(dominant_frequency(left, wav.sample_rate) - 440.0) < 20
    assert abs(dominant_frequency(right, wav.sample_rate) - 1000.0) < 20
    assert {s.key: s.channel for s in result.streams} == {"nearend": 0, "farend": 1}


def test_finalize_missing_leg_channel_is_silence(tmp_path: Path) -> None:
    result = _finalize(tmp_path, [_leg("farend", 1, 1000.0)], "stereo")
    (file,) = result.files
    wav = read_wav(Path(file.path))
    assert wav.samples.shape[1] == 2
    assert not np.any(wav.samples[:, 0])
    assert abs(dominant_frequency(wav.samples[:, 1], wav.sample_rate) - 1000.0) < 20


def test_leg_with_another_channel_count_is_an_ordinary_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bib = FakeBib()

    def classify(request: SipRequest, now: float) -> CallClassification | None:
        found = bib(request, now)
        if found is not None and found.leg == "farend":
            return dataclasses.replace(found, channels=3)
        return found

    rec = recorder(classify)
    answer(rec, NEAR_INVITE, NEAR_ACK, 1000.0)
    with caplog.at_level(logging.WARNING, logger="srs.session"):
        answer(rec, FAR_INVITE, FAR_ACK, 1000.5)
    assert "says channels=3, the group has 2" in caplog.text
    opened = [e for e in rec.take_events() if isinstance(e, StreamOpened)]
    assert [e.recording_id for e in opened] == ["rec1", "rec2"]


def test_leg_that_rejoins_under_its_name_is_listed_once() -> None:
    rec = recorder(FakeBib())
    near = answer(rec, NEAR_INVITE, NEAR_ACK, 1100.0)
    answer(rec, FAR_INVITE, FAR_ACK, 1100.1)
    rec.on_terminated(dialog_for(near), "bye", 1101.0)
    again = with_body(near, "INVITE", b"", None)
    again.headers.set("Call-ID", "rejoined@10.48.38.5")
    assert rec.on_invite(dialog_for(again), again, 1102.0).status == 200
    snap = snapshots(rec.take_events())[-1]
    assert sorted(s["key"] for s in snap["streams"]) == ["farend", "nearend"]
    assert [leg["leg"] for leg in snap["group"]["legs"]] == ["nearend", "farend", "nearend"]


# -- the ending rule over random arrival orders (hypothesis) ------------------------------

W = 20  # the wait, in ticks (one tick = 0.1 s)


def expected_ends(legs: list[tuple[str, int, int]]) -> list[int]:
    """The rule of docs/plugins.md step 8, written out for one or two legs."""
    (_, a1, e1), *rest = sorted(legs, key=lambda leg: leg[1])
    alone = max(e1, a1 + W)
    if not rest:
        return [alone]
    _, a2, e2 = rest[0]
    if a2 < alone:
        return [max(e1, e2)]
    return [alone, max(e2, a2 + W)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["nearend", "farend"]), min_size=1, max_size=2, unique=True),
    st.lists(st.integers(0, 60), min_size=2, max_size=2),
    st.lists(st.integers(1, 60), min_size=2, max_size=2),
)
def test_group_ends_once_when_every_leg_ended_and_complete_or_late(
    roles: list[str], arrivals: list[int], durations: list[int]
) -> None:
    legs = [(role, arrivals[i], arrivals[i] + durations[i]) for i, role in enumerate(roles)]
    times = [t for _, a, e in legs for t in (a, e)] + [a + W for _, a, _ in legs]
    assume(len(set(times)) == len(times))  # no ties: the order of equal times is arbitrary
    files = {"nearend": (NEAR_INVITE, NEAR_ACK), "farend": (FAR_INVITE, FAR_ACK)}
    rec = recorder(FakeBib())
    actions = sorted(
        [(a, "join", role) for role, a, _ in legs] + [(e, "leave", role) for role, _, e in legs]
    )
    invites: dict[str, SipRequest] = {}
    ended: list[RecordingEnded] = []

    def run_timers(until: float) -> None:
        while (at := rec.get_timer()) is not None and at <= until:
            rec.handle_timer(at)
            ended.extend(e for e in rec.take_events() if isinstance(e, RecordingEnded))

    for tick, action, role in actions:
        run_timers(tick / 10)
        if action == "join":
            invites[role] = answer(rec, *files[role], tick / 10)
        else:
            rec.on_terminated(dialog_for(invites[role]), "bye", tick / 10)
        ended.extend(e for e in rec.take_events() if isinstance(e, RecordingEnded))
    run_timers(float("inf"))
    assert [round(e.now * 10) for e in ended] == expected_ends(legs)
    assert len({e.recording_id for e in ended}) == len(ended)
    assert rec.get_timer() is None and len(rec.groups) == 0
