"""The srs hook implementations: the I/O-free pairer wired to the server's hooks.

* ``srs_classify_call``: a CUCM fork becomes one leg of a two-channel group, near end on
  channel 0 (left), far end on channel 1 (right).
* ``srs_tick``: drives the pairer's timer (lone forks, forgetting old groups).
* ``srs_session_started`` / ``srs_session_ended``: learn which recording is which group,
  and end the group so that a later hold/transfer segment can chain to it.
* ``srs_enrich_call_facts``: the CUCM facts (numbers, devices, cluster, refci, call chain).

The server puts the group into the session snapshot as ``snapshot["group"]``
(``{"id": …, …}``, see docs/plugins.md); that is how this plugin finds its group again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from srs.plugins import hookimpl
from srs.plugins.classification import CallClassification
from srs_cisco_bib.leg import NEAREND, BibHeaderError, BibLeg
from srs_cisco_bib.pairing import BibPairer

if TYPE_CHECKING:
    from srs.config import Config
    from srs.metadata.facts import CallFacts
    from srs.sip.message import SipRequest

log = logging.getLogger("srs_cisco_bib")

PLUGIN_NAME = "cisco_bib"
DEFAULT_WAIT = 2.0
DEFAULT_CHAIN_WINDOW = 30.0
CHANNELS = {"nearend": 0, "farend": 1}


class _State:
    """Module-level state, rebuilt by ``srs_configure``."""

    def __init__(
        self, wait: float = DEFAULT_WAIT, chain_window: float = DEFAULT_CHAIN_WINDOW
    ) -> None:
        self.pairer = BibPairer(wait=wait, chain_window=chain_window)
        self.recordings: dict[str, str] = {}  # recording id -> group id
        self.now = 0.0  # the last server clock value seen (srs_tick / srs_classify_call)

    def advance(self, now: float) -> None:
        self.now = max(self.now, now)
        for event in self.pairer.handle_timer(now):
            log.warning(
                "cisco_bib: %s fork of group %s got no partner within %.1f s; recording it alone",
                event.leg.role,
                event.group_id,
                self.pairer.wait,
            )


state = _State()


def _table(config: object) -> Mapping[str, Any]:
    """``[plugins.cisco_bib]``: from ``config.plugins.settings`` or a plain mapping config."""
    if isinstance(config, Mapping):
        plugins = config.get("plugins")
    else:
        plugins = getattr(config, "plugins", None)
    if plugins is not None and not isinstance(plugins, Mapping):
        plugins = getattr(plugins, "settings", None)
    table = plugins.get(PLUGIN_NAME) if isinstance(plugins, Mapping) else None
    return table if isinstance(table, Mapping) else {}


def _group_id(snapshot: Mapping[str, Any]) -> str | None:
    """``snapshot["group"]["id"]``, else what ``srs_session_started`` saw for the recording."""
    group = snapshot.get("group")
    if isinstance(group, Mapping) and isinstance(group.get("id"), str):
        return str(group["id"])
    return state.recordings.get(str(snapshot.get("recording_id")))


@hookimpl
def srs_configure(config: Config) -> None:
    global state
    table = _table(config)
    state = _State(
        wait=float(table.get("wait", DEFAULT_WAIT)),
        chain_window=float(table.get("chain_window", DEFAULT_CHAIN_WINDOW)),
    )


@hookimpl
def srs_classify_call(request: SipRequest, now: float) -> CallClassification | None:
    state.advance(now)
    try:
        leg = BibLeg.from_headers(request.headers.items())
    except BibHeaderError as exc:
        log.warning("cisco_bib: not pairing this INVITE: %s", exc)
        return None
    if leg is None:
        return None
    event = state.pairer.add_leg(leg, now)
    group = state.pairer.group(event.group_id)
    return CallClassification(
        group_id=event.group_id,
        leg=leg.role,
        channel=CHANNELS[leg.role],
        channels=2,
        expected_legs=2,
        wait=state.pairer.wait,
        call_id=event.call_id,
        segment=event.segment,
        facts=_facts(group.legs.values() if group else [leg]),
        plugin=PLUGIN_NAME,
    )


@hookimpl
def srs_tick(now: float) -> None:
    state.advance(now)


@hookimpl
def srs_session_started(snapshot: Mapping[str, Any]) -> None:
    group_id = _group_id(snapshot)
    if group_id is not None and state.pairer.group(group_id) is not None:
        state.recordings[str(snapshot.get("recording_id"))] = group_id


@hookimpl
def srs_session_ended(snapshot: Mapping[str, Any], reason: str) -> None:
    group_id = _group_id(snapshot)
    state.recordings.pop(str(snapshot.get("recording_id")), None)
    if group_id is not None:
        state.pairer.end_group(group_id, state.now)


@hookimpl
def srs_enrich_call_facts(facts: CallFacts, snapshot: Mapping[str, Any]) -> None:
    group_id = _group_id(snapshot)
    group = state.pairer.group(group_id) if group_id else None
    if group is None:
        return
    facts.attributes.update(_facts(group.legs.values()))
    facts.attributes["cisco_bib.call_id"] = group.call_id
    facts.attributes["cisco_bib.segment"] = str(group.segment)
    facts.attributes["cisco_bib.legs"] = ",".join(sorted(group.legs))
    facts.attributes["cisco_bib.lone_leg"] = "true" if len(group.legs) < 2 else "false"
    facts.attributes["cisco_bib.partner_late"] = "true" if group.lone else "false"


def _facts(legs: Iterable[BibLeg]) -> dict[str, str]:
    """Facts of a group's forks; the near end's values win (both forks carry the same)."""
    ordered = sorted(legs, key=lambda leg: leg.role != NEAREND)
    out: dict[str, str] = {}
    for leg in reversed(ordered):
        out.update(leg.facts())
    return out
