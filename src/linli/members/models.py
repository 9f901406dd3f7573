"""People in a community: the member profile and API tokens (membership rules come later)."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community

SENIOR_AGE_YEARS = 60


class Member(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="member"
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="members")
    display_name = models.CharField(_("display name"), max_length=50)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # None = follow the default (on for members 60+); True/False = the member's own choice.
    prefers_elderly_mode = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")

    def __str__(self) -> str:
        return self.display_name

    def age_years(self, *, today: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class ApiToken(models.Model):
    """A bearer token for POS and mini-program clients; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=50)
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
