"""A fraud-type refusal at the till, kept for the committee's anomaly view (issue 6 "Fraud
and limits"). The rule for what is recorded and when is in `linli.commerce.refusals`."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.communities.models import Community
from linli.members.models import Member
from linli.merchants.models import Merchant


class TillStep(models.TextChoices):
    PREPARE = "prepare", _("preview")
    CONSUME = "consume", _("confirm")


class TillRefusal(models.Model):
    """Who (the clerk), which shop, which member (when the code names one), the refusal's
    code and when. Written after the sale's transaction rolled back, so it stays."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="+")
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="+")
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("refusal"), max_length=64)
    step = models.CharField(max_length=8, choices=TillStep.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("till refusal")
        verbose_name_plural = _("till refusals")
        indexes = [
            models.Index(fields=["community", "created_at"], name="refusal_community_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} at {self.merchant_id}"
