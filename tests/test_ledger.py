"""The log's building blocks against independent checks: RFC 6962/9162's published test vectors, the
RFC's recursive definitions written out naively here, and signatures checked by another key."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from concord.ledger.checkpoints import CheckpointError, Signer, VerifierKey, read_checkpoint
from concord.ledger.entries import GENESIS_PREV, EntryError, canonical, chain, parse
from concord.ledger.merkle import (
    EMPTY_ROOT,
    TILE,
    Frontier,
    Tree,
    leaf_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# RFC 6962's test leaves (as in Certificate Transparency's reference implementations) and the roots of
# the trees of their first n leaves.
LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]]
LEAVES.append(bytes.fromhex("606162636465666768696a6b6c6d6e6f"))
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {  # (leaf, tree size): the RFC's audit path
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
}
CONSISTENCY = {  # (first, second): the RFC's consistency proof
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


def naive_mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 written as defined: the hash of the empty string, of one leaf, or of the split."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def tree_of(leaves: list[bytes], tiled: bool = False) -> Tree:
    tiles = []
    if tiled:
        frontier = Frontier()
        for leaf in leaves:
            if (tile := frontier.append(leaf)) is not None:
                tiles.append(tile)
    return Tree(len(leaves), lambda lo, hi: leaves[lo:hi], (lambda lo, hi: tiles[lo:hi]) if tiled else None)


def hashes(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


def test_roots_match_the_rfc_vectors():
    leaves = [leaf_hash(data) for data in LEAVES]
    assert root_of([]).hex() == EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    for n, expected in enumerate(ROOTS, start=1):
        assert root_of(leaves[:n]).hex() == expected
        assert tree_of(leaves[:n]).root().hex() == expected


def test_proofs_match_the_rfc_vectors():
    leaves = [leaf_hash(data) for data in LEAVES]
    for (index, size), expected in INCLUSION.items():
        assert tree_of(leaves).inclusion_proof(index, size) == hashes(expected)
        assert verify_inclusion(index, size, leaves[index], hashes(expected), bytes.fromhex(ROOTS[size - 1]))
    for (first, second), expected in CONSISTENCY.items():
        assert tree_of(leaves).consistency_proof(first, second) == hashes(expected)
        assert verify_consistency(
            first, second, bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1]), hashes(expected)
        )


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_every_proof_verifies_and_no_altered_one_does(size, data):
    leaves = [leaf_hash(str(i).encode()) for i in range(size)]
    tree = tree_of(leaves)
    root = naive_mth(leaves)
    assert tree.root() == root
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = tree.inclusion_proof(index)
    assert verify_inclusion(index, size, leaves[index], proof, root)
    assert not verify_inclusion(index, size, leaf_hash(b"forged"), proof, root)
    if proof:
        flipped = [*proof]
        flipped[-1] = bytes(32)
        assert not verify_inclusion(index, size, leaves[index], flipped, root)
    if size > 1:
        other = (index + 1) % size
        assert not verify_inclusion(other, size, leaves[index], proof, root) or leaves[other] == leaves[index]
    first = data.draw(st.integers(min_value=0, max_value=size))
    consistency = tree.consistency_proof(first)
    first_root = naive_mth(leaves[:first])
    assert verify_consistency(first, size, first_root, root, consistency)
    if 0 < first < size:
        rewritten = naive_mth([leaf_hash(b"rewritten"), *leaves[1:first]])
        assert not verify_consistency(first, size, rewritten, root, consistency)
        assert not verify_consistency(first, size, first_root, root, [*consistency[:-1], bytes(32)])


def test_stored_tiles_give_the_same_tree_and_proofs():
    leaves = [leaf_hash(str(i).encode()) for i in range(3 * TILE + 77)]
    plain, tiled = tree_of(leaves), tree_of(leaves, tiled=True)
    assert tiled.root() == plain.root() == naive_mth(leaves)
    for index in (0, 255, 256, 700, len(leaves) - 1):
        assert tiled.inclusion_proof(index) == plain.inclusion_proof(index)
    for first in (1, 256, 511, 512, 700):
        assert tiled.consistency_proof(first) == plain.consistency_proof(first)


def test_the_frontier_gives_every_prefix_root():
    leaves = [leaf_hash(bytes([i])) for i in range(40)]
    frontier = Frontier()
    for n, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.root() == naive_mth(leaves[:n])
        assert len(frontier.hashes) == bin(n).count("1")


def test_entries_are_canonical_and_chained():
    assert canonical({"b": 1, "a": "دری", "c": [True, None]}) == '{"a":"دری","b":1,"c":[true,null]}'.encode()
    with pytest.raises(EntryError, match="floating-point"):
        canonical({"weight": 0.5})
    linked = chain(0, GENESIS_PREV, [{"type": "log"}, {"type": "vote", "vote": 1}])
    assert [seq for seq, _, _ in linked] == [0, 1]
    assert parse(linked[1][1])["prev"] == linked[0][2].hex()
    assert parse(linked[0][1])["prev"] == GENESIS_PREV
    with pytest.raises(EntryError, match="canonical"):
        parse(b'{"seq": 0}')


def test_checkpoints_verify_only_with_the_key_that_signed_them():
    signer = Signer("concord-test", bytes(range(32)))
    note = signer.sign("concord-test/c/abc", 8, bytes.fromhex(ROOTS[7]))
    assert note.splitlines()[:3] == ["concord-test/c/abc", "8", "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="]
    key = VerifierKey.parse(str(signer.key))
    checkpoint = read_checkpoint(note, key)
    assert (checkpoint.size, checkpoint.root.hex()) == (8, ROOTS[7])
    with pytest.raises(CheckpointError, match="was changed"):
        read_checkpoint(note.replace("\n8\n", "\n9\n"), key)
    other = Signer("concord-test", bytes(32))
    with pytest.raises(CheckpointError, match="not signed by the log's key"):
        read_checkpoint(other.sign("concord-test/c/abc", 8, bytes.fromhex(ROOTS[7])), key)
    with pytest.raises(CheckpointError, match="id does not match"):
        VerifierKey.parse(str(signer.key).replace("+", "+00", 1))
