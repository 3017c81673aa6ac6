import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    consistency_path,
    inclusion_path,
    leaf_hash,
    root_of_leaves,
    verify_consistency,
    verify_inclusion,
)

# Inputs and expected values of the Certificate Transparency reference test vectors.
CT_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.fixture(scope="module")
def ct_tree() -> MemoryTree:
    return MemoryTree.of(leaf_hash(bytes.fromhex(leaf)) for leaf in CT_LEAVES)


def test_roots_match_reference_vectors(ct_tree):
    assert ct_tree.root(0) == EMPTY_ROOT
    assert [ct_tree.root(n).hex() for n in range(1, 9)] == CT_ROOTS


def test_proofs_match_reference_vectors(ct_tree):
    assert [p.hex()[:8] for p in inclusion_path(0, 8, ct_tree.fetch)] == ["96a296d2", "5f083f0a", "6b47aaf2"]
    assert [p.hex()[:8] for p in consistency_path(6, 8, ct_tree.fetch)] == [
        "0ebc5d34",
        "ca854ea1",
        "d37ee418",
    ]
    assert [p.hex()[:8] for p in consistency_path(2, 5, ct_tree.fetch)] == ["5f083f0a", "bc1a0643"]


def test_every_proof_of_small_trees_verifies_and_tampering_fails():
    leaves = [leaf_hash(os.urandom(8)) for _ in range(40)]
    tree = MemoryTree.of(leaves)
    for n in range(1, 41):
        root = tree.root(n)
        assert root == root_of_leaves(leaves[:n])
        for i in range(n):
            path = inclusion_path(i, n, tree.fetch)
            assert verify_inclusion(leaves[i], i, n, path, root)
            assert not verify_inclusion(leaves[(i + 1) % n], i, n, path, root) or n == 1
            if path:
                assert not verify_inclusion(leaves[i], i, n, path[:-1], root)
                assert not verify_inclusion(leaves[i], i, n, [*path[:-1], os.urandom(32)], root)
        for m in range(0, n + 1):
            path = consistency_path(m, n, tree.fetch)
            assert verify_consistency(m, n, tree.root(m), root, path)
            if 0 < m < n:
                assert not verify_consistency(m, n, tree.root(m), os.urandom(32), path)
                assert not verify_consistency(m, n, os.urandom(32), root, path)
                assert not verify_consistency(m, n, tree.root(m), root, path[:-1])


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 3000), st.data())
def test_large_trees_against_the_rfc_definition(size, data):
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    tree = MemoryTree.of(leaves)
    assert tree.root() == root_of_leaves(leaves)
    index = data.draw(st.integers(0, size - 1))
    assert verify_inclusion(leaves[index], index, size, inclusion_path(index, size, tree.fetch), tree.root())
    first = data.draw(st.integers(0, size))
    path = consistency_path(first, size, tree.fetch)
    assert verify_consistency(first, size, root_of_leaves(leaves[:first]), tree.root(), path)
    assert len(path) <= 2 * size.bit_length()
