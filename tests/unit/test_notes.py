"""C2SP signed notes, keys, checkpoints and cosignatures; offline bundle checks.

The known answer is Go's golang.org/x/mod/sumdb/note example (Ed25519 is deterministic, so our
signature of the same text by the same key is byte for byte the one Go prints).
"""

from __future__ import annotations

import hashlib
import json
import struct

import pytest

from custody.ledger import tree
from custody.ledger.notes import SignerKey, sign_checkpoint
from custody.ledger.offline import (
    COSIGNATURE_V1,
    ED25519,
    FORMAT,
    Checkpoint,
    Note,
    ProofError,
    Signature,
    VerifierKey,
    b64,
    check_bundle,
    leaf_hash,
    main,
)

GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_LINE = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


# --- the Go example ---------------------------------------------------------------------------


def test_the_go_signer_key_gives_the_go_verifier_key():
    signer = SignerKey.parse(GO_SIGNER)
    assert (signer.name, signer.key_type) == ("PeterNeumann", ED25519)
    assert signer.text() == GO_SIGNER
    assert signer.verifier.text() == GO_VERIFIER
    assert VerifierKey.parse(GO_VERIFIER) == signer.verifier


def test_signing_the_go_text_gives_the_go_signature_line():
    assert SignerKey.parse(GO_SIGNER).sign(GO_TEXT).line() == GO_LINE


def test_the_go_note_verifies_and_an_altered_one_does_not():
    key = VerifierKey.parse(GO_VERIFIER)
    note = Note.parse(GO_TEXT + "\n" + GO_LINE)
    assert note.text == GO_TEXT and note.signed_by(key)
    assert note.render() == GO_TEXT + "\n" + GO_LINE
    assert not Note.parse(GO_TEXT.replace("answer", "Answer") + "\n" + GO_LINE).signed_by(key)
    other = SignerKey.generate("PeterNeumann").verifier  # same name, another key: another key id
    assert not note.signed_by(other)
    assert not note.cosigned_by(key)  # an Ed25519 note signature is not a cosignature


def test_a_signature_by_an_unknown_key_is_ignored_not_fatal():
    stranger = SignerKey.generate("stranger")
    note = Note.parse(GO_TEXT + "\n" + stranger.sign(GO_TEXT).line() + GO_LINE)
    assert note.signed_by(VerifierKey.parse(GO_VERIFIER)) and note.signed_by(stranger.verifier)


# --- malformed keys and notes -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key id
        "PeterNeumann+c74f20a3+AhpcZ2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # unknown key type
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # 32 bytes, not 33
        "PeterNeumann+c74f20a3+not base64!",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # a space in the name
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # no name
    ],
)
def test_malformed_verifier_keys_are_refused(text):
    with pytest.raises(ProofError):
        VerifierKey.parse(text)


@pytest.mark.parametrize(
    "text",
    [
        "PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",  # no PRIVATE+KEY+
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",  # wrong id
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXH",  # short
        "PRIVATE+KEY+PeterNeumann+c74f20a3+%%%",
    ],
)
def test_malformed_signer_keys_are_refused(text):
    with pytest.raises(ProofError):
        SignerKey.parse(text)


@pytest.mark.parametrize("name", ["", "two words", "a+b", "tab\tname"])
def test_key_names_with_spaces_or_plus_are_refused(name):
    with pytest.raises(ValueError):
        SignerKey.generate(name)


@pytest.mark.parametrize(
    "signed",
    [
        GO_TEXT + GO_LINE,  # no blank line
        GO_TEXT + "\n" + GO_LINE.rstrip("\n"),  # no final newline
        GO_TEXT + "\n" + GO_LINE.replace("\u2014", "-"),  # not an em dash
        GO_TEXT + "\n" + "\u2014 PeterNeumann\n",  # no signature
        GO_TEXT + "\n" + "\u2014 PeterNeumann AAAA\n",  # too short to hold a key id
        GO_TEXT + "\n" + "\u2014 PeterNeumann not*base64\n",
        "\n" + GO_LINE,  # no text
        "first\n\nsecond\n\n" + GO_LINE,  # a blank line inside the text
    ],
)
def test_malformed_notes_are_refused(signed):
    with pytest.raises(ProofError):
        Note.parse(signed)


