"""A pjsua2 UA that calls srs once, plays a WAV into the call, hangs up, and reports.

Run as a child process by the interop tests (``python pjsua_caller.py --out r.json …``):
pjsua2 is a C library with its own threads, and a crash in it must fail one test, not take
pytest down.  The report (JSON) holds every SIP message pjsip logged on the wire (so the
test sees the real offer and answer), the negotiated codec, and the monotonic times at
which the tone was connected to the call and the call hung up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pjsua2 as pj

# pjsip's message logger: "TX 812 bytes Request msg INVITE/cseq=1 (tdta0x..) to UDP
# 127.0.0.1:5060:\n<message>\n--end msg--".
_WIRE = re.compile(
    r"(?P<dir>TX|RX) \d+ bytes (?:Request|Response) msg (?P<what>\S+) .*?:\n"
    r"(?P<msg>.*?)\n--end msg--",
    re.DOTALL,
)


_UNDESTROYABLE: list[object] = []


@dataclass
class Report:
    """What the test reads back (JSON)."""

    state_log: list[str] = field(default_factory=list)
    last_status: int | None = None
    confirmed_at: float | None = None
    tone_started_at: float | None = None
    hangup_at: float | None = None
    disconnected_at: float | None = None
    codec: str | None = None
    media_active: bool = False
    wire: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None


class CollectingLog(pj.LogWriter):
    """Keeps pjsip's log in memory; the SIP messages are parsed out of it at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def write(self, entry: Any) -> None:
        self.lines.append(str(entry.msg))


class ToneCall(pj.Call):
    """Connects the player to the call's audio as soon as the media is active."""

    def __init__(self, account: pj.Account, player: pj.AudioMediaPlayer, report: Report) -> None:
        super().__init__(account)
        self.player = player
        self.report = report
        self.disconnected = False

    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        self.report.state_log.append(f"{info.stateText} {info.lastStatusCode}")
        self.report.last_status = int(info.lastStatusCode)
        if info.state == pj.PJSIP_INV_STATE_CONFIRMED and self.report.confirmed_at is None:
            self.report.confirmed_at = time.monotonic()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.report.disconnected_at = time.monotonic()
            self.disconnected = True

    def onCallMediaState(self, prm: Any) -> None:
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO or media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            self.report.media_active = True
            self.report.codec = self.getStreamInfo(index).codecName
            if self.report.tone_started_at is None:
                self.player.startTransmit(self.getAudioMedia(index))
                self.report.tone_started_at = time.monotonic()


def wire_messages(log_text: str) -> list[dict[str, str]]:
    """The SIP messages pjsip sent (TX) and received (RX), in order."""
    return [
        {"dir": m.group("dir"), "what": m.group("what"), "msg": m.group("msg")}
        for m in _WIRE.finditer(log_text)
    ]


def run(args: argparse.Namespace, report: Report) -> None:
    ep = pj.Endpoint()
    ep.libCreate()
    writer = CollectingLog()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0  # every SIP callback on this thread, from libHandleEvents
    cfg.uaConfig.userAgent = "srs-interop-pjsua2"
    cfg.logConfig.level = 4  # 4 = the level at which pjsip logs whole SIP messages
    cfg.logConfig.consoleLevel = 4  # pjsua hands the writer what passes consoleLevel
    cfg.logConfig.msgLogging = True
    cfg.logConfig.writer = writer
    # No VAD: pjsua would otherwise stop sending during silence and the recording's
    # completeness (packets received / expected) would measure pjsua's VAD, not srs.
    cfg.medConfig.noVad = True
    cfg.medConfig.ecTailLen = 0
    ep.libInit(cfg)
    try:
        call_once(ep, args, report)
    except Exception as exc:  # reported, not raised: the test shows it with the SIP log
        detail = exc.info() if isinstance(exc, pj.Error) else str(exc)
        report.error = f"{type(exc).__name__}: {detail}"
    finally:
        report.wire = wire_messages("".join(writer.lines))
        # written before libDestroy: should pjsua2 crash while tearing down, the test
        # still gets the SIP log and the timings
        args.out.write_text(json.dumps(asdict(report), indent=1))
        ep.libDestroy()


def call_once(ep: pj.Endpoint, args: argparse.Namespace, report: Report) -> None:
    ep.audDevManager().setNullDev()  # no sound card: the conference bridge runs on a clock
    tcfg = pj.TransportConfig()
    tcfg.port = 0
    tcfg.boundAddress = "127.0.0.1"
    tcfg.publicAddress = "127.0.0.1"
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()
    for codec in ep.codecEnum2():
        ep.codecSetPriority(codec.codecId, 0)  # 0 = disabled: offer only the wanted codec
    ep.codecSetPriority(args.codec, 255)

    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:{args.user}@127.0.0.1"
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.publicAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.port = args.rtp_port
    if args.srtp:
        acfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_MANDATORY
        acfg.mediaConfig.srtpSecureSignaling = 0  # SDES keys over plain UDP signaling
        if args.crypto:
            suite = pj.SrtpCrypto()
            suite.name = args.crypto
            acfg.mediaConfig.srtpOpt.cryptos.append(suite)
    else:
        acfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_DISABLED
    account = pj.Account()
    account.create(acfg)

    player = pj.AudioMediaPlayer()
    player.createPlayer(str(args.wav), 0)  # 0 = loop
    call = ToneCall(account, player, report)
    try:
        call.makeCall(args.target, pj.CallOpParam(True))
    except Exception:
        # pjsua2 workaround: destroying a Call whose makeCall failed trips an assertion
        # (pjsua_call_set_user_data: call_id >= 0) and aborts the process; keep it alive.
        _UNDESTROYABLE.append(call)
        raise

    deadline = time.monotonic() + args.timeout
    while not call.disconnected and time.monotonic() < deadline:
        ep.libHandleEvents(10)
        started = report.tone_started_at
        if (
            started is not None
            and report.hangup_at is None
            and time.monotonic() - started >= args.seconds
        ):
            report.hangup_at = time.monotonic()
            call.hangup(pj.CallOpParam(True))
    # let the BYE's 200 OK (and any retransmission) arrive before tearing down
    settle = time.monotonic() + 0.3
    while time.monotonic() < settle:
        ep.libHandleEvents(10)
    if not call.disconnected:
        report.error = f"call not disconnected within {args.timeout} s"
    del call
    del player
    account.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", required=True, help="request URI, e.g. sip:srs@127.0.0.1:5060")
    parser.add_argument("--wav", type=Path, required=True, help="mono 16-bit WAV to play (looped)")
    parser.add_argument("--codec", default="PCMU/8000/1", help="pjsua codec id to force")
    parser.add_argument("--srtp", action="store_true", help="SDES-SRTP mandatory")
    parser.add_argument("--crypto", default="", help="offer only this SDES suite")
    parser.add_argument("--user", default="pjsua", help="user part of the From URI")
    parser.add_argument("--seconds", type=float, default=3.0, help="tone time before hangup")
    parser.add_argument("--rtp-port", type=int, default=0, help="first local RTP port")
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--out", type=Path, required=True, help="where to write the report")
    args = parser.parse_args(argv)
    report = Report()
    run(args, report)
    return 0 if report.error is None else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # pjsua2 workaround: SWIG objects still alive at interpreter exit (a Call whose
    # makeCall failed above all) run their C++ destructors after libDestroy and abort;
    # the report is written by now, so skip Python's teardown.
    os._exit(code)
