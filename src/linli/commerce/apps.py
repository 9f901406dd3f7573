from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "linli.commerce"
    default_auto_field = "django.db.models.BigAutoField"
