"""`linli ledger_checkpoint`: sign a checkpoint for every community with new journals now."""

from django.core.management.base import BaseCommand

from linli.ledger.services import checkpoints_create_all


class Command(BaseCommand):
    help = "Extend each community's Merkle tree and sign a checkpoint (also a periodic job)."

    def handle(self, *args: object, **options: object) -> None:
        made = checkpoints_create_all()
        self.stdout.write(f"{made} checkpoint(s) signed")
