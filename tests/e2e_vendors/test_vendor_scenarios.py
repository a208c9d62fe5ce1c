"""Each corpus sample, sent by SIPp as the vendor sent it, becomes a recording whose
channels are named after the right participants and that its vendor call id finds
(tests/fixtures/corpus/INDEX.md says who is who; issue #4).

Flow 0 of every pcap is a 440 Hz tone to the first sending m-line, flow 1 a 1000 Hz tone
to the second: the file shows whether each stream's audio landed on its channel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import (
    Call,
    api,
    audio,
    find_recordings,
    prepare,
    recording,
    streams_by_label,
)
from vendor_media import Flow, silent_runs, tone_of

from srs.testing import SrsServer

pytestmark = pytest.mark.sipp

LOW, HIGH = 440.0, 1000.0
PCMU_2 = [Flow("pcmu", LOW), Flow("pcmu", HIGH, offset=2)]
PCMA_2 = [Flow("pcma", LOW), Flow("pcma", HIGH, offset=2)]


@dataclass(frozen=True)
class Vendor:
    """One scenario and what INDEX.md says a correct SRS makes of it."""

    scenario: str
    call_id: str
    pcaps: dict[str, list[Flow]]
    # stream label -> (participant name, participant AOR) in SDP order of the sending m-lines
    senders: list[tuple[str, str | None, str]]
    vendor_ids: dict[str, str] = field(default_factory=dict)  # kind -> value searched
    metadata_ok: bool = True


VENDORS = [
    Vendor(
        "uac-oracle-acme-two-streams.xml",
        "oracle-acme-1@192.0.2.1",
        {"audio-pcmu-2.pcap": PCMU_2},
        [
            ("16777227", "9000", "sip:9000@192.168.50.102"),
            ("16777228", "1002", "sip:1002@192.168.50.10"),
        ],
    ),
    Vendor(
        "uac-oracle-genesys-four-streams.xml",
        "13b4b541dc1b6078eaaa4ab84f52d094040@10.178.60.190",
        {"audio-pcmu-0-4.pcap": [Flow("pcmu", LOW), Flow("pcmu", HIGH, offset=4)]},
        [
            ("1006644281", "Genesys", "sip:Genesys@10.28.70.121"),
            ("1006644283", "Genesys", "sip:Genesys@10.28.70.121"),
        ],
        {
            "ucid": "00473539660FF5A7",
            "oracle_call_id": "wlss-9df06dac-AC565000-947B-5BFE-1ECF-88D28E4B0995-7094@10.28.70.121",
            "cisco_gucid": "00071136261712321959",
        },
        metadata_ok=False,
    ),
    Vendor(
        "uac-cisco-cube-gtd.xml",
        "cube-gtd-1@192.0.2.1",
        {"audio-pcmu-2.pcap": PCMU_2},
        [("1", None, "sip:7301@35.162.237.204"), ("2", "7300", "sip:7300@35.162.237.204")],
        {"session_id": "e9fffff2020a598b86962867715db0cf"},
    ),
    Vendor(
        "uac-cisco-cube-media-proxy.xml",
        "B0FA2851-4D4811EA-82E5D263-E98F8024@8.43.33.209",
        {"audio-pcmu-2.pcap": PCMU_2},
        [("1", None, "sip:3478@8.41.17.71"), ("2", None, "sip:98765@8.41.17.71")],
        {"cisco_guid": "2967454021-1296568810-2195116643-3918495780"},
    ),
    Vendor(
        "uac-avaya-sbce-two-streams.xml",
        "avaya-sbce-1@192.0.2.1",
        {"audio-pcma-2.pcap": PCMA_2},
        [("10", None, "sip:9878942259@212.188.68.145"), ("20", None, "sip:ASBCE@asbce.com")],
        {"ucid": "00705D4C5DCAAC41"},
    ),
    Vendor(
        "uac-sonus-ribbon-calldata.xml",
        "sonus-1@192.0.2.1",
        {"audio-pcmu-2.pcap": PCMU_2},
        [
            ("1", None, "sip:2249888012@172.16.195.72"),
            ("2", "Extension 8500", "sip:2249888500@172.16.198.55"),
        ],
        {"call_data_call_id": "2da553f7-a48b-1235-d6a2-5254003a4988", "gcid": "241205267"},
    ),
    Vendor(
        "uac-sems-procomm-two-legs.xml",
        "sems-1@192.0.2.1",
        {"audio-pcma-2.pcap": PCMA_2},
        [
            ("a_leg", "016190200", "sip:016190200@87.252.209.116"),
            ("b_leg", "Speechpath-Main-Line 016190619", "sip:Extension-016190619@speechpath.ie"),
        ],
    ),
    Vendor(
        "uac-opensips-connectel-no-c-line.xml",
        "opensips-1@192.0.2.1",
        {"audio-pcmu-pcma.pcap": [Flow("pcmu", LOW), Flow("pcma", HIGH, offset=2)]},
        [
            ("1", "test_user", "sip:0771121212@52.57.92.239"),
            ("2", None, "sip:0760516936@sip-cust1.connectel.io"),
        ],
    ),
    Vendor(
        "uac-audiocodes-mediant.xml",
        "1974564438218202316425@8.8.8.8",
        {"audio-pcmu-2.pcap": PCMU_2},
        [("1", None, "sip:+18888888888@fakeip.com"), ("2", None, "sip:+17777777777@fakeip.com")],
    ),
]


def run(server: SrsServer, tmp_path: Path, vendor: Vendor) -> Call:
    call = prepare(server, tmp_path, vendor.scenario, vendor.call_id, vendor.pcaps)
    result = call.run()
    assert result.returncode == 0, result.describe() + "\n" + server.log_tail()
    return call


@pytest.mark.parametrize("vendor", VENDORS, ids=[v.scenario.removesuffix(".xml") for v in VENDORS])
def test_vendor_call_is_recorded_with_named_channels(
    vendor_server: SrsServer, tmp_path: Path, vendor: Vendor
) -> None:
    run(vendor_server, tmp_path, vendor)
    detail = recording(vendor_server, vendor.call_id)  # the SIP Call-ID is a vendor id too
    for kind, value in vendor.vendor_ids.items():
        found = find_recordings(vendor_server, value)
        assert [r["id"] for r in found] == [detail["id"]], f"{kind}={value}"
        assert {"kind": kind, "value": value} in detail["vendor_ids"]
    streams = streams_by_label(detail)
    for label, name, aor in vendor.senders:
        assert (streams[label]["name"], streams[label]["aor"]) == (name, aor), label
    session = api(vendor_server, f"/sessions/{detail['id']}")
    assert session["metadata_error"] is not vendor.metadata_ok  # flagged, never refused
    assert detail["metadata"] and all(m["raw"] for m in detail["metadata"])  # raw XML kept

    wav = audio(vendor_server, detail, tmp_path)
    channels = [s["channel"] for s in detail["streams"]]
    first, second = (streams[label] for label, _, _ in vendor.senders)
    if len(channels) == 2:  # stereo: channel 0 left, channel 1 right
        assert (first["channel"], second["channel"]) == (0, 1)
        left, right = wav.samples[:, 0], wav.samples[:, 1]
        assert tone_of(left, wav.sample_rate) == pytest.approx(LOW, abs=15)
        assert tone_of(right, wav.sample_rate) == pytest.approx(HIGH, abs=15)
    else:  # Genesys: 4 streams alternate left/right; both sending ones are on the left
        assert sorted(channels) == [0, 1, 2, 3]
        assert (first["channel"] % 2, second["channel"] % 2) == (0, 0)
        assert tone_of(wav.samples[:, 0], wav.sample_rate) is not None
        assert tone_of(wav.samples[:, 1], wav.sample_rate) is None  # the inactive streams


def test_broadworks_mangled_metadata_is_recorded_and_flagged(
    vendor_server: SrsServer, tmp_path: Path
) -> None:
    vendor = Vendor(
        "uac-broadworks-mangled-metadata.xml",
        "broadworks-mangled-1@192.0.2.1",
        {"audio-pcma-1.pcap": [Flow("pcma", LOW)]},
        [],
        metadata_ok=False,
    )
    run(vendor_server, tmp_path, vendor)
    detail = recording(vendor_server, vendor.call_id)
    (meta,) = detail["metadata"]
    assert meta["errors"]  # tags stripped: nothing to read
    assert "callhalf-11473743407:0" in meta["raw"] and meta["raw"].startswith("<recording_metadata")
    session = api(vendor_server, f"/sessions/{detail['id']}")
    assert session["metadata_error"] is True
    (stream,) = detail["streams"]
    assert stream["label"] == "1"
    wav = audio(vendor_server, detail, tmp_path)
    assert tone_of(wav.samples[:, 0], wav.sample_rate) == pytest.approx(LOW, abs=15)


def test_aws_chime_hold_resume_metadata_updates(vendor_server: SrsServer, tmp_path: Path) -> None:
    vendor = Vendor(
        "uac-aws-chime-hold-resume.xml",
        "d253c800-b0d1ea39-4a7dd-3f0e20a",
        {"audio-pcmu-2.pcap": PCMU_2},
        [("96", "Alice", "sip:alice@atlanta.com"), ("98", "Bob", "sip:bob@biloxy.com")],
    )
    run(vendor_server, tmp_path, vendor)
    detail = recording(vendor_server, vendor.call_id)
    assert [m["raw"].count("participantstreamassoc") > 0 for m in detail["metadata"]] == [
        True,
        True,
        True,
    ]
    assert [m["well_formed"] for m in detail["metadata"]] == [False, True, True]  # <naSRCme>
    streams = streams_by_label(detail)
    assert (streams["96"]["name"], streams["98"]["name"]) == ("Alice", "Bob")
    assert (streams["96"]["channel"], streams["98"]["channel"]) == (0, 1)
    wav = audio(vendor_server, detail, tmp_path)
    assert tone_of(wav.samples[:, 0], wav.sample_rate) == pytest.approx(LOW, abs=15)
    assert tone_of(wav.samples[:, 1], wav.sample_rate) == pytest.approx(HIGH, abs=15)


def test_broadworks_pause_resume_is_silent_and_recorded_as_hold(
    vendor_server: SrsServer, tmp_path: Path
) -> None:
    vendor = Vendor(
        "uac-broadworks-pause-resume.xml",
        "broadworks-pause-1@192.0.2.1",
        {"audio-pcma-1.pcap": [Flow("pcma", LOW, seconds=6.0)]},
        [],
    )
    run(vendor_server, tmp_path, vendor)
    (found,) = find_recordings(vendor_server, "1142208:1")  # BroadWorks extTrackingID
    detail = api(vendor_server, f"/recordings/{found['id']}")
    assert {"kind": "broadworks_call_id", "value": "callhalf-11473743407:0"} in detail["vendor_ids"]
    assert detail["facts"]["tenant"] == "DemoCorp"
    spool = vendor_server.data_dir / "spool" / detail["id"]
    session = json.loads((spool / "session.json").read_text())
    events = [(e["event"], e["at"]) for e in session["events"]]
    marks = [name for name, _ in events]
    assert marks == ["hold", "resume"], events
    paused = events[1][1] - events[0][1]
    assert paused == pytest.approx(1.5, abs=0.4)
    wav = audio(vendor_server, detail, tmp_path)
    mono = wav.samples[:, 0]
    runs = silent_runs(mono, wav.sample_rate)
    assert any(abs(run - paused) < 0.2 for run in runs), (runs, paused)
    assert tone_of(mono, wav.sample_rate) == pytest.approx(LOW, abs=15)
    finalized = json.loads((spool / "finalized.json").read_text())
    spans = [i["end"] - i["start"] for i in finalized["intervals"] if i["kind"] == "hold"]
    assert spans and all(span == pytest.approx(paused, abs=0.1) for span in spans)
    holds = detail["holds"]
    assert holds and holds[0]["end"] - holds[0]["start"] == pytest.approx(paused, abs=0.1), holds
