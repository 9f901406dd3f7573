"""Pages of the shell: home, login/logout, the 长辈版 switch, health and error pages.

Views only parse input, call one service or selector and render (STYLE.md).
"""

import math
from typing import Any

from axes.helpers import get_cool_off, get_failure_limit
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET, require_POST

from linli.members.selectors import member_for_user
from linli.web.selectors import health_check
from linli.web.services import elderly_mode_choose


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and the worker beat within 3 minutes; else 503."""
    health = health_check()
    body: dict[str, object] = {
        "database": health.database_ok,
        "worker": health.worker_ok,
        "worker_last_seen": health.worker_last_seen.isoformat()
        if health.worker_last_seen
        else None,
    }
    if health.down:
        body["down"] = health.down
    return JsonResponse(body, status=200 if health.is_healthy else 503)


def home(request: HttpRequest) -> HttpResponse:
    member = member_for_user(user=request.user)
    return render(request, "web/home.html", {"member": member})


def _lockout_numbers(request: HttpRequest, credentials: dict | None = None) -> dict[str, int]:
    """django-axes' limits, for the words on the login and lockout pages."""
    cool_off = get_cool_off(request)
    hours = math.ceil(cool_off.total_seconds() / 3600) if cool_off else 1
    return {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_hours": max(hours, 1),
    }


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | _lockout_numbers(self.request)


def login_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a translated page instead of django-axes' bare English text."""
    return render(request, "web/lockout.html", _lockout_numbers(request, credentials), status=429)


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5): a link cannot log anybody out behind their back."""


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("web:home")


@require_POST
def elderly_mode_switch(request: HttpRequest) -> HttpResponseRedirect:
    """长辈版 on/off: `mode=on|off`, then back to `next` (an unsafe `next` goes home)."""
    elderly_mode_choose(
        session=request.session, user=request.user, is_on=request.POST.get("mode") == "on"
    )
    return HttpResponseRedirect(_safe_next(request))


# --- error pages: friendly, translated, and never a stack trace or a path echo ----------


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # `is_not_found`: the switches return home rather than echo the unknown path.
    return render(request, "404.html", {"is_not_found": True}, status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # Render without touching the database: it may be the reason we are here.
    return render(request, "500.html", {"is_error_page": True}, status=500)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"is_not_found": True}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF_FAILURE_VIEW: the reason is logged by Django, never shown."""
    return render(request, "403_csrf.html", {"is_error_page": True}, status=403)
