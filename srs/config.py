"""Configuration: one TOML file plus ``SRS_<SECTION>__<KEY>`` environment overrides.

Everything is validated once, at start, so a bad setting fails with a message naming the key
(``sip.udp_port: must be an integer between 0 and 65535, got 'abc'``) instead of surfacing
later as a socket error.  The result is a tree of frozen dataclasses; derived defaults
(advertised addresses, storage paths, database URL) are resolved here so the rest of the
server never sees "auto".
"""

# ruff: noqa: RUF009  (``_setting`` returns an immutable ``dataclasses.field``)
from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import socket
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from srs import __version__

ENV_PREFIX = "SRS_"
ENV_SEPARATOR = "__"

RECORDING_FORMATS = ("wav", "wav-g711", "ogg")
RECORDING_LAYOUTS = ("stereo", "multichannel", "separate", "mixed")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
DEFAULT_CODECS = ("PCMU", "PCMA", "G722", "G729", "opus", "AMR", "telephone-event", "CN")


class ConfigError(ValueError):
    """A setting is missing, mistyped or inconsistent; ``key`` is the dotted name."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


Check = Callable[[str, Any], None]


def _setting(
    default: Any, check: Check | None = None, *, derived: bool = False, kind: str | None = None
) -> Any:
    """A dataclass field carrying its validator.

    ``derived`` marks defaults computed from other keys; ``kind`` replaces the plain type
    name in type errors (ports say their range).
    """
    meta = {"check": check, "derived": derived, "kind": kind}
    if isinstance(default, list | tuple):
        value = tuple(default)
        return field(default=value, metadata=meta)
    return field(default=default, metadata=meta)


def _port(default: int, low: int = 0) -> Any:
    """A port setting: an integer in ``low..65535``."""
    kind = f"an integer between {low} and 65535"

    def check(key: str, value: Any) -> None:
        if not (low <= value <= 65535):
            raise ConfigError(f"{key}: must be {kind}, got {value!r}", key)

    return _setting(default, check, kind=kind)


def _positive(key: str, value: Any) -> None:
    if not value > 0:
        raise ConfigError(f"{key}: must be greater than 0, got {value!r}", key)


def _non_negative(key: str, value: Any) -> None:
    if value < 0:
        raise ConfigError(f"{key}: must be 0 or greater, got {value!r}", key)


def _at_least(low: int) -> Check:
    def check(key: str, value: Any) -> None:
        if value < low:
            raise ConfigError(f"{key}: must be at least {low}, got {value!r}", key)

    return check


def _one_of(choices: tuple[str, ...], *, fold: bool = False) -> Check:
    def check(key: str, value: Any) -> None:
        probe = value.upper() if fold else value
        if probe not in choices:
            raise ConfigError(
                f"{key}: must be one of {', '.join(repr(c) for c in choices)}, got {value!r}", key
            )

    return check


def _non_empty(key: str, value: Any) -> None:
    if isinstance(value, str) and not value.strip():
        raise ConfigError(f"{key}: must not be empty", key)


def _names(key: str, value: Any) -> None:
    seen: set[str] = set()
    for item in value:
        if not item.strip():
            raise ConfigError(f"{key}: names must not be empty", key)
        if item.lower() in seen:
            raise ConfigError(f"{key}: {item!r} is listed twice", key)
        seen.add(item.lower())


def _database_url(key: str, value: Any) -> None:
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value):
        raise ConfigError(
            f"{key}: must be a database URL like 'sqlite:///var/srs.db' or "
            f"'postgresql://user@host/srs', got {value!r}",
            key,
        )


@dataclass(frozen=True, kw_only=True)
class SipConfig:
    """SIP listener and protocol timers (RFC 3261 T1/T2/T4, RFC 4028 session timers)."""

    host: str = _setting("0.0.0.0", _non_empty)
    advertised_host: str = _setting("127.0.0.1", derived=True)
    udp_port: int = _port(5060)
    tcp_port: int = _port(5060)
    tls_port: int = _port(0)
    tls_cert: Path | None = _setting(None)
    tls_key: Path | None = _setting(None)
    tls_ca: Path | None = _setting(None)
    tls_verify_client: bool = _setting(False)
    t1: float = _setting(0.5, _positive)
    t2: float = _setting(4.0, _positive)
    t4: float = _setting(5.0, _positive)
    session_expires: int = _setting(1800, _at_least(90))
    min_se: int = _setting(90, _at_least(90))
    max_sessions: int = _setting(1000, _at_least(1))
    retry_after: int = _setting(5, _non_negative)
    overload_lag_ms: int = _setting(500, _non_negative)
    user_agent: str = _setting(f"srs/{__version__}")
    max_message_size: int = _setting(65535, _at_least(1024))
    tcp_idle_timeout: float = _setting(600.0, _positive)
    accept_trunk_calls: bool = _setting(True)
    answer_delay: float = _setting(0.0, _non_negative)


@dataclass(frozen=True, kw_only=True)
class MediaConfig:
    """RTP capture: bind address, port range, codecs and spool flushing."""

    host: str = _setting("0.0.0.0", derived=True)
    advertised_host: str = _setting("127.0.0.1", derived=True)
    port_min: int = _port(20000, 1)
    port_max: int = _port(39999, 1)
    record_video: bool = _setting(False)
    codecs: tuple[str, ...] = _setting(DEFAULT_CODECS, _names)
    latch: bool = _setting(True)
    strict_source: bool = _setting(True)
    rcvbuf: int = _setting(1048576, _non_negative)
    flush_interval: float = _setting(0.2, _positive)
    fsync: bool = _setting(False)


@dataclass(frozen=True, kw_only=True)
class RecordingConfig:
    """What finalize produces from the spool."""

    format: str = _setting("wav", _one_of(RECORDING_FORMATS))
    layout: str = _setting("stereo", _one_of(RECORDING_LAYOUTS))
    finalize_workers: int = _setting(2, _at_least(1))


@dataclass(frozen=True, kw_only=True)
class StorageConfig:
    """Where rows, finished recordings and the capture spool live."""

    data_dir: Path = _setting(Path("var"))
    database_url: str = _setting("sqlite:///var/srs.db", _database_url, derived=True)
    recordings_dir: Path = _setting(Path("var/recordings"), derived=True)
    spool_dir: Path = _setting(Path("var/spool"), derived=True)
    backend: str = _setting("local", _non_empty)


@dataclass(frozen=True, kw_only=True)
class HttpConfig:
    """The HTTP API listener."""

    host: str = _setting("0.0.0.0", _non_empty)
    port: int = _port(8080)
    enabled: bool = _setting(True)
    #: HMAC secret for shared recording links; empty: generated once and kept in
    #: ``<data_dir>/signing_secret``.
    signing_secret: str = _setting("")
    #: Bearer token required by ``/metrics``; empty: ``/metrics`` is open.
    metrics_token: str = _setting("")


@dataclass(frozen=True, kw_only=True)
class LoggingConfig:
    level: str = _setting("INFO", _one_of(LOG_LEVELS, fold=True))
    format: str = _setting("text", _one_of(LOG_FORMATS))


@dataclass(frozen=True, kw_only=True)
class PluginsConfig:
    disabled: tuple[str, ...] = _setting((), _names)
    trace: bool = _setting(False)
    #: ``[plugins.<name>]`` sub-tables, handed to that plugin as they are (the plugin
    #: validates its own settings).
    settings: dict[str, dict[str, Any]] = field(
        default_factory=dict,
        metadata={"check": None, "derived": False, "kind": None, "tables": True},
    )


@dataclass(frozen=True, kw_only=True)
class TenantsConfig:
    """Which tenant a recording belongs to when its metadata does not say."""

    default: str = _setting("default", _non_empty)
    #: ``[tenants.sources]``: SRC address (IP or CIDR) or SIP host → tenant name.
    sources: dict[str, str] = field(
        default_factory=dict,
        metadata={"check": None, "derived": False, "kind": None, "tables": True},
    )


@dataclass(frozen=True, kw_only=True)
class RetentionConfig:
    """How long soft-deleted recordings are kept before they are erased."""

    purge_after_days: int = _setting(30, _at_least(0))


@dataclass(frozen=True, kw_only=True)
class Config:
    """The whole validated configuration; build it with :func:`load_config`."""

    sip: SipConfig = field(default_factory=SipConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    recording: RecordingConfig = field(default_factory=RecordingConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    plugins: PluginsConfig = field(default_factory=PluginsConfig)
    tenants: TenantsConfig = field(default_factory=TenantsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)


SECTIONS: dict[str, type[Any]] = {
    "sip": SipConfig,
    "media": MediaConfig,
    "recording": RecordingConfig,
    "storage": StorageConfig,
    "http": HttpConfig,
    "logging": LoggingConfig,
    "plugins": PluginsConfig,
    "tenants": TenantsConfig,
    "retention": RetentionConfig,
}


def section_fields(section: str) -> dict[str, dataclasses.Field[Any]]:
    """The scalar keys of one ``[section]``, by key (sub-tables such as
    ``[plugins.<name>]`` are not keys)."""
    return {
        f.name: f for f in dataclasses.fields(SECTIONS[section]) if not f.metadata.get("tables")
    }


def iter_keys() -> list[str]:
    """Every dotted key (``sip.udp_port``), in declaration order; used by docs and tests."""
    return [f"{s}.{k}" for s in SECTIONS for k in section_fields(s)]


def env_name(key: str) -> str:
    """``sip.udp_port`` → ``SRS_SIP__UDP_PORT``."""
    section, name = key.split(".", 1)
    return f"{ENV_PREFIX}{section.upper()}{ENV_SEPARATOR}{name.upper()}"


# --------------------------------------------------------------------------- loading


def load_config(
    path: Path | None,
    env: Mapping[str, str] = os.environ,
    *,
    detect_host: Callable[[], str] | None = None,
) -> Config:
    """Read ``path`` (``None`` = built-in defaults), apply ``SRS_*`` overrides, validate.

    ``detect_host`` finds the address to advertise when ``sip.advertised_host`` is unset;
    tests pass a fixed one.
    """
    raw: dict[str, dict[str, Any]] = {}
    if path is not None:
        raw = _read_file(path)
    for key, value in _env_overrides(env).items():
        section, name = key.split(".", 1)
        raw.setdefault(section, {})[name] = value
    return build_config(raw, detect_host=detect_host)


def _read_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: config file is not UTF-8: {exc.reason}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    result: dict[str, dict[str, Any]] = {}
    for section, body in data.items():
        _check_section(section)
        if not isinstance(body, dict):
            raise ConfigError(f"{section}: must be a [{section}] table, got {body!r}", section)
        result[section] = dict(body)
    return result


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """``SRS_SIP__UDP_PORT=5070`` → ``{"sip.udp_port": 5070}``.

    Only names with the ``__`` separator are settings, so other ``SRS_*`` switches (plugin
    blocking, test URLs) can coexist.  Values are TOML scalars; text that is not valid TOML
    (``sqlite:///x``, ``abc``) is taken as a plain string.
    """
    result: dict[str, Any] = {}
    for name, text in sorted(env.items()):
        if not name.startswith(ENV_PREFIX) or ENV_SEPARATOR not in name:
            continue
        parts = name[len(ENV_PREFIX) :].lower().split(ENV_SEPARATOR)
        if len(parts) != 2 or not all(parts):
            raise ConfigError(
                f"{name}: environment overrides look like SRS_<SECTION>__<KEY>, e.g. SRS_SIP__UDP_PORT"
            )
        section, key = parts
        _check_section(section, source=name)
        _check_key(section, key, source=name)
        result[f"{section}.{key}"] = _parse_env_value(text)
    return result


def _parse_env_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _suggest(word: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _check_section(section: str, source: str | None = None) -> None:
    if section not in SECTIONS:
        where = f" (from {source})" if source else ""
        raise ConfigError(
            f"{section}: unknown section{where}{_suggest(section, list(SECTIONS))}", section
        )


def _check_key(section: str, key: str, source: str | None = None) -> None:
    names = section_fields(section)
    if key not in names:
        where = f" (from {source})" if source else ""
        raise ConfigError(
            f"{section}.{key}: unknown key{where}{_suggest(key, list(names))}", f"{section}.{key}"
        )


def build_config(
    raw: Mapping[str, Mapping[str, Any]], *, detect_host: Callable[[], str] | None = None
) -> Config:
    """Validate a parsed ``{section: {key: value}}`` tree and resolve derived defaults."""
    given: dict[str, dict[str, Any]] = {}
    for section, body in raw.items():
        _check_section(section)
        hints = get_type_hints(SECTIONS[section])
        fields = section_fields(section)
        values: dict[str, Any] = {}
        for key, value in body.items():
            if section == "plugins" and isinstance(value, Mapping):
                values.setdefault("settings", {})[key] = dict(value)
                continue
            if section == "tenants" and key == "sources":
                values["sources"] = _tenant_sources(value)
                continue
            _check_key(section, key)
            dotted = f"{section}.{key}"
            coerced = _coerce(dotted, hints[key], value)
            check = fields[key].metadata.get("check")
            if check is not None and coerced is not None:
                check(dotted, coerced)
            values[key] = coerced
        given[section] = values
    _derive(given, detect_host or detect_advertised_host)
    sections = {name: SECTIONS[name](**given.get(name, {})) for name in SECTIONS}
    config = Config(**sections)
    _check_consistency(config)
    return config


def _tenant_sources(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"tenants.sources: must be a table of address or host = tenant, got {value!r}",
            "tenants.sources",
        )
    for source, tenant in value.items():
        if not isinstance(tenant, str) or not tenant:
            raise ConfigError(
                f"tenants.sources.{source}: must be a tenant name (a string), got {tenant!r}",
                f"tenants.sources.{source}",
            )
    return dict(value)


def _derive(given: dict[str, dict[str, Any]], detect_host: Callable[[], str]) -> None:
    sip = given.setdefault("sip", {})
    media = given.setdefault("media", {})
    storage = given.setdefault("storage", {})
    if "logging" in given and "level" in given["logging"]:
        given["logging"]["level"] = given["logging"]["level"].upper()
    if sip.get("advertised_host", "auto") in ("", "auto"):
        sip["advertised_host"] = detect_host()
    if not media.get("host"):
        media["host"] = sip.get("host", SipConfig.host)
    if media.get("advertised_host", "auto") in ("", "auto"):
        media["advertised_host"] = sip["advertised_host"]
    data_dir: Path = storage.get("data_dir", StorageConfig.data_dir)
    if not storage.get("database_url"):
        storage["database_url"] = f"sqlite:///{(data_dir / 'srs.db').as_posix()}"
    for key, leaf in (("recordings_dir", "recordings"), ("spool_dir", "spool")):
        if storage.get(key) is None:
            storage[key] = data_dir / leaf


_TYPE_NAMES = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}


def _coerce(key: str, hint: Any, value: Any) -> Any:
    """Check ``value`` against the annotation, converting TOML types to the field's type."""
    optional = hint == (Path | None)
    if optional and value in ("", None):
        return None
    if hint in (Path, Path | None):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{key}: must be a file system path (a string), got {value!r}", key)
        if "\x00" in value:
            raise ConfigError(f"{key}: must not contain a NUL character", key)
        try:
            return Path(value).expanduser()
        except RuntimeError:  # "~nosuchuser/...": keep it literal, the read check reports it
            return Path(value)
    if hint == tuple[str, ...]:
        if isinstance(value, str):  # env convenience: "a,b,c"
            value = [item.strip() for item in value.split(",") if item.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key}: must be a list of strings, got {value!r}", key)
        return tuple(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: must be true or false, got {value!r}", key)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: must be {_kind(key, 'an integer')}, got {value!r}", key)
        return value
    if hint is float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ConfigError(f"{key}: must be a number, got {value!r}", key)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: must be a string, got {value!r}", key)
        return value
    raise AssertionError(f"no coercion for {key}: {hint!r}")  # pragma: no cover


def _kind(key: str, fallback: str) -> str:
    section, name = key.split(".", 1)
    kind = section_fields(section)[name].metadata.get("kind")
    return kind if isinstance(kind, str) else fallback


def _check_consistency(config: Config) -> None:
    """Rules that span several keys."""
    sip, media, http = config.sip, config.media, config.http
    if media.port_min > media.port_max:
        raise ConfigError(
            f"media.port_min: must not be greater than media.port_max "
            f"({media.port_min} > {media.port_max})",
            "media.port_min",
        )
    if media.port_max - media.port_min < 1:
        raise ConfigError(
            "media.port_max: the media port range must hold at least one RTP/RTCP pair",
            "media.port_max",
        )
    if sip.t2 < sip.t1:
        raise ConfigError(
            f"sip.t2: must not be smaller than sip.t1 ({sip.t2} < {sip.t1})", "sip.t2"
        )
    if sip.session_expires < sip.min_se:
        raise ConfigError(
            f"sip.session_expires: must not be smaller than sip.min_se "
            f"({sip.session_expires} < {sip.min_se})",
            "sip.session_expires",
        )
    if sip.tls_port and sip.tls_port == sip.tcp_port:
        raise ConfigError(
            f"sip.tls_port: overlaps sip.tcp_port (both TCP port {sip.tls_port})", "sip.tls_port"
        )
    if sip.udp_port and media.port_min <= sip.udp_port <= media.port_max:
        raise ConfigError(
            f"sip.udp_port: {sip.udp_port} lies inside the media port range "
            f"{media.port_min}-{media.port_max}",
            "sip.udp_port",
        )
    if http.enabled and http.port:
        for name in ("tcp_port", "tls_port"):
            port = getattr(sip, name)
            if port and port == http.port:
                raise ConfigError(
                    f"http.port: overlaps sip.{name} (both TCP port {port})", "http.port"
                )
    if sip.tls_port:
        for name in ("tls_cert", "tls_key"):
            if getattr(sip, name) is None:
                raise ConfigError(
                    f"sip.{name}: required when sip.tls_port is set ({sip.tls_port})",
                    f"sip.{name}",
                )
    for name in ("tls_cert", "tls_key", "tls_ca"):
        path = getattr(sip, name)
        if path is not None:
            _check_readable(f"sip.{name}", path)


def _check_readable(key: str, path: Path) -> None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(f"{key}: cannot read {str(path)!r}: {reason}", key) from exc


# ----------------------------------------------------------------------- host detection


def detect_advertised_host() -> str:
    """The first non-loopback IPv4 address of this host, else ``127.0.0.1``.

    Asks the kernel (interface list) or the resolver for our own name; sends no packet.
    """
    for address in _interface_addresses():
        if not address.startswith("127."):
            return address
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    for info in infos:
        address = str(info[4][0])
        if not address.startswith("127."):
            return address
    return "127.0.0.1"


def _interface_addresses() -> list[str]:
    """IPv4 addresses of the interfaces, in kernel order (Linux ``SIOCGIFADDR``)."""
    try:
        import fcntl
        import struct
    except ImportError:  # pragma: no cover - not POSIX
        return []
    result: list[str] = []
    try:
        names = [name for _, name in socket.if_nameindex()]
    except OSError:
        return []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for name in names:
            try:
                packed = fcntl.ioctl(
                    probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15])
                )
            except OSError:
                continue
            result.append(socket.inet_ntoa(packed[20:24]))
    return result


