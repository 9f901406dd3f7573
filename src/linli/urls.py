from django.contrib import admin
from django.urls import include, path

from linli.api import api
from linli.web.views import healthz

admin.site.site_header = "Linli 邻里 · operators"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("linli.ledger.urls")),
    path("", include("linli.merchants.urls")),
    path("", include("linli.commerce.urls")),
    path("", include("linli.members.urls")),
    path("", include("linli.web.urls")),
]

# Friendly, translated error pages that never show a stack trace (linli.web.views).
handler403 = "linli.web.views.permission_denied"
handler404 = "linli.web.views.page_not_found"
handler500 = "linli.web.views.server_error"
