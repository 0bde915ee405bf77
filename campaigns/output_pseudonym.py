"""Phone numbers replaced by keyed hashes in exports (`--pseudonymise KEYFILE`), for files leaving the firm.

A regulator, an auditor or a processor rarely needs the numbers themselves, only to tell persons apart and to
match a finding to the suppression list; GDPR art. 4(5) and 32 favour pseudonymised exports. A plain hash of
a number is no protection (every French mobile can be hashed in minutes), so each number becomes
`pn:` + the first 20 hex digits of HMAC-SHA256(key, E.164 number): stable for one key (the same person
across findings, runs and files), unlinkable without it. The key file's bytes are the key (at least 16);
whoever holds it can re-identify by hashing the firm's own numbers.

Replaced: the `phone` field of findings and suppression rows, and inside the evidence every string that is
an E.164 number or sits under a key naming a number (`phone`, `callee`, `number`, `caller_id`, ...), at any
depth. The store keeps the real numbers (it is the firm's own record, not an export).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Any

from campaigns.model.records import Violation
from mystery_core.errors import InputError

E164 = re.compile(r"\+[1-9]\d{5,15}")
NUMBER_KEYS = frozenset({"phone", "phones", "callee", "number", "numbers", "caller_id", "phone_raw", "msisdn"})
MIN_KEY_BYTES = 16


class Pseudonymiser:
    """Keyed, stable replacement of phone numbers; `phone(text)` for one, `violation`, `row` for records."""

    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a pseudonymisation key needs at least {MIN_KEY_BYTES} bytes, got {len(key)}")
        self._key = key
        self._cache: dict[str, str] = {}

    @classmethod
    def from_file(cls, path: Path) -> Pseudonymiser:
        try:
            return cls(path.read_bytes().strip())
        except OSError as exc:
            raise InputError("--pseudonymise", None, f"{path}: cannot read the key ({exc})") from exc
        except ValueError as exc:
            raise InputError("--pseudonymise", None, f"{path}: {exc}") from exc

    def phone(self, number: str) -> str:
        """`pn:` + 20 hex digits of HMAC-SHA256(key, number); empty stays empty."""
        if not number:
            return number
        out = self._cache.get(number)
        if out is None:
            out = self._cache[number] = "pn:" + hmac.new(self._key, number.encode(), hashlib.sha256).hexdigest()[:20]
        return out

    def _value(self, value: Any, numbered: bool) -> Any:
        if isinstance(value, str):
            if numbered:
                return self.phone(value)
            return E164.sub(lambda m: self.phone(m.group(0)), value)
        if isinstance(value, dict):
            return {k: self._value(v, numbered or k in NUMBER_KEYS) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._value(v, numbered) for v in value]
        return value

    def evidence(self, evidence: dict[str, Any]) -> dict[str, Any]:
        return dict(self._value(evidence, False))

    def violation(self, v: Violation) -> Violation:
        """The finding with its number, the numbers in its message and in its evidence replaced."""
        return v._replace(phone=self.phone(v.phone), message=self._value(v.message, False),
                          evidence=self.evidence(v.evidence))

    def row(self, row: dict[str, str]) -> dict[str, str]:
        """A suppression row with its number replaced."""
        return {k: self.phone(v) if k == "phone" else v for k, v in row.items()}
