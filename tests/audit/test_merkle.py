"""The Merkle tree against RFC 9162's definitions, written out naively.

The reference functions below follow the RFC's recursive definitions over
lists of leaves (MTH, PATH, SUBPROOF) with no shortcut; the module under test
builds the same proofs from complete-subtree hashes only. The eight-leaf
roots are those of the RFC 6962 reference tests of Certificate Transparency
(leaves "", 00, 10, 2021, 3031, 40414243, 5051..57, 6061..6f).
"""

from __future__ import annotations

import hashlib

import pytest

from edocx.audit import merkle

SIZES = range(1, 65)

CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "", "00", "10", "2021", "3031", "40414243",
        "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    )
]  # fmt: skip
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


def _mth(leaves: list[bytes]) -> bytes:
    # RFC 9162 section 2.1.1, over the leaf hashes.
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = merkle.split_point(len(leaves))
    return merkle.node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = merkle.split_point(len(leaves))
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [_mth(leaves)]
    k = merkle.split_point(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), _mth(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), _mth(leaves[:k])]


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"entry {i}".encode()) for i in range(n)]


def _stored(leaves: list[bytes]) -> merkle.SubtreeHash:
    # Complete subtrees only, as a store keeps them; anything else fails.
    def subtree(start: int, size: int) -> bytes:
        assert merkle.is_power_of_two(size) and start % size == 0, (start, size)
        assert start + size <= len(leaves)
        return _mth(leaves[start : start + size])

    return subtree


def _altered(proof: list[bytes], at: int, byte: int) -> list[bytes]:
    changed = bytearray(proof[at])
    changed[byte % len(changed)] ^= 0x01
    return [*proof[:at], bytes(changed), *proof[at + 1 :]]


def test_hashes_carry_the_prefixes() -> None:
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    left, right = b"L" * 32, b"R" * 32
    assert (
        merkle.node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    )
    assert merkle.root_of([]) == hashlib.sha256(b"").digest()


def test_roots_of_the_certificate_transparency_reference_tree() -> None:
    leaves = [merkle.leaf_hash(leaf) for leaf in CT_LEAVES]
    for size, expected in enumerate(CT_ROOTS, start=1):
        assert merkle.root_of(leaves[:size]).hex() == expected


@pytest.mark.parametrize("size", SIZES)
def test_root_matches_the_naive_definition(size: int) -> None:
    leaves = _leaves(size)
    assert merkle.root_of(leaves) == _mth(leaves)
    assert merkle.range_root(0, size, _stored(leaves)) == _mth(leaves)


@pytest.mark.parametrize("size", SIZES)
def test_inclusion_proofs(size: int) -> None:
    leaves = _leaves(size)
    root = _mth(leaves)
    for index in range(size):
        proof = merkle.inclusion_proof(index, size, _stored(leaves))
        assert proof == _path(index, leaves)
        assert merkle.verify_inclusion(leaves[index], index, size, proof, root)

        for at in range(len(proof)):
            bad = _altered(proof, at, index + at)
            assert not merkle.verify_inclusion(leaves[index], index, size, bad, root)
        for other in {index - 1, index + 1, size} - {index}:
            assert not merkle.verify_inclusion(leaves[index], other, size, proof, root)
        for other_size in {size - 1, size + 1, 2 * size} - {size}:
            # The root is bound to its size: a proof for one size fails
            # against a tree of another, and against its own root it passes
            # only where both trees give the leaf the same path.
            other_root = _mth(_leaves(other_size))
            assert not merkle.verify_inclusion(
                leaves[index], index, other_size, proof, other_root
            )
            same_path = index < other_size and len(_path(index, _leaves(other_size)))
            if same_path != len(proof):
                assert not merkle.verify_inclusion(
                    leaves[index], index, other_size, proof, root
                )
        if proof:
            assert not merkle.verify_inclusion(
                leaves[index], index, size, proof[:-1], root
            )
        assert not merkle.verify_inclusion(
            leaves[index], index, size, [*proof, root], root
        )
        wrong_leaf = merkle.leaf_hash(b"another entry")
        assert not merkle.verify_inclusion(wrong_leaf, index, size, proof, root)


