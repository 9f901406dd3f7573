"""Refusals at the till: each a stable code a cashier can read (SPEC "Fraud and limits")."""

from django.utils.translation import gettext_lazy as _

from linli.errors import DomainError


class CodeMalformed(DomainError):
    code = "member_code_malformed"
    status = 400
    message = _("This is not a Linli member code. Scan or type the code on the member's card.")


class PayCodeNotMemberCode(DomainError):
    code = "pay_code_not_member_code"
    status = 400
    message = _("This is a WeChat, Alipay or UnionPay payment code, not a Linli member code.")


class CodeInvalid(DomainError):
    code = "member_code_invalid"
    status = 400
    message = _("The member code is wrong or has expired. Ask the member to refresh it.")


class CodeUsed(DomainError):
    code = "member_code_used"
    status = 409
    message = _("This member code has already been used. Ask the member to refresh it.")


class PinWrong(DomainError):
    code = "card_pin_wrong"
    status = 400
    message = _("The card number or PIN is wrong.")


class PinLocked(DomainError):
    code = "card_pin_locked"
    status = 429
    message = _("Too many wrong PINs today. The card works again tomorrow.")


class PinDailyCap(DomainError):
    code = "card_pin_daily_cap"
    status = 429
    message = _("This card has reached today's limit of %(limit)s sales by card and PIN.")


class MemberInactive(DomainError):
    code = "member_inactive"
    status = 409
    message = _("This member's card is not active.")


class MerchantCannotSell(DomainError):
    code = "merchant_cannot_sell"
    status = 409
    message = _("This shop cannot record sales now.")


class SelfDealing(DomainError):
    code = "self_dealing"
    status = 409
    message = _("Staff cannot record sales to themselves at their own shop.")


class AmountInvalid(DomainError):
    code = "sale_amount_invalid"
    status = 400
    message = _("Enter an amount between 0.01 and %(max)s yuan.")


class MixInvalid(DomainError):
    code = "payment_mix_invalid"
    status = 400
    message = _("Coins and points pay more than the amount, or not in whole units.")


class PointsCapReached(DomainError):
    code = "points_daily_cap"
    status = 409
    message = _("The member can redeem at most %(cap)s points a day; %(left)s left today.")


class RequestConflict(DomainError):
    code = "request_no_conflict"
    status = 409
    message = _("This request number was already used for a different sale.")


class UndoNotAllowed(DomainError):
    code = "undo_not_allowed"
    status = 409
    message = _("This sale can no longer be undone: %(reason)s")


class RefundInvalid(DomainError):
    code = "refund_invalid"
    status = 400
    message = _("A refund must be between 0.01 yuan and what is left of the sale.")


class SoldOut(DomainError):
    code = "sold_out"
    status = 409
    message = _("Sold out.")


class AlreadyBought(DomainError):
    code = "flash_already_bought"
    status = 409
    message = _("You already bought this item.")


class MemberVelocityLimit(DomainError):
    code = "member_velocity_limit"
    status = 429
    message = _(
        "This member already has %(count)s sales in the last %(minutes)s minutes. "
        "Wait a few minutes, or ask the shop owner to check."
    )


class MerchantVelocityLimit(DomainError):
    code = "merchant_velocity_limit"
    status = 429
    message = _(
        "This shop already recorded %(count)s sales in the last %(minutes)s minutes. "
        "Wait a minute and try again."
    )


class SaleAmountOverLimit(DomainError):
    code = "sale_amount_over_limit"
    status = 409
    message = _("One member sale may be at most %(max)s yuan. Split it or take cash outside Linli.")


class MemberDailyAmountLimit(DomainError):
    code = "member_daily_amount_limit"
    status = 409
    message = _(
        "This member may buy at most %(max)s yuan a day through Linli; %(left)s yuan left today."
    )


class MemberConfirmationRequired(DomainError):
    code = "member_confirmation_required"
    status = 409
    message = _(
        "Coins and points worth more than %(limit)s yuan: the member must approve this sale "
        "on their member card page. Then scan the member's new code and confirm again."
    )


class MemberDeclined(DomainError):
    code = "member_declined"
    status = 409
    message = _("The member declined this sale on their phone.")


# --- household cards for family packages (commerce/household.py) ---


class CardSuspended(DomainError):
    code = "card_suspended"
    status = 409
    message = _("This printed card was reported lost and replaced. Ask for the new card.")


class HouseholdNotCovered(DomainError):
    code = "household_not_covered"
    status = 409
    message = _(
        "This member is no longer covered by a family package and has no membership of "
        "their own. The family package holder can add them again on the household page."
    )


class CardNumberChanged(DomainError):
    code = "card_number_changed"
    status = 409
    message = _(
        "This card number was already replaced. Reload the household page to see the new one."
    )


class VoucherInvalid(DomainError):
    code = "voucher_invalid"
    status = 400
    message = _(
        "Check the platform voucher: choose the platform, type its code (4 to 40 letters or "
        "digits) and a value no more than what is left to pay."
    )


class VoucherUsed(DomainError):
    code = "voucher_used"
    status = 409
    message = _("This platform voucher code has already been recorded at this shop.")


# --- replacing a card's secret (phone lost; commerce/cards.py card_rotate) ---


class CodeRotated(DomainError):
    code = "member_code_rotated"
    status = 409
    message = _(
        "This member code is from a card that was replaced (phone lost). Ask the member to "
        "open their card again on the phone they use now."
    )


class RotateUnconfirmed(DomainError):
    code = "card_rotate_unconfirmed"
    status = 400
    message = _("Tick the box to confirm: your old member code will stop working at once.")


class RotateReasonMissing(DomainError):
    code = "card_rotate_reason_missing"
    status = 400
    message = _("Give a reason (1 to 500 characters) for replacing the member's card.")
