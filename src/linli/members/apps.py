from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "linli.members"
    default_auto_field = "django.db.models.BigAutoField"
