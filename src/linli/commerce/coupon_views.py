"""Pages (thin): the member's coupons (claim and "my coupons"), the shop owner's coupons
and price records, and the operator's cross-store campaigns (list, create, dry run, on/off)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from linli.commerce import coupon_selectors as selectors
from linli.commerce import coupons
from linli.commerce.coupon_errors import CampaignInvalid, CouponInvalid
from linli.commerce.coupon_models import Coupon, CouponKind
from linli.communities.models import Community
from linli.communities.permissions import has_permission
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError, NotFound
from linli.ledger.display import amount_display
from linli.members.selectors import member_for_user
from linli.merchants.models import Merchant, MerchantStatus
from linli.web.pages import community_or_404, error_message


def _yuan(fen: int) -> str:
    return amount_display(fen, "CNY")


@login_required
@require_http_methods(["GET", "POST"])
def member_coupons(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    member = member_for_user(user=request.user)
    if member is None or member.community_id != community.id or member.closed_at is not None:
        raise Http404
    now = timezone.now()
    context: dict[str, Any] = {"community": community}
    if request.method == "POST":
        try:
            coupons.coupon_claim(
                community=community,
                coupon_id=_int(request.POST.get("coupon", "")),
                member=member,
                now=now,
            )
            return redirect("commerce:coupons", slug=community.slug)
        except DomainError as error:
            context["error"] = error_message(error)
    counts = selectors.claims_count(member=member)
    context["offers"] = [
        {
            "coupon": c,
            "summary": selectors.coupon_summary(c),
            "left": c.stock - c.claimed,
            "can_claim": counts.get(c.id, 0) < c.per_member_limit,
            "was": _yuan(c.was_price_fen) if c.was_price_fen else "",
        }
        for c in selectors.coupons_open(community=community, now=now)[:100]
    ]
    context["mine"] = [
        {
            "claim": c,
            "title": c.coupon.title if c.coupon is not None else c.campaign.name,  # type: ignore[union-attr]
            "summary": (
                selectors.coupon_summary(c.coupon) if c.coupon is not None else _yuan(c.value_fen)
            ),
            "state": selectors.claim_state(c, now),
        }
        for c in selectors.member_coupons(member=member)[:100]
    ]
    return render(request, "commerce/coupons.html", context)


def _int(text: str) -> int:
    try:
        return int((text or "").strip())
    except ValueError:
        return 0


def _scaled(text: str, scale: int, high: int) -> int | None:
    """A decimal as typed times `scale`, if whole and within 0…high (else None)."""
    try:
        value = Decimal((text or "").strip() or "0") * scale
        if value != value.to_integral_value() or not 0 <= value <= high:
            return None
        return int(value)
    except (InvalidOperation, ValueError, OverflowError):
        return None


def _fen(text: str) -> int:
    fen = _scaled(text, 100, 10**12)
    if fen is None:
        raise CampaignInvalid(reason="yuan")
    return fen


def _percent_bp(text: str) -> int:
    bp = _scaled(text, 100, 10_000)
    if bp is None:
        raise CampaignInvalid(reason="%")
    return bp


@login_required
@require_http_methods(["GET", "POST"])
def campaigns(request: HttpRequest, slug: str) -> HttpResponse:
    community = community_or_404(slug)
    if not has_permission(user=request.user, community=community, action="campaign.manage"):
        raise Http404
    context: dict[str, Any] = {"community": community, "form": request.POST}
    if request.method == "POST":
        try:
            done = _campaign_action(request, community, context)
            if done:
                return redirect("commerce:campaigns", slug=community.slug)
        except DomainError as error:
            context["error"] = error_message(error)
    policy = policy_in_force(community=community)
    context["policy"] = {
        "on": policy.cross_store_coupon_value_fen > 0,
        "min_spend": _yuan(policy.cross_store_coupon_min_spend_fen),
        "value": _yuan(policy.cross_store_coupon_value_fen),
        "subsidy": f"{policy.cross_store_coupon_platform_subsidy_bp / 100:g}",
    }
    context["shops"] = Merchant.objects.filter(
        community=community, status=MerchantStatus.ACTIVE
    ).order_by("name")
    context["campaigns"] = [
        {
            "campaign": c,
            "budget": _yuan(c.budget_fen),
            "issued": _yuan(c.issued_fen),
            "value": _yuan(c.value_fen),
            "min_spend": _yuan(c.min_spend_fen),
            "issuer_share": f"{c.issuer_bp / 100:g}",
            "platform_share": f"{c.platform_bp / 100:g}",
        }
        for c in selectors.campaigns(community=community)[:100]
    ]
    return render(request, "commerce/campaigns.html", context)


def _campaign_action(request: HttpRequest, community: Community, context: dict[str, Any]) -> bool:
    """Create, dry-run or switch; True when the page should reload (nothing to show)."""
    action = request.POST.get("action", "")
    if action == "create":
        coupons.campaign_create(
            community=community,
            actor=request.user,
            terms=coupons.CampaignTerms(
                name=request.POST.get("name", ""),
                issuer_id=_int(request.POST.get("issuer", "")),
                redeemer_id=_int(request.POST.get("redeemer", "")),
                issuer_bp=_percent_bp(request.POST.get("issuer_share", "")),
                valid_days=_int(request.POST.get("valid_days", "")),
                per_member_limit=_int(request.POST.get("per_member_limit", "")),
                budget_fen=_fen(request.POST.get("budget", "")),
            ),
        )
        return True
    try:
        campaign = selectors.campaign_get(
            community=community, campaign_id=_int(request.POST.get("campaign", ""))
        )
    except NotFound:
        raise Http404 from None
    if action == "switch":
        coupons.campaign_switch(campaign=campaign, on=request.POST.get("on") == "1")
        return True
    result = coupons.campaign_dry_run(
        campaign=campaign, redemption_bp=_percent_bp(request.POST.get("redemption", ""))
    )
    context["dry_run"] = {
        "campaign": campaign,
        "result": result,
        "rate": f"{result.redemption_bp / 100:g}",
        "cost": _yuan(result.cost_fen),
        "platform": _yuan(result.platform_fen),
        "issuer": _yuan(result.issuer_fen),
        "redeemer": _yuan(result.redeemer_fen),
    }
    return False


def _coupon_terms(post: Any) -> coupons.CouponTerms:
    """The shop owner's form: yuan as typed, a discount as 折 (8.5 = 15% off)."""
    kind = post.get("kind", "")
    zhe = (post.get("zhe") or "").strip()
    discount_bp = 0
    if kind == "percent":
        tenths = _scaled(zhe or "10", 1000, 10_000)  # 8.5折 → 8500 of 10 000 paid
        if tenths is None:
            raise CouponInvalid(reason="折")
        discount_bp = 10_000 - tenths
    return coupons.CouponTerms(
        kind=kind,
        title=post.get("title", ""),
        stock=_int(post.get("stock", "")),
        threshold_fen=_coupon_fen(post.get("threshold", "")),
        off_fen=_coupon_fen(post.get("off", "")),
        cap_fen=_coupon_fen(post.get("cap", "")),
        discount_bp=discount_bp,
        item_name=post.get("item", ""),
        item_value_fen=_coupon_fen(post.get("item_value", "")),
        was_price_fen=_coupon_fen(post.get("was", "")) or None,
        valid_days=_int(post.get("valid_days", "")),
        per_member_limit=_int(post.get("per_member_limit", "")) or 1,
        stackable=post.get("stackable") == "1",
    )


