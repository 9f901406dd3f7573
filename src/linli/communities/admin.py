"""Back office for the platform's staff. Writes go through the services, so they are audited;
policy versions and the audit log are read-only here (and in the database)."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from linli.communities.models import (
    AuditEntry,
    Building,
    Community,
    CommunityRole,
    Neighbourhood,
    PolicyVersion,
)
from linli.communities.services import (
    COMMUNITY_EDITABLE,
    building_create,
    community_update,
    neighbourhood_create,
    role_grant,
    role_revoke,
)
from linli.errors import DomainError


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: no add, no change, no delete."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "radius_m", "created_at")
    search_fields = ("slug", "name")
    fields = ("name", "slug", "centre_lat", "centre_lng", "radius_m", "created_at")
    readonly_fields = ("slug", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # `linli community create` opens a community together with policy v1

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Community, form: Any, change: bool) -> None:
        changes = {n: form.cleaned_data[n] for n in form.changed_data if n in COMMUNITY_EDITABLE}
        if changes:
            community_update(community=obj, changes=changes, actor=request.user)


class AddOnlyAdmin(admin.ModelAdmin):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(AddOnlyAdmin):
    list_display = ("name", "community", "created_at")
    list_filter = ("community",)
    fields = ("community", "name")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        created = neighbourhood_create(community=obj.community, name=obj.name, actor=request.user)
        obj.pk, obj.created_at = created.pk, created.created_at


@admin.register(Building)
class BuildingAdmin(AddOnlyAdmin):
    list_display = ("name", "neighbourhood", "community", "created_at")
    list_filter = ("community",)
    fields = ("neighbourhood", "name")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        created = building_create(
            neighbourhood=obj.neighbourhood, name=obj.name, actor=request.user
        )
        obj.pk, obj.community_id, obj.created_at = (
            created.pk,
            created.community_id,
            created.created_at,
        )


@admin.register(CommunityRole)
class CommunityRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "community", "role", "granted_at", "granted_by")
    list_filter = ("community", "role")
    search_fields = ("user__username",)
    fields = ("user", "community", "role")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a role is granted or revoked, never edited

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        grant = role_grant(
            user=obj.user, community=obj.community, role=obj.role, actor=request.user
        )
        obj.pk, obj.granted_at, obj.granted_by = grant.pk, grant.granted_at, grant.granted_by

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self._revoke(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for grant in queryset.select_related("user", "community"):
            self._revoke(request, grant)

    def _revoke(self, request: HttpRequest, grant: Any) -> None:
        try:
            role_revoke(
                user=grant.user, community=grant.community, role=grant.role, actor=request.user
            )
        except DomainError as exc:
            self.message_user(request, exc.render("zh-hans"), level=messages.ERROR)


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ("community", "number", "effective_from", "preset", "created_by", "created_at")
    list_filter = ("community", "preset")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "community",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "ip",
    )
    list_filter = ("action", "community")
    search_fields = ("actor_label", "action", "target_id")
