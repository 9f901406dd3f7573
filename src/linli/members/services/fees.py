"""Membership fees: charter, applying, counter payment into escrow, refunds, monthly
recognition, renewal reminders, grace and lapse, entitlements, founding members.

Money moves only through the ledger (DESIGN.md): payment = cash_in → fee_escrow; earned
share = fee_escrow → platform_revenue (monthly); refund = fee_escrow → cash_out. Every
posting's idempotency key is derived from the business event (the membership id, the
month), so no retry or second click can post twice.
"""

import secrets
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.communities.audit import audit_record, snapshot
from linli.communities.models import Community, PolicyVersion
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError
from linli.ledger.models import AccountKind
from linli.ledger.services import Leg, account_open, chart_ensure, journal_post
from linli.members import errors
from linli.members.models import (
    Charter,
    Entitlement,
    FeePayment,
    FeeRecognition,
    FeeRefund,
    Member,
    Membership,
    MembershipPlan,
    MembershipStatus,
)
from linli.members.notices import notice_send
from linli.members.services.admission import AdmissionRequired, admission_is_approved

PAYMENT_METHODS = ("cash", "transfer")
POINTS_METHOD = "points"
FREE_SERVICE = "free_community_service"
CHARTER_MAX_CHARS = 50_000
OPEN_STATUSES = (MembershipStatus.AWAITING_PAYMENT, MembershipStatus.ACTIVE)


class InvalidFeeInput(DomainError):
    code = "invalid_input"


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, month=3, day=1)


def charter_publish(*, community: Community, body: str, actor: Any) -> Charter:
    """Publish a new version of the member charter (the written prepayment contract,
    消保条例 Art. 22); earlier versions stay downloadable."""
    body = (body or "").strip()
    if not body or len(body) > CHARTER_MAX_CHARS or "\x00" in body:
        raise InvalidFeeInput(_("The charter text is empty or too long."))
    for banned in ("概不退款", "最终解释权"):
        if banned in body:
            raise InvalidFeeInput(
                _("The charter may not contain unfair clauses such as %(text)s."), text=banned
            )
    with transaction.atomic():
        latest = (
            Charter.objects.select_for_update().filter(community=community).order_by("-version")
        )
        number = (latest.values_list("version", flat=True).first() or 0) + 1
        charter = Charter.objects.create(community=community, version=number, body=body)
        audit_record(
            actor=actor, action="charter.publish", target=charter, after={"version": number}
        )
    return charter


def charter_current(*, community: Community) -> Charter:
    charter = Charter.objects.filter(community=community).order_by("-version").first()
    if charter is None:
        raise errors.CharterMissing()
    return charter


def _fee_and_plan(
    *, member: Member, plan: str, policy: PolicyVersion, community: Community, today: date
) -> tuple[str, int]:
    """A§2.1/B§1.1: annual fee, early bird, family package; A§5/B§2.2 founding members;
    A§2.1 referral waiver. Early bird = applying within `early_bird_window_days` of the
    community's launch (the plans give no other anchor)."""
    from linli.members.selectors import referrals_waiving_fee

    has_history = Membership.objects.filter(
        member=member, status__in=[MembershipStatus.ACTIVE, MembershipStatus.LAPSED]
    ).exists()
    if member.is_founding and policy.founding_member_fee_waived and not has_history:
        return MembershipPlan.FOUNDING, 0
    if policy.referrals_to_waive_fee and referrals_waiving_fee(member=member, today=today):
        return MembershipPlan.WAIVED, 0
    if plan == MembershipPlan.FAMILY:
        if policy.family_package_fee_fen == 0:
            raise InvalidFeeInput(_("This community has no family package."))
        if member.household_id is None:
            raise InvalidFeeInput(_("A family package needs your building and flat first."))
        return MembershipPlan.FAMILY, policy.family_package_fee_fen
    if plan != MembershipPlan.INDIVIDUAL:
        raise InvalidFeeInput(_("Unknown membership plan."))
    launched = community.created_at.date()
    if today < launched + timedelta(days=policy.early_bird_window_days):
        return MembershipPlan.INDIVIDUAL, policy.member_fee_early_bird_fen
    return MembershipPlan.INDIVIDUAL, policy.member_fee_fen


