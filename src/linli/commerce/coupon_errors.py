"""Coupon refusals: each a stable code a cashier or member can read (issue 6, coupons)."""

from django.utils.translation import gettext_lazy as _

from linli.errors import DomainError


class CouponNotFound(DomainError):
    code = "coupon_not_found"
    status = 404
    message = _("There is no such coupon.")


class CouponOtherCommunity(DomainError):
    code = "coupon_other_community"
    status = 409
    message = _("This coupon belongs to another community.")


class CouponNotYours(DomainError):
    code = "coupon_not_yours"
    status = 409
    message = _("This coupon belongs to another member.")


class CouponWrongMerchant(DomainError):
    code = "coupon_wrong_merchant"
    status = 409
    message = _("This coupon is for another shop.")


class CouponUsed(DomainError):
    code = "coupon_already_used"
    status = 409
    message = _("This coupon has already been used.")


class CouponExpired(DomainError):
    code = "coupon_expired"
    status = 409
    message = _("This coupon has expired.")


class CouponNotYetValid(DomainError):
    code = "coupon_not_yet_valid"
    status = 409
    message = _("This coupon is not valid yet.")


class CouponThresholdNotMet(DomainError):
    code = "coupon_threshold_not_met"
    status = 409
    message = _("Spend at least %(threshold)s yuan to use this coupon.")


class CouponStockExhausted(DomainError):
    code = "coupon_stock_exhausted"
    status = 409
    message = _("All of these coupons have been claimed.")


class CouponLimitReached(DomainError):
    code = "coupon_limit_reached"
    status = 409
    message = _("You have claimed this coupon the most times allowed (%(limit)s).")


class CouponNotStackable(DomainError):
    code = "coupon_not_stackable"
    status = 409
    message = _("Only one coupon that cannot be combined may be used in a sale.")


class CouponInvalid(DomainError):
    code = "coupon_invalid"
    status = 400
    message = _("The coupon is not valid: %(reason)s")


class WasPriceDishonest(DomainError):
    code = "was_price_not_honest"
    status = 409
    message = _("The “was” price must be your recorded lowest price of the last 7 days (%(low)s).")


class CampaignInvalid(DomainError):
    code = "campaign_invalid"
    status = 400
    message = _("The campaign is not valid: %(reason)s")


class CampaignOff(DomainError):
    code = "cross_store_coupon_off"
    status = 409
    message = _("Cross-store coupons are switched off in this community's policy.")


class CouponPartialRefund(DomainError):
    code = "coupon_partial_refund"
    status = 409
    message = _("A sale paid with a cross-store coupon can only be refunded in full.")


class CouponIssuerExited(DomainError):
    code = "coupon_issuer_exited"
    status = 409
    message = _(
        "The shop that issued this coupon has left the alliance and its share was not "
        "settled, so the coupon cannot be used."
    )
