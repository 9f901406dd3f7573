"""Writes of the merchant alliance: admission, staff, the deposit, the seat's money.

One function per use case, keyword-only, one transaction each, audited. Permission checks
happen at the boundary (API, pages) through `access.py`; `actor` here is who is recorded.
Only `linli.ledger.services` writes the ledger; these functions call it inside their own
transaction, so a seat and its postings commit or roll back together.
"""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.communities.audit import audit_record, snapshot
from linli.communities.models import Community, Role
from linli.communities.selectors import policy_in_force
from linli.communities.services import role_grant
from linli.ledger.models import AccountKind
from linli.ledger.services import Leg, account_open, chart_ensure, hold_create, journal_post
from linli.merchants import errors
from linli.merchants.exit_hooks import day_label, exit_withdrawn_notify, merchant_exit_hooks
from linli.merchants.models import (
    SEAT_HOLDING,
    ApplicationStatus,
    BlacklistedLicence,
    DepositHold,
    HoldStatus,
    Industry,
    Merchant,
    MerchantApplication,
    MerchantDebt,
    MerchantStaff,
    MerchantStatus,
    StaffRole,
    WaitingListEntry,
    WaitStatus,
)
from linli.merchants.selectors import (
    MERCHANT_OWNER_TYPE,
    debt_open_fen,
    deposit_shortfall_fen,
    distance_m,
    seat_holder,
    seat_reserved,
)
from linli.merchants.taxonomy import SEED
from linli.merchants.waitlist import seat_offer_next, waitlist_join

TEXT_LIMITS = {"business_name": 100, "licence_no": 32, "address": 200, "contact_phone": 20}
COORDINATE_STEP = Decimal("0.000001")
MONTHS_PER_FEE_YEAR = 12


