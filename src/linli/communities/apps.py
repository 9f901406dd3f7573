from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "linli.communities"
    default_auto_field = "django.db.models.BigAutoField"
