"""Writes made by the web shell: the worker heartbeat and the 长辈版 choice."""

import os
import socket
from datetime import datetime

from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils import timezone

from linli.members.models import Member
from linli.members.selectors import member_for_user
from linli.web.models import HEARTBEAT_ROW_ID, WorkerHeartbeat

ELDERLY_SESSION_KEY = "elderly_mode"


def worker_heartbeat_record(*, now: datetime | None = None) -> WorkerHeartbeat:
    """Say "the background worker is alive" (DESIGN.md: huey runs the periodic jobs).

    Called every minute by the huey consumer and once when it starts; /healthz reads it.
    """
    seen_at = now or timezone.now()
    host = f"{socket.gethostname()}:{os.getpid()}"[:200]
    with transaction.atomic():
        heartbeat, _created = WorkerHeartbeat.objects.update_or_create(
            id=HEARTBEAT_ROW_ID, defaults={"last_seen_at": seen_at, "host": host}
        )
    return heartbeat


def elderly_mode_choose(*, session: SessionBase, user: object, is_on: bool) -> None:
    """Turn 长辈版 on or off (SPEC "Feel native": one tap away for anyone).

    The choice is kept in the session for everybody and, for a member, also on the member
    so it follows them to their other devices.
    """
    session[ELDERLY_SESSION_KEY] = is_on
    member = member_for_user(user=user)
    if member is not None:
        # One column of the member's own profile; an UPDATE keeps other fields untouched.
        Member.objects.filter(pk=member.pk).update(prefers_elderly_mode=is_on)