def _text(value: Any, name: str, problems: dict[str, str]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > TEXT_LIMITS[name] or "\x00" in text:
        problems[name] = f"required, at most {TEXT_LIMITS[name]} characters"
    return text


def _coordinate(value: Any, name: str, limit: int, problems: dict[str, str]) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(COORDINATE_STEP)
    except (InvalidOperation, ValueError):
        problems[name] = "not a number"
        return Decimal(0)
    if not number.is_finite() or abs(number) > limit:
        problems[name] = "out of range"
        return Decimal(0)
    return number


def _amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0 or value > 10**13:
        raise errors.AmountInvalid()
    return value


# --- taxonomy ------------------------------------------------------------------------------


def industries_ensure(*, community: Community) -> int:
    """Seed the two-level trade taxonomy once per community; returns how many were added."""
    if Industry.objects.filter(community=community).exists():
        return 0
    added = 0
    with transaction.atomic():
        for code, name, trades in SEED:
            top, created = Industry.objects.get_or_create(
                community=community, code=code, defaults={"name": name}
            )
            added += int(created)
            for trade_code, trade_name in trades:
                _row, created = Industry.objects.get_or_create(
                    community=community,
                    code=trade_code,
                    defaults={"name": trade_name, "parent": top},
                )
                added += int(created)
    return added


def industry_create(
    *, community: Community, parent: Industry | None, code: str, name: str, actor: Any
) -> Industry:
    """An operator adds a trade (or a category when `parent` is None)."""
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 50 or not isinstance(code, str) or not code:
        raise errors.IndustryInvalid()
    if parent is not None and (parent.community_id != community.id or parent.parent_id):
        raise errors.IndustryInvalid()
    try:
        with transaction.atomic():
            industry = Industry(community=community, parent=parent, code=code, name=name)
            industry.full_clean(validate_unique=False, validate_constraints=False)
            industry.save()
            audit_record(
                actor=actor,
                action="merchant.industry_create",
                target=industry,
                after=snapshot(industry),
            )
    except (ValidationError, IntegrityError) as exc:
        raise errors.IndustryInvalid() from exc
    return industry


# --- application and admission (A§3.1 准入规则) ---------------------------------------------


def application_submit(
    *,
    community: Community,
    applicant: Any,
    industry: Industry,
    business_name: str,
    licence_no: str,
    address: str,
    lat: Any,
    lng: Any,
    contact_phone: str,
    exclusivity_accepted: bool,
    join_waiting_list: bool = False,
) -> MerchantApplication:
    """Apply for an industry seat (A§2.2 1 km radius, A§3.1 one per trade, A§5 排他协议,
    B§3.2 black list). Nothing is posted until the committee admits. A seat that is held
    (or spoken for by its waiting list) refuses the application, naming the holder, unless
    the applicant asked to join the waiting list (`waitlist.py`)."""
    problems: dict[str, str] = {}
    values = {
        "business_name": _text(business_name, "business_name", problems),
        "licence_no": _text(licence_no, "licence_no", problems).upper(),
        "address": _text(address, "address", problems),
        "contact_phone": _text(contact_phone, "contact_phone", problems),
    }
    lat_value = _coordinate(lat, "lat", 90, problems)
    lng_value = _coordinate(lng, "lng", 180, problems)
    if problems:
        raise errors.ApplicationInvalid(fields=problems)
    if exclusivity_accepted is not True:
        raise errors.ExclusivityRequired()
    if industry.community_id != community.id:
        raise errors.IndustryInvalid()
    if industry.parent_id is None:
        raise errors.IndustryNotLeaf()
    far = distance_m(community.centre_lat, community.centre_lng, lat_value, lng_value)
    if far > community.radius_m:
        raise errors.AddressOutsideRadius(distance_m=far, radius_m=community.radius_m)
    licence = values["licence_no"]
    if BlacklistedLicence.objects.filter(community=community, licence_no=licence).exists():
        raise errors.LicenceBlacklisted()
    if _licence_in_use(community, licence):
        raise errors.LicenceReused()
    queue = _seat_taken(community, industry, join_waiting_list is True)
    with transaction.atomic():
        application = MerchantApplication.objects.create(
            community=community,
            applicant=applicant,
            industry=industry,
            lat=lat_value,
            lng=lng_value,
            exclusivity_accepted=True,
            status=ApplicationStatus.WAITING if queue else ApplicationStatus.PENDING,
            **values,
        )
        audit_record(
            actor=applicant,
            action="merchant.apply",
            target=application,
            after=snapshot(application),
        )
        if queue:
            waitlist_join(application=application, actor=applicant)
    return application


def _seat_taken(community: Community, industry: Industry, may_queue: bool) -> bool:
    """False: the seat is free to apply for. True: it is taken and the applicant queues.
    Otherwise the refusal names the holder (or the waiting list that holds the seat)."""
    holder = seat_holder(community=community, industry=industry)
    reserved = holder is None and seat_reserved(community=community, industry=industry)
    if holder is None and not reserved:
        return False
    if may_queue:
        return True
    if holder is not None:
        raise errors.IndustryTaken(holder=holder.name)
    raise errors.SeatQueued()


def _licence_in_use(community: Community, licence: str) -> bool:
    pending = MerchantApplication.objects.filter(
        community=community,
        licence_no=licence,
        status__in=[ApplicationStatus.PENDING, ApplicationStatus.WAITING],
    )
    seated = Merchant.objects.filter(
        community=community, licence_no=licence, status__in=SEAT_HOLDING
    )
    return pending.exists() or seated.exists()


def application_reject(*, application: MerchantApplication, actor: Any, note: str) -> None:
    """The committee turns an application down, with a reason the applicant sees."""
    with transaction.atomic():
        current = MerchantApplication.objects.select_for_update().get(pk=application.pk)
        if current.status != ApplicationStatus.PENDING:
            raise errors.ApplicationNotPending()
        before = snapshot(current)
        current.status = ApplicationStatus.REJECTED
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.decision_note = (note or "")[:500]
        current.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="merchant.reject",
            target=current,
            before=before,
            after=snapshot(current),
        )
        # An accepted seat offer turned down by the committee: the next in line gets it.
        seat_offer_next(community=current.community, industry=current.industry, actor=actor)


