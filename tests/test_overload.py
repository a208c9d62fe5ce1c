"""LagMonitor: when srs sheds new sessions, and when it takes them again."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srs.overload import LagMonitor
from srs.session.recording import Recorder, RecorderConfig
from srs.sip.headers import Headers
from srs.sip.message import SipRequest
from srs.testing import FakePorts


def test_enters_above_threshold_and_leaves_below_half_after_the_hold() -> None:
    monitor = LagMonitor(threshold=0.1, smoothing=1.0, hold=2.0)
    monitor.observe(0.05, 10.0)
    assert not monitor.overloaded and monitor.reason() is None
    monitor.observe(0.3, 10.1)
    assert monitor.overloaded and monitor.reason() == "overloaded: event loop 300 ms late"
    monitor.observe(0.06, 13.0)  # under the threshold but not under half of it
    assert monitor.overloaded
    monitor.observe(0.01, 11.0)  # caught up, but within the hold: still shedding
    assert monitor.overloaded
    monitor.observe(0.04, 12.1)
    assert not monitor.overloaded and monitor.episodes == 1


def test_one_late_tick_does_not_shed_calls() -> None:
    monitor = LagMonitor(threshold=0.25)
    monitor.observe(0.5, 1.0)  # a single 500 ms hiccup: smoothed to 150 ms
    assert not monitor.overloaded
    for i in range(5):
        monitor.observe(0.5, 1.1 + i / 10)
    assert monitor.overloaded


@given(st.lists(st.floats(min_value=-1.0, max_value=10.0), max_size=50))
def test_lag_stays_within_the_samples(samples: list[float]) -> None:
    monitor = LagMonitor(threshold=0.2)
    for i, sample in enumerate(samples):
        monitor.observe(sample, i * 0.05)
        assert 0.0 <= monitor.lag <= max([0.0, *samples])
        assert monitor.overloaded == (monitor.reason() is not None)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^threshold must be positive$"):
        LagMonitor(threshold=0)
    with pytest.raises(ValueError, match=r"^smoothing must be in \(0, 1\]$"):
        LagMonitor(threshold=1, smoothing=0)


def test_recorder_answers_503_with_retry_after_while_overloaded() -> None:
    monitor = LagMonitor(threshold=0.1, smoothing=1.0)
    recorder = Recorder(
        FakePorts(), config=RecorderConfig(retry_after=7), overloaded=monitor.reason
    )
    request = SipRequest("INVITE", "sip:srs@127.0.0.1", Headers())
    assert recorder.can_accept_session(request, 0.0) is None
    monitor.observe(0.4, 1.0)
    refused = recorder.can_accept_session(request, 0.0)
    assert refused is not None and refused.status == 503
    assert refused.warning == "overloaded: event loop 400 ms late"
    assert ("Retry-After", "7") in list(refused.headers)
