"""Reading CUCM fork facts from From headers (srs_cisco_bib.leg), on the corpus INVITEs."""

from __future__ import annotations

import pytest
from bib_corpus import FAR_105, FAR_115, NBR_FROM, NEAR_105, NEAR_115, header_pairs, request, text
from hypothesis import given
from hypothesis import strategies as st
from srs_cisco_bib.leg import BibHeaderError, BibLeg


def test_cucm105_nearend() -> None:
    leg = BibLeg.from_headers(header_pairs(NEAR_105))
    assert leg == BibLeg(
        dialog_id="abbb8e00-4291f775-204c-5a20300e@10.48.32.90",
        role="nearend",
        refci="38960750",
        farend_refci="38960749",
        nearend_cluster="glenscucm10-5",
        nearend_device="SEP001795BDD16B",
        nearend_addr="9110001",
        farend_cluster="glenscucm10-5",
        farend_device="SEP0018195AA209",
        farend_addr="9110006",
        session_id=None,
        display_name=None,
        from_user="9110001",
        cisco_guid="2881195520-0000065536-0000000011-1512058894",
    )


def test_cucm105_farend_differs_only_in_role_and_dialog() -> None:
    near = BibLeg.from_headers(header_pairs(NEAR_105))
    far = BibLeg.from_headers(header_pairs(FAR_105))
    assert near is not None and far is not None
    assert far.role == "farend"
    assert far.dialog_id == "abbb8e00-4291f775-204d-5a20300e@10.48.32.90"
    assert (
        far.pair_key
        == near.pair_key
        == ("glenscucm10-5", "sep001795bdd16b", "38960749", "38960750")
    )
    assert far.facts() == near.facts()


def test_cucm115_forks() -> None:
    near = BibLeg.from_headers(header_pairs(NEAR_115))
    far = BibLeg.from_headers(header_pairs(FAR_115))
    assert near is not None and far is not None
    assert (near.role, far.role) == ("nearend", "farend")
    assert near.display_name == "SJ User 2" and near.from_user == "1001"
    assert near.facts() == {
        "cisco_bib.refci": "19301625",
        "cisco_bib.farend_refci": "19301624",
        "cisco_bib.nearend_cluster": "StandAloneCluster",
        "cisco_bib.nearend_device": "SEP6C416A369525",
        "cisco_bib.nearend_number": "1001",
        "cisco_bib.farend_cluster": "StandAloneCluster",
        "cisco_bib.farend_device": "SEP38ED18552A12",
        "cisco_bib.farend_number": "1000",
    }
    assert far.dialog_id == "35eddd80-d6514bf0-3283-526300e@10.48.38.5"
    assert near.pair_key == far.pair_key


def test_nbr_fragment_wrapped_inside_the_uri() -> None:
    """The CUBE doc wraps the From header inside ``<…>``: read it anyway; the From tag is
    the dialog id when there is no Call-ID."""
    value = text(NBR_FROM).split(":", 1)[1]
    leg = BibLeg.from_from_header(value)
    assert leg is not None
    assert (leg.role, leg.refci, leg.farend_refci) == ("nearend", "27298698", "27298699")
    assert (leg.nearend_device, leg.nearend_addr) == ("SEP2834A28318CE", "198101")
    assert (leg.farend_device, leg.farend_addr) == ("AFIFIM-VI1", "172001")
    assert leg.nearend_cluster == leg.farend_cluster == "NY-NJ-Labcluster"
    assert leg.session_id == "696dd5d3f7755c6abdc438e93d01febf"
    assert leg.display_name == "abcd"
    assert leg.dialog_id == "14087~b35a5915-3167-4d6a-871d-c121221602bf-27298703"
    assert BibLeg.from_headers([("f", text(NBR_FROM).split(":", 1)[1])]) == leg


@pytest.mark.parametrize("name", [NEAR_105, FAR_105])
def test_malformed_call_info_does_not_matter(name: str) -> None:
    """CUCM 10.5 doc copies have ``Call-Info: ;method=…`` (URI lost): the fork still reads,
    through srs's own SIP parser."""
    message = request(name)
    assert (message.headers.get("Call-Info") or "").startswith(";method=")
    leg = BibLeg.from_headers(message.headers.items())
    assert leg == BibLeg.from_headers(header_pairs(name))