def membership_apply(
    *,
    member: Member,
    plan: str,
    charter_version: int,
    accepts_charter: bool,
    now: datetime | None = None,
) -> Membership:
    """Apply for (or renew) a paid membership: real name first, the current charter accepted
    with a timestamp; the fee is fixed from the policy in force now and paid at the counter."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    community = member.community
    if member.verified_at is None:
        raise errors.IdentityNotVerified()
    policy = policy_in_force(community=community, at=now)
    if policy.admission_review_required and not admission_is_approved(member=member):
        raise AdmissionRequired()
    charter = charter_current(community=community)
    if not accepts_charter:
        raise errors.ConsentRequired(_("Please read and accept the member charter."))
    if charter.version != charter_version:
        raise errors.CharterOutdated()
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        plan, fee_fen = _fee_and_plan(
            member=member, plan=plan, policy=policy, community=community, today=today
        )
        _ensure_no_open_membership(member=member, today=today, policy=policy)
        membership = Membership.objects.create(
            community=community,
            member=member,
            household=member.household if plan == MembershipPlan.FAMILY else None,
            plan=plan,
            status=MembershipStatus.AWAITING_PAYMENT,
            fee_fen=fee_fen,
            policy=policy,
            charter=charter,
            charter_accepted_at=now,
            payment_reference=secrets.token_hex(4).upper(),
            created_at=now,
        )
        audit_record(
            actor=member.user,
            action="membership.apply",
            target=membership,
            after=snapshot(membership),
        )
        if fee_fen == 0:
            _activate(membership=membership, policy=policy, now=now)
    return membership


def _ensure_no_open_membership(*, member: Member, today: date, policy: PolicyVersion) -> None:
    """One open membership at a time; a renewal only within `renewal_window_days` of the
    running year's end."""
    window = timedelta(days=policy.renewal_window_days)
    for open_one in Membership.objects.filter(member=member, status__in=OPEN_STATUSES):
        if open_one.status == MembershipStatus.AWAITING_PAYMENT:
            raise errors.MembershipOpen()
        if open_one.ends_on and open_one.ends_on - today > window:
            raise errors.MembershipOpen()
        if Membership.objects.filter(
            member=member, starts_on__gte=open_one.ends_on, status=MembershipStatus.ACTIVE
        ).exists():
            raise errors.MembershipOpen()


def _activate(*, membership: Membership, policy: PolicyVersion, now: datetime) -> None:
    today = timezone.localdate(now)
    previous_end = (
        Membership.objects.filter(
            member=membership.member, status=MembershipStatus.ACTIVE, ends_on__gt=today
        )
        .exclude(pk=membership.pk)
        .order_by("-ends_on")
        .values_list("ends_on", flat=True)
        .first()
    )
    membership.starts_on = previous_end or today
    membership.ends_on = one_year_after(membership.starts_on)
    membership.status = MembershipStatus.ACTIVE
    membership.paid_at = now
    membership.save()
    if policy.included_free_services_per_year:
        Entitlement.objects.create(
            membership=membership, kind=FREE_SERVICE, total=policy.included_free_services_per_year
        )
    # Household cards: whom a family package covers from the day it is paid.
    from linli.members.services.household import covers_seed

    covers_seed(membership=membership, now=now)


def full_refund_until(membership: Membership) -> datetime | None:
    if membership.paid_at is None:
        return None
    return membership.paid_at + timedelta(days=membership.policy.refund_full_days)


