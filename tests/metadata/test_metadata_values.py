"""Value normalisation: times, AORs, names, numbers, SIP-header facts."""

from __future__ import annotations

import pytest

from srs.metadata import facts_from_headers, parse_time
from srs.metadata.headers import parse_uui, ucid_from_uui_hex, uri_params
from srs.metadata.identity import (
    normalise_aor,
    parse_name_addr,
    phone_number,
    split_name,
    uri_user,
)


@pytest.mark.parametrize(
    ("text", "iso", "assumed"),
    [
        ("2010-12-16T23:41:07Z", "2010-12-16T23:41:07Z", False),
        ("2017-06-23T12:16:06.040Z", "2017-06-23T12:16:06.040Z", False),
        ("2019-01-13T14:48:35-05:00", "2019-01-13T19:48:35Z", False),
        ("2019-01-13T14:48:35+0530", "2019-01-13T09:18:35Z", False),
        ("2011-06-27T17:03:57", "2011-06-27T17:03:57Z", True),
        ("2011-06-27 17:03", "2011-06-27T17:03:00Z", True),
        ("  1970-05-13T03:29:05Z\n", "1970-05-13T03:29:05Z", False),
        ("1581564919", "2020-02-13T03:35:19Z", False),
        ("1581564919008", "2020-02-13T03:35:19.008Z", False),
        ("1581564919.5", "2020-02-13T03:35:19.500Z", False),
    ],
)
def test_times(text: str, iso: str, assumed: bool) -> None:
    stamp = parse_time(text)
    assert (stamp.iso(), stamp.zone_assumed, stamp.error, stamp.raw) == (iso, assumed, None, text)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "empty time value"),
        ("yesterday", "unrecognised time value 'yesterday'"),
        (
            "2020-02-30T00:00:00Z",
            "invalid time value '2020-02-30T00:00:00Z': day is out of range for month",
        ),
        (
            "2020-01-01T25:00:00Z",
            "invalid time value '2020-01-01T25:00:00Z': hour must be in 0..23",
        ),
    ],
)
def test_bad_times(text: str, error: str) -> None:
    stamp = parse_time(text)
    assert stamp.value is None and stamp.error == error and stamp.iso() is None


@pytest.mark.parametrize(
    ("aor", "normal"),
    [
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com"),
        ("SIP:bob@biloxi.com", "sip:bob@biloxi.com"),
        ("2249888500@172.16.198.55", "sip:2249888500@172.16.198.55"),
        (" <tel:+15551234> ", "tel:+15551234"),
        ("", None),
        (None, None),
    ],
)
def test_normalise_aor(aor: str | None, normal: str | None) -> None:
    assert normalise_aor(aor) == normal


@pytest.mark.parametrize(
    ("name", "clean", "params"),
    [
        ("test_user;lang=en-US;id=22", "test_user", {"lang": "en-US", "id": "22"}),
        ("sipp ", "sipp", {}),
        (" ", None, {}),
        ("Speechpath-Main-Line  016190619", "Speechpath-Main-Line 016190619", {}),
        ("<sip:a@b;user=phone>", "<sip:a@b;user=phone>", {}),
        ("Smith; John", "Smith; John", {}),
    ],
)
def test_split_name(name: str, clean: str | None, params: dict[str, str]) -> None:
    assert split_name(name) == (clean, params)


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("sip:+19195184357@vzb.int", "+19195184357"),
        ("sip:9000@192.168.50.102", "9000"),
        ("tel:+1-555-123-4567", "+15551234567"),
        ("sip:1001w@dwang.netsapiens.com", None),
        ("sip:record=01PEP@127.0.0.1", None),
        ("8587645225", "8587645225"),
        ("Luke Skywalker", None),
        (None, None),
    ],
)
def test_phone_number(value: str | None, number: str | None) -> None:
    assert phone_number(value) == number


def test_uri_helpers() -> None:
    assert uri_user("sip:+1555@host;user=phone") == "+1555"
    assert uri_user("sip:host.example") is None
    assert parse_name_addr('"Extension 8500" <sip:2249888500@172.16.198.55>;tag=x') == (
        "Extension 8500",
        "sip:2249888500@172.16.198.55",
    )
    assert parse_name_addr("sip:acmeSrc@10.0.0.1;tag=1") == (None, "sip:acmeSrc@10.0.0.1")
    assert uri_params("sip:u@h;x-nearend;x-refci=1") == {"x-nearend": "", "x-refci": "1"}


def test_uui_and_ucid() -> None:
    uui = "04FA080047353A660FF5A7C8143030303731313336323631373132333231393539;encoding=hex"
    assert parse_uui(uui) == {"ucid": "0047353A660FF5A7", "gucid": "00071136261712321959"}
    assert parse_uui("04FA08;encoding=hex") == {}
    assert parse_uui("zz;encoding=hex") == {}
    assert parse_uui("plain text") == {}
    assert ucid_from_uui_hex("00FA0800705D4C5DCAAC41") == "00705D4C5DCAAC41"
    assert ucid_from_uui_hex("00FA08001900014E3E7D5C;encoding=hex") == "001900014E3E7D5C"
    assert ucid_from_uui_hex("C0934BE72BF711D6800285D16359919A") is None


def test_facts_from_headers_accepts_pairs_and_mappings() -> None:
    pairs = [("i", "abc@h"), ("Cisco-Guid", "1-2-3-4"), ("X-Unknown", "x")]
    assert facts_from_headers(pairs).vendor_ids == {"sip_call_id": "abc@h", "cisco_guid": "1-2-3-4"}
    assert facts_from_headers({"Call-ID": "abc@h"}).vendor_ids == {"sip_call_id": "abc@h"}
    plain = facts_from_headers([("From", "<sip:src@10.0.0.1>;tag=1")])
    assert plain.attributes == {} and plain.caller.empty()


def test_call_facts_to_json_has_every_field_and_copies_containers() -> None:
    from dataclasses import fields

    from srs.metadata.facts import CallFacts, Party

    facts = CallFacts(
        direction="inbound",
        caller=Party(number="+1555", name="A"),
        vendor_ids={"ucid": "1"},
        session_ids=["s"],
        attributes={"k": "v"},
    )
    data = facts.to_json()
    assert list(data) == [f.name for f in fields(CallFacts)]
    assert data["caller"] == {"number": "+1555", "name": "A", "aor": None, "participant_id": None}
    data["vendor_ids"]["ucid"] = "changed"  # type: ignore[index]
    data["session_ids"].append("t")  # type: ignore[attr-defined]
    assert facts.vendor_ids == {"ucid": "1"} and facts.session_ids == ["s"]
