"""Signed checkpoints: a log's size and root, signed with the instance's Ed25519 key, in the c2sp.org
``tlog-checkpoint`` / ``signed-note`` format that transparency-log tools already read
(``../shared/docs/anchors.md`` §5.2)::

    concord-5f2c81a0/c/k3v9qp2x          ← origin: which log
    1234                                ← size: how many entries
    3q2+7w1k…=                          ← root: base64 of the Merkle tree hash
                                        ← blank line, then one signature line per signer:
    — concord-5f2c81a0 AbCdEf…==        ← key name, base64(key id ‖ Ed25519 signature of the text above)

The key id is the first four bytes of SHA-256(name ‖ "\\n" ‖ 0x01 ‖ public key); a *verifier key* (vkey)
``name+keyid+base64(0x01 ‖ public key)`` names a key in one line. Each log's first entry commits the
vkey, so a checkpoint signed by any other key is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"  # the signed-note signature type
DASH = "\u2014"  # "—", which starts every signature line


class CheckpointError(ValueError):
    """A checkpoint or key that cannot be read, or a signature that does not verify."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CheckpointError(f"{what} is not base64") from None


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + ED25519 + public).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    name: str
    public: bytes  # 32 bytes

    @property
    def id(self) -> bytes:
        return key_id(self.name, self.public)

    def __str__(self) -> str:
        return f"{self.name}+{self.id.hex()}+{_b64(ED25519 + self.public)}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        parts = text.strip().split("+", 2)  # the key's base64 may hold "+" too
        if len(parts) != 3 or not parts[0]:
            raise CheckpointError(f"not a verifier key (name+keyid+key): {text!r}")
        name, hexid, encoded = parts
        raw = _unb64(encoded, "the verifier key")
        if len(raw) != 33 or raw[:1] != ED25519:
            raise CheckpointError("the verifier key is not an Ed25519 key")
        key = cls(name, raw[1:])
        if key.id.hex() != hexid.lower():
            raise CheckpointError("the verifier key's id does not match its key")
        return key

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class Signer:
    """The instance's signing key: a 32-byte Ed25519 seed and the name its signatures carry."""

    def __init__(self, name: str, seed: bytes) -> None:
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        public = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key = VerifierKey(name, public)

    def sign(self, origin: str, size: int, root: bytes) -> str:
        """The signed checkpoint of a log of ``size`` entries with this root."""
        body = checkpoint_text(origin, size, root)
        signature = self._private.sign(body.encode("utf-8"))
        return f"{body}\n{DASH} {self.key.name} {_b64(self.key.id + signature)}\n"


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{_b64(root)}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    text: str  # as signed

    def __str__(self) -> str:
        return self.text


def read_checkpoint(note: str, key: VerifierKey) -> Checkpoint:
    """The checkpoint of a signed note, if ``key`` signed it; otherwise why not."""
    body, separator, signatures = note.partition("\n\n")
    if not separator:
        raise CheckpointError("a checkpoint is its text, a blank line and its signatures")
    body += "\n"
    lines = body.split("\n")[:-1]
    if len(lines) < 3:
        raise CheckpointError("a checkpoint's text has three lines: origin, size, root")
    origin, size_text, root_text = lines[:3]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise CheckpointError(f"the checkpoint's size is not a number: {size_text!r}")
    root = _unb64(root_text, "the checkpoint's root")
    if len(root) != 32:
        raise CheckpointError("the checkpoint's root is not a SHA-256 hash")
    signed_by_others = []
    for line in signatures.splitlines():
        if not line.startswith(DASH + " "):
            continue
        name, _, encoded = line[2:].rpartition(" ")
        raw = _unb64(encoded, "a signature")
        if len(raw) != 68:
            continue
        if name == key.name and raw[:4] == key.id:
            if not key.verify(body.encode("utf-8"), raw[4:]):
                raise CheckpointError(f"the signature of {key.name} does not verify: the checkpoint was changed")
            return Checkpoint(origin, int(size_text), root, note)
        signed_by_others.append(name)
    others = ", ".join(signed_by_others) or "nobody"
    raise CheckpointError(f"the checkpoint is not signed by the log's key {key} (signed by {others})")
