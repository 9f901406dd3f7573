"""Fees through the ledger: escrow, refunds, monthly recognition, renewal, lapse."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.communities.audit import AuditEntry
from linli.communities.selectors import policy_in_force
from linli.ledger.models import Account, AccountKind, Journal
from linli.ledger.selectors import account_balances
from linli.members import errors
from linli.members.models import FeePayment, MembershipStatus, Notice
from linli.members.selectors import membership_current
from linli.members.services import (
    charter_publish,
    entitlement_consume,
    fee_payment_confirm,
    fees_recognise,
    founding_grant,
    member_verify_identity,
    membership_apply,
    membership_refund,
    memberships_expire,
)
from linli.members.services.fees import refund_amount
from tests.members.conftest import join, valid_id

_ids = iter(range(100, 999))


def verified(community, approve=True, **extra):
    """A joined, real-name-verified member; admitted too where the policy reviews (B)."""
    from linli.members.services import admission_apply, admission_decide

    member = join(community, **extra)
    member = member_verify_identity(
        member=member, real_name="张三", id_number=valid_id(seq=f"{next(_ids)}"), consents=True
    )
    if approve and policy_in_force(community=community).admission_review_required:
        application = admission_apply(member=member, interests="", skills=[], willing_to_serve=True)
        admission_decide(application=application, approve=True, reason="ok", actor=None)
    return member


def apply(member, plan="individual", now=None):
    from linli.members.services.fees import charter_current

    charter = charter_current(community=member.community)
    return membership_apply(
        member=member, plan=plan, charter_version=charter.version, accepts_charter=True, now=now
    )


def balance(community, kind):
    account = Account.objects.get(community=community, kind=kind, asset_id="CNY", owner_id=None)
    return account_balances(account=account).posted


def test_paid_membership_needs_real_name(community):
    with pytest.raises(errors.IdentityNotVerified):
        apply(join(community))


def test_charter_must_be_current_and_accepted(community):
    member = verified(community)
    with pytest.raises(errors.ConsentRequired):
        membership_apply(member=member, plan="individual", charter_version=1, accepts_charter=False)
    charter_publish(community=community, body="v2", actor=None)
    with pytest.raises(errors.CharterOutdated):
        membership_apply(member=member, plan="individual", charter_version=1, accepts_charter=True)


def test_charter_refuses_unfair_clauses(community):
    with pytest.raises(errors.DomainError if hasattr(errors, "DomainError") else Exception):
        charter_publish(community=community, body="会费概不退款", actor=None)


def test_counter_payment_lands_in_escrow_once(community, operator):
    member = verified(community)
    membership = apply(member)
    fee = policy_in_force(community=community).member_fee_fen
    assert membership.fee_fen == fee and membership.status == MembershipStatus.AWAITING_PAYMENT
    payment = fee_payment_confirm(
        membership=membership, amount_fen=fee, method="cash", idempotency_key="k1", actor=operator
    )
    again = fee_payment_confirm(
        membership=membership, amount_fen=fee, method="cash", idempotency_key="k1", actor=operator
    )
    assert again.pk == payment.pk
    with pytest.raises(errors.MembershipNotAwaitingPayment):
        fee_payment_confirm(
            membership=membership,
            amount_fen=fee,
            method="cash",
            idempotency_key="k2",
            actor=operator,
        )
    assert balance(community, AccountKind.FEE_ESCROW) == fee
    assert Journal.objects.filter(community=community, code="member.fee_paid").count() == 1
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.ACTIVE
    assert membership.ends_on == membership.starts_on.replace(year=membership.starts_on.year + 1)
    audit = AuditEntry.objects.get(action="membership.fee_confirm")
    assert audit.actor_label == operator.get_username()
    assert Notice.objects.filter(member=member, kind="fee_paid").count() == 1


def test_same_key_for_another_membership_is_refused(community, operator):
    first, second = apply(verified(community)), apply(verified(community))
    fee = first.fee_fen
    fee_payment_confirm(
        membership=first, amount_fen=fee, method="cash", idempotency_key="same", actor=operator
    )
    with pytest.raises(errors.PaymentKeyReused):
        fee_payment_confirm(
            membership=second, amount_fen=fee, method="cash", idempotency_key="same", actor=operator
        )
    assert FeePayment.objects.count() == 1
    assert balance(community, AccountKind.FEE_ESCROW) == fee


def test_wrong_amount_is_refused(community, operator):
    membership = apply(verified(community))
    with pytest.raises(errors.WrongAmount):
        fee_payment_confirm(
            membership=membership,
            amount_fen=membership.fee_fen - 1,
            method="cash",
            idempotency_key="x",
            actor=operator,
        )
    assert not Journal.objects.filter(community=community).exists()


def _paid(community, operator, now=None):
    membership = apply(verified(community), now=now)
    fee_payment_confirm(
        membership=membership,
        amount_fen=membership.fee_fen,
        method="cash",
        idempotency_key=f"pay-{membership.id}",
        actor=operator,
        now=now,
    )
    membership.refresh_from_db()
    return membership


def test_full_refund_within_the_window_comes_out_of_escrow(community, operator):
    membership = _paid(community, operator)
    later = membership.paid_at + timedelta(days=6, hours=23)
    assert fees_recognise(community=community, now=later) == 0
    refund = membership_refund(membership=membership, reason="", actor=operator, now=later)
    assert refund.is_full and refund.amount_fen == membership.fee_fen
    assert balance(community, AccountKind.FEE_ESCROW) == 0
    assert balance(community, AccountKind.PLATFORM_REVENUE) == 0
    with pytest.raises(errors.NotRefundable):
        membership_refund(membership=membership, reason="", actor=operator, now=later)


def test_pro_rata_refund_after_the_window_and_recognition(community, operator):
    start = timezone.now()
    membership = _paid(community, operator, now=start)
    fee = membership.fee_fen
    month_later = start + timedelta(days=40)
    assert fees_recognise(community=community, now=month_later) == 1
    assert fees_recognise(community=community, now=month_later) == 0  # once per month
    membership.refresh_from_db()
    recognised = membership.recognised_fen
    assert 0 < recognised < fee
    assert balance(community, AccountKind.PLATFORM_REVENUE) == recognised
    later = start + timedelta(days=100)
    amount, is_full = refund_amount(membership=membership, now=later)
    total = (membership.ends_on - membership.starts_on).days
    unused = (membership.ends_on - timezone.localdate(later)).days
    assert not is_full and amount == fee * unused // total
    membership_refund(membership=membership, reason="moving", actor=operator, now=later)
    assert balance(community, AccountKind.FEE_ESCROW) == 0
    assert balance(community, AccountKind.PLATFORM_REVENUE) == fee - amount
    assert balance(community, AccountKind.CASH_OUT) == amount


def test_recognition_over_a_year_sums_to_the_fee(community, operator):
    start = timezone.now()
    membership = _paid(community, operator, now=start)
    for month in range(1, 14):
        fees_recognise(community=community, now=start + timedelta(days=31 * month))
    membership.refresh_from_db()
    assert membership.recognised_fen == membership.fee_fen
    assert balance(community, AccountKind.FEE_ESCROW) == 0


def test_renewal_reminder_grace_and_lapse(community, operator):
    start = timezone.now()
    membership = _paid(community, operator, now=start)
    grace = policy_in_force(community=community).membership_grace_days
    near_end = start + timedelta(days=340)
    assert memberships_expire(community=community, now=near_end)["reminded"] == 1
    assert memberships_expire(community=community, now=near_end)["reminded"] == 0
    end = timezone.make_aware(
        timezone.datetime.combine(membership.ends_on, timezone.datetime.min.time())
    )
    in_grace = end + timedelta(days=grace - 1)
    assert memberships_expire(community=community, now=in_grace)["lapsed"] == 0
    assert membership_current(member=membership.member, today=in_grace.date()) is not None
    assert memberships_expire(community=community, now=end + timedelta(days=grace))["lapsed"] == 1
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.LAPSED


def test_renewal_starts_when_the_current_year_ends(community, operator):
    start = timezone.now()
    first = _paid(community, operator, now=start)
    with pytest.raises(errors.MembershipOpen):
        apply(first.member, now=start + timedelta(days=10))
    renew_at = start + timedelta(days=330)
    second = apply(first.member, now=renew_at)
    fee_payment_confirm(
        membership=second,
        amount_fen=second.fee_fen,
        method="transfer",
        idempotency_key="renew",
        actor=operator,
        now=renew_at,
    )
    second.refresh_from_db()
    assert second.starts_on == first.ends_on


def test_entitlements_are_counted(community, operator):
    membership = _paid(community, operator)
    total = policy_in_force(community=community).included_free_services_per_year
    for _ in range(total):
        entitlement_consume(member=membership.member)
    with pytest.raises(errors.NoEntitlementLeft):
        entitlement_consume(member=membership.member)


def test_founding_member_first_year_free(community, operator):
    member = verified(community)
    founding_grant(member=member, reason="共创会员", actor=operator)
    membership = apply(member)
    assert membership.plan == "founding" and membership.fee_fen == 0
    assert membership.status == MembershipStatus.ACTIVE
    assert not Journal.objects.filter(community=community).exists()


def test_family_package_covers_the_household(community_b):
    from linli.communities.models import Building, Neighbourhood
    from tests.factories import make_role, make_user

    operator = make_user()
    make_role(operator, community_b, "operator")
    hood = Neighbourhood.objects.create(community=community_b, name="园")
    building = Building.objects.create(community=community_b, neighbourhood=hood, name="1")
    payer = verified(community_b, building=building, unit_label="101")
    spouse = join(community_b, building=building, unit_label="101")
    membership = apply(payer, plan="family")
    assert membership.fee_fen == policy_in_force(community=community_b).family_package_fee_fen
    fee_payment_confirm(
        membership=membership,
        amount_fen=membership.fee_fen,
        method="cash",
        idempotency_key="fam",
        actor=operator,
    )
    assert membership_current(member=spouse, today=timezone.localdate()) is not None


def test_early_bird_price_in_the_launch_window(community_b):
    member = verified(community_b)
    policy = policy_in_force(community=community_b)
    assert apply(member).fee_fen == policy.member_fee_early_bird_fen
    other = verified(community_b)
    late = timezone.now() + timedelta(days=policy.early_bird_window_days + 1)
    assert apply(other, now=late).fee_fen == policy.member_fee_fen
