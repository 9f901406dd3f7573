"""Admission (A§3.1): taxonomy, application checks, one seat per trade, fee and deposit."""

from datetime import timedelta
from decimal import Decimal

import pytest

from linli.communities.models import AuditEntry, CommunityRole, Role
from linli.communities.selectors import policy_in_force
from linli.errors import DomainError
from linli.ledger.models import Account, AccountKind, Journal, Transfer, TransferKind
from linli.ledger.selectors import account_balances
from linli.ledger.services import chart_ensure
from linli.ledger.verification import ledger_verify
from linli.merchants import errors
from linli.merchants.models import (
    ApplicationStatus,
    BlacklistedLicence,
    DepositHold,
    Industry,
    Merchant,
    MerchantApplication,
    MerchantStaff,
    StaffRole,
)
from linli.merchants.selectors import (
    deposit_held_fen,
    distance_m,
    industry_tree,
    merchant_account,
)
from linli.merchants.services import (
    application_reject,
    application_submit,
    industries_ensure,
    industry_create,
    merchant_admit,
    merchant_fees_recognise,
    staff_add,
)
from tests.factories import SHOP_LAT, SHOP_LNG, make_community, make_member, make_merchant


def _fresh(account):
    return Account.objects.get(pk=account.pk)


def _apply(community, applicant, code="fruit", **overrides):
    arguments = {
        "community": community,
        "applicant": applicant,
        "industry": Industry.objects.get(community=community, code=code),
        "business_name": "鲜果坊",
        "licence_no": "91310000MA1FL00001",
        "address": "幸福路 8 号",
        "lat": SHOP_LAT,
        "lng": SHOP_LNG,
        "contact_phone": "13800000001",
        "exclusivity_accepted": True,
    }
    arguments.update(overrides)
    return application_submit(**arguments)


def test_taxonomy_is_two_levels_and_seeded_once(community, operator):
    tree = industry_tree(community=community)
    codes = {trade.code for _top, trades in tree for trade in trades}
    assert {
        "supermarket",
        "fresh-produce",
        "fruit",
        "pharmacy",
        "dry-cleaning",
        "barber",
        "restaurant",
        "breakfast",
        "home-services",
        "appliance-repair",
        "tutoring",
        "pet-care",
    } <= codes
    assert all(trade.parent_id == top.id for top, trades in tree for trade in trades)
    assert industries_ensure(community=community) == 0
    top = Industry.objects.get(community=community, code="services")
    added = industry_create(
        community=community, parent=top, code="bike-repair", name="修车", actor=operator
    )
    assert added.parent == top
    with pytest.raises(errors.IndustryInvalid):
        industry_create(community=community, parent=added, code="deeper", name="x", actor=operator)
    with pytest.raises(errors.IndustryInvalid):
        industry_create(
            community=community, parent=top, code="bike-repair", name="again", actor=operator
        )


def test_distance_is_haversine():
    # One thousandth of a degree of latitude is about 111 m everywhere.
    assert distance_m(
        Decimal("31.230"), Decimal("121.47"), Decimal("31.231"), Decimal("121.47")
    ) in (
        111,
        112,
    )


def test_admission_posts_fee_and_holds_deposit(community, resident, operator):
    application = _apply(community, resident)
    policy = policy_in_force(community=community)
    merchant = merchant_admit(application=application, actor=operator)

    application.refresh_from_db()
    assert application.status == ApplicationStatus.ADMITTED
    assert merchant.industry.code == "fruit" and merchant.owner == resident
    cny = merchant_account(merchant=merchant, asset="CNY")
    assert merchant_account(merchant=merchant, asset="TIME") is not None
    balances = account_balances(account=cny)
    chart = chart_ensure(community=community)
    fee_escrow = account_balances(account=_fresh(chart[(AccountKind.FEE_ESCROW, "CNY")]))
    deposit_escrow = chart[(AccountKind.DEPOSIT_ESCROW, "CNY")]
    deposit_escrow.refresh_from_db()
    # Plan A: 2000 CNY fee in escrow, 500 CNY deposit held (pending) from the merchant.
    assert policy.merchant_annual_fee_fen == 200_000 and policy.merchant_deposit_fen == 50_000
    assert fee_escrow.posted == 200_000
    assert deposit_escrow.credits_pending == 50_000
    assert balances.posted == 50_000 and balances.available == 0
    hold = DepositHold.objects.get(merchant=merchant)
    assert Transfer.objects.get(id=hold.transfer_id).kind == TransferKind.PENDING
    assert deposit_held_fen(merchant=merchant) == 50_000
    assert MerchantStaff.objects.get(merchant=merchant).role == StaffRole.OWNER
    assert CommunityRole.objects.filter(user=resident, role=Role.MERCHANT_OWNER).exists()
    actions = set(AuditEntry.objects.filter(community=community).values_list("action", flat=True))
    assert {"merchant.apply", "merchant.admit", "merchant.seat_open"} <= actions
    assert ledger_verify(community=community).problem is None


def test_second_application_for_a_taken_trade_names_the_holder(community, operator):
    make_merchant(community, "fruit", name="老王水果")
    applicant = make_member(community).user
    with pytest.raises(errors.IndustryTaken) as caught:
        _apply(community, applicant, licence_no="91310000MA1FL00099")
    assert "老王水果" in caught.value.render("en")
    assert caught.value.status == 409