def fee_payment_confirm(
    *,
    membership: Membership,
    amount_fen: int,
    method: str,
    idempotency_key: str,
    actor: Any,
    now: datetime | None = None,
) -> FeePayment:
    """Operator confirms cash or a transfer received at the counter: cash_in → fee_escrow.
    The same key again returns the same payment; it never posts twice (SPEC capability 2)."""
    now = now or timezone.now()
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100 or "\x00" in key:
        raise InvalidFeeInput(_("A payment key of 1 to 100 characters is required."))
    if method not in PAYMENT_METHODS:
        raise InvalidFeeInput(_("Payment method must be cash or transfer."))
    seen = FeePayment.objects.filter(community=membership.community, idempotency_key=key).first()
    if seen is not None:
        if seen.membership_id == membership.id and seen.amount_fen == amount_fen:
            return seen
        raise errors.PaymentKeyReused()
    if amount_fen != membership.fee_fen or amount_fen <= 0:
        raise errors.WrongAmount(fee_fen=membership.fee_fen)
    community = membership.community
    chart = chart_ensure(community=community)
    try:
        with transaction.atomic():
            locked = (
                Membership.objects.select_for_update()
                .select_related("policy")
                .get(pk=membership.pk)
            )
            if locked.status != MembershipStatus.AWAITING_PAYMENT:
                raise errors.MembershipNotAwaitingPayment()
            posted = journal_post(
                community=community,
                code="member.fee_paid",
                legs=[
                    Leg(
                        chart[(AccountKind.CASH_IN, "CNY")].id,
                        chart[(AccountKind.FEE_ESCROW, "CNY")].id,
                        amount_fen,
                    )
                ],
                idempotency_key=f"member-fee:{locked.id}",
                actor=actor,
                policy=locked.policy,
                memo=f"membership {locked.id} ({method})",
            )
            payment = FeePayment.objects.create(
                community=community,
                membership=locked,
                amount_fen=amount_fen,
                method=method,
                idempotency_key=key,
                journal_id=posted.journal_id,
                confirmed_by=actor,
                confirmed_at=now,
            )
            _activate(membership=locked, policy=locked.policy, now=now)
            audit_record(
                actor=actor,
                action="membership.fee_confirm",
                target=locked,
                before={"status": MembershipStatus.AWAITING_PAYMENT},
                after={
                    "status": locked.status,
                    "amount_fen": amount_fen,
                    "method": method,
                    "journal_id": str(posted.journal_id),
                },
            )
            refund_until = full_refund_until(locked)
            notice_send(
                member=locked.member,
                kind="fee_paid",
                params={
                    "amount": _yuan(amount_fen),
                    "ends_on": str(locked.ends_on),
                    "full_refund_until": str(timezone.localdate(refund_until))
                    if refund_until
                    else "",
                },
            )
    except IntegrityError:
        # A concurrent confirmation with the same key won the race.
        seen = FeePayment.objects.filter(community=community, idempotency_key=key).first()
        if seen is not None and seen.membership_id == membership.id:
            return seen
        raise errors.PaymentKeyReused() from None
    membership.refresh_from_db()
    return payment


def refund_amount(*, membership: Membership, now: datetime) -> tuple[int, bool]:
    """(amount in fen, is_full): the whole fee within `refund_full_days` of payment, no reason
    needed (法释〔2025〕4号); afterwards the unused days pro rata, rounded down to the fen."""
    refund_until = full_refund_until(membership)
    if refund_until is None or membership.starts_on is None or membership.ends_on is None:
        return 0, False
    if now < refund_until:
        return membership.fee_fen - membership.recognised_fen, True
    today = timezone.localdate(now)
    total_days = (membership.ends_on - membership.starts_on).days
    unused_days = max(
        0, min(total_days, (membership.ends_on - max(today, membership.starts_on)).days)
    )
    pro_rata = membership.fee_fen * unused_days // total_days
    return min(pro_rata, membership.fee_fen - membership.recognised_fen), False


