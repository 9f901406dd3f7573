"""/api/v1/communities/: communities and their published rules (thin: parse, call, render).

Communities and their policies are public (promotion rules must be published, Art. 14 of
the rules on promotions); creating a policy version needs `policy.create`, reading the
audit log needs `audit.view`.
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, ModelSchema, Query, Router, Schema, Status

# linli.api defines PUBLIC before it imports this module, so this import is safe.
from linli.api import PUBLIC
from linli.communities.audit import audit_ip
from linli.communities.models import PolicyVersion
from linli.communities.selectors import (
    PAGE_LIMIT_MAX,
    audit_page,
    community_get,
    community_get_for_actor,
    community_list,
    policy_history,
    policy_in_force,
)
from linli.communities.services import policy_version_create

router = Router(tags=["communities"])

OFFSET_MAX = 1_000_000


class PageIn(Schema):
    limit: int = Field(20, ge=1, le=PAGE_LIMIT_MAX)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


class CommunityOut(Schema):
    slug: str
    name: str
    centre_lat: float
    centre_lng: float
    radius_m: int
    created_at: datetime


class CommunityPage(Schema):
    items: list[CommunityOut]
    count: int
    limit: int
    offset: int


class PolicyOut(ModelSchema):
    community: str

    class Meta:
        model = PolicyVersion
        exclude = ["id", "community", "created_by"]

    @staticmethod
    def resolve_community(obj: PolicyVersion) -> str:
        return obj.community.slug


class PolicyPage(Schema):
    items: list[PolicyOut]
    count: int
    limit: int
    offset: int


class PolicyChangeIn(Schema):
    changes: dict[str, int | bool | str | None] = Field(..., max_length=200)
    effective_from: datetime | None = None
    reason: str = Field(..., min_length=1, max_length=2000)


class AuditOut(Schema):
    id: int
    created_at: datetime
    actor: str = Field(..., alias="actor_label")
    action: str
    target_type: str
    target_id: str
    before: Any = None
    after: Any = None


class AuditPage(Schema):
    items: list[AuditOut]
    count: int
    limit: int
    offset: int


@router.get("/", response=CommunityPage, auth=PUBLIC, summary="List communities")
def list_communities(request: HttpRequest, page: Query[PageIn]) -> dict[str, Any]:
    items, count = community_list(limit=page.limit, offset=page.offset)
    return {"items": items, "count": count, "limit": page.limit, "offset": page.offset}


@router.get("/{slug}", response=CommunityOut, auth=PUBLIC, summary="One community")
def get_community(request: HttpRequest, slug: str) -> Any:
    return community_get(slug=slug)


@router.get("/{slug}/policy", response=PolicyOut, auth=PUBLIC, summary="Policy in force")
def get_policy(request: HttpRequest, slug: str) -> Any:
    return policy_in_force(community=community_get(slug=slug))


@router.get(
    "/{slug}/policy/history", response=PolicyPage, auth=PUBLIC, summary="Every policy version"
)
def get_policy_history(request: HttpRequest, slug: str, page: Query[PageIn]) -> dict[str, Any]:
    versions = policy_history(community=community_get(slug=slug)).select_related("community")
    items = list(versions[page.offset : page.offset + page.limit])
    return {"items": items, "count": versions.count(), "limit": page.limit, "offset": page.offset}


@router.post("/{slug}/policy", response={201: PolicyOut}, summary="Create a policy version")
def create_policy(request: HttpRequest, slug: str, body: PolicyChangeIn) -> Any:
    community = community_get_for_actor(slug=slug, actor=request.user, action="policy.create")
    with audit_ip(request.META.get("REMOTE_ADDR")):
        policy = policy_version_create(
            community=community,
            changes=body.changes,
            effective_from=body.effective_from,
            actor=request.user,
            reason=body.reason,
        )
    return Status(201, policy)


@router.get("/{slug}/audit", response=AuditPage, summary="Audit log (operators, auditors)")
def get_audit(request: HttpRequest, slug: str, page: Query[PageIn]) -> dict[str, Any]:
    community = community_get_for_actor(slug=slug, actor=request.user, action="audit.view")
    items, count = audit_page(community=community, limit=page.limit, offset=page.offset)
    return {"items": items, "count": count, "limit": page.limit, "offset": page.offset}
