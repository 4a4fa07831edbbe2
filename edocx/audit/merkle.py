"""The Merkle tree of the audit log, as RFC 9162 (Certificate Transparency
2.0) defines it in its section 2.1; pure functions, no I/O.

Leaves are hashed as SHA-256(0x00 || entry) and interior nodes as
SHA-256(0x01 || left || right), so that no leaf can pass for a node. The
tree over n leaves splits at the largest power of two below n (MTH, RFC 9162
section 2.1.1). Proofs are built from a function that gives the hash of any
complete subtree: ``subtree(start, size)`` with ``size`` a power of two and
``start`` a multiple of it. A store that keeps those hashes as the tree
grows answers a proof with O(log n) lookups; :func:`subtrees_for_inclusion`
and :func:`subtrees_for_consistency` name them beforehand so that a store
can fetch them in one query.

Verification follows the algorithms of RFC 9162 sections 2.1.3.2 and
2.1.4.2 and never raises on a bad proof: it answers False.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (start, size) -> hash of the complete subtree over leaves start..start+size.
SubtreeHash = Callable[[int, int], bytes]
Subtree = tuple[int, int]


def leaf_hash(entry: bytes) -> bytes:
    """Return the hash of a leaf: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """Return the largest power of two smaller than ``size`` (``size`` > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def is_power_of_two(size: int) -> bool:
    return size > 0 and size & (size - 1) == 0


def root_of(leaves: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash (MTH) of a list of leaf hashes."""
    if not leaves:
        return EMPTY_ROOT
    return range_root(0, len(leaves), lambda start, size: _perfect(leaves, start, size))


def _perfect(leaves: Sequence[bytes], start: int, size: int) -> bytes:
    # A complete subtree computed from its leaves, level by level.
    level = list(leaves[start : start + size])
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def range_root(start: int, size: int, subtree: SubtreeHash) -> bytes:
    """Return the MTH of the leaves ``start`` to ``start + size``.

    The range is one the tree's recursion reaches: ``start`` is a multiple
    of the smallest power of two not below ``size``, so that its left part
    is always a complete subtree.
    """
    if size == 0:
        return EMPTY_ROOT
    if is_power_of_two(size):
        return subtree(start, size)
    k = split_point(size)
    return node_hash(subtree(start, k), range_root(start + k, size - k, subtree))


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """Return the inclusion proof of leaf ``index`` in the tree of ``size``.

    RFC 9162 section 2.1.3.1 (PATH), nearest sibling first.
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    return _path(index, 0, size, subtree)


def _path(m: int, start: int, n: int, subtree: SubtreeHash) -> list[bytes]:
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return [*_path(m, start, k, subtree), range_root(start + k, n - k, subtree)]
    return [*_path(m - k, start + k, n - k, subtree), subtree(start, k)]


def consistency_proof(old: int, new: int, subtree: SubtreeHash) -> list[bytes]:
    """Return the proof that the tree of ``old`` leaves is a prefix of ``new``.

    RFC 9162 section 2.1.4.1 (SUBPROOF); empty when ``old`` is 0 or ``new``.
    """
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from {old} to {new} leaves")
    if old in (0, new):
        return []
    return _subproof(old, 0, new, True, subtree)


def _subproof(
    m: int, start: int, n: int, whole: bool, subtree: SubtreeHash
) -> list[bytes]:
    if m == n:
        # The old tree is a complete subtree of the new one here; its hash
        # is left out only when it is the old root the verifier already has.
        return [] if whole else [range_root(start, m, subtree)]
    k = split_point(n)
    if m <= k:
        inner = _subproof(m, start, k, whole, subtree)
        return [*inner, range_root(start + k, n - k, subtree)]
    inner = _subproof(m - k, start + k, n - k, False, subtree)
    return [*inner, subtree(start, k)]


def subtrees_for_root(size: int) -> list[Subtree]:
    """Name the complete subtrees whose hashes make the root of ``size``."""
    return _recorded(lambda subtree: range_root(0, size, subtree))


def subtrees_for_inclusion(index: int, size: int) -> list[Subtree]:
    """Name the complete subtrees an inclusion proof is built from."""
    return _recorded(lambda subtree: inclusion_proof(index, size, subtree))


def subtrees_for_consistency(old: int, new: int) -> list[Subtree]:
    """Name the complete subtrees a consistency proof is built from."""
    return _recorded(lambda subtree: consistency_proof(old, new, subtree))


def _recorded(build: Callable[[SubtreeHash], object]) -> list[Subtree]:
    # Run the construction once with stand-in hashes, noting each request.
    wanted: dict[Subtree, None] = {}

    def note(start: int, size: int) -> bytes:
        wanted[(start, size)] = None
        return bytes(HASH_SIZE)

    build(note)
    return list(wanted)


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check that ``leaf`` (a leaf hash) is leaf ``index`` of the tree ``root``.

    RFC 9162 section 2.1.3.2, with ``size`` the tree's size.
    """
    if not 0 <= index < size or not _hashes(proof):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # Skip the levels where this node has no right sibling.
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> bool:
    """Check that the tree ``old_root`` of ``old_size`` leaves is a prefix of
    the tree ``new_root`` of ``new_size`` (RFC 9162 section 2.1.4.2)."""
    if not 0 <= old_size <= new_size or not _hashes(proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False

    path = list(proof)
    if is_power_of_two(old_size):
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1

    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0


def _hashes(proof: Sequence[bytes]) -> bool:
    return all(isinstance(p, bytes) and len(p) == HASH_SIZE for p in proof)