def _coupon_fen(text: str) -> int:
    try:
        return _fen(text)
    except CampaignInvalid:
        raise CouponInvalid(reason="yuan") from None


@login_required
@require_http_methods(["GET", "POST"])
def shop_coupons(request: HttpRequest, slug: str) -> HttpResponse:
    """The shop owner's coupons: publish one, record today's price of an item."""
    community = community_or_404(slug)
    try:
        merchant = selectors.coupon_manager(user=request.user, community=community)
    except DomainError:
        raise Http404 from None
    context: dict[str, Any] = {"community": community, "merchant": merchant}
    if request.method == "POST":
        try:
            if request.POST.get("action") == "price":
                coupons.price_record(
                    merchant=merchant,
                    item_name=request.POST.get("item", ""),
                    price_fen=_coupon_fen(request.POST.get("price", "")),
                )
            else:
                coupons.coupon_create(merchant=merchant, terms=_coupon_terms(request.POST))
            return redirect("commerce:shop_coupons", slug=community.slug)
        except DomainError as error:
            context["error"] = error_message(error)
    context["kinds"] = CouponKind.choices
    context["rows"] = [
        {"coupon": c, "summary": selectors.coupon_summary(c), "left": c.stock - c.claimed}
        for c in Coupon.objects.filter(merchant=merchant)[:100]
    ]
    context["prices"] = [
        {"item": p.item_name, "price": _yuan(p.price_fen), "at": p.recorded_at}
        for p in merchant.prices.order_by("-recorded_at")[:20]
    ]
    return render(request, "commerce/shop_coupons.html", context)
