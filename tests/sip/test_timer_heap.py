"""TimerHeap against a plain dict model: same earliest deadline, same due owners."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from srs.sip.timer_heap import TimerHeap


def test_reschedule_replaces_the_old_deadline() -> None:
    heap: TimerHeap[str] = TimerHeap()
    heap.schedule("a", 5.0)
    heap.schedule("b", 3.0)
    heap.schedule("b", 7.0)  # the entry at 3.0 is now stale
    assert heap.earliest() == 5.0
    assert heap.pop_due(6.0) == ["a"]
    assert heap.earliest() == 7.0
    assert (len(heap), "a" in heap, heap.deadline("b")) == (1, False, 7.0)


def test_cancel_and_none_clear_the_owner() -> None:
    heap: TimerHeap[str] = TimerHeap()
    heap.schedule("a", 1.0)
    heap.schedule("b", 2.0)
    heap.cancel("a")
    heap.schedule("b", None)
    assert heap.earliest() is None and heap.pop_due(10.0) == [] and len(heap) == 0


def test_pop_due_is_earliest_first_and_leaves_the_rest() -> None:
    heap: TimerHeap[int] = TimerHeap()
    for owner, at in [(1, 3.0), (2, 1.0), (3, 2.0), (4, 9.0)]:
        heap.schedule(owner, at)
    assert heap.pop_due(3.0) == [2, 3, 1]
    assert heap.earliest() == 9.0


def test_owner_rescheduled_into_the_past_waits_for_the_next_pop() -> None:
    heap: TimerHeap[str] = TimerHeap()
    heap.schedule("a", 1.0)
    due = heap.pop_due(1.0)
    heap.schedule("a", 0.5)  # e.g. a late timer that is overdue again
    assert due == ["a"] and heap.pop_due(1.0) == ["a"]


def test_stale_entries_are_compacted() -> None:
    heap: TimerHeap[int] = TimerHeap()
    for i in range(10):
        heap.schedule(i, 1000.0)
    for step in range(10_000):
        heap.schedule(step % 10, float(step))
    assert len(heap._heap) <= 64 + 4 * 10 + 1
    assert heap.earliest() == 9990.0


ops = st.lists(
    st.tuples(
        st.sampled_from(["schedule", "cancel", "pop"]),
        st.integers(0, 6),
        st.one_of(st.none(), st.integers(0, 40).map(float)),
    ),
    max_size=80,
)


@given(ops)
def test_heap_matches_a_dict_model(script: list[tuple[str, int, float | None]]) -> None:
    heap: TimerHeap[int] = TimerHeap()
    model: dict[int, float] = {}
    for op, owner, at in script:
        if op == "schedule":
            heap.schedule(owner, at)
            if at is None:
                model.pop(owner, None)
            else:
                model[owner] = at
        elif op == "cancel":
            heap.cancel(owner)
            model.pop(owner, None)
        else:
            now = at if at is not None else 20.0
            due = heap.pop_due(now)
            expected = sorted((t, o) for o, t in model.items() if t <= now)
            assert [model[o] for o in due] == [t for t, _ in expected]
            assert set(due) == {o for _, o in expected}
            for o in due:
                del model[o]
        assert heap.earliest() == min(model.values(), default=None)
        assert len(heap) == len(model)
        assert all(heap.deadline(o) == t for o, t in model.items())
