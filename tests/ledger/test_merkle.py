"""RFC 6962 / RFC 9162 Merkle tree: published test vectors, properties and forged proofs.

The vectors are those of transparency-dev/merkle (testonly/constants.go and
proof/verify_test.go), which Certificate Transparency implementations share.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linli.ledger.merkle import (
    EMPTY_ROOT,
    InMemoryTree,
    NodeKey,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    perfect_nodes_after_append,
    subtree_root,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

# --- transparency-dev/merkle vectors ---------------------------------------------------------

LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

# Root hashes of the trees over the first 1..8 leaves.
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]

# Every perfect node of the 8-leaf tree, by level (testonly.NodeHashes).
NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

# (1-based leaf number, tree size, audit path), as in proof/verify_test.go.
INCLUSION_VECTORS = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]

CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# Which stored nodes a proof is made from (proof/proof_test.go), as {(level, index)}.
INCLUSION_NODE_SETS = [
    (7, 0, {(0, 1), (1, 1), (0, 6), (1, 2)}),
    (7, 2, {(0, 3), (1, 0), (0, 6), (1, 2)}),
    (7, 4, {(0, 5), (0, 6), (2, 0)}),
    (7, 6, {(1, 2), (2, 0)}),
    (5, 3, {(0, 2), (1, 0), (0, 4)}),
    (6, 4, {(0, 5), (2, 0)}),
    (15, 10, {(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)}),
    (31, 24, {(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)}),
    (95, 81, {(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)}),
]
CONSISTENCY_NODE_SETS = [
    (1, 6, {(0, 1), (1, 1), (1, 2)}),
    (2, 8, {(1, 1), (2, 1)}),
    (3, 7, {(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)}),
    (4, 7, {(0, 6), (1, 2)}),
    (5, 7, {(0, 4), (0, 5), (0, 6), (2, 0)}),
    (6, 7, {(1, 2), (0, 6), (2, 0)}),
    (7, 8, {(0, 6), (0, 7), (1, 2), (2, 0)}),
    (10, 15, {(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)}),
    (24, 31, {(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)}),
    (81, 95, {(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)}),
]

SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def vector_tree() -> InMemoryTree:
    return InMemoryTree([leaf_hash(data) for data in LEAF_INPUTS])


def numbered_tree(size: int) -> InMemoryTree:
    return InMemoryTree([leaf_hash(i.to_bytes(4, "big")) for i in range(size)])


def unhex(hashes: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hashes]


def naive_root(leaves: Sequence[bytes]) -> bytes:
    """MTH straight from RFC 6962 §2.1, recursing on the data itself."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_root(leaves[:k]) + naive_root(leaves[k:])).digest()


class CountingStore:
    """Answers for any node of a tree of ``size`` leaves, counting what was asked."""

    def __init__(self, size: int, inner: InMemoryTree | None = None) -> None:
        self.size = size
        self.inner = inner
        self.calls = 0
        self.keys: list[NodeKey] = []

    def perfect_node(self, level: int, index: int) -> bytes:
        return self.perfect_nodes([(level, index)])[(level, index)]

    def perfect_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        self.calls += 1
        self.keys.extend(keys)
        for level, index in keys:
            if (index + 1) << level > self.size:
                raise KeyError((level, index))
        if self.inner is not None:
            return self.inner.perfect_nodes(keys)
        return {key: hashlib.sha256(repr(key).encode()).digest() for key in keys}


# --- vectors -------------------------------------------------------------------------------


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert tree_root(InMemoryTree(), 0) == EMPTY_ROOT


def test_roots_match_vectors_for_every_size() -> None:
    tree = vector_tree()
    assert [tree.root(size) for size in range(1, 9)] == ROOTS


def test_every_perfect_node_matches_vectors() -> None:
    tree = vector_tree()
    for level, hashes in enumerate(NODE_HASHES):
        for index, expected in enumerate(hashes):
            assert tree.perfect_node(level, index).hex() == expected
    assert len(tree.levels) == len(NODE_HASHES)


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_vectors(leaf: int, size: int, path: list[str]) -> None:
    tree = vector_tree()
    assert inclusion_proof(tree, leaf - 1, size) == unhex(path)
    assert verify_inclusion(
        leaf_hash(LEAF_INPUTS[leaf - 1]), leaf - 1, size, unhex(path), ROOTS[size - 1]
    )


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_vectors(old: int, new: int, path: list[str]) -> None:
    tree = vector_tree()
    assert consistency_proof(tree, old, new) == unhex(path)
    assert verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], unhex(path))