# --- checkpoints and cosignatures ---------------------------------------------------------------


def test_a_checkpoint_round_trips_and_bad_ones_are_refused():
    checkpoint = Checkpoint("custody.test/custody-ledger", 42, bytes(range(32)))
    assert checkpoint.text() == f"custody.test/custody-ledger\n42\n{b64(bytes(range(32)))}\n"
    assert Checkpoint.parse(checkpoint.text()) == checkpoint
    root = b64(bytes(32))
    for bad in [
        "origin\n42\n",
        f"origin\n042\n{root}\n",
        f"origin\n-1\n{root}\n",
        f"origin\n42\n{b64(bytes(31))}\n",
        f"\n42\n{root}\n",
        f"origin\n42\n{root}",
    ]:
        with pytest.raises(ProofError):
            Checkpoint.parse(bad)


def test_the_log_signs_a_checkpoint_only_under_its_own_name():
    key = SignerKey.generate("custody.test/custody-ledger")
    checkpoint = Checkpoint(key.name, 3, bytes(32))
    note = Note.parse(sign_checkpoint(checkpoint, key))
    assert note.text == checkpoint.text() and note.signed_by(key.verifier)
    with pytest.raises(ValueError):
        sign_checkpoint(Checkpoint("another/log", 3, bytes(32)), key)


def test_a_cosignature_round_trips_with_its_timestamp():
    log = SignerKey.generate("custody.test/custody-ledger")
    witness = SignerKey.generate("witness.procuratorate", COSIGNATURE_V1)
    assert witness.verifier.key_type == COSIGNATURE_V1
    assert VerifierKey.parse(witness.verifier.text()) == witness.verifier
    assert SignerKey.parse(witness.text()) == witness
    checkpoint = Checkpoint(log.name, 7, hashlib.sha256(b"root").digest())
    note = Note.parse(sign_checkpoint(checkpoint, log))
    cosignature = witness.cosign(checkpoint, 1_765_000_000)
    assert len(cosignature.raw) == 4 + 8 + 64 and cosignature.raw[:4] == witness.verifier.id
    note.signatures.append(cosignature)
    again = Note.parse(note.render())
    assert again.cosigned_by(witness.verifier) == 1_765_000_000
    assert again.signed_by(log.verifier) and not again.signed_by(witness.verifier)
    assert again.cosigned_by(log.verifier) is None
    # The timestamp is signed: moving it invalidates the cosignature.
    moved = Signature(cosignature.name, cosignature.raw[:4] + struct.pack(">Q", 1_765_000_001) + cosignature.raw[12:])
    assert Note(note.text, [moved]).cosigned_by(witness.verifier) is None
    # A cosignature of another checkpoint does not carry over.
    other = Checkpoint(log.name, 8, checkpoint.root)
    assert Note(other.text(), [cosignature]).cosigned_by(witness.verifier) is None


def test_keys_sign_only_what_their_type_allows():
    with pytest.raises(AssertionError):
        SignerKey.generate("w", COSIGNATURE_V1).sign("text\n")
    with pytest.raises(AssertionError):
        SignerKey.generate("log").cosign(Checkpoint("log", 1, bytes(32)), 1)


# --- bundles --------------------------------------------------------------------------------------


def _bodies(n: int) -> list[str]:
    records = [
        {"data": {"sha256": hashlib.sha256(b"receipt %d" % seq).hexdigest()}, "kind": "k", "seq": seq}
        for seq in range(1, n + 1)
    ]
    return [json.dumps(r, sort_keys=True, separators=(",", ":")) for r in records]