@pytest.mark.parametrize("new", SIZES)
def test_consistency_proofs(new: int) -> None:
    leaves = _leaves(new)
    new_root = _mth(leaves)
    for old in range(1, new + 1):
        old_root = _mth(leaves[:old])
        proof = merkle.consistency_proof(old, new, _stored(leaves))
        assert proof == _subproof(old, leaves, True)
        assert merkle.verify_consistency(old, new, old_root, new_root, proof)
        if old == new:
            assert proof == []
            continue

        for at in range(len(proof)):
            bad = _altered(proof, at, old + at)
            assert not merkle.verify_consistency(old, new, old_root, new_root, bad)
        # Roots are bound to their sizes (see the inclusion test above).
        for other in {old - 1, old + 1} - {0, new, old}:
            other_root = _mth(leaves[:other])
            assert not merkle.verify_consistency(
                other, new, other_root, new_root, proof
            )
            if len(_subproof(other, leaves, True)) != len(proof):
                assert not merkle.verify_consistency(
                    other, new, old_root, new_root, proof
                )
        for other in {new - 1, new + 1} - {old, new}:
            other_root = _mth(_leaves(other))
            assert not merkle.verify_consistency(
                old, other, old_root, other_root, proof
            )
            if len(_subproof(old, _leaves(other), True)) != len(proof):
                assert not merkle.verify_consistency(
                    old, other, old_root, new_root, proof
                )
        assert not merkle.verify_consistency(old, new, new_root, new_root, proof)
        assert not merkle.verify_consistency(old, new, old_root, old_root, proof)
        assert not merkle.verify_consistency(old, new, old_root, new_root, proof[:-1])


def test_proofs_name_the_subtrees_they_need() -> None:
    leaves = _leaves(1000)
    wanted = merkle.subtrees_for_inclusion(617, 1000)
    # O(log n): no more than two subtrees per level of the tree.
    assert len(wanted) <= 2 * 10
    known = {key: _stored(leaves)(*key) for key in wanted}
    proof = merkle.inclusion_proof(617, 1000, lambda s, n: known[(s, n)])
    assert merkle.verify_inclusion(leaves[617], 617, 1000, proof, _mth(leaves))

    wanted = merkle.subtrees_for_consistency(333, 1000)
    known = {key: _stored(leaves)(*key) for key in wanted}
    proof = merkle.consistency_proof(333, 1000, lambda s, n: known[(s, n)])
    assert merkle.verify_consistency(333, 1000, _mth(leaves[:333]), _mth(leaves), proof)
    expected = [(0, 512), (512, 256), (768, 128), (896, 64), (960, 32), (992, 8)]
    assert merkle.subtrees_for_root(1000) == expected


def test_out_of_range_requests_are_refused() -> None:
    subtree = _stored(_leaves(4))
    with pytest.raises(ValueError):
        merkle.inclusion_proof(4, 4, subtree)
    with pytest.raises(ValueError):
        merkle.consistency_proof(5, 4, subtree)
    assert merkle.consistency_proof(0, 4, subtree) == []
    assert not merkle.verify_inclusion(b"\x00" * 32, 0, 0, [], b"\x00" * 32)
    empty = merkle.EMPTY_ROOT
    assert merkle.verify_consistency(0, 4, empty, _mth(_leaves(4)), [])
    assert not merkle.verify_consistency(0, 4, b"\x01" * 32, _mth(_leaves(4)), [])
    assert not merkle.verify_consistency(2, 4, empty, empty, [b"short"])


@pytest.mark.parametrize("size", range(1, 17))
def test_every_byte_of_every_proof_counts(size: int) -> None:
    leaves = _leaves(size)
    root = _mth(leaves)
    for index in range(size):
        proof = merkle.inclusion_proof(index, size, _stored(leaves))
        for at in range(len(proof)):
            for byte in range(merkle.HASH_SIZE):
                bad = _altered(proof, at, byte)
                assert not merkle.verify_inclusion(
                    leaves[index], index, size, bad, root
                )
    for old in range(1, size):
        proof = merkle.consistency_proof(old, size, _stored(leaves))
        old_root = _mth(leaves[:old])
        for at in range(len(proof)):
            for byte in range(merkle.HASH_SIZE):
                bad = _altered(proof, at, byte)
                assert not merkle.verify_consistency(old, size, old_root, root, bad)
