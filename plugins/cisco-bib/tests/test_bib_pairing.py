"""Pairing forks into groups and groups into calls (srs_cisco_bib.pairing), time advanced by hand."""

from __future__ import annotations

import pytest
from bib_corpus import FAR_105, FAR_115, NEAR_105, NEAR_115, header_pairs
from hypothesis import given, settings
from hypothesis import strategies as st
from srs_cisco_bib.pairing import (
    TRANSITIONS,
    BibLeg,
    BibPairer,
    BibStateError,
    GroupInput,
    GroupState,
    LegsPaired,
    LegWaiting,
    LoneLegKept,
)


def corpus_leg(name: str) -> BibLeg:
    leg = BibLeg.from_headers(header_pairs(name))
    assert leg is not None
    return leg


def fork(
    role: str, refci: str = "100", far: str = "101", device: str = "SEPA", dialog: str | None = None
) -> BibLeg:
    value = (
        f"<sip:1@h;x-{role};x-refci={refci};x-farendrefci={far};"
        f"x-nearendclusterid=cl;x-nearenddevice={device}>;tag=t"
    )
    leg = BibLeg.from_from_header(value, dialog_id=dialog or f"{role}-{refci}-{far}-{device}")
    assert leg is not None
    return leg


@pytest.mark.parametrize(
    ("first", "second"),
    [(NEAR_105, FAR_105), (FAR_105, NEAR_105), (NEAR_115, FAR_115), (FAR_115, NEAR_115)],
)
def test_corpus_forks_pair_in_either_order(first: str, second: str) -> None:
    pairer = BibPairer(wait=2.0)
    waiting = pairer.add_leg(corpus_leg(first), now=10.0)
    assert isinstance(waiting, LegWaiting)
    assert waiting.deadline == 12.0 and pairer.get_timer() == 12.0
    paired = pairer.add_leg(corpus_leg(second), now=10.3)
    assert isinstance(paired, LegsPaired)
    assert paired.group_id == waiting.group_id == paired.call_id
    assert (paired.nearend.role, paired.farend.role, paired.segment, paired.late) == (
        "nearend",
        "farend",
        0,
        False,
    )
    assert pairer.get_timer() is None
    assert pairer.handle_timer(100.0) == []
    group = pairer.group(paired.group_id)
    assert group is not None and group.state is GroupState.PAIRED


def test_cucm105_group_id_names_cluster_device_and_refcis() -> None:
    pairer = BibPairer()
    event = pairer.add_leg(corpus_leg(NEAR_105), now=0.0)
    assert event.group_id == "bib:glenscucm10-5:sep001795bdd16b:38960749:38960750:1"


def test_different_recordings_do_not_pair() -> None:
    pairer = BibPairer()
    a = pairer.add_leg(fork("nearend", "100", "101"), now=0.0)
    b = pairer.add_leg(fork("farend", "200", "201"), now=0.1)
    c = pairer.add_leg(fork("farend", "100", "101", device="SEPB"), now=0.2)
    assert {type(a), type(b), type(c)} == {LegWaiting}
    assert len({a.group_id, b.group_id, c.group_id}) == 3
    assert len({a.call_id, b.call_id, c.call_id}) == 3


def test_lone_leg_is_kept_after_wait_and_a_late_partner_still_joins() -> None:
    pairer = BibPairer(wait=2.0)
    near = pairer.add_leg(fork("nearend"), now=5.0)
    assert pairer.handle_timer(6.999) == []
    (kept,) = pairer.handle_timer(7.0)
    assert kept == LoneLegKept(near.group_id, near.call_id, 0, fork("nearend"))
    group = pairer.group(near.group_id)
    assert group is not None and (group.state, group.lone) == (GroupState.LONE, True)
    assert pairer.get_timer() is None and pairer.handle_timer(8.0) == []
    late = pairer.add_leg(fork("farend"), now=9.0)
    assert isinstance(late, LegsPaired) and late.late and late.group_id == near.group_id


def test_lone_leg_that_ended_stays_alone_and_partner_starts_a_chained_segment() -> None:
    pairer = BibPairer(wait=2.0, chain_window=30.0)
    near = pairer.add_leg(fork("nearend"), now=0.0)
    pairer.handle_timer(2.0)
    pairer.end_group(near.group_id, now=4.0)
    far = pairer.add_leg(fork("farend"), now=5.0)
    assert isinstance(far, LegWaiting)
    assert far.group_id != near.group_id
    assert (far.call_id, far.segment) == (near.call_id, 1)


def test_hold_resume_segments_chain_into_one_call() -> None:
    pairer = BibPairer(wait=2.0, chain_window=30.0)
    pairer.add_leg(fork("nearend", dialog="n1"), now=0.0)
    first = pairer.add_leg(fork("farend", dialog="f1"), now=0.1)
    pairer.end_group(first.group_id, now=20.0)  # hold: CUCM tears both forks down
    pairer.add_leg(fork("farend", dialog="f2"), now=35.0)  # resume: same refcis
    second = pairer.add_leg(fork("nearend", dialog="n2"), now=35.1)
    assert isinstance(second, LegsPaired)
    assert second.group_id != first.group_id
    assert (second.call_id, second.segment) == (first.group_id, 1)
    pairer.end_group(second.group_id, now=60.0)
    pairer.add_leg(fork("nearend", dialog="n3"), now=61.0)
    third = pairer.add_leg(fork("farend", dialog="f3"), now=61.0)
    assert (third.call_id, third.segment) == (first.group_id, 2)


