"""Ed25519 checkpoints in the C2SP tlog-checkpoint / signed-note formats."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from linli.ledger.signing import (
    Checkpoint,
    CheckpointError,
    checkpoint_open,
    checkpoint_sign,
    key_id,
    load_or_create_signing_key,
    note_open,
    note_sign,
    parse_verifier_key,
    verifier_key,
)

ORIGIN = "linli.ledger/lin-li-garden"
ROOT = hashlib.sha256(b"some root").digest()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def vkey(key: Ed25519PrivateKey) -> str:
    return verifier_key(ORIGIN, key.public_key())


def sign(key: Ed25519PrivateKey, size: int = 42, root: bytes = ROOT) -> str:
    return checkpoint_sign(origin=ORIGIN, size=size, root=root, key=key)


# --- format --------------------------------------------------------------------------------------


def test_note_has_the_checkpoint_layout(key: Ed25519PrivateKey) -> None:
    note = sign(key)
    body, signature_line = note.split("\n\n")
    assert body == f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}"
    assert signature_line.startswith(f"\u2014 {ORIGIN} ")
    assert note.endswith("\n")
    blob = base64.b64decode(signature_line.split(" ")[2])
    assert len(blob) == 4 + 64
    assert blob[:4] == key_id(ORIGIN, key.public_key())
    key.public_key().verify(blob[4:], (body + "\n").encode())  # signs the text with its newline


def test_key_id_and_verifier_key_follow_signed_note(key: Ed25519PrivateKey) -> None:
    public = key.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    expected_id = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + public).digest()[:4]
    assert key_id(ORIGIN, key.public_key()) == expected_id
    name, hex_id, encoded = verifier_key(ORIGIN, key.public_key()).split("+", 2)
    assert (name, hex_id) == (ORIGIN, expected_id.hex())
    assert base64.b64decode(encoded) == b"\x01" + public


# The example of golang.org/x/mod/sumdb/note (note.go and note_test.go): an independent
# implementation of the same signed-note format.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_go_sumdb_note_example_opens() -> None:
    parsed = parse_verifier_key(GO_VKEY)
    assert (parsed.name, parsed.key_id.hex()) == ("PeterNeumann", "c74f20a3")
    assert note_open(GO_NOTE, GO_VKEY) == GO_TEXT
    with pytest.raises(CheckpointError):
        note_open(GO_NOTE.replace("problem is", "problem was"), GO_VKEY)


def test_signing_reproduces_the_go_sumdb_note_byte_for_byte() -> None:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]  # drop the 0x01 type byte
    key = Ed25519PrivateKey.from_private_bytes(seed)
    assert verifier_key("PeterNeumann", key.public_key()) == GO_VKEY
    assert note_sign(GO_TEXT, key=key, name="PeterNeumann") == GO_NOTE


def test_verifier_key_whose_base64_contains_a_plus_parses() -> None:
    """transparency-dev/formats' test key: the key material itself contains '+'."""
    parsed = parse_verifier_key("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
    assert (parsed.name, parsed.key_id.hex()) == ("TEST", "7997405c")


def test_name_defaults_to_origin_but_can_differ(key: Ed25519PrivateKey) -> None:
    note = checkpoint_sign(origin=ORIGIN, size=1, root=ROOT, key=key, name="example.com/k")
    assert "\u2014 example.com/k " in note
    assert checkpoint_open(note, verifier_key("example.com/k", key.public_key())).size == 1
    with pytest.raises(CheckpointError):
        checkpoint_open(note, verifier_key(ORIGIN, key.public_key()))


# --- round trip and tampering --------------------------------------------------------------------


def test_round_trip(key: Ed25519PrivateKey, vkey: str) -> None:
    assert checkpoint_open(sign(key), vkey) == Checkpoint(origin=ORIGIN, size=42, root=ROOT)


def test_empty_tree_checkpoint(key: Ed25519PrivateKey, vkey: str) -> None:
    empty = hashlib.sha256(b"").digest()
    assert checkpoint_open(sign(key, size=0, root=empty), vkey).size == 0


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n42\n", "\n43\n"),  # size
        ("linli.ledger/", "linli.ledger2/"),  # origin
        ("\n42\n", "\n042\n"),  # same number, other spelling
    ],
)
def test_tampered_body_is_rejected(key: Ed25519PrivateKey, vkey: str, old: str, new: str) -> None:
    note = sign(key)
    with pytest.raises(CheckpointError):
        checkpoint_open(note.replace(old, new, 1), vkey)


def test_tampered_root_is_rejected(key: Ed25519PrivateKey, vkey: str) -> None:
    note = sign(key)
    other = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(CheckpointError, match="bad signature"):
        checkpoint_open(note.replace(base64.b64encode(ROOT).decode(), other), vkey)


def test_tampered_signature_is_rejected(key: Ed25519PrivateKey, vkey: str) -> None:
    note = sign(key)
    body, line = note.split("\n\n")
    prefix, encoded = line.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[10] ^= 1
    forged = f"{body}\n\n{prefix} {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(CheckpointError, match="bad signature"):
        checkpoint_open(forged, vkey)


