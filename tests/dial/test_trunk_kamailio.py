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

    def start(uas_port: int, extra_listen: str = "", tls_modules: str = "") -> tuple[int, Path]:
        port = free_udp()
        cfg = tmp_path / "kamailio.cfg"
        cfg.write_text(CONFIG.format(port=port, realm=REALM, password=PASSWORD, user=USER, uas_port=uas_port,
                                     extra_listen=extra_listen.format(port=port), tls_modules=tls_modules))
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
