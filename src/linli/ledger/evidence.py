"""Proofs and the member's evidence bundle (format "linli-evidence/1", see docs/evidence.md).

A member checks the bundle offline with `python -m linli.ledger.verify bundle.json`: every
journal touching their accounts, its leaf, an inclusion proof against the latest signed
checkpoint, and their accounts' state as of that checkpoint.
"""

from typing import Any

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community
from linli.errors import DomainError
from linli.ledger.merkle import consistency_proof, inclusion_proof
from linli.ledger.models import Account, Checkpoint, Entry, Journal
from linli.ledger.rebuild import leaves_for_seqs
from linli.ledger.services.checkpoints import community_verifier_key
from linli.ledger.tree import DatabaseNodeStore

EVIDENCE_FORMAT = "linli-evidence/1"
MAX_EVIDENCE_JOURNALS = 5_000


class NotYetCheckpointed(DomainError):
    code = "not_yet_checkpointed"
    status = 409
    message = _("This journal is not in a signed checkpoint yet; try again in a few minutes.")


class BadTreeSize(DomainError):
    code = "bad_tree_size"
    message = _("Tree sizes must be published checkpoint sizes, the old one not larger.")


def checkpoint_latest(*, community: Community) -> Checkpoint | None:
    return Checkpoint.objects.filter(community=community).order_by("-tree_size").first()


def journal_inclusion(*, community: Community, journal: Journal) -> dict[str, Any]:
    checkpoint = checkpoint_latest(community=community)
    if journal.seq is None or checkpoint is None or journal.seq > checkpoint.tree_size:
        raise NotYetCheckpointed()
    store = DatabaseNodeStore(community_id=community.id)
    proof = inclusion_proof(store, journal.seq - 1, checkpoint.tree_size)
    return {
        "seq": journal.seq,
        "leaf_hash": journal.leaf_hash,
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "checkpoint": checkpoint.signed_note,
        "inclusion_proof": [h.hex() for h in proof],
    }


def tree_consistency(*, community: Community, old_size: int, new_size: int) -> dict[str, Any]:
    sizes = set(
        Checkpoint.objects.filter(
            community=community, tree_size__in=[old_size, new_size]
        ).values_list("tree_size", flat=True)
    )
    if old_size > new_size or old_size < 1 or {old_size, new_size} - sizes:
        raise BadTreeSize()
    store = DatabaseNodeStore(community_id=community.id)
    proof = consistency_proof(store, old_size, new_size)
    return {"old_size": old_size, "new_size": new_size, "proof": [h.hex() for h in proof]}


def evidence_bundle(*, community: Community, accounts: list[Account]) -> dict[str, Any]:
    """Everything needed to check these accounts offline against the latest checkpoint."""
    checkpoint = checkpoint_latest(community=community)
    size = checkpoint.tree_size if checkpoint else 0
    entries = Entry.objects.filter(account__in=accounts, journal__seq__lte=size)
    seqs = [
        seq
        for seq in entries.values_list("journal__seq", flat=True).distinct()[:MAX_EVIDENCE_JOURNALS]
        if seq is not None
    ]
    store = DatabaseNodeStore(community_id=community.id)
    journals = [
        {
            "seq": stored.seq,
            "leaf": stored.leaf,
            "leaf_hash": stored.stored_hash,
            "inclusion_proof": [h.hex() for h in inclusion_proof(store, stored.seq - 1, size)],
        }
        for stored in leaves_for_seqs(community=community, seqs=seqs)
    ]
    return {
        "format": EVIDENCE_FORMAT,
        "community": community.slug,
        "verifier_key": community_verifier_key(community),
        "checkpoint": checkpoint.signed_note if checkpoint else "",
        "accounts": [_account_state(account, size) for account in accounts],
        "journals": journals,
        "consistency": None,
    }


def _account_state(account: Account, tree_size: int) -> dict[str, Any]:
    """The account as of the checkpoint: its last entry inside the signed tree."""
    inside = Entry.objects.filter(account=account, journal__seq__lte=tree_size)
    last = inside.order_by("-account_version").first()
    pending = sum(inside.values_list("pending_delta", flat=True))
    return {
        "id": account.id,
        "asset": account.asset_id,
        "version": last.account_version if last else 0,
        "balance_posted": last.balance_after if last else 0,
        "balance_pending": pending,
    }


def journal_seq_max(*, community: Community) -> int:
    return Journal.objects.filter(community=community).aggregate(m=Max("seq"))["m"] or 0
