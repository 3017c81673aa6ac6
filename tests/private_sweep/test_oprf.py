"""RFC 9497 OPRF mode (ristretto255-SHA512) on libsodium: the RFC's vectors, input validation."""

from __future__ import annotations

import sys

import pytest

from accord.private_sweep import oprf

# RFC 9380 Appendix K.3: expand_message_xmd(SHA-512), DST "QUUX-V01-CS02-with-expander-SHA512-256".
XMD_DST = b"QUUX-V01-CS02-with-expander-SHA512-256"
XMD = [
    (b"", 0x20, "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba"),
    (b"abc", 0x20, "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc"),
    (
        b"abc",
        0x80,
        "7f1dddd13c08b543f2e2037b14cefb255b44c83cc397c1786d975653e36a6b11bdd7732d8b38adb4a0edc26a0cef4bb4"
        "5217135456e58fbca1703cd6032cb1347ee720b87972d63fbf232587043ed2901bce7f22610c0419751c065922b48843"
        "1851041310ad659e4b23520e1772ab29dcdeb2002222a363f0c2b1c972b3efe1",
    ),
]

# RFC 9497 Appendix A.1.1: ristretto255-SHA512, OPRF mode (the mode has no batch vector).
SEED = bytes.fromhex("a3" * 32)
KEY_INFO = bytes.fromhex("74657374206b6579")  # "test key"
SK_SM = "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e"
BLIND = "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706"
VECTORS = [  # Input, BlindedElement, EvaluationElement, Output (Blind as above for both)
    (
        "00",
        "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
        "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
        "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3"
        "ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6",
    ),
    (
        "5a" * 17,
        "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
        "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
        "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4"
        "f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73",
    ),
]


def test_context_string() -> None:
    assert oprf.CONTEXT == b"OPRFV1-\x00-ristretto255-SHA512"


@pytest.mark.parametrize(("msg", "length", "expected"), XMD)
def test_expand_message_xmd_rfc9380_vectors(msg: bytes, length: int, expected: str) -> None:
    assert oprf.expand_message_xmd(msg, XMD_DST, length).hex() == expected


def test_derive_key_pair_rfc9497_vector() -> None:
    sk, pk = oprf.derive_key_pair(SEED, KEY_INFO)
    assert sk.hex() == SK_SM
    holder = oprf.Holder.from_seed(SEED, KEY_INFO)
    assert holder.secret_key.hex() == SK_SM and holder.public_key == pk


@pytest.mark.parametrize(("raw", "blinded_hex", "evaluated_hex", "output_hex"), VECTORS)
def test_oprf_mode_rfc9497_vectors(raw: str, blinded_hex: str, evaluated_hex: str, output_hex: str) -> None:
    holder = oprf.Holder.from_seed(SEED, KEY_INFO)
    data = bytes.fromhex(raw)
    blinded = oprf.blind([data], blinds=[bytes.fromhex(BLIND)])  # Blind
    assert blinded.elements[0].hex() == blinded_hex
    evaluated = holder.evaluate(blinded.elements)  # BlindEvaluate
    assert evaluated.hex() == evaluated_hex
    assert oprf.finalize(blinded, evaluated)[0].hex() == output_hex  # Finalize
    assert holder.prf(data).hex() == output_hex  # Evaluate (the holder's side of the set)


def test_both_vectors_as_one_batch() -> None:
    holder = oprf.Holder.from_seed(SEED, KEY_INFO)
    blinded = oprf.blind([bytes.fromhex(v[0]) for v in VECTORS], blinds=[bytes.fromhex(BLIND)] * 2)
    assert [e.hex() for e in blinded.elements] == [v[1] for v in VECTORS]
    evaluated = holder.evaluate(blinded.elements)
    assert evaluated.hex() == "".join(v[2] for v in VECTORS)
    assert [o.hex() for o in oprf.finalize(blinded, evaluated)] == [v[3] for v in VECTORS]


def test_random_blinds_and_threads_agree_with_evaluate() -> None:
    holder = oprf.Holder.from_seed(oprf.new_seed())
    values = [f"ipv4-addr:value\x0010.0.{i // 256}.{i % 256}".encode() for i in range(2100)]
    one, two = oprf.blind(values, threads=1), oprf.blind(values, threads=2)  # 2 threads: >= 2048
    assert not set(one.elements) & set(two.elements)  # a fresh scalar per value and per call
    expected = holder.prf_many(values, threads=2)
    assert expected == [holder.prf(v) for v in values[:3]] + expected[3:]
    for blinded in (one, two):
        out = oprf.finalize(blinded, holder.evaluate(blinded.elements, threads=2), threads=2)
        assert out == expected
    part = two[5:9]
    assert oprf.finalize(part, holder.evaluate(part.elements)) == expected[5:9]


def test_deserialize_element_refuses_bad_encodings_and_the_identity() -> None:
    good = oprf.blind([b"x"]).elements[0]
    assert oprf.deserialize_element(good) == good
    non_canonical = (2**255 - 19).to_bytes(32, "little")  # the field prime p itself: s >= p
    negative = b"\x01" + bytes(31)  # odd s: "negative", refused by Decode
    for bad in (bytes(32), b"\xff" * 32, non_canonical, negative, good[:31], good + b"\0"):
        with pytest.raises(oprf.BadElement):
            oprf.deserialize_element(bad)
    with pytest.raises(oprf.BadElement, match="element 1 "):
        oprf.parse([good, bytes(32)])


def test_evaluate_validates_in_its_multiplication_as_deserialize_element_does() -> None:
    """The holder's evaluation decodes each element once (in the multiplication) and refuses exactly
    what DeserializeElement refuses, naming the element by its index, also across threads."""
    holder = oprf.Holder.from_seed(oprf.new_seed())
    good = oprf.blind([f"v{i}".encode() for i in range(3000)])
    non_canonical = (2**255 - 19).to_bytes(32, "little")
    for bad in (bytes(32), b"\xff" * 32, non_canonical, b"\x01" + bytes(31), good.elements[0][:31]):
        reason = str(pytest.raises(oprf.BadElement, oprf.deserialize_element, bad).value)
        with pytest.raises(oprf.BadElement, match=f"element 1 .*{reason}"):
            holder.evaluate([good.elements[0], bad])
        batch = [*good.elements[:2500], bad, *good.elements[2500:]]
        for threads in (1, 2):  # 2 threads: the bad one is in the second chunk
            with pytest.raises(oprf.BadElement, match="element 2500 "):
                holder.evaluate(batch, threads=threads)
    one, two = holder.evaluate(good.elements, threads=1), holder.evaluate(good.elements, threads=2)
    assert one == two == b"".join(holder.evaluate([e]) for e in good.elements[:10]) + one[320:]
    assert oprf.finalize(good, one) == holder.prf_many(good.inputs)


def test_finalize_refuses_a_bad_answer() -> None:
    holder = oprf.Holder.from_seed(oprf.new_seed())
    blinded = oprf.blind([b"a", b"b"])
    good = holder.evaluate(blinded.elements)
    for bad in (good[:32], good + bytes(32), good[:32] + bytes(32), good[:32] + b"\xff" * 32):
        with pytest.raises(oprf.BadEvaluation):
            oprf.finalize(blinded, bad)


def test_a_missing_libsodium_is_one_line_naming_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oprf, "_lib", None)
    monkeypatch.setitem(sys.modules, "pysodium", None)  # import pysodium -> ImportError
    with pytest.raises(oprf.LibraryMissing, match="apt-get install libsodium23") as exc:
        oprf.require()
    assert "\n" not in str(exc.value)