def _bundle(log: SignerKey, bodies: list[str], seqs: list[int], witness: SignerKey | None = None) -> str:
    stored: dict[tree.NodeKey, bytes] = {}
    frontier: list[bytes] = []
    for size, body in enumerate(bodies):
        stored[size + 1, 0] = leaf_hash(body.encode())
        for level, node in tree.push(frontier, size, stored[size + 1, 0]):
            stored[size + 1, level] = node
    size = len(bodies)
    checkpoint = Checkpoint(log.name, size, tree.root_of(frontier))
    note = Note.parse(sign_checkpoint(checkpoint, log))
    if witness is not None:
        note.signatures.append(witness.cosign(checkpoint, 1_765_000_000))

    def proof(seq: int) -> list[str]:
        ranges = tree.inclusion_ranges(seq - 1, size)
        return [b64(tree.fold([stored[k] for k in tree.pieces(a, b)])) for a, b in ranges]

    entries = [{"seq": seq, "body": bodies[seq - 1], "inclusion": proof(seq)} for seq in seqs]
    return json.dumps({"format": FORMAT, "checkpoint": note.render(), "entries": entries})


def test_a_genuine_bundle_checks_out_with_its_witness_and_document():
    log, witness = SignerKey.generate("custody.test/custody-ledger"), SignerKey.generate("w1", COSIGNATURE_V1)
    bundle = _bundle(log, _bodies(11), [3, 11], witness)
    report = check_bundle(bundle, log.verifier, [witness.verifier], document=b"receipt 3")
    assert report.ok, report.lines
    assert [line[:4] for line in report.lines] == ["OK  "] * 5


@pytest.mark.parametrize(
    "damage",
    ["body", "proof", "seq", "root", "signature", "origin", "no entries", "not json", "format"],
)
def test_a_damaged_bundle_is_not_verified(damage):
    log = SignerKey.generate("custody.test/custody-ledger")
    bodies = _bodies(6)
    bundle = json.loads(_bundle(log, bodies, [5]))
    entry = bundle["entries"][0]
    if damage == "body":
        entry["body"] = entry["body"].replace('"k"', '"x"')
    elif damage == "proof":
        entry["inclusion"][0] = b64(bytes(32))
    elif damage == "seq":
        entry["seq"] = 4
    elif damage == "root":
        lines = bundle["checkpoint"].split("\n")
        lines[2] = b64(bytes(32))
        bundle["checkpoint"] = "\n".join(lines)
    elif damage == "signature":
        bundle["checkpoint"] = bundle["checkpoint"].replace("\n6\n", "\n5\n")
    elif damage == "origin":
        other = SignerKey.generate("another/log")
        bundle = json.loads(_bundle(other, bodies, [5]))
    elif damage == "no entries":
        bundle["entries"] = []
    elif damage == "format":
        bundle["format"] = "something/v0"
    text = "{not json" if damage == "not json" else json.dumps(bundle)
    report = check_bundle(text, log.verifier)
    assert not report.ok
    assert any(line.startswith("FAIL") for line in report.lines)


def test_a_missing_cosignature_or_another_document_fails():
    log, witness = SignerKey.generate("custody.test/custody-ledger"), SignerKey.generate("w1", COSIGNATURE_V1)
    bundle = _bundle(log, _bodies(4), [2])
    assert check_bundle(bundle, log.verifier).ok
    assert not check_bundle(bundle, log.verifier, [witness.verifier]).ok
    assert not check_bundle(bundle, log.verifier, document=b"receipt 3").ok  # entry 2 records receipt 2


def test_the_command_line_exits_0_for_genuine_and_1_otherwise(tmp_path, capsys):
    log = SignerKey.generate("custody.test/custody-ledger")
    path = tmp_path / "bundle.json"
    path.write_text(_bundle(log, _bodies(5), [1, 5]), encoding="utf-8")
    key_file = tmp_path / "log.vkey"
    key_file.write_text(log.verifier.text() + "\n", encoding="utf-8")
    assert main([str(path), "--key", str(key_file)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("GENUINE")
    assert main([str(path), "--key", SignerKey.generate("custody.test/custody-ledger").verifier.text()]) == 1
    assert main([str(path), "--key", "not a key"]) == 1
    assert main([str(tmp_path / "absent.json"), "--key", str(key_file)]) == 1
    assert "FAIL  [Errno 2] No such file" in capsys.readouterr().out
