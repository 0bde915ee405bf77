"""The trunk account: REGISTER and INVITE with digest authentication through a real kamailio.

kamailio (Debian package) runs from a generated config: a registrar that challenges REGISTER
(401) and a proxy that challenges INVITE (407) for one fixed user, then relays the call to
SIPp as the far end. No database: `pv_www_authenticate` checks a password from the config.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import warnings
from pathlib import Path

import pytest

from tests.dial.conftest import free_udp

pytestmark = pytest.mark.sip

USER, PASSWORD, REALM = "shopper", "s3cret-Pa55-w0rd", "mystery.test"

CONFIG = """#!KAMAILIO
debug=2
log_stderror=yes
exit_timeout=5
children=1
auto_aliases=no
listen=udp:127.0.0.1:{port}
{extra_listen}
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
{tls_modules}
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("usrloc", "db_mode", 0)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("REGISTER")) {{
        if (!pv_www_authenticate("{realm}", "{password}", "0") || $au != "{user}") {{
            www_challenge("{realm}", "0");
            exit;
        }}
        save("location");
        xlog("L_NOTICE", "registered $au\\n");
        exit;
    }}
    if (is_method("INVITE")) {{
        if (!pv_proxy_authenticate("{realm}", "{password}", "0") || $au != "{user}") {{
            proxy_challenge("{realm}", "0");
            exit;
        }}
        consume_credentials();
        record_route();
        $du = "sip:127.0.0.1:{uas_port}";
        {user_routes}
        xlog("L_NOTICE", "relaying INVITE from $fu to $ru (arrived over $pr)\\n");
        t_relay();
        exit;
    }}
    sl_send_reply("405", "Method Not Allowed");
}}
"""


@pytest.fixture
def kamailio(tmp_path: Path):
    """Start kamailio in the foreground; yields a function(uas_port) -> (port, log path)."""
    if not shutil.which("kamailio"):
        pytest.fail("kamailio is not installed (Debian package kamailio)")
    processes: list[subprocess.Popen] = []

    def start(uas_port: int, extra_listen: str = "", tls_modules: str = "",
              routes: dict[str, int] | None = None) -> tuple[int, Path]:
        """`routes`: INVITEs for these users (the Request-URI's user part) go to these local ports."""
        port = free_udp()
        cfg = tmp_path / "kamailio.cfg"
        user_routes = " ".join(f'if ($rU == "{user}") {{ $du = "sip:127.0.0.1:{to}"; }}'
                               for user, to in (routes or {}).items())
        cfg.write_text(CONFIG.format(port=port, realm=REALM, password=PASSWORD, user=USER, uas_port=uas_port,
                                     extra_listen=extra_listen.format(port=port), tls_modules=tls_modules,
                                     user_routes=user_routes))
        log = tmp_path / "kamailio.log"
        process = subprocess.Popen(
            ["kamailio", "-f", str(cfg), "-DD", "-E", "-Y", str(tmp_path), "-P", str(tmp_path / "kamailio.pid"),
             "-m", "32", "-M", "8"], stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(process)
        deadline = time.time() + 10
        while "SO_RCVBUF is finally" not in log.read_text() and time.time() < deadline:
            assert process.poll() is None, log.read_text()[-2000:]
            time.sleep(0.1)
        return port, log

    yield start
    for process in processes:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL: kamailio's shutdown waits on its children, which a loaded CI machine
    has made take over 10 s once; its speed of dying is not what these tests are about."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)      # its children too
        process.wait(timeout=10)
        warnings.warn("kamailio ignored SIGTERM for 30 s and was killed", stacklevel=2)


def trunk_settings(port: int, password: str = PASSWORD) -> dict[str, str]:
    return {"sip_registrar": f"sip:127.0.0.1:{port}", "sip_username": USER, "sip_password": password,
            "sip_realm": REALM, "sip_outbound_proxy": f"sip:127.0.0.1:{port};lr",
            "sip_caller_id": f"sip:{USER}@{REALM}"}


def test_registers_and_calls_through_kamailio_with_digest_auth(sipp_uas, kamailio, mystery_call, tmp_path):
    sipp = sipp_uas("uas_answer.xml", RING_MS=200, ANSWER_MS=500)
    port, log = kamailio(sipp.port)
    run = mystery_call(f"sip:hotel@{REALM}", "--hangup-after", "1", **trunk_settings(port))
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    kinds = [(e["kind"], e["status"]) for e in r["events"]]
    assert ("REGISTER", 200) in kinds
    assert 2 == sum(1 for kind, _ in kinds if kind == "INVITE")       # the first one was challenged (407)
    assert ("answered", 200) == (r["outcome"], r["sip_status"])
    wire = [(m["direction"], m["message"]) for m in r["extra"]["sip_messages"]]
    assert ("received", "401 REGISTER") in wire and ("received", "407 INVITE") in wire
    assert ("sent", "ACK") in wire
    text = log.read_text()
    assert f"registered {USER}" in text
    assert f"relaying INVITE from sip:{USER}@{REALM} to sip:hotel@{REALM}" in text
    invite = next(m for m in sipp.messages() if m.method == "INVITE")
    assert r["time_to_answer_s"] > 0.7 and invite.t > 0
    # the secret is in nothing the dialer printed or wrote
    assert PASSWORD not in run.stdout + run.stderr
    for path in (tmp_path / "recordings").rglob("*"):
        assert PASSWORD.encode() not in path.read_bytes(), path


def test_wrong_password_is_a_failed_registration_not_a_crash(kamailio, mystery_call, tmp_path):
    port, _ = kamailio(free_udp())
    wrong = "not-" + PASSWORD
    run = mystery_call(f"sip:hotel@{REALM}", **trunk_settings(port, password=wrong))
    assert 0 == run.returncode, run.stderr
    r = run.result
    assert "failed" == r["outcome"]
    assert r["sip_status"] in (401, 403)
    assert "registration failed" in r["sip_reason"]
    assert wrong not in run.stdout + run.stderr


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 (made with openssl at test time)."""
    if not shutil.which("openssl"):
        pytest.fail("openssl is not installed (Debian package openssl)")
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem"))
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca), "-days", "2",
        "-subj", "/CN=mystery test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial", "-out", str(cert),
        "-days", "2", "-extfile", str(ext))
    return ca, cert, key


@pytest.mark.parametrize("transport", ["tcp", "tls"])
def test_calls_over_tcp_and_tls_through_kamailio(sipp_uas, kamailio, mystery_call, tmp_path, transport):
    """The dialer registers and calls over TCP, or over TLS with the trunk's certificate verified
    against a CA we made; kamailio says how the INVITE arrived and relays it to SIPp over UDP. SIPp echoes
    kamailio's Record-Route, so the ACK and the BYE go back through kamailio on the same transport."""
    sipp = sipp_uas("uas_answer_rr.xml", RING_MS=200, ANSWER_MS=300)
    settings = {}
    if transport == "tcp":
        port, log = kamailio(sipp.port, extra_listen="listen=tcp:127.0.0.1:{port}")
    else:
        ca, cert, key = make_certificates(tmp_path)
        tls_cfg = tmp_path / "tls.cfg"
        tls_cfg.write_text(f"[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
                           f"require_certificate = no\nprivate_key = {key}\ncertificate = {cert}\n")
        port, log = kamailio(sipp.port, extra_listen="enable_tls=yes\nlisten=tls:127.0.0.1:{port}",
                             tls_modules=f'loadmodule "tls.so"\nmodparam("tls", "config", "{tls_cfg}")')
        settings["sip_tls_ca_file"] = str(ca)
    run = mystery_call(f"sip:hotel@{REALM}", "--hangup-after", "1", **trunk_settings(port), sip_transport=transport,
                       **settings)
    assert 0 == run.returncode, run.stderr
    assert 0 == sipp.wait()
    r = run.result
    assert ("answered", 200) == (r["outcome"], r["sip_status"]), r["sip_reason"]
    assert ("REGISTER", 200) in [(e["kind"], e["status"]) for e in r["events"]]
    assert f"to sip:hotel@{REALM};transport={transport} (arrived over {transport})" in log.read_text()


def test_a_tls_trunk_whose_certificate_we_cannot_verify_is_refused(sipp_uas, kamailio, mystery_call, tmp_path):
    """The same TLS trunk, but the dialer trusts only the system's CAs: the call fails, it is not placed
    in clear or unverified."""
    ca, cert, key = make_certificates(tmp_path)
    tls_cfg = tmp_path / "tls.cfg"
    tls_cfg.write_text(f"[server:default]\nmethod = TLSv1.2+\nprivate_key = {key}\ncertificate = {cert}\n")
    port, log = kamailio(free_udp(), extra_listen="enable_tls=yes\nlisten=tls:127.0.0.1:{port}",
                         tls_modules=f'loadmodule "tls.so"\nmodparam("tls", "config", "{tls_cfg}")')
    run = mystery_call(f"sip:hotel@{REALM}", **trunk_settings(port), sip_transport="tls")
    assert 0 == run.returncode, run.stderr
    r = run.result
    assert "failed" == r["outcome"], r
    assert "relaying INVITE" not in log.read_text()


SOUNDS = "/usr/share/asterisk/sounds/en"


def loudness_dbfs(wav: str, channel: int, start_s: float, end_s: float) -> float:
    """RMS level of one channel of the dialer's stereo WAV between two times (s from the file start)."""
    import numpy as np
    import soundfile as sf

    samples, rate = sf.read(wav, dtype="float64", always_2d=True)
    part = samples[int(start_s * rate):int(end_s * rate), channel]
    return float(10 * np.log10(np.mean(part**2) + 1e-12))


def test_a_transfer_through_kamailio_is_followed_recorded_and_spoken_into(sipp_uas, kamailio, pjsua_uas,
                                                                           mystery_call):
    """The receptionist (the tests' pjsua2 UAS) answers, plays a prompt and transfers the caller with a REFER that
    crosses kamailio (record-routed) to reservations, an independent SIPp peer that echoes RTP. The dialer calls
    the target as a caller's phone would (407-challenged like any INVITE, with Referred-By), answers the NOTIFYs,
    and keeps the call: the callee channel holds the receptionist's prompt, then the target; a caller line said
    after the transfer reaches the target (its echo is in the callee channel); the result lists the transfer."""
    target = sipp_uas("uas_echo.xml", sipp_args=("-rtp_echo",), RING_MS=300, ANSWER_MS=400)
    receptionist = pjsua_uas(ring_ms=100, answer_ms=200, prompt=f"{SOUNDS}/pls-hold-while-try.wav", prompt_at=0.2,
                             transfer_to=f"sip:reservations@{REALM}", transfer_at=2.5, wait=40)
    port, log = kamailio(receptionist.port, routes={"reservations": target.port})
    say_at = 6.0
    run = mystery_call(f"sip:hotel@{REALM}", "--say", f"{SOUNDS}/hello-world.wav@{say_at}", "--hangup-after", "9",
                       **trunk_settings(port))
    assert 0 == run.returncode, run.stderr
    assert 0 == target.wait()
    desk = receptionist.finish()
    r = run.result
    kinds = [e["kind"] for e in r["events"]]
    assert {"REFER_received", "transfer_accepted", "transferred"} <= set(kinds), kinds
    assert "transfer_failed" not in kinds
    assert ("answered", "caller") == (r["outcome"], r["hangup_by"])
    (hop,) = r["extra"]["transfers"]
    assert hop["target"].startswith(f"sip:reservations@{REALM}")
    assert 2.5 < hop["requested_t_s"] < hop["answered_t_s"] < say_at + r["time_to_answer_s"]
    # the receptionist heard the transfer succeed (NOTIFY 200 via kamailio) and hung up; the target got our BYE
    assert any(s["final"] and s["code"] == 200 for s in desk["transfer_status"]), desk
    assert "bye_sent" in desk
    invite = (target.workdir / "messages.log").read_text()
    assert "Referred-By:" in invite and f"INVITE sip:reservations@{REALM}" in invite
    assert f"relaying INVITE from sip:{USER}@{REALM} to sip:reservations@{REALM}" in log.read_text()
    # the recording: the prompt before the transfer, and our line's echo from the target after it
    wav, offset = r["recording"], r["recording_offset_s"]
    answer = r["time_to_answer_s"] - offset
    assert loudness_dbfs(wav, 1, answer + 0.4, answer + 1.4) > -40          # the receptionist's prompt
    said = next(e["t_s"] for e in r["events"] if e["kind"] == "SAY_started") - offset
    echo = loudness_dbfs(wav, 1, said + 0.1, said + 1.0)
    quiet = loudness_dbfs(wav, 1, hop["answered_t_s"] - offset + 0.3, said - 0.2)   # target's own line: silence
    assert echo > -40 and echo > quiet + 20, (echo, quiet)


def test_a_transfer_to_a_busy_target_gives_the_caller_back_to_the_receptionist(sipp_uas, kamailio, pjsua_uas,
                                                                               mystery_call):
    """Reservations (SIPp) answers the transferred INVITE 486: the dialer tells the receptionist (NOTIFY 486), who
    stays on the line and speaks again; that reply is recorded, and the call ends as the plan says."""
    target = sipp_uas("uas_busy.xml", RING_MS=300, CODE=486, REASON="Busy Here")
    receptionist = pjsua_uas(ring_ms=100, answer_ms=200, transfer_to=f"sip:reservations@{REALM}", transfer_at=1.5,
                             reply=f"{SOUNDS}/hello-world.wav", reply_at=5.0, wait=40)
    port, _ = kamailio(receptionist.port, routes={"reservations": target.port})
    run = mystery_call(f"sip:hotel@{REALM}", "--hangup-after", "8", **trunk_settings(port))
    assert 0 == run.returncode, run.stderr
    assert 0 == target.wait()
    desk = receptionist.finish()
    r = run.result
    kinds = [e["kind"] for e in r["events"]]
    assert {"transfer_accepted", "transferred", "transfer_failed"} <= set(kinds), kinds
    (hop,) = r["extra"]["transfers"]
    assert (486, None) == (hop["final_status"], hop["answered_t_s"])
    assert ("answered", "caller", "plan") == (r["outcome"], r["hangup_by"], r["extra"]["end_reason"])
    assert any(s["final"] and s["code"] == 486 for s in desk["transfer_status"]), desk
    reply = desk["reply_started"] - desk["answered_sent"] + r["time_to_answer_s"] - r["recording_offset_s"]
    assert loudness_dbfs(r["recording"], 1, reply + 0.1, reply + 0.9) > -40      # the receptionist, heard again


def test_a_trunk_failure_pauses_the_campaign_and_counts_against_no_line(sipp_uas, kamailio, tmp_path, database_url):
    """kamailio as the agency's trunk refuses our REGISTER (a wrong password): the campaign pauses at its first
    call, with one clear line and exit 1, stores no call and leaves every call planned; with the password
    fixed, `resume` dials them all, each once (on PostgreSQL, through jobs queued again for the planned calls)."""
    import subprocess
    import sys
    from collections import Counter

    from mystery.store import planned, repo
    from mystery_core.store.engine import open_store
    from tests.dial.conftest import dialer_env

    sipp = sipp_uas("uas_answer.xml", calls=2, timeout_s=120, RING_MS=100, ANSWER_MS=200)
    port, _ = kamailio(sipp.port)
    scenario = tmp_path / "trunk.yaml"
    scenario.write_text(f"""\
name: via-the-trunk
client: Test Hotel
concurrency: 1
lines:
  desk: "sip:hotel@{REALM}"
calls:
  - line: desk
    count: 2
    steps:
      - {{action: hangup, on: answered, offset_s: 1}}
""")
    url = database_url
    command = [sys.executable, "-m", "mystery", "campaign"]

    def campaign(*args: str, password: str) -> subprocess.CompletedProcess:
        env = {**dialer_env(tmp_path, **trunk_settings(port, password)), "MYSTERY_DATABASE_URL": url}
        return subprocess.run([*command, *args, "--no-analysis"], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=180)

    paused = campaign("run", str(scenario), password="not-the-password")
    assert 1 == paused.returncode, paused.stderr[-2000:]
    assert "campaign paused, no call counted against any line: the registrar refused our REGISTER" in " ".join(
        paused.stdout.split())
    engine = open_store(url)
    row = repo.find_campaign(engine, "via-the-trunk")
    assert "paused" == row["status"]
    assert [] == repo.load_calls(engine, row["id"])
    rows = planned.planned(engine, row["id"])
    assert ["planned", "planned"] == [r["state"] for r in rows]
    assert rows[0]["history"][-1]["detail"].startswith("trunk failure: the registrar refused our REGISTER")
    assert 0 == rows[1]["attempts"]                    # nothing more was tried once the trunk failed

    resumed = campaign("resume", "via-the-trunk", password=PASSWORD)
    assert 0 == resumed.returncode, resumed.stderr[-2000:]
    assert 0 == sipp.wait()
    assert {"done": 2} == dict(Counter(r["state"] for r in planned.planned(engine, row["id"])))
    assert ["answered", "answered"] == [c.outcome for c in repo.load_calls(engine, row["id"])]
    invites = Counter(m.call_id for m in sipp.messages() if m.method == "INVITE" and not m.sent)
    assert sorted(invites.values()) == [1, 1]
    engine.dispose()
