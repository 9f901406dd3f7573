"""RFC 6962 / RFC 9162 Merkle tree: hashing, proofs and their verification.

Pure Python (stdlib only) so that members and auditors can run the offline checker
(`python -m linli.ledger.verify`) without Django or a database.

Storage model. A tree of any size is made of *perfect* subtrees: node ``(level, index)``
is the hash of the perfect subtree over leaves ``[index·2^level, (index+1)·2^level)``;
level 0 holds the leaf hashes. Every hash a proof needs is either such a node or the
root of a range ``[lo, hi)`` whose left edge is aligned, which RFC 6962 §2.1 splits at
the largest power of two smaller than the range size; such a range decomposes into the
perfect nodes given by the binary digits of its size (:func:`range_nodes`).

Every algorithm here therefore works in three steps: compute the set of node keys it
needs from the sizes alone, fetch them with *one* call to
:meth:`NodeStore.perfect_nodes` (one SQL query for a database-backed store), then
assemble the result. An inclusion proof over 1M leaves asks for at most ~2·log2(n)
nodes.

The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 step by step and consume every
proof element; they return ``False`` on any malformed input and never raise (see
immudb advisory GHSA-672p-m5jq-mrh8 for what an incompletely checked proof costs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
# Tree sizes are uint64 in RFC 9162 (§2.1.3.1, §4.1); we keep them in signed 64-bit so
# that a database BIGINT can hold them.
MAX_TREE_SIZE = (1 << 63) - 1

NodeKey = tuple[int, int]


class NodeStore(Protocol):
    """Where perfect-subtree hashes live (memory, or a database table)."""

    def perfect_node(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree over leaves [index·2^level, (index+1)·2^level)."""
        ...

    def perfect_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        """Batch lookup of many ``(level, index)`` nodes; raises KeyError if one is missing."""
        ...


# --- hashing (RFC 6962 §2.1, RFC 9162 §2.1.1) -------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """MTH of a one-leaf list: SHA-256(0x00 ‖ data) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 ‖ left ‖ right) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """k, the largest power of two smaller than n (n ≥ 2), the RFC 6962 §2.1 split."""
    if n < 2:
        raise ValueError(f"no power of two below {n}")
    return 1 << ((n - 1).bit_length() - 1)


# --- range decomposition ------------------------------------------------------------------


