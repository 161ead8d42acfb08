"""The Merkle tree of Certificate Transparency (RFC 9162 §2.1), over the entries' leaf hashes.

    leaf hash  = SHA-256(0x00 ‖ entry)
    node hash  = SHA-256(0x01 ‖ left ‖ right)
    MTH(D[n])  = MTH(D[0:k]) and MTH(D[k:n]) joined, k the largest power of two below n

An inclusion proof (≈ log₂ n hashes) shows an entry is in a tree of a given root; a consistency proof
shows a larger tree extends a smaller one unchanged. The algorithms follow the RFC's definitions
(§2.1.3–2.1.4) and are tested against its published vectors.

A log grows through a :class:`Frontier` (the roots of its perfect subtrees, at most log₂ n of them), so
appending never reads old entries. Proofs read leaf hashes, and hashes of complete aligned runs of
:data:`TILE` leaves (kept as the log grows), through a :class:`Tree`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

TILE_HEIGHT = 8
TILE = 1 << TILE_HEIGHT  # leaves under one stored subtree hash
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


@dataclass
class Frontier:
    """The roots of the perfect subtrees of a tree of ``size`` leaves, largest (leftmost) first: one per
    bit set in ``size``."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> bytes | None:
        """Add one leaf hash; returns the hash of the tile this leaf completed, if it completed one."""
        completed = None
        node, height, size = leaf, 0, self.size
        while size & 1:  # each trailing one bit is a subtree of the same height to join
            node = node_hash(self.hashes.pop(), node)
            height += 1
            size >>= 1
            if height == TILE_HEIGHT:
                completed = node
        self.hashes.append(node)
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for subtree in reversed(self.hashes[:-1]):
            root = node_hash(subtree, root)
        return root


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes."""
    frontier = Frontier()
    for leaf in leaves:
        frontier.append(leaf)
    return frontier.root()


class Tree:
    """The first ``size`` leaves of a log, read on demand: ``leaves(lo, hi)`` gives the leaf hashes of
    [lo, hi); ``tiles(lo, hi)``, if given, the hashes of tiles lo … hi-1 (tile t covers leaves
    [t·TILE, (t+1)·TILE)), so a proof in a tree of n leaves reads at most about n / TILE + 2·TILE hashes."""

    def __init__(
        self,
        size: int,
        leaves: Callable[[int, int], list[bytes]],
        tiles: Callable[[int, int], list[bytes]] | None = None,
    ) -> None:
        self.size = size
        self._leaves = leaves
        self._tiles = tiles

    def hash(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) for a range that is a subtree of the tree (as proofs and roots ask)."""
        n = hi - lo
        if n <= 0:
            return EMPTY_ROOT
        if self._tiles is not None and n >= TILE and lo % TILE == 0 and n & (n - 1) == 0:
            return root_of(self._tiles(lo // TILE, hi // TILE))
        if self._tiles is None or n <= TILE:
            return root_of(self._leaves(lo, hi))
        k = _split(n)
        return node_hash(self.hash(lo, lo + k), self.hash(lo + k, hi))

    def root(self) -> bytes:
        return self.hash(0, self.size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) (RFC 9162 §2.1.3.1), from the leaf's sibling upwards."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no entry {index} in a tree of {size}")
        return self._path(index, 0, size)

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        n = hi - lo
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, lo, lo + k), self.hash(lo + k, hi)]
        return [*self._path(m - k, lo + k, hi), self.hash(lo, lo + k)]

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[second]) (RFC 9162 §2.1.4.1)."""
        second = self.size if second is None else second
        if not 0 <= first <= second <= self.size:
            raise ValueError(f"no consistency proof from {first} to {second} in a tree of {self.size}")
        if first == 0 or first == second:
            return []
        return self._subproof(first, 0, second, True)

    def _subproof(self, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if whole else [self.hash(lo, hi)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, whole), self.hash(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self.hash(lo, lo + k)]


def _lsb(value: int) -> bool:
    return bool(value & 1)


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does ``proof`` show leaf ``index`` of a tree of ``size`` is ``leaf``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            r = node_hash(p, r)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does ``proof`` show the tree of ``second`` leaves extends that of ``first``?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof  # every tree extends the empty one
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the first tree is a subtree of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while _lsb(fn):
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if _lsb(fn) or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
