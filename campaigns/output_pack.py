"""An evidence pack a regulator can check: the audit's outputs, a manifest of SHA-256 sums, an Ed25519 signature.

`campaigns audit --pack DIR --signing-key KEY` writes its outputs into DIR, then `manifest.json` (the SHA-256 and
size of every input the audit read and of every output file in DIR) and `manifest.sig` (the Ed25519 signature
of manifest.json's bytes, base64). `campaigns verify DIR --public-key PUB` checks the signature against the key
the regulator was given, then every output's sum, and that DIR holds no file the manifest does not list: one
changed byte anywhere, a file added or removed, or a pack signed with another key fails. The evidence file
(`evidence.json`) already held the inputs' sums; only a signed list of the outputs' sums shows that nobody
edited the findings afterwards. Signing uses `cryptography` (maintained, pinned); keys are PEM files
(PKCS#8 private key, SubjectPublicKeyInfo public key) that `campaigns keygen` writes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mystery_core.errors import InputError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "campaigns-evidence-pack/1"


def file_digest(path: Path) -> dict[str, Any]:
    """SHA-256 (hex) and size of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return {"sha256": digest.hexdigest(), "bytes": size}


def _private_key(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError("--signing-key", None, f"{path}: not a PEM private key without password ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError("--signing-key", None, f"{path}: not an Ed25519 key ({type(key).__name__})")
    return key


def _public_key(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError("--public-key", None, f"{path}: not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise InputError("--public-key", None, f"{path}: not an Ed25519 key ({type(key).__name__})")
    return key


def _raw(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return bytes(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def key_id(public_key: Any) -> str:
    """A short name of a public key: the first 16 hex digits of the SHA-256 of its 32 raw bytes."""
    return hashlib.sha256(_raw(public_key)).hexdigest()[:16]


def generate_key(path: Path) -> Path:
    """Write a new Ed25519 private key to `path` (PEM, mode 0600) and its public key to `path`.pub; returns the
    public key's path. Refuses to overwrite a key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    public_path = path.with_name(path.name + ".pub")
    for target in (path, public_path):
        if target.exists():
            raise InputError("keygen", None, f"{target} exists; not overwritten")
    key = Ed25519PrivateKey.generate()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public_path.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return public_path


def check_signing_key(path: Path) -> None:
    """Fail before the audit runs when the signing key cannot sign."""
    _private_key(path)


def write_manifest(directory: Path, inputs: dict[str, dict[str, Any]], signing_key: Path,
                   about: dict[str, Any]) -> dict[str, Any]:
    """Sum every file of `directory` (the outputs), write manifest.json with them and the inputs' sums, sign it
    into manifest.sig; returns the manifest."""
    key = _private_key(signing_key)
    outputs = {path.name: file_digest(path) for path in sorted(directory.iterdir())
               if path.is_file() and path.name not in (MANIFEST, SIGNATURE)}
    manifest = {"format": FORMAT, **about, "inputs": inputs, "outputs": outputs,
                "signature": {"algorithm": "Ed25519", "file": SIGNATURE, "key_id": key_id(key.public_key()),
                              "public_key": base64.b64encode(_raw(key.public_key())).decode()}}
    body = (json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True) + "\n").encode()
    (directory / MANIFEST).write_bytes(body)
    (directory / SIGNATURE).write_bytes(base64.b64encode(key.sign(body)) + b"\n")
    return manifest


@dataclass
class Verification:
    """What `campaigns verify` found: `problems` empty means the pack is intact and signed by the key."""

    key_id: str = ""
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_pack(directory: Path, public_key: Path | None, check_inputs: bool = False) -> Verification:
    """Check a pack: the signature of manifest.json (with `public_key`, else with the key the manifest names,
    which proves integrity but not who signed), then each output's SHA-256 and size, then that no file is
    missing or unlisted; with `check_inputs`, each input still found at its recorded path (relative paths from
    the current directory) against its recorded SHA-256 (one not found is a note, not a failure)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    result = Verification()
    manifest_path, signature_path = directory / MANIFEST, directory / SIGNATURE
    if not directory.is_dir():
        raise InputError("DIR", None, f"{directory}: no such directory")
    if not manifest_path.is_file():
        raise InputError("DIR", None, f"{directory}: no {MANIFEST}: not an evidence pack")
    body = manifest_path.read_bytes()
    try:
        manifest = json.loads(body)
        named = base64.b64decode(manifest["signature"]["public_key"], validate=True)
        outputs = manifest["outputs"]
    except (ValueError, KeyError, TypeError) as exc:
        result.problems.append(f"{MANIFEST}: unreadable ({exc})")
        return result
    key = _public_key(public_key) if public_key else Ed25519PublicKey.from_public_bytes(named)
    result.key_id = key_id(key)
    try:
        signature = base64.b64decode(signature_path.read_bytes().strip(), validate=True)
        key.verify(signature, body)
    except FileNotFoundError:
        result.problems.append(f"{SIGNATURE}: missing (the pack is not signed)")
    except (InvalidSignature, ValueError):
        result.problems.append(f"{SIGNATURE}: the signature does not match {MANIFEST} under key {result.key_id}: "
                               "the manifest was changed, or the pack was signed with another key")
    for name, expected in sorted(outputs.items()):
        path = directory / name
        if not path.is_file():
            result.problems.append(f"{name}: listed in the manifest, missing from the pack")
            continue
        actual = file_digest(path)
        if actual != {"sha256": expected.get("sha256"), "bytes": expected.get("bytes")}:
            result.problems.append(f"{name}: SHA-256 {actual['sha256']} ({actual['bytes']} bytes) differs from the "
                                   f"manifest's {expected.get('sha256')} ({expected.get('bytes')} bytes)")
        else:
            result.checked.append(name)
    for path in sorted(directory.iterdir()):
        if path.name not in outputs and path.name not in (MANIFEST, SIGNATURE):
            result.problems.append(f"{path.name}: in the pack but not in the manifest")
    for kind, item in sorted(manifest.get("inputs", {}).items()) if check_inputs else ():
        path = Path(str(item.get("path", "")))
        if not path.is_file():
            result.notes.append(f"input {kind}: {path} not found here, not checked")
        elif file_digest(path)["sha256"] != item.get("sha256"):
            result.problems.append(f"input {kind}: {path} differs from the file the audit read (SHA-256)")
        else:
            result.checked.append(f"input {kind}: {path}")
    return result
