"""Ed25519-signed tree heads in the C2SP tlog-checkpoint / signed-note formats.

A checkpoint (c2sp.org/tlog-checkpoint) is a signed note (c2sp.org/signed-note) whose
text is three lines: the log's origin, the tree size in decimal, and the base64 RFC 6962
root hash. The signature line is ``— <key name> base64(key ID ‖ Ed25519 signature)``,
with key ID = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. A verifier key is
written ``<name>+<8 hex key ID>+base64(0x01 ‖ public key)`` as Go's
golang.org/x/mod/sumdb/note does, so standard tools read our checkpoints.

Only ``cryptography`` and the stdlib: the offline verifier imports this module.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519_TYPE = b"\x01"  # signed-note signature type for Ed25519
EM_DASH = "\u2014"
KEY_ID_SIZE = 4
ROOT_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
MAX_NOTE_BYTES = 64 * 1024
MAX_SIGNATURES = 32  # signed-note: verifiers MUST accept at least 16
MAX_TREE_SIZE = (1 << 63) - 1

_KEY_NAME = re.compile(r"[^\s+]+")  # non-empty, no Unicode spaces, no "+"
_TREE_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # signed-note: nothing below U+0020 but newline


class CheckpointError(ValueError):
    """A note or verifier key is malformed, unsigned by the key, or badly signed."""


@dataclass(frozen=True)
class Checkpoint:
    """A verified tree head: the log's origin, its size and its RFC 6962 root."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


# --- keys -----------------------------------------------------------------------------------


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 key at ``path`` (unencrypted PKCS#8 PEM), created on first use.

    Created with its parent directories and mode 0600; the file appears whole or not at
    all (written beside it, then hard-linked into place), so two processes starting
    together end up with the same key.
    """
    path = Path(path)
    if not path.exists():
        _create_key_file(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = Ed25519PrivateKey.generate().private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)
    except FileExistsError:
        pass  # another process won the race; use its key
    finally:
        temp.unlink()


def _check_key_name(name: str) -> None:
    if not isinstance(name, str) or not _KEY_NAME.fullmatch(name):
        raise CheckpointError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """signed-note key ID: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4]."""
    material = name.encode("utf-8") + b"\n" + ED25519_TYPE + _public_bytes(public_key)
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key text ``<name>+<8 hex key ID>+base64(0x01 ‖ public key)``."""
    _check_key_name(name)
    encoded = base64.b64encode(ED25519_TYPE + _public_bytes(public_key)).decode("ascii")
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    """A parsed verifier key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def _strict_b64decode(text: str) -> bytes:
    """Standard base64 (RFC 4648 §4) that must round-trip, so one value has one spelling."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise CheckpointError("invalid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError("non-canonical base64")
    return raw


def parse_verifier_key(vkey: str) -> Verifier:
    """Parse ``<name>+<hex key ID>+<base64 key>``; the key ID must match name and key."""
    if not isinstance(vkey, str):
        raise CheckpointError("verifier key must be text")
    parts = vkey.strip().split("+", 2)  # the base64 key may itself contain "+"
    if len(parts) != 3:
        raise CheckpointError("verifier key must be <name>+<key id>+<key>")
    name, hex_id, encoded = parts
    _check_key_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise CheckpointError("verifier key id must be 8 lowercase hex digits")
    raw = _strict_b64decode(encoded)
    if len(raw) != 33 or raw[:1] != ED25519_TYPE:
        raise CheckpointError("verifier key is not an Ed25519 (type 0x01) key")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public_key) != bytes.fromhex(hex_id):
        raise CheckpointError("verifier key id does not match its name and key")
    return Verifier(name=name, key_id=bytes.fromhex(hex_id), public_key=public_key)


# --- signing --------------------------------------------------------------------------------


def checkpoint_body(*, origin: str, size: int, root: bytes) -> str:
    """The checkpoint note text (c2sp.org/tlog-checkpoint): origin, size, base64 root."""
    if not isinstance(origin, str) or not origin or "\n" in origin or _CONTROL.search(origin):
        raise CheckpointError("origin must be one non-empty line without control characters")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_TREE_SIZE:
        raise CheckpointError("tree size must be an integer from 0 to 2^63-1")
    if not isinstance(root, bytes) or len(root) != ROOT_SIZE:
        raise CheckpointError("root must be a 32-byte SHA-256 hash")
    return f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"