def range_nodes(lo: int, hi: int) -> list[NodeKey]:
    """Perfect nodes whose fold is MTH(D[lo:hi]), left to right.

    The RFC 6962 §2.1 recursion splits a range of n leaves at k, the largest power of two
    below n: the left part is perfect, the right part recurses. Unrolled, the parts are
    the binary digits of n from the highest down. Each part is an aligned stored node only
    if ``lo`` is a multiple of the largest power of two ≤ n, which holds for every range
    the RFC proofs ask about (and for ``lo == 0``).
    """
    n = hi - lo
    if lo < 0 or n <= 0:
        raise ValueError(f"empty or negative range [{lo}, {hi})")
    top = 1 << (n.bit_length() - 1)
    if lo % top:
        raise ValueError(f"range [{lo}, {hi}) is not aligned to stored subtrees")
    keys: list[NodeKey] = []
    position = lo
    for level in range(n.bit_length() - 1, -1, -1):
        if n >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def fold_range(hashes: Sequence[bytes]) -> bytes:
    """Combine the perfect parts of a range right to left: h0 ⊕ (h1 ⊕ (… ⊕ hk))."""
    if not hashes:
        raise ValueError("nothing to fold")
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def _fetch(store: NodeStore, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
    """One batched lookup for all the distinct keys an algorithm needs."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    found = store.perfect_nodes(wanted)
    missing = [key for key in wanted if key not in found]
    if missing:
        raise KeyError(f"store lacks perfect nodes {missing[:4]}")
    return found


def _range_root(nodes: dict[NodeKey, bytes], lo: int, hi: int) -> bytes:
    return fold_range([nodes[key] for key in range_nodes(lo, hi)])


def _check_size(size: int, *, allow_zero: bool) -> None:
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError("tree sizes and indexes are int")
    if size < (0 if allow_zero else 1) or size > MAX_TREE_SIZE:
        raise ValueError(f"tree size {size} out of range")


# --- roots ----------------------------------------------------------------------------------


def subtree_root(store: NodeStore, lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) for an aligned range (RFC 6962 §2.1), in one store lookup."""
    keys = range_nodes(lo, hi)
    return _range_root(_fetch(store, keys), lo, hi)


def tree_root(store: NodeStore, size: int) -> bytes:
    """MTH(D[0:size]) (RFC 9162 §2.1.1); the empty tree hashes to SHA-256("")."""
    _check_size(size, allow_zero=True)
    if size == 0:
        return EMPTY_ROOT
    return subtree_root(store, 0, size)


# --- inclusion proofs (RFC 6962 §2.1.1, RFC 9162 §2.1.3.1) ---------------------------------


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The sibling ranges of PATH(index, D[0:size]), leaf level first."""
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 6962 §2.1.1: sibling hashes from the leaf up.

    Needs at most log2(size) + popcount(size) nodes, fetched in one batch.
    """
    _check_size(size, allow_zero=False)
    _check_size(index, allow_zero=True)
    if index >= size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    ranges = _inclusion_ranges(index, size)
    nodes = _fetch(store, (key for lo, hi in ranges for key in range_nodes(lo, hi)))
    return [_range_root(nodes, lo, hi) for lo, hi in ranges]


# --- consistency proofs (RFC 6962 §2.1.2, RFC 9162 §2.1.4.1) -------------------------------


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The ranges whose roots make up PROOF(old_size, D[0:new_size]), in proof order.

    RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b), unrolled: the recursion only ever
    appends the root of one sibling range per level, then stops at a range equal to
    the old tree, whose root is included unless it is the whole old tree (b true).
    """
    ranges: list[tuple[int, int]] = []
    lo, hi, m = 0, new_size, old_size
    complete_old_tree = True  # b in the RFC
    while m != hi - lo:
        k = largest_power_of_two_below(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m = lo + k, m - k
            complete_old_tree = False
    if not complete_old_tree:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def consistency_proof(store: NodeStore, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 6962 §2.1.2; empty when the sizes are equal.

    ``old_size == 0`` gives an empty proof: every tree extends the empty one.
    """
    _check_size(old_size, allow_zero=True)
    _check_size(new_size, allow_zero=True)
    if old_size > new_size:
        raise ValueError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == 0 or old_size == new_size:
        return []
    ranges = _consistency_ranges(old_size, new_size)
    nodes = _fetch(store, (key for lo, hi in ranges for key in range_nodes(lo, hi)))
    return [_range_root(nodes, lo, hi) for lo, hi in ranges]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ------------------------------------------


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TREE_SIZE


def _is_proof(proof: object) -> bool:
    return isinstance(proof, list | tuple) and all(_is_hash(p) for p in proof)


