"""A tiny pjsua2 UAS for the dialer tests (a subprocess: pytest never creates an Endpoint).

One call: 180 after --ring-ms, 200 after --answer-ms, then optionally a prompt WAV at
--prompt-at seconds after the answer and a reply WAV at --reply-at; records every DTMF digit
it receives with its time. Hangs up --hangup-after seconds after the answer, or waits for the
caller's BYE. With --transfer-to, it transfers the caller there (REFER) --transfer-at seconds
after the answer and hangs up when the transfer succeeds, as a receptionist's phone does. With
--srtp, it offers and takes SDES SRTP (`mandatory` refuses plain RTP) and logs the stream's
transport profile. Prints "ready" when listening; writes its log as JSON to --out.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
import wave

out = os.fdopen(os.dup(1), "w")   # pjlib prints a banner on fd 1
os.dup2(2, 1)

import pjsua2 as pj  # noqa: E402

from mystery.dial.endpoint import EndpointOptions, create_endpoint, destroy_endpoint  # noqa: E402

SAVP = pj.PJMEDIA_TP_PROTO_RTP_SAVP
SRTP_USE = {"off": pj.PJMEDIA_SRTP_DISABLED, "optional": pj.PJMEDIA_SRTP_OPTIONAL,
            "mandatory": pj.PJMEDIA_SRTP_MANDATORY}
log: dict = {"digits": []}
state: dict = {"call": None, "disconnected": False, "media": None}


class Call(pj.Call):
    def onCallState(self, prm):  # noqa: N802
        info = self.getInfo()
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            log["disconnected"] = time.time()
            state["disconnected"] = True
        elif info.state == pj.PJSIP_INV_STATE_CONFIRMED:
            log["confirmed"] = time.time()

    def onCallMediaState(self, prm):  # noqa: N802
        info = self.getInfo()   # keep it: iterating a temporary's .media reads freed memory
        for media in info.media:
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                state["media"] = self.getAudioMedia(media.index)
                log["media_proto"] = "RTP/SAVP" if self.getStreamInfo(media.index).proto == SAVP else "RTP/AVP"

    def onCallTransferStatus(self, prm):  # noqa: N802
        log.setdefault("transfer_status", []).append({"t": time.time(), "code": int(prm.statusCode),
                                                      "final": bool(prm.finalNotify)})
        if prm.finalNotify and 200 <= prm.statusCode < 300:
            state["transferred"] = True

    def onDtmfDigit(self, prm):  # noqa: N802
        log["digits"].append({"t": time.time(), "digit": prm.digit, "method": int(prm.method)})


class Account(pj.Account):
    def onIncomingCall(self, prm):  # noqa: N802
        log["invite_rx"] = time.time()
        call = Call(self, prm.callId)
        log["call_id"] = call.getInfo().callIdString
        state["call"] = call


def seconds(path: str) -> float:
    with wave.open(path) as w:
        return w.getnframes() / w.getframerate()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rtp-port", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--ring-ms", type=int, default=200)
    parser.add_argument("--answer-ms", type=int, default=500)
    parser.add_argument("--prompt", default="")
    parser.add_argument("--prompt-at", type=float, default=0.5)
    parser.add_argument("--reply", default="")
    parser.add_argument("--reply-at", type=float, default=5.0)
    parser.add_argument("--hangup-after", type=float, default=0.0)
    parser.add_argument("--wait", type=float, default=30.0)
    parser.add_argument("--transfer-to", default="")
    parser.add_argument("--transfer-at", type=float, default=2.0)
    parser.add_argument("--srtp", choices=sorted(SRTP_USE), default="off")
    args = parser.parse_args()

    ep, _, media = create_endpoint(EndpointOptions(sip_port=args.port, rtp_port=args.rtp_port))
    cfg = pj.AccountConfig()
    cfg.idUri = f"sip:hotel@127.0.0.1:{args.port}"
    cfg.mediaConfig.transportConfig = media
    cfg.mediaConfig.srtpUse = SRTP_USE[args.srtp]
    cfg.mediaConfig.srtpSecureSignaling = 0
    account = Account()
    account.create(cfg)
    print("ready", file=out, flush=True)
    players = []
    player = None
    deadline = time.time() + args.wait
    answered_at = None
    pending = {"prompt": args.prompt, "reply": args.reply}
    while not state["disconnected"] and time.time() < deadline:
        ep.libHandleEvents(5)
        call, now = state["call"], time.time()
        if call is None:
            continue
        if "ringing_sent" not in log and now >= log["invite_rx"] + args.ring_ms / 1000:
            op = pj.CallOpParam()
            op.statusCode = 180
            log["ringing_sent"] = time.time()
            call.answer(op)
        if answered_at is None and now >= log["invite_rx"] + (args.ring_ms + args.answer_ms) / 1000:
            op = pj.CallOpParam()
            op.statusCode = 200
            answered_at = log["answered_sent"] = time.time()
            call.answer(op)
        if answered_at is None or state["media"] is None:
            continue
        for name, at in (("prompt", args.prompt_at), ("reply", args.reply_at)):
            if pending[name] and now >= answered_at + at:
                player = pj.AudioMediaPlayer()
                player.createPlayer(pending[name], pj.PJMEDIA_FILE_NO_LOOP)
                log[f"{name}_started"] = time.time()
                player.startTransmit(state["media"])
                log[f"{name}_s"] = seconds(pending[name])
                players.append(player)
                pending[name] = ""
        if args.transfer_to and now >= answered_at + args.transfer_at:
            log["refer_sent"] = time.time()
            call.xfer(args.transfer_to, pj.CallOpParam(True))
            args.transfer_to = ""
        if state.get("transferred") and "bye_sent" not in log:
            log["bye_sent"] = time.time()     # the caller is with the target now: the receptionist hangs up
            call.hangup(pj.CallOpParam())
        if args.hangup_after and now >= answered_at + args.hangup_after:
            log["bye_sent"] = time.time()
            call.hangup(pj.CallOpParam())
            args.hangup_after = 0
    end = time.time() + 0.3
    while time.time() < end:
        ep.libHandleEvents(5)
    players.clear()
    player = None  # noqa: F841 - the last player must not outlive libDestroy
    state.clear()
    gc.collect()
    destroy_endpoint(ep)
    with open(args.out, "w") as fh:
        json.dump(log, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