def merchant_admit(*, application: MerchantApplication, actor: Any) -> Merchant:
    """Admit an applicant (A§3.1): take the seat (the partial unique index decides a race),
    open its accounts, take the admission fee and the deposit paid at the counter.

    Ledger: journal `merchant_admission` = cash_in → merchant (fee + deposit), merchant →
    fee_escrow (fee; recognised to platform revenue month by month, `merchant_fees_recognise`);
    then the deposit as a hold merchant → deposit_escrow with no expiry (A§3.3 平台托管).
    """
    community = application.community
    policy = policy_in_force(community=community)
    fee_fen, deposit_fen = policy.merchant_annual_fee_fen, policy.merchant_deposit_fen
    with transaction.atomic():
        current = MerchantApplication.objects.select_for_update().get(pk=application.pk)
        if current.status != ApplicationStatus.PENDING:
            raise errors.ApplicationNotPending()
        holder = seat_holder(community=community, industry=current.industry)
        if holder is not None:
            raise errors.IndustryTaken(holder=holder.name)
        if _offered_to_someone_else(current):
            raise errors.SeatQueued()
        merchant = _seat_take(current, fee_fen, deposit_fen)
        before = snapshot(current)
        current.status = ApplicationStatus.ADMITTED
        current.decided_by = actor
        current.decided_at = merchant.admitted_at
        current.save(update_fields=["status", "decided_by", "decided_at"])
        MerchantStaff.objects.create(
            community=community, merchant=merchant, user=current.applicant, role=StaffRole.OWNER
        )
        role_grant(
            user=current.applicant, community=community, role=Role.MERCHANT_OWNER, actor=actor
        )
        _admission_post(merchant, fee_fen, deposit_fen, actor, policy)
        audit_record(
            actor=actor,
            action="merchant.admit",
            target=current,
            before=before,
            after=snapshot(current),
        )
        audit_record(
            actor=actor, action="merchant.seat_open", target=merchant, after=snapshot(merchant)
        )
    return merchant


def _offered_to_someone_else(application: MerchantApplication) -> bool:
    """While the seat is offered to the first in line, nobody else may be admitted to it."""
    return (
        WaitingListEntry.objects.filter(
            community=application.community,
            industry=application.industry,
            status=WaitStatus.OFFERED,
        )
        .exclude(application=application)
        .exists()
    )


def _seat_take(application: MerchantApplication, fee_fen: int, deposit_fen: int) -> Merchant:
    try:
        with transaction.atomic():
            return Merchant.objects.create(
                community=application.community,
                application=application,
                industry=application.industry,
                owner=application.applicant,
                name=application.business_name,
                licence_no=application.licence_no,
                address=application.address,
                annual_fee_fen=fee_fen,
                deposit_required_fen=deposit_fen,
            )
    except IntegrityError as exc:
        # A concurrent admission took the seat (or the licence) since the check above.
        if "licence" in str(exc):
            raise errors.LicenceReused() from exc
        holder = Merchant.objects.filter(
            community=application.community,
            industry=application.industry,
            status__in=SEAT_HOLDING,
        ).first()
        raise errors.IndustryTaken(holder=holder.name if holder else "?") from exc


def _admission_post(
    merchant: Merchant, fee_fen: int, deposit_fen: int, actor: Any, policy: Any
) -> None:
    community = merchant.community
    chart = chart_ensure(community=community)
    cny = account_open(
        community=community,
        kind=AccountKind.MERCHANT,
        asset="CNY",
        owner_type=MERCHANT_OWNER_TYPE,
        owner_id=merchant.id,
        name=merchant.name[:100],
    )
    account_open(
        community=community,
        kind=AccountKind.MERCHANT,
        asset="TIME",
        owner_type=MERCHANT_OWNER_TYPE,
        owner_id=merchant.id,
        name=merchant.name[:100],
    )
    legs = []
    if fee_fen + deposit_fen > 0:
        legs.append(Leg(chart[(AccountKind.CASH_IN, "CNY")].id, cny.id, fee_fen + deposit_fen))
    if fee_fen > 0:
        legs.append(Leg(cny.id, chart[(AccountKind.FEE_ESCROW, "CNY")].id, fee_fen))
    if legs:
        journal_post(
            community=community,
            code="merchant_admission",
            legs=legs,
            actor=actor,
            policy=policy,
            idempotency_key=f"merchant-admission:{merchant.application_id}",
            memo="merchant admission fee and deposit",
        )
    if deposit_fen > 0:
        _deposit_hold(
            merchant,
            cny.id,
            deposit_fen,
            f"merchant-deposit:{merchant.application_id}",
            actor,
            policy,
        )