def test_admission_refused_when_the_seat_was_taken_meanwhile(community, operator):
    first = make_merchant(community, "fruit", admit=False)
    second = make_merchant(community, "fruit", admit=False)
    merchant_admit(application=first, actor=operator)
    journals = Journal.objects.filter(community=community).count()
    with pytest.raises(errors.IndustryTaken):
        merchant_admit(application=second, actor=operator)
    assert Journal.objects.filter(community=community).count() == journals
    second.refresh_from_db()
    assert second.status == ApplicationStatus.PENDING
    with pytest.raises(errors.ApplicationNotPending):
        merchant_admit(application=first, actor=operator)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"lat": Decimal("31.250000")}, errors.AddressOutsideRadius),  # ~2.2 km north
        ({"exclusivity_accepted": False}, errors.ExclusivityRequired),
        ({"licence_no": ""}, errors.ApplicationInvalid),
        ({"business_name": "x" * 101}, errors.ApplicationInvalid),
        ({"lat": "north"}, errors.ApplicationInvalid),
        ({"lng": "NaN"}, errors.ApplicationInvalid),
        ({"code": "retail"}, errors.IndustryNotLeaf),
    ],
)
def test_bad_applications_are_refused_and_nothing_is_written(community, resident, overrides, error):
    code = overrides.pop("code", "fruit")
    before = (MerchantApplication.objects.count(), Journal.objects.count())
    with pytest.raises(error) as caught:
        _apply(community, resident, code=code, **overrides)
    assert isinstance(caught.value, DomainError) and 400 <= caught.value.status < 500
    assert (MerchantApplication.objects.count(), Journal.objects.count()) == before


def test_licence_reused_while_pending_or_seated(community, resident):
    _apply(community, resident)
    other = make_member(community).user
    with pytest.raises(errors.LicenceReused):
        _apply(community, other, code="barber", licence_no=" 91310000ma1fl00001 ")


def test_black_listed_licence_cannot_apply(community, resident):
    BlacklistedLicence.objects.create(
        community=community, licence_no="91310000MA1FL00001", reason="fake discounts"
    )
    with pytest.raises(errors.LicenceBlacklisted):
        _apply(community, resident)


def test_other_communitys_industry_is_refused(community, resident):
    other = make_community("B")
    industries_ensure(community=other)
    foreign = Industry.objects.get(community=other, code="fruit")
    with pytest.raises(errors.IndustryInvalid):
        _apply(community, resident, industry=foreign)


def test_rejected_application_frees_the_licence(community, resident, operator):
    application = _apply(community, resident)
    application_reject(application=application, actor=operator, note="资料不全")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    again = _apply(community, resident)
    assert again.pk != application.pk
    with pytest.raises(errors.ApplicationNotPending):
        application_reject(application=application, actor=operator, note="")


def test_owner_adds_a_cashier_with_its_own_login(community):
    merchant = make_merchant(community, "barber")
    staff = staff_add(
        merchant=merchant, username="cashier1", password="a-long-pass-42", actor=merchant.owner
    )
    assert staff.role == StaffRole.CASHIER and staff.user.check_password("a-long-pass-42")
    assert CommunityRole.objects.filter(user=staff.user, role=Role.CASHIER).exists()
    with pytest.raises(errors.UsernameTaken):
        staff_add(
            merchant=merchant, username="cashier1", password="a-long-pass-42", actor=merchant.owner
        )
    with pytest.raises(errors.StaffInvalid):
        staff_add(
            merchant=merchant, username="bad name!", password="a-long-pass-42", actor=merchant.owner
        )


def test_fee_is_recognised_month_by_month_and_sums_to_the_fee(community):
    merchant = make_merchant(community, "pharmacy")
    chart = chart_ensure(community=community)
    revenue = chart[(AccountKind.PLATFORM_REVENUE, "CNY")]

    def recognised() -> int:
        return sum(
            Transfer.objects.filter(
                credit_account=revenue, journal__code="merchant_fee_recognise"
            ).values_list("amount", flat=True)
        )

    start = merchant.admitted_at
    merchant_fees_recognise(now=start)
    assert recognised() == merchant.annual_fee_fen // 12
    merchant_fees_recognise(now=start)  # a rerun posts nothing more
    assert recognised() == merchant.annual_fee_fen // 12
    merchant_fees_recognise(now=start + timedelta(days=95))
    assert recognised() == merchant.annual_fee_fen * 4 // 12
    merchant_fees_recognise(now=start + timedelta(days=800))
    assert recognised() == merchant.annual_fee_fen
    fee_escrow = chart[(AccountKind.FEE_ESCROW, "CNY")]
    assert account_balances(account=_fresh(fee_escrow)).posted == 0
    assert ledger_verify(community=community).problem is None


def test_merchant_accounts_are_owned_by_the_merchant(community):
    merchant = make_merchant(community, "bakery")
    owned = Account.objects.filter(owner_type="merchant", owner_id=merchant.id)
    assert sorted(owned.values_list("asset_id", flat=True)) == ["CNY", "TIME"]
    assert Merchant.objects.filter(community=community).count() == 1


def test_the_database_refuses_a_second_seat_even_without_the_service(community):
    from django.db import IntegrityError, transaction

    merchant = make_merchant(community, "tutoring")
    other = make_merchant(community, "kids-classes", admit=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Merchant.objects.create(
            community=community,
            application=other,
            industry=merchant.industry,
            owner=other.applicant,
            name="second",
            licence_no="X1",
            address="a",
            annual_fee_fen=0,
            deposit_required_fen=0,
        )
    # A seat that has been left frees the trade.
    Merchant.objects.filter(pk=merchant.pk).update(status="exited")
    Merchant.objects.create(
        community=community,
        application=other,
        industry=merchant.industry,
        owner=other.applicant,
        name="second",
        licence_no="X1",
        address="a",
        annual_fee_fen=0,
        deposit_required_fen=0,
    )
