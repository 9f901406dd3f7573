"""`linli community create|list`: open a community from a preset, or list them."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from linli.communities.presets import PRESETS
from linli.communities.selectors import policy_current
from linli.communities.services import community_create
from linli.errors import DomainError

# 人民广场, Shanghai: a sensible default centre for a demo or a first try.
DEFAULT_LAT = Decimal("31.230416")
DEFAULT_LNG = Decimal("121.473701")
LIST_LIMIT = 1000


class Command(BaseCommand):
    help = "Create a community from a policy preset, or list communities."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="open a community with policy v1")
        create.add_argument("--preset", required=True, choices=sorted(PRESETS))
        create.add_argument("--name", required=True)
        create.add_argument("--slug", required=True)
        create.add_argument("--lat", type=Decimal, default=DEFAULT_LAT)
        create.add_argument("--lng", type=Decimal, default=DEFAULT_LNG)
        create.add_argument("--radius-m", dest="radius_m", type=int, default=1000)
        actions.add_parser("list", help="list communities")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self._create(options)
        else:
            self._list()

    def _create(self, options: dict[str, Any]) -> None:
        try:
            community = community_create(
                name=options["name"],
                slug=options["slug"],
                preset=options["preset"],
                centre_lat=options["lat"],
                centre_lng=options["lng"],
                radius_m=options["radius_m"],
                actor=None,
            )
        except DomainError as exc:
            raise CommandError(describe_error(exc)) from exc
        self.stdout.write(
            _("Created community %(slug)s (%(name)s) with policy v1 from preset %(preset)s.")
            % {"slug": community.slug, "name": community.name, "preset": options["preset"]}
        )

    def _list(self) -> None:
        from linli.communities.models import Community

        rows = [(_("slug"), _("name"), _("policy"), _("radius (m)"))]
        for community in Community.objects.order_by("slug")[:LIST_LIMIT]:
            policy = policy_current(community=community)
            label = f"v{policy.number} ({policy.preset})" if policy else "—"
            rows.append((community.slug, community.name, label, str(community.radius_m)))
        self.stdout.write(format_table(rows))


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Plain-text columns; Chinese characters count as two cells wide."""

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def describe_error(exc: DomainError) -> str:
    """`code: message {field: [problems]}` in the active language, for a terminal."""
    text = f"{exc.code}: {exc.render(get_language() or 'en')}"
    fields = exc.params.get("fields")
    return f"{text} {fields}" if fields else text
