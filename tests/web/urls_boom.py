"""The real URLs plus one view that fails, to see the 500 page (tests only)."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from linli.urls import handler403, handler404, handler500
from linli.urls import urlpatterns as real_urlpatterns


def boom(request):
    raise RuntimeError("secret-internal-detail: the database password is hunter2")


def forbidden(request):
    raise PermissionDenied("secret-reason: not an operator of community 7")


urlpatterns = [path("boom/", boom), path("forbidden/", forbidden), *real_urlpatterns]
__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]