def note_sign(text: str, *, key: Ed25519PrivateKey, name: str) -> str:
    """Sign ``text`` (ending in a newline) as a c2sp.org/signed-note with one Ed25519 key."""
    _check_key_name(name)
    if not isinstance(text, str) or not text.endswith("\n") or _CONTROL.search(text):
        raise CheckpointError("note text must end in a newline and have no control characters")
    signature = key.sign(text.encode("utf-8"))
    blob = key_id(name, key.public_key()) + signature
    return f"{text}\n{EM_DASH} {name} {base64.b64encode(blob).decode('ascii')}\n"


def checkpoint_sign(
    *, origin: str, size: int, root: bytes, key: Ed25519PrivateKey, name: str | None = None
) -> str:
    """A signed checkpoint note; the key name defaults to the origin, as the spec advises."""
    body = checkpoint_body(origin=origin, size=size, root=root)
    return note_sign(body, key=key, name=origin if name is None else name)


# --- opening --------------------------------------------------------------------------------


def _split_note(note: str) -> tuple[str, list[str]]:
    """Text (with its final newline) and the signature lines (signed-note §Format)."""
    if not isinstance(note, str):
        raise CheckpointError("note must be text")
    if len(note.encode("utf-8", errors="replace")) > MAX_NOTE_BYTES:
        raise CheckpointError("note is too large")
    if _CONTROL.search(note) or not note.endswith("\n"):
        raise CheckpointError("note has control characters or lacks a final newline")
    try:
        note.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CheckpointError("note is not valid UTF-8 text") from exc
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("note has no blank line before its signatures")
    lines = note[split + 2 : -1].split("\n")
    if not lines or len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"note must have 1 to {MAX_SIGNATURES} signature lines")
    return note[: split + 1], lines


def _parse_signature_line(line: str) -> tuple[str, bytes, bytes]:
    """``— <name> base64(key ID ‖ signature)`` → (name, key ID, signature)."""
    prefix = EM_DASH + " "
    if not line.startswith(prefix):
        raise CheckpointError("malformed signature line")
    name, sep, encoded = line[len(prefix) :].partition(" ")
    if not sep:
        raise CheckpointError("malformed signature line")
    _check_key_name(name)
    blob = _strict_b64decode(encoded)
    if len(blob) <= KEY_ID_SIZE:
        raise CheckpointError("signature too short")
    return name, blob[:KEY_ID_SIZE], blob[KEY_ID_SIZE:]


def _verify_note(text: str, lines: list[str], verifier: Verifier) -> None:
    """signed-note §Signatures: ignore unknown keys, require a good one from ours."""
    verified = False
    for line in lines:
        name, kid, signature = _parse_signature_line(line)
        if name != verifier.name or kid != verifier.key_id:
            continue  # unknown key (even if it shares the name or the ID): ignore
        if len(signature) != ED25519_SIGNATURE_SIZE:
            raise CheckpointError("Ed25519 signature has the wrong length")
        try:
            verifier.public_key.verify(signature, text.encode("utf-8"))
        except InvalidSignature as exc:
            raise CheckpointError(f"bad signature by {verifier.name}") from exc
        verified = True
    if not verified:
        raise CheckpointError(f"note is not signed by {verifier.name}+{verifier.key_id.hex()}")


def _parse_body(text: str) -> Checkpoint:
    """c2sp.org/tlog-checkpoint §Note text: origin, size, root, optional extensions."""
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise CheckpointError("checkpoint needs origin, size and root on non-empty lines")
    origin, size_text, root_text, *extensions = lines
    if not _TREE_SIZE.fullmatch(size_text) or int(size_text) > MAX_TREE_SIZE:
        raise CheckpointError("checkpoint tree size is not a plain decimal number")
    root = _strict_b64decode(root_text)
    if len(root) != ROOT_SIZE:
        raise CheckpointError("checkpoint root is not a 32-byte hash")
    return Checkpoint(origin=origin, size=int(size_text), root=root, extensions=tuple(extensions))


def note_open(note: str, vkey: str) -> str:
    """Verify a signed note against one verifier key; return its text (with final newline).

    Raises CheckpointError on a malformed note or key, a missing signature by the key
    (same name *and* key ID), or a signature that does not verify.
    """
    verifier = parse_verifier_key(vkey)
    text, lines = _split_note(note)
    _verify_note(text, lines, verifier)
    return text


def checkpoint_open(note: str, vkey: str) -> Checkpoint:
    """Verify a signed checkpoint against one verifier key and return its contents.

    Raises CheckpointError as :func:`note_open` does, or if the text is not a checkpoint.
    """
    return _parse_body(note_open(note, vkey))