def membership_refund(
    *, membership: Membership, reason: str, actor: Any, now: datetime | None = None
) -> FeeRefund:
    """Refund a paid membership from escrow (fee_escrow → cash_out); what was earned up to
    today moves to revenue; a referral reward it earned is reversed (A§2.1, compliance)."""
    from linli.members.services.referrals import referral_reverse_for_refund

    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) > 500 or "\x00" in reason:
        raise InvalidFeeInput(_("The reason is too long."))
    community = membership.community
    chart = chart_ensure(community=community)
    escrow = chart[(AccountKind.FEE_ESCROW, "CNY")].id
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update()
            .select_related("policy", "member")
            .get(pk=membership.pk)
        )
        if locked.status != MembershipStatus.ACTIVE or locked.fee_fen == 0:
            raise errors.NotRefundable()
        amount, is_full = refund_amount(membership=locked, now=now)
        refund_journal = None
        if amount > 0:
            refund_journal = journal_post(
                community=community,
                code="member.fee_refund",
                legs=_refund_legs(membership=locked, amount_fen=amount, chart=chart),
                idempotency_key=f"member-refund:{locked.id}",
                actor=actor,
                policy=locked.policy,
                memo=f"membership {locked.id}",
            ).journal_id
        earned = locked.fee_fen - locked.recognised_fen - amount
        if earned > 0:
            journal_post(
                community=community,
                code="member.fee_earned",
                legs=[Leg(escrow, chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id, earned)],
                idempotency_key=f"member-fee-final:{locked.id}",
                actor=actor,
                policy=locked.policy,
                memo=f"membership {locked.id}",
            )
        refund = FeeRefund.objects.create(
            membership=locked,
            amount_fen=amount,
            is_full=is_full,
            reason=reason or _("No reason needed"),
            journal_id=refund_journal,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            at=now,
        )
        before = snapshot(locked)
        locked.refunded_fen = amount
        locked.recognised_fen = locked.fee_fen - amount
        locked.status = MembershipStatus.REFUNDED
        locked.save()
        audit_record(
            actor=actor,
            action="membership.refund",
            target=locked,
            before=before,
            after=snapshot(locked),
        )
        notice_send(member=locked.member, kind="fee_refunded", params={"amount": _yuan(amount)})
        referral_reverse_for_refund(referee=locked.member, actor=actor)
    membership.refresh_from_db()
    return refund


def self_refund_quote(
    *, member: Member, membership: Membership, now: datetime | None = None
) -> int:
    """What the member gets back if they confirm a self-service refund now (fen), or the
    reason they cannot: only the payer, only a running paid year, only inside the no-reason
    window (法释〔2025〕4号); afterwards the pro-rata refund is a counter matter, where staff
    check how the money goes back."""
    now = now or timezone.now()
    if membership.member_id != member.id or membership.community_id != member.community_id:
        raise errors.NotYourMembership()
    if membership.status != MembershipStatus.ACTIVE or membership.fee_fen == 0:
        raise errors.NotRefundable()
    until = full_refund_until(membership)
    if until is None or now >= until:
        raise errors.RefundWindowClosed()
    amount, _is_full = refund_amount(membership=membership, now=now)
    return amount


def membership_refund_self(
    *, member: Member, membership: Membership, now: datetime | None = None
) -> FeeRefund:
    """The member's own "no reason" refund within the window, from their membership page
    or the API: the same escrow refund the counter makes, with the member as the actor."""
    now = now or timezone.now()
    self_refund_quote(member=member, membership=membership, now=now)
    return membership_refund(
        membership=membership,
        reason=_("Member's own refund within the no-reason period"),
        actor=member.user,
        now=now,
    )


def _earned_target(membership: Membership, today: date) -> int:
    if membership.starts_on is None or membership.ends_on is None:
        return 0
    total_days = (membership.ends_on - membership.starts_on).days
    elapsed = max(0, min(total_days, (today - membership.starts_on).days))
    return membership.fee_fen * elapsed // total_days


