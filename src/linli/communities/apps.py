from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunitiesConfig(AppConfig):
    name = "linli.communities"
    verbose_name = _("communities")
    default_auto_field = "django.db.models.BigAutoField"