def test_parameter_names_in_any_case_and_lowercase_devices() -> None:
    upper = "<sip:1@h;X-NearEnd;X-REFCI=7;X-NEARENDCLUSTERID=C;X-NearEndDevice=sepabc;X-FARENDREFCI=8>;tag=t"
    leg = BibLeg.from_from_header(upper, dialog_id="d")
    assert leg is not None
    assert (leg.role, leg.refci, leg.farend_refci, leg.nearend_device) == (
        "nearend",
        "7",
        "8",
        "SEPABC",
    )
    lower = BibLeg.from_from_header(
        upper.replace("sepabc", "SEPABC").replace("=C;", "=c;"), dialog_id="e"
    )
    assert lower is not None and lower.pair_key == leg.pair_key


def test_params_after_the_angle_bracket_or_without_brackets() -> None:
    outside = BibLeg.from_from_header("<sip:1@h>;x-farend;x-refci=7;x-farendrefci=8;tag=t")
    bare = BibLeg.from_from_header("sip:1@h;x-farend;x-refci=7;x-farendrefci=8;tag=t")
    assert outside is not None and bare is not None
    assert outside.role == bare.role == "farend"
    assert outside.pair_key == bare.pair_key == ("", "", "7", "8")
    assert outside.dialog_id == bare.dialog_id == "t"


def test_pair_key_orders_refcis_numerically() -> None:
    a = BibLeg.from_from_header("<sip:1@h;x-nearend;x-refci=10;x-farendrefci=9>;tag=a")
    b = BibLeg.from_from_header("<sip:1@h;x-farend;x-refci=9;x-farendrefci=10>;tag=b")
    assert a is not None and b is not None
    assert a.pair_key == b.pair_key == ("", "", "9", "10")


def test_not_a_fork() -> None:
    assert BibLeg.from_from_header('"Alice" <sip:alice@h;user=phone>;tag=1') is None
    assert BibLeg.from_headers([("To", "<sip:x@h>")]) is None
    assert BibLeg.from_headers({"From": "<sip:a@h>;tag=1", "Call-ID": "c"}) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "<sip:1@h;x-nearend;x-farend;x-refci=1>;tag=1",
            "From has both x-nearend and x-farend: '<sip:1@h;x-nearend;x-farend;x-refci=1>;tag=1'",
        ),
        (
            "<sip:1@h;x-nearend;x-farendrefci=2>;tag=1",
            "BIB fork without x-refci in From: '<sip:1@h;x-nearend;x-farendrefci=2>;tag=1'",
        ),
        (
            "<sip:1@h;x-nearend;x-refci=>;tag=1",
            "BIB fork without x-refci in From: '<sip:1@h;x-nearend;x-refci=>;tag=1'",
        ),
        (
            "<sip:1@h;x-nearend;x-refci=5>",
            "BIB fork without Call-ID or From tag: '<sip:1@h;x-nearend;x-refci=5>'",
        ),
    ],
)
def test_errors_say_what_is_missing(value: str, message: str) -> None:
    with pytest.raises(BibHeaderError) as caught:
        BibLeg.from_from_header(value)
    assert str(caught.value) == message


@given(st.text(max_size=300))
def test_any_text_reads_or_fails_with_bib_header_error(value: str) -> None:
    try:
        leg = BibLeg.from_from_header(value)
    except BibHeaderError:
        return
    assert leg is None or leg.refci


@given(
    st.lists(
        st.sampled_from(
            [
                "x-nearend",
                "x-farend",
                "x-refci=1",
                "X-REFCI=2",
                "x-farendrefci=3",
                "tag=9",
                ";",
                '"',
                "<",
                ">",
                "\n",
                " ",
            ]
        ),
        max_size=12,
    )
)
def test_fragments_of_fork_syntax(parts: list[str]) -> None:
    value = "<sip:1@h;" + ";".join(parts)
    try:
        leg = BibLeg.from_from_header(value)
    except BibHeaderError:
        return
    assert leg is None or leg.role in ("nearend", "farend")


def test_fuzz_target_standalone_run() -> None:
    """The fuzz target (plugins/cisco-bib/fuzz) over the corpus seeds, prefixes, mutations."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "fuzz" / "fuzz_bib_leg.py"
    spec = importlib.util.spec_from_file_location("fuzz_bib_leg", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    legs = [BibLeg.from_from_header(value, dialog_id="d") for value in module.seeds()]
    assert sum(leg is not None for leg in legs) >= 5  # 4 INVITEs + the NBR fragment at least
    assert module.run_standalone(300) > 300
