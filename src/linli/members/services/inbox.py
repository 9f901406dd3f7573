"""Inbox read state: a notice counts as read once its member opens it; "mark all read"
clears the rest. Only the member's own notices, and a read time is never moved."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from linli.errors import NotFound
from linli.members.models import Member, Notice


def notice_open(*, member: Member, notice_id: int, now: datetime | None = None) -> Notice:
    """The member opens one notice: it is read from now on (the first time counts)."""
    now = now or timezone.now()
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(member=member, pk=notice_id).first()
        if notice is None:
            raise NotFound()
        if notice.read_at is None:
            notice.read_at = now
            notice.save(update_fields=["read_at"])
    return notice


def notices_mark_all_read(*, member: Member, now: datetime | None = None) -> int:
    """Mark every unread notice of the member read; returns how many changed."""
    now = now or timezone.now()
    return Notice.objects.filter(member=member, read_at__isnull=True).update(read_at=now)
