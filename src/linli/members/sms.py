"""SMS one-time codes: a provider interface and the built-in console backend.

The console backend sends nothing: it writes the message to the log and to `ConsoleSms`,
which the operator console shows, and the join page says so. A real provider (Aliyun,
Tencent Cloud SMS) implements `SmsSender` and is chosen in settings.
"""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community
from linli.members.models import ConsoleSms
from linli.members.pii import mask_phone

log = logging.getLogger("linli.members.sms")

CONSOLE_NOTE = _(
    "Test mode: no text message is sent. The code is written to the server log and shown "
    "on the operator console; ask the staff at the counter."
)


class SmsSender(Protocol):
    name: str
    is_console: bool

    def send(self, *, phone: str, text: str, community: Community | None) -> None: ...


class ConsoleSmsSender:
    """Built-in: logs the text and keeps it for the operator console. Sends no SMS."""

    name = "console"
    is_console = True

    def send(self, *, phone: str, text: str, community: Community | None) -> None:
        log.warning("console SMS to %s: %s", mask_phone(phone), text)
        ConsoleSms.objects.create(community=community, phone_masked=mask_phone(phone), text=text)


def sms_sender() -> SmsSender:
    path = getattr(settings, "MEMBERS_SMS_SENDER", "")
    if path:
        sender: SmsSender = import_string(path)()
        return sender
    return ConsoleSmsSender()