# ------------------------------------------------------------------------- TOML output


def to_dict(config: Config) -> dict[str, dict[str, Any]]:
    """The effective configuration as plain TOML-able values (``None`` left out)."""
    result: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        body: dict[str, Any] = {}
        fields = section_fields(section)
        for key, value in dataclasses.asdict(getattr(config, section)).items():
            if value is None or key not in fields:
                continue
            if isinstance(value, Path):
                value = value.as_posix()
            elif isinstance(value, tuple):
                value = list(value)
            body[key] = value
        result[section] = body
    return result


def to_toml(config: Config) -> str:
    """Render the effective configuration as a TOML document (unset keys as comments)."""
    lines: list[str] = []
    data = to_dict(config)
    for section in SECTIONS:
        if lines:
            lines.append("")
        lines.append(f"[{section}]")
        for key in section_fields(section):
            if key in data[section]:
                lines.append(f"{key} = {_toml_value(data[section][key])}")
            else:
                lines.append(f"# {key} = (unset)")
    if config.tenants.sources:
        lines += ["", "[tenants.sources]"]
        lines += [f"{_toml_value(k)} = {_toml_value(v)}" for k, v in config.tenants.sources.items()]
    for name, table in config.plugins.settings.items():
        lines += ["", f"[plugins.{name}]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot render {value!r} as TOML")