@pytest.mark.parametrize(("size", "index", "nodes"), INCLUSION_NODE_SETS)
def test_inclusion_proof_reads_the_expected_stored_nodes(
    size: int, index: int, nodes: set[NodeKey]
) -> None:
    store = CountingStore(size, numbered_tree(size))
    inclusion_proof(store, index, size)
    assert set(store.keys) == nodes
    assert store.calls == 1


@pytest.mark.parametrize(("old", "new", "nodes"), CONSISTENCY_NODE_SETS)
def test_consistency_proof_reads_the_expected_stored_nodes(
    old: int, new: int, nodes: set[NodeKey]
) -> None:
    store = CountingStore(new, numbered_tree(new))
    consistency_proof(store, old, new)
    assert set(store.keys) == nodes
    assert store.calls == 1


# --- edge cases of verification (proof/verify_test.go) -------------------------------------


def test_single_leaf_tree_proof_is_empty() -> None:
    digest = leaf_hash(b"data")
    assert verify_inclusion(digest, 0, 1, [], digest)
    assert not verify_inclusion(digest, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], digest)
    assert not verify_inclusion(b"", 0, 1, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (1, 1), (5, 3)])
def test_inclusion_rejects_index_outside_tree(index: int, size: int) -> None:
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], SOME_HASH)


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof", "ok"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 1, EMPTY_ROOT, SOME_HASH, [], True),
        (1, 1, SOME_HASH, SOME_HASH, [], True),
        (0, 0, SOME_HASH, EMPTY_ROOT, [], False),  # size 0 has one root
        (1, 1, EMPTY_ROOT, SOME_HASH, [], False),  # same size, other root
        (1, 0, SOME_HASH, SOME_HASH, [], False),  # time travel
        (2, 1, SOME_HASH, SOME_HASH, [], False),
        (1, 2, SOME_HASH, EMPTY_ROOT, [], False),  # missing proof
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),  # needless proof
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ],
)
def test_consistency_trivial_cases(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes], ok: bool
) -> None:
    assert verify_consistency(old, new, old_root, new_root, proof) is ok


@pytest.mark.parametrize(
    "bad",
    [None, "0" * 64, [b"x"], [SOME_HASH[:31]], [SOME_HASH, None], object(), [1.5]],
)
def test_malformed_proofs_are_rejected_without_raising(bad: object) -> None:
    tree = vector_tree()
    assert verify_inclusion(tree.perfect_node(0, 0), 0, 8, bad, ROOTS[7]) is False
    assert verify_consistency(2, 8, ROOTS[1], ROOTS[7], bad) is False


@pytest.mark.parametrize("bad", [-1, True, 1.0, "1", None, 1 << 64])
def test_malformed_sizes_are_rejected_without_raising(bad: object) -> None:
    tree = vector_tree()
    proof = inclusion_proof(tree, 0, 8)
    assert verify_inclusion(tree.perfect_node(0, 0), bad, 8, proof, ROOTS[7]) is False
    assert verify_inclusion(tree.perfect_node(0, 0), 0, bad, proof, ROOTS[7]) is False
    assert verify_consistency(bad, 8, ROOTS[1], ROOTS[7], []) is False
    assert verify_consistency(2, bad, ROOTS[1], ROOTS[7], []) is False


def test_proof_generation_rejects_impossible_requests() -> None:
    tree = vector_tree()
    with pytest.raises(ValueError):
        inclusion_proof(tree, 8, 8)
    with pytest.raises(ValueError):
        inclusion_proof(tree, 0, 0)
    with pytest.raises(ValueError):
        consistency_proof(tree, 5, 4)
    with pytest.raises(KeyError):
        inclusion_proof(tree, 0, 9)  # the store holds only 8 leaves
    with pytest.raises(ValueError):
        subtree_root(tree, 1, 3)  # not an aligned range


# --- every proof up to 40 leaves ------------------------------------------------------------

MAX_LEAVES = 40


def test_every_inclusion_proof_up_to_40_leaves_verifies() -> None:
    tree = numbered_tree(MAX_LEAVES)
    for size in range(1, MAX_LEAVES + 1):
        root = tree.root(size)
        assert root == naive_root([i.to_bytes(4, "big") for i in range(size)])
        for index in range(size):
            proof = inclusion_proof(tree, index, size)
            assert verify_inclusion(tree.perfect_node(0, index), index, size, proof, root)


def test_every_consistency_proof_up_to_40_leaves_verifies() -> None:
    tree = numbered_tree(MAX_LEAVES)
    roots = [tree.root(size) for size in range(MAX_LEAVES + 1)]
    for new in range(MAX_LEAVES + 1):
        for old in range(new + 1):
            proof = consistency_proof(tree, old, new)
            assert verify_consistency(old, new, roots[old], roots[new], proof), (old, new)