def fees_recognise(*, community: Community, now: datetime | None = None) -> int:
    """Monthly: move the earned share of each fee from escrow to revenue. Nothing is
    recognised inside the no-reason refund window, so such a refund always comes out of
    escrow. Returns the number of postings."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    month = today.replace(day=1)
    chart = chart_ensure(community=community)
    escrow = chart[(AccountKind.FEE_ESCROW, "CNY")].id
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id
    due = (
        Membership.objects.filter(
            community=community,
            status__in=[MembershipStatus.ACTIVE, MembershipStatus.LAPSED],
            fee_fen__gt=0,
            recognised_fen__lt=F("fee_fen"),
        )
        .exclude(recognitions__month=month)
        .select_related("policy")
    )
    posted = 0
    for membership in due.order_by("id"):
        refund_until = full_refund_until(membership)
        if refund_until is None or now < refund_until:
            continue
        delta = _earned_target(membership, today) - membership.recognised_fen
        if delta <= 0:
            continue
        with transaction.atomic():
            locked = Membership.objects.select_for_update().get(pk=membership.pk)
            if locked.status not in (MembershipStatus.ACTIVE, MembershipStatus.LAPSED):
                continue
            delta = _earned_target(locked, today) - locked.recognised_fen
            if delta <= 0 or FeeRecognition.objects.filter(membership=locked, month=month).exists():
                continue
            result = journal_post(
                community=community,
                code="member.fee_earned",
                legs=[Leg(escrow, revenue, delta)],
                idempotency_key=f"member-fee-earned:{locked.id}:{month:%Y-%m}",
                policy=membership.policy,
                memo=f"membership {locked.id} {month:%Y-%m}",
            )
            FeeRecognition.objects.create(
                membership=locked, month=month, amount_fen=delta, journal_id=result.journal_id
            )
            Membership.objects.filter(pk=locked.pk).update(
                recognised_fen=F("recognised_fen") + delta
            )
            posted += 1
    return posted


def memberships_expire(*, community: Community, now: datetime | None = None) -> dict[str, int]:
    """Daily: renewal reminders before expiry, lapse after the grace period (A§2.1)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"reminded": 0, "lapsed": 0}
    remind_days = policy_in_force(community=community, at=now).renewal_reminder_days
    active = Membership.objects.filter(community=community, status=MembershipStatus.ACTIVE)
    for membership in active.filter(
        reminded_at__isnull=True, ends_on__lte=today + timedelta(days=remind_days)
    ).select_related("member"):
        renewed = Membership.objects.filter(
            member=membership.member, starts_on__gte=membership.ends_on, status__in=OPEN_STATUSES
        ).exists()
        with transaction.atomic():
            Membership.objects.filter(pk=membership.pk).update(reminded_at=now)
            if not renewed:
                notice_send(
                    member=membership.member,
                    kind="renewal_due",
                    params={"ends_on": str(membership.ends_on)},
                )
                counts["reminded"] += 1
    for membership in active.select_related("policy", "member"):
        if membership.ends_on is None:
            continue
        if today >= membership.ends_on + timedelta(days=membership.policy.membership_grace_days):
            with transaction.atomic():
                Membership.objects.filter(pk=membership.pk, status=MembershipStatus.ACTIVE).update(
                    status=MembershipStatus.LAPSED
                )
                audit_record(
                    actor=None,
                    action="membership.lapse",
                    target=membership,
                    before={"status": "active"},
                    after={"status": "lapsed"},
                )
                notice_send(member=membership.member, kind="lapsed")
            counts["lapsed"] += 1
    return counts


def entitlement_consume(
    *, member: Member, kind: str = FREE_SERVICE, now: datetime | None = None
) -> Entitlement:
    """Use one included benefit of the running membership year (A§2.1: 10 free community
    services a year); the time bank calls this. The CHECK used <= total backs the count."""
    from linli.members.selectors import membership_current

    now = now or timezone.now()
    current = membership_current(member=member, today=timezone.localdate(now))
    if current is None:
        raise errors.NoEntitlementLeft()
    with transaction.atomic():
        updated = Entitlement.objects.filter(
            membership=current, kind=kind, used__lt=F("total")
        ).update(used=F("used") + 1)
        if updated != 1:
            raise errors.NoEntitlementLeft()
        return Entitlement.objects.get(membership=current, kind=kind)