def root_from_inclusion_proof(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes | None:
    """Steps 2-5 of RFC 9162 §2.1.3.2: the root ``proof`` implies, or None if it is invalid."""
    if index >= size:  # step 1
        return None
    fn, sn = index, size - 1  # step 2
    r = leaf  # step 3
    for p in proof:  # step 4
        if sn == 0:  # 4a: the proof is too long
            return None
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # 4c
        sn >>= 1
    if sn != 0:  # step 5: the proof is too short
        return None
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` shows leaf ``index`` of a tree of ``size`` hashes to ``root``.

    RFC 9162 §2.1.3.2, checking every element; any malformed argument gives False.
    """
    try:
        if not (_is_hash(leaf_hash) and _is_hash(root) and _is_proof(proof)):
            return False
        if not (_is_size(index) and _is_size(size)):
            return False
        computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
        return computed is not None and computed == root
    except Exception:  # never raise on hostile input
        return False


def _consistency_roots(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes] | None:
    """Steps 1-6 of RFC 9162 §2.1.4.2 for 0 < old_size < new_size: (fr, sr) or None."""
    path = list(proof)
    if not path:  # step 1
        return None
    if old_size & (old_size - 1) == 0:  # step 2: first is an exact power of 2
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:  # 6a: the proof is too long
            return None
        if fn & 1 or fn == sn:  # 6b
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # 6c
        sn >>= 1
    if sn != 0:  # step 7: the proof is too short
        return None
    return fr, sr


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff the tree (old_size, old_root) is a prefix of (new_size, new_root).

    RFC 9162 §2.1.4.2, checking every element. Equal sizes need equal roots and an empty
    proof; size 0 needs the empty-tree root and an empty proof. Never raises.
    """
    try:
        if not (_is_hash(old_root) and _is_hash(new_root) and _is_proof(proof)):
            return False
        if not (_is_size(old_size) and _is_size(new_size)) or old_size > new_size:
            return False
        if old_size == 0:
            return len(proof) == 0 and old_root == EMPTY_ROOT
        if old_size == new_size:
            return len(proof) == 0 and old_root == new_root
        roots = _consistency_roots(old_size, new_size, old_root, proof)
        return roots is not None and roots == (old_root, new_root)
    except Exception:  # never raise on hostile input
        return False


# --- building the store ---------------------------------------------------------------------


def _appended_left_siblings(old_size: int, count: int) -> list[NodeKey]:
    """Nodes from before the append that the new leaves complete (the old frontier)."""
    keys: list[NodeKey] = []
    for position in range(old_size, old_size + count):
        level, index = 0, position
        while index & 1:
            left_end = index << level  # the left sibling covers [.., index·2^level)
            if left_end <= old_size:
                keys.append((level, index - 1))
            level, index = level + 1, index >> 1
    return keys


def perfect_nodes_after_append(
    store: NodeStore, old_size: int, new_leaf_hashes: Sequence[bytes]
) -> list[tuple[int, int, bytes]]:
    """The perfect nodes ``(level, index, hash)`` created by appending leaves.

    Includes the level-0 nodes of the new leaves. Left siblings older than the append
    (at most popcount(old_size) of them) come from ``store`` in one batch; the rest is
    computed here, O(new · log) hashing in total. Ordered as created, so a parent always
    follows its children.
    """
    _check_size(old_size, allow_zero=True)
    if any(not _is_hash(h) for h in new_leaf_hashes):
        raise ValueError("leaf hashes are 32-byte SHA-256 digests")
    known = _fetch(store, _appended_left_siblings(old_size, len(new_leaf_hashes)))
    created: list[tuple[int, int, bytes]] = []
    for offset, digest in enumerate(new_leaf_hashes):
        level, index = 0, old_size + offset
        known[(level, index)] = digest
        created.append((level, index, digest))
        while index & 1:
            digest = node_hash(known[(level, index - 1)], digest)
            level, index = level + 1, index >> 1
            known[(level, index)] = digest
            created.append((level, index, digest))
    return created


class InMemoryTree:
    """A NodeStore holding every perfect node of a tree in lists, one per level."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.extend(list(leaf_hashes))

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        """Append leaves, computing the new perfect nodes level by level."""
        if any(not _is_hash(h) for h in leaf_hashes):
            raise ValueError("leaf hashes are 32-byte SHA-256 digests")
        self.levels[0].extend(leaf_hashes)
        level = 0
        while len(self.levels[level]) >= 2:
            below = self.levels[level]
            if level + 1 == len(self.levels):
                self.levels.append([])
            above = self.levels[level + 1]
            for i in range(len(above), len(below) // 2):
                above.append(node_hash(below[2 * i], below[2 * i + 1]))
            level += 1

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self, self.size if size is None else size)

    def perfect_node(self, level: int, index: int) -> bytes:
        if level < 0 or index < 0 or level >= len(self.levels):
            raise KeyError((level, index))
        nodes = self.levels[level]
        if index >= len(nodes):
            raise KeyError((level, index))
        return nodes[index]

    def perfect_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        return {(level, index): self.perfect_node(level, index) for level, index in keys}
