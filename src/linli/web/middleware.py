"""长辈版 (elderly mode): on by default for members 60+, one tap away for anyone."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

ELDERLY_SESSION_KEY = "elderly_mode"


def elderly_mode_default(request: HttpRequest) -> bool:
    from linli.members.selectors import member_for_user

    member = member_for_user(user=request.user)
    if member is None:
        return False
    if member.prefers_elderly_mode is not None:
        return member.prefers_elderly_mode
    age = member.age_years(today=timezone.localdate())
    return age is not None and age >= 60


class ElderlyModeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.session.get(ELDERLY_SESSION_KEY) if hasattr(request, "session") else None
        request.elderly_mode = chosen if chosen is not None else elderly_mode_default(request)  # type: ignore[attr-defined]
        return self.get_response(request)
