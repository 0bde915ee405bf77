"""One pjsua2 Endpoint per process, set up as sip_recipes.md verified on loopback.

Polling model: no SIP worker thread, callbacks on the thread that calls `libHandleEvents`,
so timestamps taken in callbacks are within ~1 ms of the wire. Every process gets its own
SIP port and RTP base port. The wheel caps a process at 4 calls (PJSUA_MAX_CALLS).
"""

from __future__ import annotations

import gc
import socket
from dataclasses import dataclass
from typing import Any

import pjsua2 as pj

from mystery.scenario.plan import Account

MAX_CALLS_PER_PROCESS = 4


@dataclass(frozen=True)
class EndpointOptions:
    """How to bind the endpoint. Port 0 picks a free port."""

    bind_ip: str = "127.0.0.1"
    sip_port: int = 0
    rtp_port: int = 0
    rtp_port_range: int = 200
    codecs: tuple[str, ...] = ("PCMA", "PCMU")
    log_file: str = ""
    log_level: int = 3
    user_agent: str = "mystery"
    transport: str = "udp"          # udp, tcp or tls
    tls_ca_file: str = ""           # CA list for verifying a TLS far end; "" = the system's bundle


SRTP_USE = {"off": pj.PJMEDIA_SRTP_DISABLED, "optional": pj.PJMEDIA_SRTP_OPTIONAL,
            "mandatory": pj.PJMEDIA_SRTP_MANDATORY}
TRANSPORTS = {"udp": pj.PJSIP_TRANSPORT_UDP, "tcp": pj.PJSIP_TRANSPORT_TCP, "tls": pj.PJSIP_TRANSPORT_TLS}
SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"


def with_transport(uri: str, transport: str) -> str:
    """`uri` with `;transport=tcp|tls` added when the call is not over UDP and the URI names no transport."""
    if not uri or transport == "udp" or ";transport=" in uri.lower():
        return uri
    head, sep, tail = uri.partition(">")
    return f"{head};transport={transport}{sep}{tail}"


def free_rtp_base(bind_ip: str = "127.0.0.1", span: int = 200) -> int:
    """An even base port with `span` free ports above it (RTP + RTCP pairs)."""
    import random

    for _ in range(200):
        base = random.randrange(20000, 60000 - span, 2)
        try:
            for port in (base, base + 1):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                    sock.bind((bind_ip, port))
            return base
        except OSError:
            continue
    raise OSError("no free RTP port range found")


def create_endpoint(options: EndpointOptions) -> tuple[pj.Endpoint, int, pj.TransportConfig]:
    """Create, init and start the process's Endpoint; returns (endpoint, sip_port, rtp transport config).

    Raises OSError when the SIP port cannot be bound (e.g. already in use).
    """
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.maxCalls = MAX_CALLS_PER_PROCESS
    cfg.uaConfig.userAgent = options.user_agent
    cfg.logConfig.level = options.log_level
    cfg.logConfig.consoleLevel = 0
    if options.log_file:
        cfg.logConfig.filename = options.log_file
    cfg.medConfig.clockRate = 8000
    cfg.medConfig.sndClockRate = 8000
    cfg.medConfig.noVad = True
    cfg.medConfig.ecTailLen = 0
    ep.libInit(cfg)

    tc = pj.TransportConfig()
    # Port 0: the kernel picks a free port as pjsip binds it. Choosing one first and binding it after
    # raced with the other dialer processes of a campaign starting at the same moment.
    tc.port = options.sip_port
    tc.boundAddress = options.bind_ip
    tc.publicAddress = options.bind_ip
    if options.transport == "tls":
        # the far end's certificate is always verified: against tls_ca_file, else the system's CAs
        tc.tlsConfig.CaListFile = options.tls_ca_file or SYSTEM_CA_FILE
        tc.tlsConfig.verifyServer = True
    try:
        transport = ep.transportCreate(TRANSPORTS[options.transport], tc)
    except pj.Error as error:
        ep.libDestroy()
        raise OSError(f"cannot bind SIP port {options.bind_ip}:{options.sip_port}: {error.info()}") from None
    sip_port = int(ep.transportGetInfo(transport).localName.rsplit(":", 1)[1])
    ep.libStart()
    ep.audDevManager().setNullDev()
    set_codec_order(ep, options.codecs)

    media = pj.TransportConfig()
    media.port = options.rtp_port or free_rtp_base(options.bind_ip, options.rtp_port_range)
    media.portRange = options.rtp_port_range
    media.boundAddress = options.bind_ip
    media.publicAddress = options.bind_ip
    return ep, sip_port, media


def account_config(a: Account, sip_port: int, media: pj.TransportConfig) -> Any:
    """The process's pjsua2 account for the plan's `account` (registrar, credentials, proxy, SRTP)."""
    ac = pj.AccountConfig()
    host = a.registrar.split(":", 1)[1] if a.registrar.startswith("sip") else a.registrar
    if a.caller_id:
        ac.idUri = a.caller_id
    elif a.username and host:
        ac.idUri = f"sip:{a.username}@{host.split(';')[0]}"
    else:
        ac.idUri = f"sip:mystery@{a.bind_ip}:{sip_port}"
    if a.registrar:
        ac.regConfig.registrarUri = with_transport(a.registrar, a.transport)
        ac.regConfig.registerOnAdd = True
        ac.regConfig.retryIntervalSec = 0
    if a.username:
        ac.sipConfig.authCreds.append(pj.AuthCredInfo("digest", a.realm or "*", a.username, 0, a.password))
    if a.outbound_proxy:
        ac.sipConfig.proxies.append(with_transport(a.outbound_proxy, a.transport))
    ac.mediaConfig.transportConfig = media
    ac.mediaConfig.srtpUse = SRTP_USE[a.srtp]
    ac.mediaConfig.srtpSecureSignaling = 0   # SDES keys are offered over any transport (tls keeps them secret)
    return ac


def set_codec_order(ep: pj.Endpoint, codecs: tuple[str, ...]) -> None:
    """Offer only the named codecs (e.g. PCMA, PCMU), in that order; telephone-event stays on."""
    wanted = [c.upper() for c in codecs]
    for info in ep.codecEnum2():
        name = info.codecId.split("/")[0].upper()
        priority = 255 - wanted.index(name) if name in wanted else 0
        ep.codecSetPriority(info.codecId, priority)


def destroy_endpoint(ep: pj.Endpoint) -> None:
    """Shut down per the recipe: drop pjsua2 objects, collect, then libDestroy.

    A pj.Call still alive after libDestroy aborts the interpreter, so remaining calls are
    disowned first.
    """
    gc.collect()
    for obj in gc.get_objects():
        if isinstance(obj, pj.Call):
            obj.thisown = False
    ep.libDestroy()
