"""Refusals for group-buys, pickups, cash top-ups and ad slots: each a stable code."""

from django.utils.translation import gettext_lazy as _

from linli.errors import DomainError


class GroupBuyInvalid(DomainError):
    code = "group_buy_invalid"
    status = 400
    message = _("This group-buy cannot be created: %(reason)s")


class MarginOutOfPolicy(DomainError):
    code = "group_buy_margin_out_of_policy"
    status = 400
    message = _("The supplier margin must be between %(low)s and %(high)s basis points.")


class GroupBuyClosed(DomainError):
    code = "group_buy_closed"
    status = 409
    message = _("This group-buy is closed: its deadline has passed.")


class GroupBuyNotDue(DomainError):
    code = "group_buy_not_due"
    status = 409
    message = _("This group-buy can only be settled after its deadline.")


class PledgeInvalid(DomainError):
    code = "pledge_units_invalid"
    status = 400
    message = _("Pledge between 1 and %(max)s units.")


class PledgeOwnShop(DomainError):
    code = "group_buy_own_shop"
    status = 409
    message = _("The shop's owner and staff cannot pledge in their own shop's group-buy.")


class AlreadyPledged(DomainError):
    code = "already_pledged"
    status = 409
    message = _("You have already pledged to this group-buy. Withdraw it first to change it.")


class PledgeNotHeld(DomainError):
    code = "pledge_not_held"
    status = 409
    message = _("This pledge is no longer open.")


class WalletShort(DomainError):
    code = "wallet_insufficient"
    status = 409
    message = _("Your wallet holds %(available)s yuan; this needs %(needed)s yuan. Top up first.")


class PickupCodeInvalid(DomainError):
    code = "pickup_code_invalid"
    status = 400
    message = _("This pickup code is not valid at this shop.")


class PickupCodeUsed(DomainError):
    code = "pickup_code_used"
    status = 409
    message = _("This pickup code has already been used.")


class TopUpInvalid(DomainError):
    code = "top_up_invalid"
    status = 400
    message = _("Enter a cash amount between 0.01 and %(max)s yuan.")


class AdSlotInvalid(DomainError):
    code = "ad_slot_invalid"
    status = 400
    message = _("This ad slot cannot be saved: %(reason)s")


class AdPriceOutOfPolicy(DomainError):
    code = "ad_slot_price_out_of_policy"
    status = 400
    message = _("An ad slot costs between %(low)s and %(high)s yuan a month.")


class AdMonthInvalid(DomainError):
    code = "ad_month_invalid"
    status = 400
    message = _("Choose a month from this month up to %(max)s months ahead.")


class AdSlotTaken(DomainError):
    code = "ad_slot_taken"
    status = 409
    message = _("This slot is already booked for that month.")


class AdFundsShort(DomainError):
    code = "ad_funds_insufficient"
    status = 409
    message = _("The shop's account holds %(available)s yuan; the slot costs %(price)s yuan.")


class AdCancelTooLate(DomainError):
    code = "ad_cancel_too_late"
    status = 409
    message = _("The month has started: the booking can no longer be cancelled or refunded.")
