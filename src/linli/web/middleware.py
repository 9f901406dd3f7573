"""长辈版 (elderly mode): on by default for members 60+, one tap away for anyone."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from linli.members.selectors import member_for_user, member_is_senior
from linli.web.services import ELDERLY_SESSION_KEY


def elderly_mode_for(request: HttpRequest) -> bool:
    """Which mode this request is shown in.

    A member's own saved choice wins; then a choice made in this session (for example on
    the login page, before signing in); then the default: on for members of the community
    policy's senior age (60 in both presets) or more.
    """
    member = member_for_user(user=getattr(request, "user", None))
    if member is not None and member.prefers_elderly_mode is not None:
        return member.prefers_elderly_mode
    session = getattr(request, "session", None)
    chosen = session.get(ELDERLY_SESSION_KEY) if session is not None else None
    if chosen is not None:
        return bool(chosen)
    if member is None:
        return False
    return member_is_senior(member=member, today=timezone.localdate())


class ElderlyModeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.elderly_mode = elderly_mode_for(request)  # type: ignore[attr-defined]
        return self.get_response(request)
