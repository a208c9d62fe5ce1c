"""Fuzzing the configuration loader: any TOML-shaped input yields a Config or a ConfigError
that starts with the offending key, never another exception."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from srs.config import SECTIONS, ConfigError, build_config, iter_keys, load_config

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.text(max_size=6), max_size=3),
    st.lists(st.integers(), max_size=2),
)
known = st.sampled_from(iter_keys())
anything = st.one_of(known, st.from_regex(r"[a-z_]{1,8}\.[a-z_]{1,10}", fullmatch=True))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(anything, scalars, max_size=6))
def test_build_config_only_raises_config_error(entries: dict[str, Any]) -> None:
    raw: dict[str, dict[str, Any]] = {}
    for key, value in entries.items():
        section, name = key.split(".", 1)
        raw.setdefault(section, {})[name] = value
    try:
        config = build_config(raw, detect_host=lambda: "127.0.0.1")
    except ConfigError as exc:
        assert str(exc).split(":", 1)[0].split(".", 1)[0] in {*SECTIONS, *raw}
    else:
        for key, value in entries.items():
            section, name = key.split(".", 1)
            assert section in SECTIONS
            assert getattr(getattr(config, section), name) is not None or value in ("", None)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.from_regex(r"SRS_[A-Z_]{1,12}", fullmatch=True), st.text(max_size=10), max_size=4
    )
)
def test_environment_only_raises_config_error(env: dict[str, str]) -> None:
    try:
        load_config(None, env, detect_host=lambda: "127.0.0.1")
    except ConfigError:
        pass
