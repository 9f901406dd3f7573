from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "linli.merchants"
    default_auto_field = "django.db.models.BigAutoField"
