"""A Merkle NodeStore backed by the `MerkleNode` table: a proof costs one query."""

from collections.abc import Sequence

from django.db.models import Q

from linli.ledger.merkle import NodeKey
from linli.ledger.models import MerkleNode


class DatabaseNodeStore:
    def __init__(self, *, community_id: int) -> None:
        self.community_id = community_id
        self._cache: dict[NodeKey, bytes] = {}

    def remember(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Nodes just written in this transaction, so a root can be computed without re-reading."""
        for level, index, digest in nodes:
            self._cache[(level, index)] = digest

    def perfect_node(self, level: int, index: int) -> bytes:
        return self.perfect_nodes([(level, index)])[(level, index)]

    def perfect_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        wanted = [key for key in dict.fromkeys(keys) if key not in self._cache]
        if wanted:
            # community_id inside every branch: SQLite then looks each node up in the
            # unique index instead of scanning the community's nodes (measured 132 ms → ms).
            condition = Q()
            for level, index in wanted:
                condition |= Q(community_id=self.community_id, level=level, index=index)
            rows = MerkleNode.objects.filter(condition)
            for level, index, digest in rows.values_list("level", "index", "hash"):
                self._cache[(level, index)] = bytes(digest)
        missing = [key for key in keys if key not in self._cache]
        if missing:
            raise KeyError(missing[0])
        return {key: self._cache[key] for key in keys}