def founding_grant(*, member: Member, reason: str, actor: Any) -> Member:
    """Operator makes a resident a founding / co-creation member (A§5, B§2.2), with a reason;
    capped by `founding_members_max`. The community row is locked first, so two grants for
    the last place (different members) are counted one after the other: one wins."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 500 or "\x00" in reason:
        raise InvalidFeeInput(_("A reason of 1 to 500 characters is required."))
    policy = policy_in_force(community=member.community)
    with transaction.atomic():
        Community.objects.select_for_update().filter(pk=member.community_id).first()
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.is_founding:
            return locked
        count = Member.objects.filter(community=member.community, is_founding=True).count()
        if policy.founding_members_max is not None and count >= policy.founding_members_max:
            raise errors.FoundingPlacesTaken()
        locked.is_founding = True
        locked.founding_reason = reason
        locked.save(update_fields=["is_founding", "founding_reason"])
        audit_record(
            actor=actor,
            action="member.founding_grant",
            target=locked,
            before={"is_founding": False},
            after={"is_founding": True, "reason": reason},
        )
    return locked


def points_for_fee(*, fee_fen: int, policy: PolicyVersion) -> int:
    """Points that pay a fee, at the policy's point value, rounded up (never below value)."""
    return -(-fee_fen // policy.point_value_fen)


def _refund_legs(*, membership: Membership, amount_fen: int, chart: dict[Any, Any]) -> list[Leg]:
    """Cash back for cash; for a fee paid in points, the points come back (pro rata, rounded
    down) and the platform's subsidy is returned to it."""
    escrow = chart[(AccountKind.FEE_ESCROW, "CNY")].id
    payment = FeePayment.objects.filter(membership=membership).first()
    if payment is None or payment.method != POINTS_METHOD:
        return [Leg(escrow, chart[(AccountKind.CASH_OUT, "CNY")].id, amount_fen)]
    paid_points = points_for_fee(fee_fen=membership.fee_fen, policy=membership.policy)
    back = paid_points * amount_fen // membership.fee_fen
    legs = [Leg(escrow, chart[(AccountKind.SUBSIDY, "CNY")].id, amount_fen)]
    if back > 0:
        wallet = account_open(
            community=membership.community,
            kind=AccountKind.MEMBER_WALLET,
            asset="PTS",
            owner_type="member",
            owner_id=membership.member_id,
        )
        legs.append(Leg(chart[(AccountKind.ISSUANCE, "PTS")].id, wallet.id, back))
    return legs


def fee_pay_with_points(
    *, membership: Membership, idempotency_key: str, actor: Any, now: datetime | None = None
) -> FeePayment:
    """B§1.2: points pay the fee. The member's points are retired (wallet → issuance) and the
    platform funds the fee in escrow from its subsidies, so escrow and recognition work as
    for cash. Only where the community issues points; the wallet can never go negative."""
    now = now or timezone.now()
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100 or "\x00" in key:
        raise InvalidFeeInput(_("A payment key of 1 to 100 characters is required."))
    community = membership.community
    policy = membership.policy
    if "PTS" not in (policy.spend_reward_asset, policy.referral_reward_asset):
        raise InvalidFeeInput(_("Points cannot pay the fee in this community."))
    seen = FeePayment.objects.filter(community=community, idempotency_key=key).first()
    if seen is not None:
        if seen.membership_id == membership.id:
            return seen
        raise errors.PaymentKeyReused()
    points = points_for_fee(fee_fen=membership.fee_fen, policy=policy)
    chart = chart_ensure(community=community)
    wallet = account_open(
        community=community,
        kind=AccountKind.MEMBER_WALLET,
        asset="PTS",
        owner_type="member",
        owner_id=membership.member_id,
    )
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.status != MembershipStatus.AWAITING_PAYMENT or locked.fee_fen == 0:
            raise errors.MembershipNotAwaitingPayment()
        posted = journal_post(
            community=community,
            code="member.fee_paid_points",
            legs=[
                Leg(wallet.id, chart[(AccountKind.ISSUANCE, "PTS")].id, points),
                Leg(
                    chart[(AccountKind.SUBSIDY, "CNY")].id,
                    chart[(AccountKind.FEE_ESCROW, "CNY")].id,
                    locked.fee_fen,
                ),
            ],
            idempotency_key=f"member-fee:{locked.id}",
            actor=actor,
            policy=policy,
            memo=f"membership {locked.id} (points)",
        )
        payment = FeePayment.objects.create(
            community=community,
            membership=locked,
            amount_fen=locked.fee_fen,
            method=POINTS_METHOD,
            idempotency_key=key,
            journal_id=posted.journal_id,
            confirmed_by=actor,
            confirmed_at=now,
        )
        _activate(membership=locked, policy=policy, now=now)
        audit_record(
            actor=actor,
            action="membership.fee_points",
            target=locked,
            after={"points": points, "journal_id": str(posted.journal_id)},
        )
        notice_send(
            member=locked.member,
            kind="fee_paid",
            params={
                "amount": _yuan(locked.fee_fen),
                "ends_on": str(locked.ends_on),
                "full_refund_until": str(timezone.localdate(full_refund_until(locked) or now)),
            },
        )
    return payment
