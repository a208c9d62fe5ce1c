"""Hook specifications: every door a plugin can use, grouped by when the server opens it.

Each docstring follows one template: a one-line summary, why and when the hook is called,
``:param …:`` lines, ``:return:`` and ``:firstresult:``.  docs/plugin_hooks.md mirrors
this file and tests/plugins/test_docs.py keeps the two equal.

No hook is called per RTP packet or per spool write.  The hot paths use objects that
plugins registered once through the ``srs_register_*`` hooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from srs.plugins import PROJECT_NAME

if TYPE_CHECKING:
    from srs.config import Config
    from srs.metadata.dialect import DialectRegistry
    from srs.metadata.facts import CallFacts
    from srs.plugins.classification import CallClassification
    from srs.plugins.registry import (
        ApiRouteRegistry,
        ChannelDriverRegistry,
        CliCommandRegistry,
        StorageBackendRegistry,
    )
    from srs.server import Server
    from srs.sip.message import SipRequest

_hookspec = pluggy.HookspecMarker(PROJECT_NAME)

# --- start-up -------------------------------------------------------------------------


@_hookspec
def srs_configure(config: Config) -> None:
    """Called once at start, before any other hook, with the loaded configuration.

    Plugins read their own settings (the ``[plugins.<name>]`` table, in
    ``config.plugins.settings[<name>]``) here and reset their state.

    :param config: the validated configuration (``srs.config.Config``).
    :return: nothing.
    :firstresult: no.
    """


@_hookspec
def srs_register_metadata_dialects(registry: DialectRegistry) -> None:
    """Add vendor metadata dialects (RFC 7865 readers and vendor extensions).

    Called once when the metadata layer is built; the built-in RFC 7865 and draft
    dialects use this hook too.

    :param registry: ``srs.metadata.dialect.DialectRegistry``; call ``registry.register(dialect)``.
    :return: nothing.
    :firstresult: no.
    """


@_hookspec
def srs_register_storage_backends(registry: StorageBackendRegistry) -> None:
    """Add storage backends that ``[storage] backend = "<name>"`` can select.

    Called once at start.

    :param registry: ``srs.plugins.registry.StorageBackendRegistry``; call ``registry.register(name, factory)``.
    :return: nothing.
    :firstresult: no.
    """


@_hookspec
def srs_register_channel_drivers(registry: ChannelDriverRegistry) -> None:
    """Add channel drivers: sources of calls that the server starts beside its SIP endpoint.

    Called once at start.

    :param registry: ``srs.plugins.registry.ChannelDriverRegistry``; call ``registry.register(name, factory)``.
    :return: nothing.
    :firstresult: no.
    """


@_hookspec
def srs_register_api_routes(registry: ApiRouteRegistry) -> None:
    """Add Litestar route handlers, controllers or routers to the HTTP API.

    Called once by ``create_app()``.

    :param registry: ``srs.plugins.registry.ApiRouteRegistry``; call ``registry.add(handler)``.
    :return: nothing.
    :firstresult: no.
    """


@_hookspec
def srs_register_cli_commands(registry: CliCommandRegistry) -> None:
    """Add ``srs <command>`` sub-commands (argparse).

    Called once when the command line parser is built.

    :param registry: ``srs.plugins.registry.CliCommandRegistry``; call ``registry.add(name, help=..., run=...)``.
    :return: nothing.
    :firstresult: no.
    """


@_hookspec
def srs_server_started(server: Server) -> None:
    """The server is listening (SIP, media, HTTP) and about to take calls.

    Called once, after the ``srs_register_*`` hooks and after unfinished spools were queued
    for recovery.

    :param server: the running ``srs.server.Server``.
    :return: nothing.
    :firstresult: no.
    """


# --- call routing ---------------------------------------------------------------------


@_hookspec(firstresult=True)
def srs_classify_call(request: SipRequest, now: float) -> CallClassification | None:
    """Say whether a new INVITE is one leg of a multi-leg recording (e.g. Cisco BIB forks).

    Called once per dialog-creating INVITE, after admission control and before the server
    answers.  The first plugin that returns a classification wins; ``None`` means an
    ordinary call.  Must not block: the INVITE is answered right after.

    :param request: the INVITE (``srs.sip.message.SipRequest``).
    :param now: the server's monotonic clock, the same clock as ``srs_tick``.
    :return: a ``srs.plugins.classification.CallClassification`` or ``None``.
    :firstresult: yes.
    """


# --- recording session ----------------------------------------------------------------


@_hookspec
def srs_session_started(snapshot: Mapping[str, Any]) -> None:
    """A recording session was created (its first dialog was answered).

    :param snapshot: the session as written to ``session.json`` (a JSON object).
    :return: nothing.
    :firstresult: no.
    """


@_hookspec
def srs_session_updated(snapshot: Mapping[str, Any]) -> None:
    """The session changed: new metadata, streams, participants, hold/resume, joined leg.

    :param snapshot: the session as written to ``session.json`` (a JSON object).
    :return: nothing.
    :firstresult: no.
    """


@_hookspec
def srs_enrich_call_facts(facts: CallFacts, snapshot: Mapping[str, Any]) -> CallFacts | None:
    """Add or correct call facts (directory look-ups, vendor ids) before they are stored.

    Called whenever the server recomputes the facts of a session (start, metadata change,
    end).  Keep it fast: it runs on the event loop.

    :param facts: the facts so far (``srs.metadata.facts.CallFacts``); may be mutated in place.
    :param snapshot: the session as written to ``session.json`` (a JSON object).
    :return: ``None``, or facts the server merges in with ``facts.merged(result)``.
    :firstresult: no.
    """


@_hookspec
def srs_session_ended(snapshot: Mapping[str, Any], reason: str) -> None:
    """The recording session ended; finalization is about to be queued.

    :param snapshot: the final session snapshot (``session.json`` as a JSON object).
    :param reason: ``bye``, ``cancel``, ``session-timer``, ``ack-timeout``, ``prack-timeout``,
        ``replaced``, ``error``, ``shutdown``.
    :return: nothing.
    :firstresult: no.
    """


# --- after the call -------------------------------------------------------------------


@_hookspec
def srs_recording_finalized(recording: Mapping[str, Any], result: Mapping[str, Any]) -> None:
    """A recording was finalized into audio files and its row stored.

    Called from the finalize pipeline, not from the capture path.

    :param recording: the final session snapshot (``session.json`` as a JSON object).
    :param result: what finalize produced, ``srs.media.finalize.FinalizeResult.to_json()``.
    :return: nothing.
    :firstresult: no.
    """


# --- timers ---------------------------------------------------------------------------


@_hookspec
def srs_tick(now: float) -> None:
    """Periodic timer, about once a second, so plugins with sans-IO cores run their timers.

    :param now: the server's monotonic clock, the same clock as ``srs_classify_call``.
    :return: nothing.
    :firstresult: no.
    """