def _deposit_hold(
    merchant: Merchant, cny_id: int, amount_fen: int, key: str, actor: Any, policy: Any
) -> DepositHold:
    chart = chart_ensure(community=merchant.community)
    posted = hold_create(
        community=merchant.community,
        debit_account_id=cny_id,
        credit_account_id=chart[(AccountKind.DEPOSIT_ESCROW, "CNY")].id,
        amount=amount_fen,
        expires_at=None,
        code="merchant_deposit",
        idempotency_key=key,
        actor=actor,
        policy=policy,
        memo="merchant deposit",
    )
    return DepositHold.objects.create(
        community=merchant.community,
        merchant=merchant,
        transfer_id=posted.transfer_ids[0],
        amount_fen=amount_fen,
    )


# --- staff --------------------------------------------------------------------------------


def staff_add(*, merchant: Merchant, username: str, password: str, actor: Any) -> MerchantStaff:
    """The owner gives a cashier their own login with fewer rights (sale.record only)."""
    if not merchant.holds_seat:
        raise errors.MerchantInactive()
    user_model = get_user_model()
    username = username.strip() if isinstance(username, str) else ""
    if not username or len(username) > 150 or not isinstance(password, str):
        raise errors.StaffInvalid()
    try:
        user_model.username_validator(username)
        validate_password(password)
    except ValidationError as exc:
        raise errors.StaffInvalid(fields=[str(m) for m in exc.messages]) from exc
    if user_model.objects.filter(username=username).exists():
        raise errors.UsernameTaken(username=username)
    with transaction.atomic():
        user = user_model.objects.create_user(username=username, password=password)
        staff = MerchantStaff.objects.create(
            community=merchant.community, merchant=merchant, user=user, role=StaffRole.CASHIER
        )
        role_grant(user=user, community=merchant.community, role=Role.CASHIER, actor=actor)
        audit_record(actor=actor, action="merchant.staff_add", target=staff, after=snapshot(staff))
    return staff


# --- the deposit -----------------------------------------------------------------------------


def deposit_top_up(
    *, merchant: Merchant, amount_fen: int, idempotency_key: str, actor: Any
) -> DepositHold:
    """Cash paid at the counter back into the deposit (A§3.3): cash_in → merchant, then a
    new hold merchant → deposit escrow. Clears the top-up deadline once the deposit is whole
    and lifts a suspension that was only for the deposit."""
    amount_fen = _amount(amount_fen)
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 80:
        raise errors.AmountInvalid()
    policy = policy_in_force(community=merchant.community)
    with transaction.atomic():
        current = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if not current.holds_seat:
            raise errors.MerchantInactive()
        if amount_fen > deposit_shortfall_fen(merchant=current):
            raise errors.AmountInvalid()
        chart = chart_ensure(community=current.community)
        cny = account_open(
            community=current.community,
            kind=AccountKind.MERCHANT,
            asset="CNY",
            owner_type=MERCHANT_OWNER_TYPE,
            owner_id=current.id,
        )
        journal_post(
            community=current.community,
            code="merchant_deposit_cash",
            legs=[Leg(chart[(AccountKind.CASH_IN, "CNY")].id, cny.id, amount_fen)],
            idempotency_key=f"merchant-top-up-cash:{current.id}:{idempotency_key}",
            actor=actor,
            policy=policy,
            memo="deposit top-up paid at the counter",
        )
        hold = _deposit_hold(
            current,
            cny.id,
            amount_fen,
            f"merchant-top-up:{current.id}:{idempotency_key}",
            actor,
            policy,
        )
        before = snapshot(current)
        if deposit_shortfall_fen(merchant=current) == 0:
            current.top_up_due_at = None
            if current.status == "suspended" and current.suspended_reason == "deposit":
                current.status = "active"
                current.suspended_reason = ""
            current.save(update_fields=["top_up_due_at", "status", "suspended_reason"])
        audit_record(
            actor=actor,
            action="merchant.deposit_top_up",
            target=current,
            before=before,
            after={**snapshot(current), "amount_fen": amount_fen},
        )
    return hold


