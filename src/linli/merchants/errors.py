"""Domain errors of the merchant alliance: stable codes the API and pages show."""

from django.utils.translation import gettext_lazy as _

from linli.errors import Conflict, DomainError, Forbidden, NotFound


class ApplicationInvalid(DomainError):
    code = "application_invalid"
    message = _("The application is not complete or not valid.")


class ExclusivityRequired(DomainError):
    code = "exclusivity_required"
    message = _("Please accept the exclusivity agreement to apply.")


class AddressOutsideRadius(DomainError):
    code = "address_outside_radius"
    message = _(
        "The shop is %(distance_m)s m from the centre; the community serves %(radius_m)s m."
    )


class IndustryNotLeaf(DomainError):
    code = "industry_not_leaf"
    message = _("Please choose a specific trade, not a whole category.")


class IndustryTaken(Conflict):
    code = "industry_taken"
    message = _("The seat for this trade is held by “%(holder)s”: one merchant per trade.")


class LicenceReused(Conflict):
    code = "licence_reused"
    message = _("This business licence already holds a seat or has an application under review.")


class LicenceBlacklisted(DomainError):
    code = "licence_blacklisted"
    status = 403
    message = _("This business licence is on the black list and cannot apply again.")


class ApplicationNotPending(Conflict):
    code = "application_not_pending"
    message = _("This application has already been decided.")


class MerchantInactive(Conflict):
    code = "merchant_inactive"
    message = _("This merchant does not hold an active seat.")


class AmountInvalid(DomainError):
    code = "amount_invalid"
    message = _("The amount must be a whole number above zero.")


class CompensationExceedsDeposit(Conflict):
    code = "compensation_exceeds_deposit"
    message = _("The deposit holds %(held_fen)s fen; compensation from it cannot be more.")


class ComplaintNotOpen(Conflict):
    code = "complaint_not_open"
    message = _("This complaint has already been decided.")


class RatingDuplicate(Conflict):
    code = "rating_duplicate"
    message = _("This sale has already been rated.")


class SaleNotFound(NotFound):
    code = "sale_not_found"
    message = _("You have no sale at this merchant with that reference.")


class SaleUndone(Conflict):
    code = "sale_undone"
    message = _("This sale was undone at the till: there is nothing to rate or complain about.")


class SaleRefunded(Conflict):
    code = "sale_refunded"
    message = _(
        "This sale was refunded in full and cannot be rated; you can still file a complaint."
    )


class ExitReasonRequired(DomainError):
    code = "exit_reason_required"
    message = _("Give the reason for recording the notice (at most %(limit)s characters).")


class StaffInvalid(DomainError):
    code = "staff_invalid"
    message = _("The staff login is not valid.")


class UsernameTaken(Conflict):
    code = "username_taken"
    message = _("The login name “%(username)s” is taken.")


class IndustryInvalid(DomainError):
    code = "industry_invalid"
    message = _("The trade is not valid.")


class ExitBlocked(Conflict):
    code = "exit_blocked"
    message = _("The merchant cannot leave yet: %(reason)s.")


class SeatQueued(Conflict):
    code = "seat_queued"
    message = _(
        "The seat for this trade is being offered to its waiting list; you can join the list."
    )


class NoOffer(Conflict):
    code = "no_offer"
    message = _("There is no seat offer waiting for your answer.")


class OfferExpired(Conflict):
    code = "offer_expired"
    message = _("The time to accept this seat has passed; it goes to the next in line.")


class DebtOutstanding(Conflict):
    code = "debt_outstanding"
    message = _("The merchant owes %(owed_fen)s fen from compensation; settle it first.")


class NoDebt(Conflict):
    code = "no_debt"
    message = _("This merchant owes nothing.")


class ExitAlreadyGiven(Conflict):
    code = "exit_already_given"
    message = _("Notice to leave the alliance has already been given; the seat closes on %(on)s.")


class ExitNotGiven(Conflict):
    code = "exit_not_given"
    message = _("No notice to leave has been given, so there is nothing to withdraw.")


class ExitConfirmRequired(DomainError):
    code = "exit_confirm_required"
    message = _("Please tick the box to confirm that you have read what leaving means.")


class NotYourMerchant(Forbidden):
    code = "not_your_merchant"
    message = _("This is not your shop: only its owner can give or withdraw its notice.")
