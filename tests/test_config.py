"""Configuration loading: defaults, file + environment layering, exact error messages."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srs import __version__
from srs.config import (
    SECTIONS,
    Config,
    ConfigError,
    build_config,
    detect_advertised_host,
    env_name,
    iter_keys,
    load_config,
    to_toml,
)

ROOT = Path(__file__).resolve().parent.parent
HOST = "192.0.2.10"


def fixed_host() -> str:
    return HOST


def load(
    text: str | None = None, env: dict[str, str] | None = None, tmp: Path | None = None
) -> Config:
    path = None
    if text is not None:
        assert tmp is not None
        path = tmp / "srs.toml"
        path.write_text(text)
    return load_config(path, env or {}, detect_host=fixed_host)


def test_defaults_without_a_file() -> None:
    config = load()
    sip, media, storage = config.sip, config.media, config.storage
    assert (sip.host, sip.advertised_host) == ("0.0.0.0", HOST)
    assert (sip.udp_port, sip.tcp_port, sip.tls_port) == (5060, 5060, 0)
    assert (sip.t1, sip.t2, sip.t4) == (0.5, 4.0, 5.0)
    assert (sip.session_expires, sip.min_se, sip.max_sessions, sip.retry_after) == (
        1800,
        90,
        1000,
        5,
    )
    assert sip.user_agent == f"srs/{__version__}"
    assert (sip.max_message_size, sip.tcp_idle_timeout, sip.accept_trunk_calls) == (
        65535,
        600.0,
        True,
    )
    assert sip.tls_cert is None and sip.tls_verify_client is False
    assert (media.host, media.advertised_host) == ("0.0.0.0", HOST)
    assert (media.port_min, media.port_max) == (20000, 39999)
    assert media.codecs == ("PCMU", "PCMA", "G722", "G729", "opus", "AMR", "telephone-event", "CN")
    assert (media.latch, media.strict_source, media.record_video, media.fsync) == (
        True,
        True,
        False,
        False,
    )
    assert (media.rcvbuf, media.flush_interval) == (1048576, 0.2)
    assert (config.recording.format, config.recording.layout) == ("wav", "stereo")
    assert config.recording.finalize_workers == 2
    assert storage.data_dir == Path("var")
    assert storage.database_url == "sqlite:///var/srs.db"
    assert (storage.recordings_dir, storage.spool_dir) == (
        Path("var/recordings"),
        Path("var/spool"),
    )
    assert storage.backend == "local"
    assert (config.http.host, config.http.port, config.http.enabled) == ("0.0.0.0", 8080, True)
    assert (config.logging.level, config.logging.format) == ("INFO", "text")
    assert (config.plugins.disabled, config.plugins.trace) == ((), False)


def test_storage_paths_follow_data_dir(tmp_path: Path) -> None:
    config = load('[storage]\ndata_dir = "/srv/srs"\n', tmp=tmp_path)
    assert config.storage.database_url == "sqlite:////srv/srs/srs.db"
    assert config.storage.recordings_dir == Path("/srv/srs/recordings")
    assert config.storage.spool_dir == Path("/srv/srs/spool")


def test_explicit_storage_paths_win_over_data_dir(tmp_path: Path) -> None:
    text = '[storage]\ndata_dir = "/srv/srs"\nspool_dir = "/fast/spool"\ndatabase_url = "postgresql://srs@db/srs"\n'
    config = load(text, tmp=tmp_path)
    assert config.storage.spool_dir == Path("/fast/spool")
    assert config.storage.recordings_dir == Path("/srv/srs/recordings")
    assert config.storage.database_url == "postgresql://srs@db/srs"


def test_media_addresses_follow_sip(tmp_path: Path) -> None:
    config = load('[sip]\nhost = "10.1.2.3"\nadvertised_host = "203.0.113.5"\n', tmp=tmp_path)
    assert config.media.host == "10.1.2.3"
    assert config.media.advertised_host == "203.0.113.5"
    config = load(
        '[sip]\nadvertised_host = "auto"\n[media]\nadvertised_host = "198.51.100.1"\n', tmp=tmp_path
    )
    assert config.sip.advertised_host == HOST
    assert config.media.advertised_host == "198.51.100.1"


def test_environment_values_are_toml_scalars() -> None:
    config = load(
        env={
            "SRS_SIP__UDP_PORT": "5070",
            "SRS_SIP__T1": "0.25",
            "SRS_SIP__ACCEPT_TRUNK_CALLS": "false",
            "SRS_STORAGE__DATABASE_URL": "sqlite:////tmp/x.db",
            "SRS_MEDIA__CODECS": '["PCMU", "opus"]',
            "SRS_PLUGINS__DISABLED": "foo, bar",
            "SRS_LOGGING__LEVEL": '"debug"',
            "SRS_SIP__USER_AGENT": "My Recorder 1.0",
            "SRS_CONFIG": "/ignored/because/no/separator",
            "SRS_TEST_DATABASE_URL": "ignored too",
            "OTHER__THING": "1",
        }
    )
    assert config.sip.udp_port == 5070
    assert config.sip.t1 == 0.25
    assert config.sip.accept_trunk_calls is False
    assert config.storage.database_url == "sqlite:////tmp/x.db"
    assert config.media.codecs == ("PCMU", "opus")
    assert config.plugins.disabled == ("foo", "bar")
    assert config.logging.level == "DEBUG"
    assert config.sip.user_agent == "My Recorder 1.0"


def test_environment_beats_file(tmp_path: Path) -> None:
    config = load(
        "[sip]\nudp_port = 5080\ntcp_port = 5081\n", {"SRS_SIP__UDP_PORT": "5090"}, tmp_path
    )
    assert (config.sip.udp_port, config.sip.tcp_port) == (5090, 5081)


def test_integer_accepted_for_float_settings(tmp_path: Path) -> None:
    config = load("[sip]\nt2 = 8\n", tmp=tmp_path)
    assert config.sip.t2 == 8.0 and isinstance(config.sip.t2, float)


ERRORS = [
    (
        {"SRS_SIP__UDP_PORT": "abc"},
        "sip.udp_port: must be an integer between 0 and 65535, got 'abc'",
    ),
    (
        {"SRS_SIP__UDP_PORT": "70000"},
        "sip.udp_port: must be an integer between 0 and 65535, got 70000",
    ),
    (
        {"SRS_SIP__UDP_PORT": "true"},
        "sip.udp_port: must be an integer between 0 and 65535, got True",
    ),
    ({"SRS_MEDIA__PORT_MIN": "0"}, "media.port_min: must be an integer between 1 and 65535, got 0"),
    (
        {"SRS_SIP__UDP_PROT": "5060"},
        "sip.udp_prot: unknown key (from SRS_SIP__UDP_PROT) (did you mean 'udp_port'?)",
    ),
    (
        {"SRS_MEDAI__PORT_MIN": "1"},
        "medai: unknown section (from SRS_MEDAI__PORT_MIN) (did you mean 'media'?)",
    ),
    (
        {"SRS_SIP__UDP__PORT": "1"},
        "SRS_SIP__UDP__PORT: environment overrides look like SRS_<SECTION>__<KEY>, e.g. SRS_SIP__UDP_PORT",
    ),
    (
        {"SRS_SIP__TLS_VERIFY_CLIENT": "yes"},
        "sip.tls_verify_client: must be true or false, got 'yes'",
    ),
    ({"SRS_SIP__T1": "fast"}, "sip.t1: must be a number, got 'fast'"),
    ({"SRS_SIP__T1": "0"}, "sip.t1: must be greater than 0, got 0.0"),
    ({"SRS_SIP__T1": "nan"}, "sip.t1: must be a number, got nan"),
    ({"SRS_SIP__T2": "0.25"}, "sip.t2: must not be smaller than sip.t1 (0.25 < 0.5)"),
    ({"SRS_SIP__MIN_SE": "30"}, "sip.min_se: must be at least 90, got 30"),
    (
        {"SRS_SIP__SESSION_EXPIRES": "100", "SRS_SIP__MIN_SE": "120"},
        "sip.session_expires: must not be smaller than sip.min_se (100 < 120)",
    ),
    ({"SRS_SIP__USER_AGENT": "7"}, "sip.user_agent: must be a string, got 7"),
    (
        {"SRS_MEDIA__PORT_MIN": "40000"},
        "media.port_min: must not be greater than media.port_max (40000 > 39999)",
    ),
    (
        {"SRS_MEDIA__PORT_MIN": "30000", "SRS_MEDIA__PORT_MAX": "30000"},
        "media.port_max: the media port range must hold at least one RTP/RTCP pair",
    ),
    (
        {"SRS_SIP__UDP_PORT": "20000"},
        "sip.udp_port: 20000 lies inside the media port range 20000-39999",
    ),
    ({"SRS_SIP__TLS_PORT": "5060"}, "sip.tls_port: overlaps sip.tcp_port (both TCP port 5060)"),
    ({"SRS_HTTP__PORT": "5060"}, "http.port: overlaps sip.tcp_port (both TCP port 5060)"),
    ({"SRS_SIP__TLS_PORT": "5061"}, "sip.tls_cert: required when sip.tls_port is set (5061)"),
    (
        {"SRS_SIP__TLS_CA": "/nonexistent/ca.pem"},
        "sip.tls_ca: cannot read '/nonexistent/ca.pem': No such file or directory",
    ),
    (
        {"SRS_RECORDING__FORMAT": "mp3"},
        "recording.format: must be one of 'wav', 'wav-g711', 'ogg', got 'mp3'",
    ),
    (
        {"SRS_RECORDING__LAYOUT": "mono"},
        "recording.layout: must be one of 'stereo', 'multichannel', 'separate', 'mixed', got 'mono'",
    ),
    (
        {"SRS_RECORDING__FINALIZE_WORKERS": "0"},
        "recording.finalize_workers: must be at least 1, got 0",
    ),
    (
        {"SRS_LOGGING__LEVEL": "verbose"},
        "logging.level: must be one of 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', got 'verbose'",
    ),
    ({"SRS_LOGGING__FORMAT": "xml"}, "logging.format: must be one of 'text', 'json', got 'xml'"),
    ({"SRS_MEDIA__CODECS": '["PCMU", "pcmu"]'}, "media.codecs: 'pcmu' is listed twice"),
    ({"SRS_MEDIA__CODECS": "[1, 2]"}, "media.codecs: must be a list of strings, got [1, 2]"),
    (
        {"SRS_STORAGE__DATABASE_URL": "srs.db"},
        "storage.database_url: must be a database URL like 'sqlite:///var/srs.db' or 'postgresql://user@host/srs', got 'srs.db'",
    ),
    (
        {"SRS_STORAGE__DATA_DIR": "5"},
        "storage.data_dir: must be a file system path (a string), got 5",
    ),
    ({"SRS_SIP__HOST": '""'}, "sip.host: must not be empty"),
    ({"SRS_SIP__TLS_CA": '"a\\u0000b"'}, "sip.tls_ca: must not contain a NUL character"),
    (
        {"SRS_SIP__TLS_CA": "~nosuchuser/ca.pem"},
        "sip.tls_ca: cannot read '~nosuchuser/ca.pem': No such file or directory",
    ),
]


@pytest.mark.parametrize(
    ("env", "message"), ERRORS, ids=[m.split(":")[0] + f"-{i}" for i, (_, m) in enumerate(ERRORS)]
)
def test_errors_name_the_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(env=env)
    assert str(info.value) == message


def test_error_key_attribute() -> None:
    with pytest.raises(ConfigError) as info:
        load(env={"SRS_SIP__UDP_PORT": "x"})
    assert info.value.key == "sip.udp_port"


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"^sip\.udp_prot: unknown key \(did you mean 'udp_port'\?\)$"
    ):
        load("[sip]\nudp_prot = 1\n", tmp=tmp_path)
    with pytest.raises(ConfigError, match=r"^medai: unknown section \(did you mean 'media'\?\)$"):
        load("[medai]\nport_min = 1\n", tmp=tmp_path)
    with pytest.raises(ConfigError, match=r"^zzz: unknown section$"):
        load("[zzz]\n", tmp=tmp_path)
    with pytest.raises(ConfigError, match=r"^sip: must be a \[sip\] table, got 5$"):
        load("sip = 5\n", tmp=tmp_path)
    with pytest.raises(ConfigError, match=r"srs\.toml: invalid TOML: "):
        load("[sip\n", tmp=tmp_path)
    with pytest.raises(ConfigError, match=r"missing\.toml: cannot read config file: No such file"):
        load_config(tmp_path / "missing.toml", {})


def test_tls_files_checked_for_readability(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("CERT")
    text = f'[sip]\ntls_port = 5061\ntls_cert = "{cert}"\ntls_key = "{key}"\n'
    with pytest.raises(ConfigError) as info:
        load(text, tmp=tmp_path)
    assert str(info.value) == f"sip.tls_key: cannot read {str(key)!r}: No such file or directory"
    key.write_text("KEY")
    config = load(text, tmp=tmp_path)
    assert (config.sip.tls_port, config.sip.tls_cert, config.sip.tls_key) == (5061, cert, key)


def test_effective_toml_round_trips(tmp_path: Path) -> None:
    config = load(
        '[sip]\nudp_port = 5070\nuser_agent = "Rec \\"x\\" \\\\ 1"\n[plugins]\ndisabled = ["a"]\n',
        {"SRS_STORAGE__DATA_DIR": str(tmp_path)},
        tmp_path,
    )
    text = to_toml(config)
    assert "# tls_cert = (unset)" in text
    again = build_config(tomllib.loads(text), detect_host=lambda: "0.0.0.0")
    assert again == config


@given(st.integers(min_value=-(2**20), max_value=2**20))
def test_any_udp_port_is_accepted_or_rejected_by_name(port: int) -> None:
    try:
        config = load(env={"SRS_SIP__UDP_PORT": str(port)})
    except ConfigError as exc:
        assert str(exc).startswith("sip.udp_port: ")
        assert not (0 <= port < 20000 or 39999 < port <= 65535)
    else:
        assert config.sip.udp_port == port


def test_every_key_has_an_env_name() -> None:
    keys = iter_keys()
    assert "sip.udp_port" in keys and "plugins.trace" in keys
    assert env_name("sip.udp_port") == "SRS_SIP__UDP_PORT"
    assert len(keys) == sum(
        len([f for f in dataclasses.fields(getattr(Config(), s)) if not f.metadata.get("tables")])
        for s in SECTIONS
    )


def test_plugin_tables_are_kept_for_their_plugin(tmp_path: Path) -> None:
    path = tmp_path / "srs.toml"
    path.write_text("[plugins]\ntrace = true\n[plugins.cisco_bib]\nwait = 2.5\n")
    config = load_config(path, {}, detect_host=fixed_host)
    assert config.plugins.trace is True
    assert config.plugins.settings == {"cisco_bib": {"wait": 2.5}}
    assert "[plugins.cisco_bib]\nwait = 2.5" in to_toml(config)


def test_every_key_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    missing = [k for k in iter_keys() if f"`{k}`" not in text or f"`{env_name(k)}`" not in text]
    assert missing == []


def test_example_file_lists_every_key_and_loads(tmp_path: Path) -> None:
    path = ROOT / "srs.example.toml"
    text = path.read_text()
    section = None
    seen: set[str] = set()
    for line in text.splitlines():
        stripped = line.lstrip("# ").strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        elif "=" in stripped and section is not None:
            seen.add(f"{section}.{stripped.split('=', 1)[0].strip()}")
    assert [k for k in iter_keys() if k not in seen] == []
    load_config(path, {}, detect_host=fixed_host)  # whatever is uncommented must be valid


def test_detect_advertised_host_is_an_ipv4_address() -> None:
    parts = detect_advertised_host().split(".")
    assert len(parts) == 4 and all(0 <= int(p) <= 255 for p in parts)
