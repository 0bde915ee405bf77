"""Reading SIP message text the dialer acts on: a To tag, a 3xx's target, URIs compared for loops (pure)."""

from __future__ import annotations


def has_to_tag(message: str) -> bool:
    """Whether a SIP message's To header (or its compact form `t:`) carries a tag parameter."""
    for line in message.split("\r\n")[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        if name.strip().lower() in ("to", "t"):
            return ";tag=" in value.replace(" ", "").lower()
    return False


def header_value(message: str, *names: str) -> str:
    """The value of the first of the message's headers named one of `names` (case-insensitive), or ""."""
    wanted = {name.lower() for name in names}
    for line in message.split("\r\n")[1:]:
        if not line:
            break
        name, _, value = line.partition(":")
        if name.strip().lower() in wanted:
            return value.strip()
    return ""


def redirect_of(response: str) -> tuple[int | None, str, str]:
    """(status, reason, first Contact URI) of a 3xx response's text."""
    lines = response.split("\r\n")
    parts = lines[0].split(" ", 2) if lines and lines[0].startswith("SIP/2.0 ") else []
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    reason = parts[2] if len(parts) > 2 else ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() in ("contact", "m"):
            value = value.strip()
            uri = value[1:value.index(">")] if value.startswith("<") and ">" in value else value.split(";", 1)[0]
            return status, reason, uri.strip()
    return status, reason, ""


def uri_key(uri: str) -> str:
    """A SIP URI as compared for redirect loops: no angle brackets, parameters or case differences."""
    text = uri.strip().strip("<>").split(";", 1)[0]
    return text.lower()
