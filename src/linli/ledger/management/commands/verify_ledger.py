"""`linli verify_ledger [--community SLUG]`: exit 1 naming the first bad row."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.communities.models import Community
from linli.ledger.verification import ledger_verify


class Command(BaseCommand):
    help = "Recompute leaves, Merkle roots, snapshots and trial balances; name the first bad row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--community", help="slug of one community (default: all)")

    def handle(self, *args: object, **options: object) -> None:
        communities = Community.objects.order_by("id")
        if options["community"]:
            communities = communities.filter(slug=options["community"])
            if not communities.exists():
                raise CommandError(f"no community with slug {options['community']!r}")
        failed = False
        for community in communities:
            report = ledger_verify(community=community)
            if report.problem is not None:
                failed = True
                self.stderr.write(f"FAIL {report.problem}")
                continue
            self.stdout.write(
                f"OK [{report.community}] {report.journals} journals, {report.accounts} "
                f"accounts, {report.checkpoints} checkpoints verified"
            )
        if failed:
            raise CommandError("the ledger did not verify", returncode=1)