def test_other_key_with_same_name_is_rejected(key: Ed25519PrivateKey, vkey: str) -> None:
    note = sign(Ed25519PrivateKey.generate())  # same name, different key ID
    with pytest.raises(CheckpointError, match="not signed by"):
        checkpoint_open(note, vkey)


def test_wrong_key_id_is_rejected(key: Ed25519PrivateKey, vkey: str) -> None:
    note = sign(key)
    body, line = note.split("\n\n")
    prefix, encoded = line.rsplit(" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[0] ^= 0xFF
    forged = f"{body}\n\n{prefix} {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(CheckpointError, match="not signed by"):
        checkpoint_open(forged, vkey)


def test_verifier_key_whose_id_does_not_match_is_rejected(key: Ed25519PrivateKey) -> None:
    name, _, encoded = verifier_key(ORIGIN, key.public_key()).split("+", 2)
    with pytest.raises(CheckpointError, match="key id"):
        checkpoint_open(sign(key), f"{name}+00000000+{encoded}")


def test_unknown_signatures_are_ignored(key: Ed25519PrivateKey, vkey: str) -> None:
    witness = Ed25519PrivateKey.generate()
    ours = sign(key)
    theirs = checkpoint_sign(origin=ORIGIN, size=42, root=ROOT, key=witness, name="witness.example")
    cosigned = ours + theirs.split("\n\n")[1]
    assert checkpoint_open(cosigned, vkey).size == 42
    assert checkpoint_open(cosigned, verifier_key("witness.example", witness.public_key()))
    only_theirs = ours.split("\n\n")[0] + "\n\n" + theirs.split("\n\n")[1]
    with pytest.raises(CheckpointError, match="not signed by"):
        checkpoint_open(only_theirs, vkey)


def test_extension_lines_are_kept(key: Ed25519PrivateKey, vkey: str) -> None:
    body = f"{ORIGIN}\n7\n{base64.b64encode(ROOT).decode()}\nextra line\n"
    blob = key_id(ORIGIN, key.public_key()) + key.sign(body.encode())
    note = f"{body}\n\u2014 {ORIGIN} {base64.b64encode(blob).decode()}\n"
    assert checkpoint_open(note, vkey).extensions == ("extra line",)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda n: n.rstrip("\n"),  # no final newline
        lambda n: n.replace("\n\n", "\n"),  # no blank line
        lambda n: n.replace("\u2014", "-"),  # hyphen, not em dash
        lambda n: n.replace("\n42\n", "\n4\t2\n"),  # control character
        lambda n: n + "\n",  # empty signature line
        lambda n: n.replace("=\n", "\n"),  # base64 without padding
        lambda n: "",
        lambda n: 42,
    ],
)
def test_malformed_notes_are_rejected(key: Ed25519PrivateKey, vkey: str, mutate) -> None:
    with pytest.raises(CheckpointError):
        checkpoint_open(mutate(sign(key)), vkey)


def _signed_body(key: Ed25519PrivateKey, body: str) -> str:
    blob = key_id(ORIGIN, key.public_key()) + key.sign(body.encode())
    return f"{body}\n\u2014 {ORIGIN} {base64.b64encode(blob).decode()}\n"


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n42\n",  # no root
        f"{ORIGIN}\n042\n{base64.b64encode(ROOT).decode()}\n",  # leading zero
        f"{ORIGIN}\n-1\n{base64.b64encode(ROOT).decode()}\n",
        f"{ORIGIN}\n٤٢\n{base64.b64encode(ROOT).decode()}\n",  # Arabic-Indic digits
        f"{ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n",  # short root
        f"\n42\n{base64.b64encode(ROOT).decode()}\n",  # empty origin
    ],
)
def test_correctly_signed_but_malformed_bodies_are_rejected(
    key: Ed25519PrivateKey, vkey: str, body: str
) -> None:
    with pytest.raises(CheckpointError):
        checkpoint_open(_signed_body(key, body), vkey)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": "", "size": 1, "root": ROOT},
        {"origin": "a\nb", "size": 1, "root": ROOT},
        {"origin": "has space", "size": 1, "root": ROOT},  # also the key name
        {"origin": ORIGIN, "size": -1, "root": ROOT},
        {"origin": ORIGIN, "size": True, "root": ROOT},
        {"origin": ORIGIN, "size": 1, "root": ROOT[:31]},
    ],
)
def test_signing_refuses_bad_input(key: Ed25519PrivateKey, kwargs: dict) -> None:
    with pytest.raises(CheckpointError):
        checkpoint_sign(key=key, **kwargs)


@pytest.mark.parametrize(
    "vkey",
    ["", "name", "a+b+c", "na me+00000000+AA==", "n+0000000g+AA==", "n+00000000+@@@"],
)
def test_malformed_verifier_keys_are_rejected(vkey: str) -> None:
    with pytest.raises(CheckpointError):
        parse_verifier_key(vkey)


# --- key file ----------------------------------------------------------------------------------


def test_key_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "ledger.pem"
    first = load_or_create_signing_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    second = load_or_create_signing_key(path)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    assert first.public_key().public_bytes(*raw) == second.public_key().public_bytes(*raw)
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_key_file_mode_ignores_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "k.pem"
        load_or_create_signing_key(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_key_file_with_another_key_type_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "ec.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="not an Ed25519 key"):
        load_or_create_signing_key(path)
