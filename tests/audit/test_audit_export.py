import json
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.audit.export import export, verify_export
from accord.audit.heads import countersign, record_countersignature, sign_tree_head
from accord.audit.log import append

KEY = Ed25519PrivateKey.generate()
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _exported(engine, path, size=50):
    with engine.begin() as conn:
        for i in range(size):
            append(conn, "object", {"id": f"x--{i}", "text": "données"}, T0 + timedelta(seconds=i))
            if i in (9, size - 1):
                sth = sign_tree_head(conn, KEY, T0 + timedelta(seconds=i))
        witness = Ed25519PrivateKey.generate()
        record_countersignature(
            conn, sth, countersign(sth, KEY.public_key(), witness), witness.public_key(), T0
        )
        assert export(conn, path) == size
    return path.read_text(encoding="utf-8").splitlines()


def _rewrite(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_export_verifies_offline_with_only_the_public_key(engine, tmp_path):
    lines = _exported(engine, tmp_path / "log.jsonl")
    assert [json.loads(line)["type"] for line in lines[:4]] == [
        "header",
        "tree_head",
        "tree_head",
        "countersignature",
    ]
    report = verify_export(tmp_path / "log.jsonl", KEY.public_key())
    assert report.ok, report.problems
    assert (report.tree_size, report.heads_checked, report.unsigned_tail) == (50, 2, 0)
    assert not verify_export(tmp_path / "log.jsonl", Ed25519PrivateKey.generate().public_key()).ok


def test_any_edit_to_an_export_is_detected(engine, tmp_path):
    path = tmp_path / "log.jsonl"
    lines = _exported(engine, path)
    first_record = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "record")
    tampered = []
    for position in range(first_record, len(lines)):
        item = json.loads(lines[position])
        edited = dict(item, record=item["record"].replace("données", "donnees"))
        tampered.append(lines[:position] + [json.dumps(edited)] + lines[position + 1 :])  # change
        tampered.append(lines[:position] + lines[position + 1 :])  # delete
        if position + 1 < len(lines):  # reorder
            tampered.append(lines[:position] + [lines[position + 1], lines[position]] + lines[position + 2 :])
    tampered.append(lines[: first_record + 20])  # truncate
    header = json.loads(lines[0])
    tampered.append([json.dumps(dict(header, tree_size=20))] + lines[1 : first_record + 20])  # consistent cut
    cs = json.loads(lines[3])
    tampered.append(lines[:3] + [json.dumps(dict(cs, tree_size=cs["tree_size"] - 1))] + lines[4:])
    for variant in tampered:
        _rewrite(path, variant)
        assert not verify_export(path, KEY.public_key()).ok