def merchant_fees_recognise(*, now: datetime | None = None) -> int:
    """Recognise each admission fee as platform revenue over its year, one twelfth a month
    (the first twelfth on admission; the last month takes what the integer division left):
    fee_escrow → platform_revenue. Idempotent: keys name the merchant and the month."""
    now = now or timezone.now()
    posted = 0
    for merchant in Merchant.objects.filter(
        fee_months_recognised__lt=MONTHS_PER_FEE_YEAR, annual_fee_fen__gt=0
    ).select_related("community"):
        due = min(MONTHS_PER_FEE_YEAR, _months_between(merchant.admitted_at, now) + 1)
        if due <= merchant.fee_months_recognised:
            continue
        chart = chart_ensure(community=merchant.community)
        with transaction.atomic():
            current = Merchant.objects.select_for_update().get(pk=merchant.pk)
            for month in range(current.fee_months_recognised + 1, due + 1):
                share = (current.annual_fee_fen * month) // MONTHS_PER_FEE_YEAR - (
                    current.annual_fee_fen * (month - 1)
                ) // MONTHS_PER_FEE_YEAR
                if share > 0:
                    journal_post(
                        community=current.community,
                        code="merchant_fee_recognise",
                        legs=[
                            Leg(
                                chart[(AccountKind.FEE_ESCROW, "CNY")].id,
                                chart[(AccountKind.PLATFORM_REVENUE, "CNY")].id,
                                share,
                            )
                        ],
                        idempotency_key=f"merchant-fee:{current.id}:{month}",
                        memo="merchant admission fee, monthly share",
                    )
                    posted += 1
            current.fee_months_recognised = due
            current.save(update_fields=["fee_months_recognised"])
    return posted


def _months_between(start: datetime, end: datetime) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    if (end.day, end.time()) < (start.day, start.time()):
        months -= 1
    return max(0, months)


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


# --- leaving the alliance (SPEC "Merchant exit": 30 days' notice, settle, return) ----------


def merchant_exit_request(*, merchant: Merchant, actor: Any, reason: str = "") -> Merchant:
    """Give notice: members get the policy's notice period (≥ 30 days) before the seat
    closes; the seat stays held (EXITING) so nobody else takes it meanwhile. `reason` is
    given when an operator records the notice on the shop's behalf (audited with it)."""
    policy = policy_in_force(community=merchant.community)
    with transaction.atomic():
        current = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if current.status == MerchantStatus.EXITING and current.exit_effective_at is not None:
            raise errors.ExitAlreadyGiven(on=day_label(current.exit_effective_at))
        if current.status not in (MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED):
            raise errors.MerchantInactive()
        before = snapshot(current)
        now = timezone.now()
        current.status = MerchantStatus.EXITING
        current.exit_requested_at = now
        current.exit_effective_at = now + timedelta(days=policy.merchant_exit_notice_days)
        current.save(update_fields=["status", "exit_requested_at", "exit_effective_at"])
        ran = merchant_exit_hooks(merchant=current, phase="notice", actor=actor)
        audit_record(
            actor=actor,
            action="merchant.exit_request",
            target=current,
            before=before,
            after={**snapshot(current), "hooks": ran, **({"reason": reason} if reason else {})},
        )
    return current


def merchant_exit_withdraw(*, merchant: Merchant, actor: Any) -> Merchant:
    """Take the notice back before the seat closes: the shop is as it was (suspended again
    if it was suspended), the committee and the members told of the leaving are told it
    stays. The exit hooks' "withdraw" phase switches back on the coupons and campaigns the
    notice switched off; flash sales it closed stay closed (published again by hand)."""
    with transaction.atomic():
        current = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if current.status != MerchantStatus.EXITING:
            raise errors.ExitNotGiven()
        before = snapshot(current)
        requested_at = current.exit_requested_at
        current.status = (
            MerchantStatus.SUSPENDED if current.suspended_reason else MerchantStatus.ACTIVE
        )
        current.exit_requested_at = None
        current.exit_effective_at = None
        current.save(update_fields=["status", "exit_requested_at", "exit_effective_at"])
        told = exit_withdrawn_notify(merchant=current, since=requested_at)
        ran = merchant_exit_hooks(merchant=current, phase="withdraw", actor=actor)
        audit_record(
            actor=actor,
            action="merchant.exit_withdraw",
            target=current,
            before=before,
            after={**snapshot(current), "told": told, "hooks": ran},
        )
    return current


