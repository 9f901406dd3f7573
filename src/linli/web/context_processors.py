from django.conf import settings
from django.http import HttpRequest


def shell(request: HttpRequest) -> dict:
    """What every page's layout needs: the mode and the language switch."""
    return {
        "elderly_mode": getattr(request, "elderly_mode", False),
        "shell_languages": settings.LANGUAGES,
    }
