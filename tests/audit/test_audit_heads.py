import json
import os
import stat
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.audit.heads import (
    Countersignature,
    SignedTreeHead,
    countersign,
    latest_head,
    record_countersignature,
    sign_head,
    sign_tree_head,
    stored_countersignatures,
    verify_countersignature,
    verify_head,
    verify_heads_consistent,
)
from accord.audit.keys import (
    KEY_FILE,
    PUBLIC_KEY_FILE,
    InsecureKeyFile,
    key_id,
    load_or_create_key,
    load_public_key,
)
from accord.audit.log import append, consistency_proof, current_head

AT = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)


def test_key_is_created_once_with_mode_0600(tmp_path):
    key = load_or_create_key(tmp_path)
    assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
    again = load_or_create_key(tmp_path)
    assert key_id(again.public_key()) == key_id(key.public_key())
    published = load_public_key((tmp_path / PUBLIC_KEY_FILE).read_bytes())
    assert key_id(published) == key_id(key.public_key())


def test_refuses_a_key_readable_by_others(tmp_path):
    load_or_create_key(tmp_path)
    os.chmod(tmp_path / KEY_FILE, 0o644)
    with pytest.raises(InsecureKeyFile):
        load_or_create_key(tmp_path)


def test_signed_head_round_trips_through_json_and_detects_any_change(engine, tmp_path):
    key = load_or_create_key(tmp_path)
    with engine.begin() as conn:
        for i in range(5):
            append(conn, "object", {"i": i}, AT)
        sth = sign_tree_head(conn, key, AT)
        assert latest_head(conn) == sth
        assert (sth.tree_size, sth.root_hash) == (current_head(conn).tree_size, current_head(conn).root_hash)
    assert sth.timestamp == 1_795_953_600_123  # ms, truncated (RFC 9162 style)
    published = json.loads(json.dumps(sth.to_json()))
    assert set(published) == {"log_id", "tree_size", "root_hash", "timestamp", "signature"}
    assert verify_head(SignedTreeHead.from_json(published), key.public_key())
    for field, value in [("tree_size", 4), ("timestamp", sth.timestamp + 1), ("root_hash", b"\0" * 32)]:
        forged = SignedTreeHead(**{**sth.__dict__, field: value})
        assert not verify_head(forged, key.public_key())
    assert not verify_head(sth, Ed25519PrivateKey.generate().public_key())


def test_countersignatures_are_verified_and_stored(engine, tmp_path):
    origin, witness = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    with engine.begin() as conn:
        append(conn, "object", {"i": 1}, AT)
        sth = sign_tree_head(conn, origin, AT)
    cs = countersign(sth, origin.public_key(), witness)
    assert verify_countersignature(sth, cs, witness.public_key())
    assert not verify_countersignature(sth, cs, origin.public_key())
    other = SignedTreeHead(sth.log_id, sth.tree_size + 1, sth.root_hash, sth.timestamp, sth.signature)
    assert not verify_countersignature(other, cs, witness.public_key())
    with pytest.raises(ValueError):
        countersign(other, origin.public_key(), witness)  # the origin's signature is broken: refuse
    with engine.begin() as conn:
        record_countersignature(conn, sth, Countersignature.from_json(cs.to_json()), witness.public_key(), AT)
        with pytest.raises(ValueError):
            record_countersignature(conn, other, cs, witness.public_key(), AT)
        [(head, stored, raw)] = stored_countersignatures(conn)
    assert (head.tree_size, head.root_hash, stored) == (sth.tree_size, sth.root_hash, cs)
    assert raw == witness.public_key().public_bytes_raw()


def test_a_peer_checks_that_a_new_head_extends_the_one_it_saw(engine):
    key = Ed25519PrivateKey.generate()
    with engine.begin() as conn:
        for i in range(11):
            append(conn, "object", {"i": i}, AT)
        old = sign_tree_head(conn, key, AT)
        for i in range(11, 30):
            append(conn, "object", {"i": i}, AT)
        new = sign_tree_head(conn, key, AT)
        path = consistency_proof(conn, old.tree_size, new.tree_size)
    assert verify_heads_consistent(old, new, path, key.public_key())
    assert not verify_heads_consistent(new, old, path, key.public_key())
    rewritten = sign_head(key, new.tree_size, bytes(32), AT)  # validly signed, but a different history
    assert not verify_heads_consistent(old, rewritten, path, key.public_key())
    assert not verify_heads_consistent(old, new, path, Ed25519PrivateKey.generate().public_key())