def merchant_exit_complete(
    *, merchant: Merchant, actor: Any, now: datetime | None = None
) -> Merchant:
    """Close the seat after the notice period: nothing may be unsettled (open complaints,
    compensation debts, and whatever the exit hooks settle — coupons once they exist),
    then the deposit is returned through the ledger: every open hold voided, the
    merchant's CNY balance paid out (→ cash_out). The first in the trade's waiting list
    is then offered the seat."""
    from linli.merchants.models import Complaint, ComplaintStatus

    now = now or timezone.now()
    with transaction.atomic():
        current = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if current.status != MerchantStatus.EXITING or current.exit_effective_at is None:
            raise errors.MerchantInactive()
        if now < current.exit_effective_at:
            raise errors.ExitBlocked(reason="the notice period has not ended")
        open_complaints = Complaint.objects.filter(
            merchant=current, status__in=[ComplaintStatus.OPEN, ComplaintStatus.ANSWERED]
        )
        if open_complaints.exists():
            raise errors.ExitBlocked(reason="complaints are still open")
        before = snapshot(current)
        returned, ran = seat_close(
            merchant=current, status=MerchantStatus.EXITED, actor=actor, now=now
        )
        audit_record(
            actor=actor,
            action="merchant.exit_complete",
            target=current,
            before=before,
            after={**snapshot(current), "returned_fen": returned, "hooks": ran},
        )
        seat_offer_next(community=current.community, industry=current.industry, actor=actor)
    return current


def seat_close(
    *, merchant: Merchant, status: str, actor: Any, now: datetime, allow_owing: bool = False
) -> tuple[int, list[str]]:
    """The closing steps every way out shares (a notice run out, a committee removal),
    inside the caller's transaction on the locked merchant row: the deposit holds are
    released, the exit hooks settle what is open (coupons), debts are repaid from the
    deposit and the rest is paid out (`deposit_return_all`; a removal may leave a debt
    recorded), staff lose their roles, the seat closes. Returns (fen returned, hooks)."""
    merchant_exit_hooks(merchant=merchant, phase="prepare", actor=actor)
    deposit_holds_release(merchant=merchant, actor=actor)
    ran = merchant_exit_hooks(merchant=merchant, phase="settle", actor=actor)
    returned = deposit_return_all(merchant=merchant, actor=actor, allow_owing=allow_owing)
    staff_release(merchant=merchant, actor=actor)
    merchant.status = status
    merchant.closed_at = now
    merchant.save(update_fields=["status", "closed_at"])
    return returned, ran


def exit_notice_at_once(*, merchant: Merchant, actor: Any, now: datetime) -> list[str]:
    """A removal has no notice period: the notice steps run at once, with the leaving day
    today (members are told the shop has left, its offers end). A shop already serving
    its notice has had them. Returns the hooks that ran."""
    if merchant.status == MerchantStatus.EXITING:
        return []
    merchant.exit_requested_at = now
    merchant.exit_effective_at = now
    merchant.save(update_fields=["exit_requested_at", "exit_effective_at"])
    return merchant_exit_hooks(merchant=merchant, phase="notice", actor=actor)


def merchant_exits_complete_due(*, now: datetime | None = None) -> int:
    """Close every seat whose notice period is over (a daily job). One that cannot close
    yet (an open complaint, a debt the deposit cannot repay, a hook that refuses) stays
    EXITING and is tried again the next day; the owner's leave page shows why."""
    from linli.errors import DomainError

    now = now or timezone.now()
    closed = 0
    for merchant in Merchant.objects.filter(
        status=MerchantStatus.EXITING, exit_effective_at__lte=now
    ):
        try:
            merchant_exit_complete(merchant=merchant, actor=None, now=now)
        except DomainError:
            continue
        closed += 1
    return closed