# --- forged proofs are rejected ---------------------------------------------------------------


def _inclusion_forgeries(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, tuple[bytes, int, int, list[bytes], bytes]]]:
    """Mutations of a valid inclusion proof (after transparency-dev's corruptInclusionProof)."""
    probes = [
        ("index - 1", (leaf, index - 1, size, proof, root)),
        ("index + 1", (leaf, index + 1, size, proof, root)),
        ("index ^ 2", (leaf, index ^ 2, size, proof, root)),
        ("size * 2", (leaf, index, size * 2, proof, root)),
        ("size // 2", (leaf, index, size // 2, proof, root)),
        ("wrong leaf", (SOME_HASH, index, size, proof, root)),
        ("empty root", (leaf, index, size, proof, EMPTY_ROOT)),
        ("extra element at end", (leaf, index, size, [*proof, root], root)),
        ("extra element at front", (leaf, index, size, [root, *proof], root)),
        ("extra random element", (leaf, index, size, [*proof, SOME_HASH], root)),
    ]
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[i % 32] ^= 0x08
        probes.append(
            (f"flipped byte in [{i}]", (leaf, index, size, _put(proof, i, flipped), root))
        )
        probes.append((f"missing [{i}]", (leaf, index, size, proof[:i] + proof[i + 1 :], root)))
    for i in range(len(proof) - 1):
        if proof[i] != proof[i + 1]:
            swapped = _put(_put(proof, i, proof[i + 1]), i + 1, proof[i])
            probes.append((f"swapped [{i}] and [{i + 1}]", (leaf, index, size, swapped, root)))
    return probes


def _put(proof: list[bytes], i: int, value: bytes | bytearray) -> list[bytes]:
    copy = list(proof)
    copy[i] = bytes(value)
    return copy


def test_forged_inclusion_proofs_are_rejected() -> None:
    tree = numbered_tree(MAX_LEAVES)
    for size in range(2, MAX_LEAVES + 1):
        root = tree.root(size)
        for index in range(size):
            leaf = tree.perfect_node(0, index)
            proof = inclusion_proof(tree, index, size)
            for name, args in _inclusion_forgeries(index, size, proof, root, leaf):
                assert not verify_inclusion(*args), (index, size, name)


def _consistency_forgeries(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> list[tuple[str, tuple[int, int, bytes, bytes, list[bytes]]]]:
    """Mutations of a valid consistency proof (after corruptConsistencyProof)."""
    probes = [
        ("old - 1", (old - 1, new, old_root, new_root, proof)),
        ("old + 1", (old + 1, new, old_root, new_root, proof)),
        ("old ^ 2", (old ^ 2, new, old_root, new_root, proof)),
        ("new * 2", (old, new * 2, old_root, new_root, proof)),
        ("new // 2", (old, new // 2, old_root, new_root, proof)),
        ("wrong old root", (old, new, SOME_HASH, new_root, proof)),
        ("wrong new root", (old, new, old_root, SOME_HASH, proof)),
        ("swapped roots", (old, new, new_root, old_root, proof)),
        ("empty proof", (old, new, old_root, new_root, [])),
        ("extra old root at end", (old, new, old_root, new_root, [*proof, old_root])),
        ("extra new root at end", (old, new, old_root, new_root, [*proof, new_root])),
        ("extra old root at front", (old, new, old_root, new_root, [old_root, *proof])),
        ("extra new root at front", (old, new, old_root, new_root, [new_root, *proof])),
        ("repeated first element", (old, new, old_root, new_root, [proof[0], *proof])),
    ]
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[(i * 7) % 32] ^= 0x10
        probes.append(
            (f"flipped byte in [{i}]", (old, new, old_root, new_root, _put(proof, i, flipped)))
        )
        probes.append(
            (f"missing [{i}]", (old, new, old_root, new_root, proof[:i] + proof[i + 1 :]))
        )
    for i in range(len(proof) - 1):
        if proof[i] != proof[i + 1]:
            swapped = _put(_put(proof, i, proof[i + 1]), i + 1, proof[i])
            probes.append((f"swapped [{i}] and [{i + 1}]", (old, new, old_root, new_root, swapped)))
    return probes


def test_forged_consistency_proofs_are_rejected() -> None:
    tree = numbered_tree(MAX_LEAVES)
    roots = [tree.root(size) for size in range(MAX_LEAVES + 1)]
    for new in range(2, MAX_LEAVES + 1):
        for old in range(1, new):
            proof = consistency_proof(tree, old, new)
            for name, args in _consistency_forgeries(old, new, roots[old], roots[new], proof):
                assert not verify_consistency(*args), (old, new, name)


# --- random trees ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=12), max_size=70))
def test_root_of_random_tree_matches_naive_mth(leaves: list[bytes]) -> None:
    tree = InMemoryTree([leaf_hash(data) for data in leaves])
    for size in range(len(leaves) + 1):
        assert tree.root(size) == naive_root(leaves[:size])


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_random_proofs_verify_and_bind_the_leaf(data: st.DataObject) -> None:
    leaves = data.draw(st.lists(st.binary(max_size=8), min_size=1, max_size=300, unique=True))
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(0, size))
    tree = InMemoryTree([leaf_hash(d) for d in leaves])
    root = naive_root(leaves[:size])
    proof = inclusion_proof(tree, index, size)
    assert verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)
    other = (index + 1) % len(leaves)
    if other != index:
        assert not verify_inclusion(leaf_hash(leaves[other]), index, size, proof, root)
    assert verify_consistency(
        old, size, naive_root(leaves[:old]), root, consistency_proof(tree, old, size)
    )


# --- cost: O(log n) nodes, one batched lookup ----------------------------------------------------

MILLION = 1_000_000


@pytest.mark.parametrize("index", [0, 1, 524_287, 524_288, 777_777, MILLION - 2, MILLION - 1])
def test_inclusion_proof_over_a_million_leaves_needs_log_n_nodes_in_one_lookup(
    index: int,
) -> None:
    store = CountingStore(MILLION)
    proof = inclusion_proof(store, index, MILLION)
    assert store.calls == 1
    assert len(store.keys) <= 2 * math.log2(MILLION) + 2
    assert len(proof) <= math.ceil(math.log2(MILLION))


@pytest.mark.parametrize(("old", "new"), [(1, MILLION), (999_999, MILLION), (123_457, 654_321)])
def test_consistency_proof_and_root_over_a_million_leaves_use_one_lookup(
    old: int, new: int
) -> None:
    store = CountingStore(MILLION)
    consistency_proof(store, old, new)
    assert store.calls == 1
    assert len(store.keys) <= 4 * math.log2(MILLION) + 4
    store = CountingStore(MILLION)
    tree_root(store, new)
    assert store.calls == 1
    assert len(store.keys) == bin(new).count("1")


# --- incremental storage ------------------------------------------------------------------------


class DictStore:
    """A store that grows from perfect_nodes_after_append, as the database table will."""

    def __init__(self) -> None:
        self.nodes: dict[NodeKey, bytes] = {}
        self.size = 0
        self.calls = 0

    def perfect_node(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def perfect_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        self.calls += 1
        return {key: self.nodes[key] for key in keys}

    def append(self, leaf_hashes: list[bytes]) -> None:
        for level, index, digest in perfect_nodes_after_append(self, self.size, leaf_hashes):
            if (level, index) in self.nodes:
                raise AssertionError(f"node {(level, index)} created twice")
            self.nodes[(level, index)] = digest
        self.size += len(leaf_hashes)


def all_nodes(tree: InMemoryTree) -> dict[NodeKey, bytes]:
    return {
        (level, index): digest
        for level, hashes in enumerate(tree.levels)
        for index, digest in enumerate(hashes)
    }


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=12))
def test_appending_in_batches_creates_the_same_nodes_as_building_at_once(
    batch_sizes: list[int],
) -> None:
    total = sum(batch_sizes)
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(total)]
    store = DictStore()
    start = 0
    for count in batch_sizes:
        store.append(leaves[start : start + count])
        start += count
        assert store.calls <= len(batch_sizes)
    assert store.nodes == all_nodes(InMemoryTree(leaves))
    assert tree_root(store, total) == naive_root([i.to_bytes(4, "big") for i in range(total)])


def test_append_reads_only_the_old_frontier() -> None:
    tree = numbered_tree(13)  # 13 = 8 + 4 + 1: three frontier nodes
    store = CountingStore(13, tree)
    created = perfect_nodes_after_append(store, 13, [leaf_hash(b"x")] * 3)
    assert store.calls == 1
    assert set(store.keys) <= {(3, 0), (2, 2), (0, 12)}
    assert [(level, index) for level, index, _ in created] == [
        (0, 13),
        (1, 6),
        (0, 14),
        (0, 15),
        (1, 7),
        (2, 3),
        (3, 1),
        (4, 0),
    ]
    assert created[-1][2] == node_hash(tree.perfect_node(3, 0), created[-2][2])


def test_in_memory_tree_extend_matches_building_at_once() -> None:
    leaves = [leaf_hash(i.to_bytes(2, "big")) for i in range(37)]
    tree = InMemoryTree(leaves[:5])
    tree.extend(leaves[5:20])
    tree.extend(leaves[20:])
    assert all_nodes(tree) == all_nodes(InMemoryTree(leaves))
