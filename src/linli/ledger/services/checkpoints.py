"""The community's RFC 6962 tree over posted journals, and Ed25519-signed checkpoints.

Journals get their gapless `seq` and leaf hash inside the posting transaction, under the
community's chain-head row lock, so committed seqs always form a prefix 1..n. A checkpoint
appends the new leaves to the stored perfect subtrees (O(new · log n)), signs the root in
the C2SP tlog-checkpoint format with a key kept outside the database, stores the note and
writes it as a file for publication (DESIGN.md "Tamper evidence").
"""

import logging
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.communities.models import Community
from linli.ledger.merkle import perfect_nodes_after_append, tree_root
from linli.ledger.models import Checkpoint, Journal, JournalStatus, MerkleNode
from linli.ledger.signing import checkpoint_sign, load_or_create_signing_key, verifier_key
from linli.ledger.tree import DatabaseNodeStore

logger = logging.getLogger(__name__)

NODE_BATCH_SIZE = 5_000


def ledger_origin(community: Community) -> str:
    return f"{settings.LEDGER_ORIGIN_PREFIX}/{community.slug}"


@cache
def _signing_key(path: Path) -> Ed25519PrivateKey:
    return load_or_create_signing_key(path)


def signing_key() -> Ed25519PrivateKey:
    return _signing_key(Path(settings.LEDGER_SIGNING_KEY_PATH))


def community_verifier_key(community: Community) -> str:
    """The public key members pin to check this community's checkpoints."""
    return verifier_key(ledger_origin(community), signing_key().public_key())


def checkpoint_create(*, community: Community) -> Checkpoint | None:
    """Extend the tree to the newest posted journal and sign its head; None if nothing new."""
    latest = Checkpoint.objects.filter(community=community).order_by("-tree_size").first()
    old_size = latest.tree_size if latest else 0
    leaves = list(
        Journal.objects.filter(community=community, status=JournalStatus.POSTED, seq__gt=old_size)
        .order_by("seq")
        .values_list("seq", "leaf_hash")
    )
    if not leaves:
        return None
    if [seq for seq, _ in leaves] != list(range(old_size + 1, old_size + len(leaves) + 1)):
        raise RuntimeError(f"journal seq of community {community.slug} has a gap after {old_size}")
    new_size = old_size + len(leaves)
    store = DatabaseNodeStore(community_id=community.id)
    nodes = perfect_nodes_after_append(store, old_size, [bytes.fromhex(h) for _, h in leaves])
    try:
        with transaction.atomic():
            MerkleNode.objects.bulk_create(
                [
                    MerkleNode(community=community, level=level, index=index, hash=digest)
                    for level, index, digest in nodes
                ],
                batch_size=NODE_BATCH_SIZE,
            )
            store.remember(nodes)
            checkpoint = _sign_and_store(community, new_size, tree_root(store, new_size))
    except IntegrityError:
        logger.info("checkpoint raced with another run", extra={"community": community.slug})
        return None
    transaction.on_commit(lambda: _publish_file(community, checkpoint))
    return checkpoint


def checkpoints_create_all() -> int:
    """The periodic job: a checkpoint for every community with new journals."""
    made = 0
    for community in Community.objects.order_by("id"):
        if checkpoint_create(community=community) is not None:
            made += 1
    return made


def _sign_and_store(community: Community, size: int, root: bytes) -> Checkpoint:
    note = checkpoint_sign(origin=ledger_origin(community), size=size, root=root, key=signing_key())
    return Checkpoint.objects.create(
        community=community,
        tree_size=size,
        root_hash=root.hex(),
        signed_note=note,
        created_at=timezone.now(),
    )


def _publish_file(community: Community, checkpoint: Checkpoint) -> None:
    """Write the note outside the database, where a mirror or a witness can pick it up."""
    folder = Path(settings.LEDGER_CHECKPOINT_DIR) / community.slug
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{checkpoint.tree_size}.txt").write_text(checkpoint.signed_note, encoding="utf-8")
    (folder / "latest.txt").write_text(checkpoint.signed_note, encoding="utf-8")
