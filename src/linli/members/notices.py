"""The in-app inbox: notices are stored as a kind and parameters and rendered in the
reader's language, so a notice reads right after the member switches language."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from linli.members.models import Member, Notice

NOTICE_TEXTS = {
    "joined": _("Welcome to %(community)s. Your member number is %(member_id)s."),
    "fee_paid": _(
        "We received your membership fee of %(amount)s yuan. Your membership runs until "
        "%(ends_on)s. Full refund without a reason until %(full_refund_until)s."
    ),
    "fee_refunded": _("Your membership fee was refunded: %(amount)s yuan."),
    "renewal_due": _("Your membership ends on %(ends_on)s. You can renew at the counter."),
    "lapsed": _("Your membership has ended. You can join again at any time."),
    "referral_rewarded": _("A neighbour you referred has qualified: your reward was posted."),
    "referral_capped": _(
        "A neighbour you referred has qualified. This year's reward limit is reached, "
        "so no reward was posted."
    ),
    "referral_reversed": _("A referral reward was reversed because the fee was refunded."),
    "admission_decided": _("Your application was reviewed (%(status)s): %(reason)s"),
    "founding_approved": _(
        "Your founding-member application was approved: %(reason)s. Your first membership "
        "year follows the founding terms on the founding page."
    ),
    "founding_rejected": _("Your founding-member application was not approved: %(reason)s"),
    "diamond_dividend": _(
        "Your diamond member share of the platform's revenue for %(quarter)s: %(amount)s yuan, "
        "paid into your account."
    ),
    "marketing": _("%(text)s"),
    # Points lots (linli.commerce.lots): 30 and 7 days before a lot expires.
    "points_expiring": _(
        "%(points)s of your points expire on %(on)s. Spend them at an alliance shop before "
        "then; the points page shows every lot and its expiry date."
    ),
    # Household cards (family packages): the invited member confirms on their own login.
    "household_invited": _(
        "You are invited to your household's family package. Confirm or decline on the "
        "household page; once you confirm, your own member card carries the package's benefits."
    ),
    "household_removed": _(
        "You are no longer covered by your household's family package. Your member card "
        "works again with a membership of your own or when the holder adds you back."
    ),
    # The merchant alliance (merchantsgap): a seat offered from the waiting list, a shop
    # that leaves (30 days' notice to its recent buyers, issue 5 "Leaving the alliance").
    "merchant_seat_offered": _(
        "The seat for %(trade)s is free and offered to you. Accept it by %(until)s on the "
        "merchant waiting-list page, or it goes to the next in line."
    ),
    "merchant_leaving": _(
        "%(merchant)s is leaving the merchant alliance on %(on)s. Please use its offers "
        "and vouchers before then."
    ),
    "merchant_left": _(
        "%(merchant)s has left the merchant alliance. Coupons only it honoured can no longer "
        "be used; cross-store coupons it gave you for other shops stay good."
    ),
    # Bundles with a piece at a leaving shop (linli.commerce.bundles:merchant_leaving).
    "bundle_shop_leaving": _(
        "%(merchant)s is leaving the merchant alliance on %(on)s. You can still redeem your "
        "bundle pieces there until then; whatever is not redeemed by that day comes back to "
        "your wallet."
    ),
    "bundle_pieces_returned": _(
        "%(merchant)s has left the merchant alliance. Your bundle pieces there that were not "
        "redeemed are cancelled and what was held for them is back in your wallet; the other "
        "pieces of your bundles stay good."
    ),
    "merchant_staying": _("%(merchant)s has withdrawn its notice and stays in the alliance."),
    # To the operators and the committee's chair (issue 5, merchant self-service exit).
    "merchant_exit_given": _(
        "%(merchant)s has given notice to leave the merchant alliance; its seat closes on "
        "%(on)s unless the notice is withdrawn before then."
    ),
    "merchant_exit_withdrawn": _(
        "%(merchant)s has withdrawn its notice to leave the merchant alliance."
    ),
}


def notice_text(notice: Notice) -> str:
    template = NOTICE_TEXTS.get(notice.kind)
    if template is None:
        return notice.kind
    try:
        return str(template) % notice.params
    except (KeyError, TypeError, ValueError):
        return str(template)


def notice_send(
    *, member: Member, kind: str, params: dict[str, Any] | None = None, is_marketing: bool = False
) -> Notice | None:
    """Store one notice. Marketing reaches only members who opted in (消保条例 Art. 24)."""
    if kind not in NOTICE_TEXTS:
        raise ValueError(f"unknown notice kind {kind!r}")
    if is_marketing and not member.marketing_opt_in:
        return None
    if member.closed_at is not None:
        return None
    return Notice.objects.create(
        member=member, kind=kind, params=params or {}, is_marketing=is_marketing
    )