def staff_release(*, merchant: Merchant, actor: Any) -> None:
    """When a seat closes, its logins lose their merchant rights (owner and cashier roles)."""
    from linli.communities.services import role_revoke

    for job in MerchantStaff.objects.filter(merchant=merchant, is_active=True):
        job.is_active = False
        job.save(update_fields=["is_active"])
        role = Role.MERCHANT_OWNER if job.role == StaffRole.OWNER else Role.CASHIER
        still_working = MerchantStaff.objects.filter(
            user=job.user, community=merchant.community, is_active=True, role=job.role
        ).exists()
        if not still_working:
            role_revoke(user=job.user, community=merchant.community, role=role, actor=actor)


def deposit_holds_release(*, merchant: Merchant, actor: Any) -> int:
    """Void the seat's open deposit holds (at its closing), so what they held is in the
    merchant's free balance for the exit hooks' settlements and the return. Returns fen."""
    from linli.ledger.services import hold_void

    released = 0
    for hold in DepositHold.objects.select_for_update().filter(
        merchant=merchant, status=HoldStatus.OPEN
    ):
        hold_void(
            community=merchant.community,
            hold_id=hold.transfer_id,
            code="merchant_deposit_return",
            idempotency_key=f"merchant-deposit-return:{hold.id}",
            actor=actor,
        )
        hold.status = HoldStatus.CLOSED
        hold.closed_at = timezone.now()
        hold.save(update_fields=["status", "closed_at"])
        released += hold.amount_fen
    return released


def deposit_return_all(*, merchant: Merchant, actor: Any, allow_owing: bool = False) -> int:
    """Void every open deposit hold, repay compensation debts from what is freed (the
    subsidy account's advance, oldest debt first, whole debts only), and pay the rest of
    the merchant's CNY balance back out. A debt still open afterwards blocks a voluntary
    exit (`DebtOutstanding`); a removal (`allow_owing`) goes ahead and the debt stays
    recorded."""
    from linli.ledger.models import Account

    deposit_holds_release(merchant=merchant, actor=actor)
    account = Account.objects.filter(
        community=merchant.community,
        kind=AccountKind.MERCHANT,
        asset_id="CNY",
        owner_type=MERCHANT_OWNER_TYPE,
        owner_id=merchant.id,
    ).first()
    if account is None:
        return 0
    account.refresh_from_db()
    balance = account.credits_posted - account.debits_posted - account.debits_pending
    balance -= _debts_offset(merchant, account.id, balance, actor)
    owed = debt_open_fen(merchant=merchant)
    if owed and not allow_owing:
        raise errors.DebtOutstanding(owed_fen=owed)
    if balance > 0:
        chart = chart_ensure(community=merchant.community)
        journal_post(
            community=merchant.community,
            code="merchant_deposit_return",
            legs=[Leg(account.id, chart[(AccountKind.CASH_OUT, "CNY")].id, balance)],
            idempotency_key=f"merchant-cash-return:{merchant.id}",
            actor=actor,
            memo="deposit and balance returned to the leaving merchant",
        )
    return balance


def _debts_offset(merchant: Merchant, account_id: int, balance: int, actor: Any) -> int:
    """Repay open debts, oldest first, from a leaving merchant's freed balance."""
    paid = 0
    chart = chart_ensure(community=merchant.community)
    for debt in MerchantDebt.objects.select_for_update().filter(
        merchant=merchant, settled_at__isnull=True
    ):
        if debt.amount_fen > balance - paid:
            break
        posted = journal_post(
            community=merchant.community,
            code="merchant_debt_offset",
            legs=[Leg(account_id, chart[(AccountKind.SUBSIDY, "CNY")].id, debt.amount_fen)],
            idempotency_key=f"merchant-debt-offset:{debt.id}",
            actor=actor,
            memo="compensation debt repaid from the returned deposit",
            external_ref=f"merchant-debt:{merchant.id}",
        )
        debt.settled_at = timezone.now()
        debt.settle_journal_id = posted.journal_id
        debt.save(update_fields=["settled_at", "settle_journal_id"])
        paid += debt.amount_fen
    return paid
