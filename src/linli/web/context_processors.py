from functools import partial

from django.conf import settings
from django.http import HttpRequest

from linli.members.selectors import unread_notices_for_user


def shell(request: HttpRequest) -> dict:
    """What every page's layout needs: the mode, the language switch and the unread
    notices badge (a callable: counted only when a page shows it)."""
    return {
        "elderly_mode": getattr(request, "elderly_mode", False),
        "shell_languages": settings.LANGUAGES,
        "unread_notices": partial(unread_notices_for_user, user=getattr(request, "user", None)),
    }
