"""The SIP text the dialer acts on: To tags (RFC 3261 12.1.2), 3xx targets, URIs compared for loops."""

from __future__ import annotations

from mystery.dial.sipmsg import has_to_tag, redirect_of, uri_key

OK = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n{to}\r\nCall-ID: x\r\n\r\nv=0\r\nTo: <sip:a>;tag=body\r\n"


def test_a_to_tag_is_found_in_the_long_and_the_compact_header_and_not_in_the_body():
    assert has_to_tag(OK.format(to="To: <sip:hotel@h>;tag=abc"))
    assert has_to_tag(OK.format(to="t: sip:hotel@h ; tag = abc"))
    assert not has_to_tag(OK.format(to="To: <sip:hotel@h>"))


def test_a_redirect_names_its_status_reason_and_first_contact():
    text = "SIP/2.0 302 Moved Temporarily\r\nm: <sip:desk@h:5070;transport=udp>;q=0.5, <sip:b@h>\r\n\r\n"
    assert (302, "Moved Temporarily", "sip:desk@h:5070;transport=udp") == redirect_of(text)
    assert (301, "Moved", "sip:x@y") == redirect_of("SIP/2.0 301 Moved\r\nContact: sip:x@y;expires=60\r\n\r\n")
    assert (302, "Moved", "") == redirect_of("SIP/2.0 302 Moved\r\n\r\n")


def test_uris_compare_without_brackets_parameters_or_case():
    assert uri_key("<SIP:Hotel@127.0.0.1:5080;transport=udp>") == uri_key("sip:hotel@127.0.0.1:5080")
    assert uri_key("sip:hotel@127.0.0.1:5080") != uri_key("sip:hotel@127.0.0.1:5081")
