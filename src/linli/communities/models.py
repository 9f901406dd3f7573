"""Tenants: communities, their geography, roles of people in them, and policy versions."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Community(models.Model):
    """One neighbourhood alliance (A§2.2: a 1 km service radius around a centre point)."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    centre_lat = models.DecimalField(_("centre latitude"), max_digits=9, decimal_places=6)
    centre_lng = models.DecimalField(_("centre longitude"), max_digits=9, decimal_places=6)
    radius_m = models.PositiveIntegerField(_("service radius (m)"), default=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PolicyVersion(models.Model):
    """Every number of a community's rules, frozen once in use (SPEC.md policy table)."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="policies")
    number = models.PositiveIntegerField(_("version number"))
    effective_from = models.DateTimeField(_("effective from"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "number"], name="policy_number_unique")
        ]
        ordering = ["community_id", "number"]

    def __str__(self) -> str:
        return f"{self.community_id} v{self.number}"
