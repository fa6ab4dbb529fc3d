"""Canonical JSON of a record and Ed25519 signatures made by inspectors' devices.

The canonical form is UTF-8 JSON with sorted keys, no insignificant whitespace and non-ASCII
characters as themselves; a record holds only strings, integers, booleans, null, lists and
objects (no floats), so the form is unambiguous (it coincides with RFC 8785 for such values).
A device signs those bytes; the record's hash is their SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any


def canonical(obj: Any) -> bytes:
    def check(v, path="$"):
        if isinstance(v, float):
            raise ValueError(f"{path}: floats are not allowed in a record")
        if isinstance(v, dict):
            for k, x in v.items():
                if not isinstance(k, str):
                    raise ValueError(f"{path}: keys must be strings")
                check(x, f"{path}.{k}")
        elif isinstance(v, list):
            for i, x in enumerate(v):
                check(x, f"{path}[{i}]")

    check(obj)
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except Exception:  # noqa: BLE001
        raise ValueError(f"{what} is not valid base64") from None


def new_device_key():
    """A fresh Ed25519 private key (a device's; it never leaves the device)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def public_key_b64(private_key) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return b64(private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def sign(private_key, message: bytes) -> str:
    return b64(private_key.sign(message))


def verify(public_key: str, signature: str, message: bytes) -> bool:
    """True when ``signature`` (base64) is a valid Ed25519 signature of ``message`` by ``public_key`` (base64, raw 32 bytes)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(unb64(public_key, "public_key"))
        key.verify(unb64(signature, "signature"), message)
        return True
    except (InvalidSignature, ValueError):
        return False