def test_transfer_keeps_one_refci_and_chains_while_old_segment_is_live() -> None:
    pairer = BibPairer()
    pairer.add_leg(fork("nearend", "100", "101"), now=0.0)
    first = pairer.add_leg(fork("farend", "100", "101"), now=0.0)
    pairer.add_leg(fork("nearend", "100", "300"), now=50.0)  # far party replaced
    second = pairer.add_leg(fork("farend", "100", "300"), now=50.0)
    assert isinstance(second, LegsPaired)
    assert (second.call_id, second.segment) == (first.call_id, 1)


def test_no_chain_after_the_window_or_without_a_shared_refci() -> None:
    pairer = BibPairer(chain_window=30.0)
    first = pairer.add_leg(fork("nearend", "100", "101"), now=0.0)
    pairer.end_group(first.group_id, now=10.0)
    unrelated = pairer.add_leg(fork("nearend", "500", "501"), now=11.0)
    assert unrelated.call_id == unrelated.group_id
    too_late = pairer.add_leg(fork("nearend", "100", "101", dialog="again"), now=40.1)
    assert too_late.call_id == too_late.group_id != first.call_id


def test_ended_groups_are_forgotten_after_the_window() -> None:
    pairer = BibPairer(wait=1.0, chain_window=30.0)
    event = pairer.add_leg(fork("nearend"), now=0.0)
    pairer.add_leg(fork("farend"), now=0.0)
    pairer.end_group(event.group_id, now=5.0)
    assert pairer.get_timer() == 35.0
    assert pairer.handle_timer(34.9) == [] and pairer.group(event.group_id) is not None
    assert pairer.handle_timer(35.0) == [] and pairer.group(event.group_id) is None
    assert pairer.get_timer() is None
    pairer.end_group(event.group_id, now=36.0)  # ending a forgotten group is harmless


def test_same_dialog_twice_is_idempotent() -> None:
    pairer = BibPairer()
    first = pairer.add_leg(fork("nearend"), now=0.0)
    assert pairer.add_leg(fork("nearend"), now=0.5) == first
    paired = pairer.add_leg(fork("farend"), now=0.6)
    assert pairer.add_leg(fork("farend"), now=0.7) == paired
    assert len(pairer.groups()) == 1


def test_second_nearend_while_first_waits_opens_a_chained_group() -> None:
    pairer = BibPairer()
    first = pairer.add_leg(fork("nearend", dialog="a"), now=0.0)
    second = pairer.add_leg(fork("nearend", dialog="b"), now=0.1)
    assert second.group_id != first.group_id and second.call_id == first.call_id
    paired = pairer.add_leg(fork("farend", dialog="c"), now=0.2)
    assert paired.group_id == second.group_id  # the newest open group gets the partner


def test_state_table_rejects_what_it_lacks() -> None:
    pairer = BibPairer()
    event = pairer.add_leg(fork("nearend"), now=0.0)
    pairer.add_leg(fork("farend"), now=0.0)
    group = pairer.group(event.group_id)
    assert group is not None
    with pytest.raises(BibStateError) as caught:
        group.apply(GroupInput.TIMEOUT)
    assert str(caught.value) == f"group {event.group_id}: timeout is not allowed in state paired"
    missing = {(s, i) for s in GroupState for i in GroupInput} - set(TRANSITIONS)
    assert missing == {
        (GroupState.PAIRED, GroupInput.PARTNER),
        (GroupState.PAIRED, GroupInput.TIMEOUT),
        (GroupState.LONE, GroupInput.TIMEOUT),
        (GroupState.ENDED, GroupInput.PARTNER),
        (GroupState.ENDED, GroupInput.TIMEOUT),
    }


def test_negative_settings_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^wait and chain_window must be >= 0, got -1 and 30.0$"):
        BibPairer(wait=-1)


_step = st.tuples(
    st.sampled_from(["add", "tick", "end"]),
    st.sampled_from(["nearend", "farend"]),
    st.sampled_from([("100", "101"), ("101", "100"), ("200", "201"), ("100", "300")]),
    st.sampled_from(["SEPA", "sepa", "SEPB"]),
    st.floats(min_value=0.0, max_value=20.0),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_step, max_size=40))
def test_invariants_under_any_arrival_order(
    steps: list[tuple[str, str, tuple[str, str], str, float]],
) -> None:
    pairer = BibPairer(wait=2.0, chain_window=10.0)
    now = 0.0
    for serial, (action, role, (refci, far), device, delta) in enumerate(steps):
        now += delta
        if action == "add":
            event = pairer.add_leg(fork(role, refci, far, device, dialog=f"d{serial}"), now)
            group = pairer.group(event.group_id)
            assert group is not None
            assert {leg.dialog_id for leg in group.legs.values()} >= {f"d{serial}"}
        elif action == "tick":
            for kept in pairer.handle_timer(now):
                assert len(pairer.group(kept.group_id).legs) == 1  # type: ignore[union-attr]
        elif pairer.groups():
            pairer.end_group(pairer.groups()[serial % len(pairer.groups())].group_id, now)
        dialogs: list[str] = []
        for group in pairer.groups():
            assert {leg.pair_key for leg in group.legs.values()} == {group.key}
            assert 1 <= len(group.legs) <= 2
            assert (group.state is GroupState.PAIRED) == (len(group.legs) == 2 and group.live)
            assert group.deadline is None or group.state is GroupState.WAITING
            dialogs += [leg.dialog_id for leg in group.legs.values()]
        assert len(dialogs) == len(set(dialogs))
        timer = pairer.get_timer()
        assert timer is None or timer >= min(
            [g.created for g in pairer.groups()] + [g.ended_at or 0.0 for g in pairer.groups()]
        )
