"""Services of trust (A§3.3 信任机制, B§3.2 红黑榜): complaints paid first from the deposit,
the top-up deadline and suspension, ratings, violations fined in time coins, the red list.

Same rules as `services.py`: keyword-only, one transaction each, audited; ledger writes
only through `linli.ledger.services`.
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.commerce.models import SaleStatus
from linli.communities.audit import audit_record, snapshot
from linli.communities.selectors import policy_in_force
from linli.ledger.models import AccountKind
from linli.ledger.services import Leg, chart_ensure, hold_post, journal_post
from linli.merchants import errors
from linli.merchants.models import (
    BlacklistedLicence,
    Complaint,
    ComplaintStatus,
    DepositHold,
    Hearing,
    HoldStatus,
    Merchant,
    MerchantDebt,
    MerchantStatus,
    Rating,
    Violation,
)
from linli.merchants.selectors import (
    complaint_rate_bp,
    deposit_held_fen,
    member_sale_at,
    merchant_account,
)
from linli.merchants.services import exit_notice_at_once, seat_close
from linli.merchants.waitlist import seat_offer_next

TEXT_MAX = 2000
# The largest award one complaint can carry: the largest sale a till accepts (100 000 CNY).
MAX_COMPENSATION_FEN = 10_000_000


def _text(value: Any, limit: int = TEXT_MAX) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > limit or "\x00" in text:
        raise errors.ApplicationInvalid(fields={"text": f"required, at most {limit} characters"})
    return text


def _member_sale(merchant: Merchant, user: Any, sale_journal_id: Any) -> Any:
    """The member's own commerce sale at this merchant named by its journal id, or
    `SaleNotFound` (not a uuid, another member's sale, another shop's or community's)."""
    try:
        journal_id = uuid.UUID(str(sale_journal_id))
    except ValueError as exc:
        raise errors.SaleNotFound() from exc
    sale = member_sale_at(merchant=merchant, user=user, journal_id=journal_id)
    if sale is None:
        raise errors.SaleNotFound()
    return sale


def _complained_sale_id(merchant: Merchant, user: Any, sale_journal_id: Any) -> uuid.UUID | None:
    """A complaint may name the sale (optional). An undone sale did not happen; a refunded
    one did, and the member may still complain about it (docs/merchants.md)."""
    if sale_journal_id in (None, ""):
        return None
    sale = _member_sale(merchant, user, sale_journal_id)
    if sale.status == SaleStatus.UNDONE:
        raise errors.SaleUndone()
    return sale.journal_id


def _rated_sale_id(merchant: Merchant, user: Any, sale_journal_id: Any) -> uuid.UUID:
    """A rating needs the member's own sale, neither undone nor refunded in full."""
    sale = _member_sale(merchant, user, sale_journal_id)
    if sale.status == SaleStatus.UNDONE:
        raise errors.SaleUndone()
    if sale.status == SaleStatus.REFUNDED:
        raise errors.SaleRefunded()
    return sale.journal_id


# --- complaints -------------------------------------------------------------------------------


def complaint_file(
    *, merchant: Merchant, complainant: Any, text: str, sale_journal_id: Any = None
) -> Complaint:
    """A member complains about a merchant, linked to the sale when there is one (A§3.3)."""
    if not merchant.holds_seat:
        raise errors.MerchantInactive()
    body = _text(text)
    sale = _complained_sale_id(merchant, complainant, sale_journal_id)
    with transaction.atomic():
        complaint = Complaint.objects.create(
            community=merchant.community,
            merchant=merchant,
            complainant=complainant,
            text=body,
            sale_journal_id=sale,
        )
        audit_record(actor=complainant, action="merchant.complaint_file", target=complaint)
    return complaint


def complaint_answer(*, complaint: Complaint, answer: str, actor: Any) -> Complaint:
    """The merchant's side of the story, before an operator or the chair decides."""
    body = _text(answer)
    with transaction.atomic():
        current = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if current.status not in (ComplaintStatus.OPEN, ComplaintStatus.ANSWERED):
            raise errors.ComplaintNotOpen()
        current.answer = body
        current.status = ComplaintStatus.ANSWERED
        current.answered_at = timezone.now()
        current.save(update_fields=["answer", "status", "answered_at"])
        audit_record(actor=actor, action="merchant.complaint_answer", target=current)
    return current


def complaint_decide(
    *, complaint: Complaint, verified: bool, compensation_fen: int, actor: Any
) -> Complaint:
    """Verify or dismiss a complaint; a verified one is compensated first from the deposit
    (A§3.3 投诉核实后先行赔付): each open deposit hold is posted in part
    (`keep_rest_held`: the rest stays held in the same journal) into deposit escrow, and
    escrow pays the member out in cash (deposit_escrow → cash_out). Compensation from the
    deposit can never exceed what it holds; the merchant then has the policy's
    `merchant_deposit_top_up_days` to top up.
    An award larger than the deposit: see `_compensate_beyond_deposit`."""
    if isinstance(compensation_fen, bool) or not isinstance(compensation_fen, int):
        raise errors.AmountInvalid()
    if compensation_fen < 0 or compensation_fen > MAX_COMPENSATION_FEN:
        raise errors.AmountInvalid()
    if not verified and compensation_fen:
        raise errors.AmountInvalid()
    policy = policy_in_force(community=complaint.community)
    with transaction.atomic():
        merchant = Merchant.objects.select_for_update().get(pk=complaint.merchant_id)
        current = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if current.status not in (ComplaintStatus.OPEN, ComplaintStatus.ANSWERED):
            raise errors.ComplaintNotOpen()
        before = snapshot(current)
        from_deposit = min(compensation_fen, deposit_held_fen(merchant=merchant))
        if from_deposit:
            _compensate(merchant, current, from_deposit, actor, policy)
            merchant.top_up_due_at = timezone.now() + timedelta(
                days=policy.merchant_deposit_top_up_days
            )
            merchant.save(update_fields=["top_up_due_at"])
        if compensation_fen > from_deposit:
            _compensate_beyond_deposit(
                merchant, current, compensation_fen - from_deposit, actor, policy
            )
        current.status = ComplaintStatus.VERIFIED if verified else ComplaintStatus.DISMISSED
        current.compensation_fen = compensation_fen
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.save(update_fields=["status", "compensation_fen", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="merchant.complaint_decide",
            target=current,
            before=before,
            after=snapshot(current),
        )
    return current


def _compensate(
    merchant: Merchant, complaint: Complaint, amount_fen: int, actor: Any, policy: Any
) -> None:
    remaining = amount_fen
    holds = DepositHold.objects.select_for_update().filter(
        merchant=merchant, status=HoldStatus.OPEN
    )
    for hold in holds.order_by("id"):
        if remaining == 0:
            break
        take = min(remaining, hold.amount_fen)
        posted = hold_post(
            community=merchant.community,
            hold_id=hold.transfer_id,
            amount=take,
            keep_rest_held=take < hold.amount_fen,
            code="merchant_compensation_deposit",
            idempotency_key=f"complaint-deposit:{complaint.id}:{hold.id}",
            actor=actor,
            policy=policy,
            memo="complaint compensation taken from the deposit",
        )
        hold.status = HoldStatus.CLOSED
        hold.closed_at = timezone.now()
        hold.save(update_fields=["status", "closed_at"])
        if take < hold.amount_fen:
            DepositHold.objects.create(
                community=merchant.community,
                merchant=merchant,
                transfer_id=posted.transfer_ids[1],
                amount_fen=hold.amount_fen - take,
            )
        remaining -= take
    chart = chart_ensure(community=merchant.community)
    journal_post(
        community=merchant.community,
        code="merchant_compensation",
        legs=[
            Leg(
                chart[(AccountKind.DEPOSIT_ESCROW, "CNY")].id,
                chart[(AccountKind.CASH_OUT, "CNY")].id,
                amount_fen,
            )
        ],
        idempotency_key=f"complaint-pay:{complaint.id}",
        actor=actor,
        policy=policy,
        memo="complaint compensation paid to the member",
        external_ref=f"complaint:{complaint.id}",
    )


def _compensate_beyond_deposit(
    merchant: Merchant, complaint: Complaint, amount_fen: int, actor: Any, policy: Any
) -> None:
    """The part of an award the deposit could not pay: first from the merchant's own free
    CNY balance (its account refuses to go below zero, so only what is available), the
    rest advanced to the member by the platform's subsidy account and recorded as the
    merchant's debt (`MerchantDebt`, the receivable: the ledger has no receivable kind,
    so the advance journal's external_ref names the debt). A merchant in debt is
    suspended until `debt_settle` repays the subsidy account."""
    chart = chart_ensure(community=merchant.community)
    cash_out = chart[(AccountKind.CASH_OUT, "CNY")].id
    account = merchant_account(merchant=merchant, asset="CNY")
    available = 0
    if account is not None:
        available = max(0, account.credits_posted - account.debits_posted - account.debits_pending)
    from_balance = min(amount_fen, available)
    if account is not None and from_balance:
        journal_post(
            community=merchant.community,
            code="merchant_compensation_balance",
            legs=[Leg(account.id, cash_out, from_balance)],
            idempotency_key=f"complaint-balance:{complaint.id}",
            actor=actor,
            policy=policy,
            memo="complaint compensation beyond the deposit, from the merchant's balance",
            external_ref=f"complaint:{complaint.id}",
        )
    owed = amount_fen - from_balance
    if owed == 0:
        return
    advance = journal_post(
        community=merchant.community,
        code="merchant_compensation_advance",
        legs=[Leg(chart[(AccountKind.SUBSIDY, "CNY")].id, cash_out, owed)],
        idempotency_key=f"complaint-advance:{complaint.id}",
        actor=actor,
        policy=policy,
        memo="complaint compensation advanced by the platform; the merchant owes it",
        external_ref=f"merchant-debt:complaint:{complaint.id}",
    )
    debt = MerchantDebt.objects.create(
        community=merchant.community,
        merchant=merchant,
        complaint=complaint,
        amount_fen=owed,
        advance_journal_id=advance.journal_id,
    )
    before = snapshot(merchant)
    if merchant.status in (MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED):
        merchant.status = MerchantStatus.SUSPENDED
        merchant.suspended_reason = "debt"
        merchant.save(update_fields=["status", "suspended_reason"])
    audit_record(
        actor=actor,
        action="merchant.debt_record",
        target=merchant,
        before=before,
        after={**snapshot(merchant), "debt_id": debt.id, "owed_fen": owed},
    )


def debt_settle(*, merchant: Merchant, idempotency_key: str, actor: Any) -> int:
    """The merchant pays what it owes at the counter: cash_in → merchant → subsidy (the
    platform's advance repaid) in one journal; every open debt is settled and a suspension
    for debt is lifted (to a deposit suspension if the top-up deadline has also passed).
    Returns the fen settled."""
    if not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key) <= 80:
        raise errors.AmountInvalid()
    policy = policy_in_force(community=merchant.community)
    with transaction.atomic():
        current = Merchant.objects.select_for_update().get(pk=merchant.pk)
        debts = list(
            MerchantDebt.objects.select_for_update().filter(
                merchant=current, settled_at__isnull=True
            )
        )
        owed = sum(d.amount_fen for d in debts)
        if not owed:
            raise errors.NoDebt()
        chart = chart_ensure(community=current.community)
        cny = merchant_account(merchant=current, asset="CNY")
        if cny is None:
            raise errors.MerchantInactive()
        posted = journal_post(
            community=current.community,
            code="merchant_debt_settle",
            legs=[
                Leg(chart[(AccountKind.CASH_IN, "CNY")].id, cny.id, owed),
                Leg(cny.id, chart[(AccountKind.SUBSIDY, "CNY")].id, owed),
            ],
            idempotency_key=f"merchant-debt:{current.id}:{idempotency_key}",
            actor=actor,
            policy=policy,
            memo="compensation debt paid at the counter",
            external_ref=f"merchant-debt:{current.id}",
        )
        now = timezone.now()
        for debt in debts:
            debt.settled_at = now
            debt.settle_journal_id = posted.journal_id
            debt.save(update_fields=["settled_at", "settle_journal_id"])
        before = snapshot(current)
        if current.status == MerchantStatus.SUSPENDED and current.suspended_reason == "debt":
            deposit_late = current.top_up_due_at is not None and current.top_up_due_at <= now
            if deposit_late and deposit_held_fen(merchant=current) < current.deposit_required_fen:
                current.suspended_reason = "deposit"
            else:
                current.status = MerchantStatus.ACTIVE
                current.suspended_reason = ""
            current.save(update_fields=["status", "suspended_reason"])
        audit_record(
            actor=actor,
            action="merchant.debt_settle",
            target=current,
            before=before,
            after={**snapshot(current), "settled_fen": owed},
        )
    return owed


def deposits_enforce(*, now: datetime | None = None) -> int:
    """Suspend merchants whose deposit is still short after the top-up deadline (a job)."""
    now = now or timezone.now()
    suspended = 0
    due = Merchant.objects.filter(status=MerchantStatus.ACTIVE, top_up_due_at__lte=now)
    for merchant in due:
        with transaction.atomic():
            current = Merchant.objects.select_for_update().get(pk=merchant.pk)
            if current.status != MerchantStatus.ACTIVE or current.top_up_due_at is None:
                continue
            if deposit_held_fen(merchant=current) >= current.deposit_required_fen:
                continue
            before = snapshot(current)
            current.status = MerchantStatus.SUSPENDED
            current.suspended_reason = "deposit"
            current.save(update_fields=["status", "suspended_reason"])
            audit_record(
                actor=None,
                action="merchant.suspend",
                target=current,
                before=before,
                after=snapshot(current),
            )
            suspended += 1
    return suspended


# --- ratings ---------------------------------------------------------------------------------


def rating_create(
    *, merchant: Merchant, rater: Any, sale_journal_id: Any, stars: int, comment: str = ""
) -> Rating:
    """1–5 stars after a sale or service, optional comment, one per sale."""
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise errors.AmountInvalid()
    comment = comment.strip() if isinstance(comment, str) else ""
    if len(comment) > 500 or "\x00" in comment:
        raise errors.ApplicationInvalid(fields={"comment": "at most 500 characters"})
    sale = _rated_sale_id(merchant, rater, sale_journal_id)
    try:
        with transaction.atomic():
            return Rating.objects.create(
                community=merchant.community,
                merchant=merchant,
                rater=rater,
                sale_journal_id=sale,
                stars=stars,
                comment=comment,
            )
    except IntegrityError as exc:
        raise errors.RatingDuplicate() from exc


# --- violations (A§3.1 违规扣罚时间币并公示) -------------------------------------------------


def violation_record(
    *, merchant: Merchant, description: str, evidence: str, fine_units: int, actor: Any
) -> Violation:
    """The committee records a violation with its evidence and fines the merchant in time
    coins (1/100 coin units): merchant TIME → community fund TIME. Published on the public
    page. A fine larger than the merchant's coins is refused (`insufficient_funds`)."""
    if isinstance(fine_units, bool) or not isinstance(fine_units, int) or fine_units < 0:
        raise errors.AmountInvalid()
    if fine_units > 10**13:
        raise errors.AmountInvalid()
    what = _text(description, 500)
    proof = _text(evidence, 4000)
    policy = policy_in_force(community=merchant.community)
    with transaction.atomic():
        violation = Violation.objects.create(
            community=merchant.community,
            merchant=merchant,
            description=what,
            evidence=proof,
            fine_units=fine_units,
            recorded_by=actor,
        )
        if fine_units:
            coins = merchant_account(merchant=merchant, asset="TIME")
            chart = chart_ensure(community=merchant.community)
            if coins is None:
                raise errors.MerchantInactive()
            posted = journal_post(
                community=merchant.community,
                code="merchant_fine",
                legs=[Leg(coins.id, chart[(AccountKind.COMMUNITY_FUND, "TIME")].id, fine_units)],
                idempotency_key=f"merchant-fine:{violation.id}",
                actor=actor,
                policy=policy,
                memo="violation fine to the community fund",
                external_ref=f"violation:{violation.id}",
            )
            violation.journal_id = posted.journal_id
            violation.save(update_fields=["journal_id"])
        audit_record(
            actor=actor,
            action="merchant.violation_record",
            target=violation,
            after=snapshot(violation),
        )
    return violation


# --- the red and black lists (B§3.2) ------------------------------------------------------------


def red_list_review(*, now: datetime | None = None) -> int:
    """Put merchants whose complaint rate is above the policy's line on the public red list
    and open a hearing (a job). "Then out": the committee decides the hearing
    (`scoring.hearing_decide`); a red-list removal black-lists the licence."""
    now = now or timezone.now()
    listed = 0
    for merchant in Merchant.objects.filter(
        status__in=[MerchantStatus.ACTIVE, MerchantStatus.SUSPENDED], red_listed_at__isnull=True
    ).select_related("community"):
        rate = complaint_rate_bp(merchant=merchant, now=now)
        policy = policy_in_force(community=merchant.community)
        if rate is None or rate <= policy.complaint_rate_red_bp:
            continue
        with transaction.atomic():
            Merchant.objects.filter(pk=merchant.pk).update(red_listed_at=now)
            audit_record(
                actor=None,
                action="merchant.red_list",
                target=merchant,
                after={"complaint_rate_bp": rate},
            )
            hearing, _created = Hearing.objects.get_or_create(
                community=merchant.community, merchant=merchant, reason="red_list", quarter=""
            )
            audit_record(actor=None, action="merchant.hearing_open", target=hearing)
        listed += 1
    return listed


def merchant_remove(*, merchant: Merchant, reason: str, blacklist: bool, actor: Any) -> Merchant:
    """After a hearing, the committee removes a merchant; its seat reopens for applications
    and, for a black-listing, its licence may never apply again. Open complaints must be
    decided first. The removal takes the steps of every exit without the notice period
    (`services.exit_notice_at_once`, then `services.seat_close`): members are told, offers
    end, coupons are settled, the deposit is returned through the ledger — a debt it cannot
    repay stays recorded rather than blocking the removal."""
    why = _text(reason, 500)
    now = timezone.now()
    with transaction.atomic():
        current = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if not current.holds_seat:
            raise errors.MerchantInactive()
        if Complaint.objects.filter(
            merchant=current, status__in=[ComplaintStatus.OPEN, ComplaintStatus.ANSWERED]
        ).exists():
            raise errors.ExitBlocked(reason="complaints are still open")
        before = snapshot(current)
        noticed = exit_notice_at_once(merchant=current, actor=actor, now=now)
        returned, settled = seat_close(
            merchant=current, status=MerchantStatus.REMOVED, actor=actor, now=now, allow_owing=True
        )
        if blacklist:
            BlacklistedLicence.objects.get_or_create(
                community=current.community,
                licence_no=current.licence_no,
                defaults={"reason": why},
            )
        audit_record(
            actor=actor,
            action="merchant.remove",
            target=current,
            before=before,
            after={
                **snapshot(current),
                "reason": why,
                "blacklist": blacklist,
                "returned_fen": returned,
                "hooks": {"notice": noticed, "settle": settled},
            },
        )
        # The seat reopens: the first in the trade's waiting list is offered it.
        seat_offer_next(community=current.community, industry=current.industry, actor=actor)
    return current
