from django.utils.translation import gettext_lazy as _

from linli.errors import Conflict, DomainError


class InvalidPhone(DomainError):
    code = "invalid_phone"
    message = _("Enter a mainland China mobile number of 11 digits, starting with 1.")


class PhoneTaken(Conflict):
    code = "phone_taken"
    message = _("This phone number already belongs to a member.")


class TooManyCodes(DomainError):
    code = "sms_rate_limited"
    status = 429
    message = _("Too many codes were requested. Please wait a while and try again.")


class CodeInvalid(DomainError):
    code = "sms_code_invalid"
    message = _("The code is wrong, expired or already used. Request a new one.")


class ConsentRequired(DomainError):
    code = "consent_required"
    message = _("Please read and accept the membership terms to join.")


class InvalidIdNumber(DomainError):
    code = "invalid_id_number"
    message = _("This ID number is not valid: check the digits and the birth date.")


class IdTaken(Conflict):
    code = "id_taken"
    message = _("This ID number is already verified for another member.")


class IdentityNotVerified(DomainError):
    code = "identity_not_verified"
    message = _("Paid membership needs your real name and ID number first.")


class ReferralInvalid(DomainError):
    code = "referral_invalid"
    message = _("This referral code is not valid here.")


class SelfReferral(DomainError):
    code = "self_referral"
    message = _("You cannot refer yourself.")


class ReferralCycle(DomainError):
    code = "referral_cycle"
    message = _("A member cannot refer the person who referred them.")


class ReferralSameHousehold(DomainError):
    code = "referral_same_household"
    message = _("Members of the same household cannot refer each other.")


class ReferralTooFast(DomainError):
    code = "referral_velocity"
    status = 429
    message = _("This referral code was used too often today. Please try again tomorrow.")


class AlreadyReferred(Conflict):
    code = "already_referred"
    message = _("This member already has a referrer.")


class MembershipOpen(Conflict):
    code = "membership_open"
    message = _("There is already a membership waiting for payment or running.")


class MembershipNotAwaitingPayment(Conflict):
    code = "membership_not_awaiting_payment"
    message = _("This membership is not waiting for a payment.")


class WrongAmount(DomainError):
    code = "wrong_amount"
    message = _("The amount received must equal the fee: %(fee_fen)s fen.")


class PaymentKeyReused(Conflict):
    code = "payment_key_reused"
    message = _("This payment key was already used for another payment.")


class NotRefundable(Conflict):
    code = "not_refundable"
    message = _("This membership cannot be refunded now.")


class CharterMissing(DomainError):
    code = "charter_missing"
    status = 404
    message = _("This community has not published a member charter yet.")


class CharterOutdated(Conflict):
    code = "charter_outdated"
    message = _("The charter changed. Please read and accept the current version.")


class FamilyFull(Conflict):
    code = "family_full"
    message = _("This household's family package is full.")


class NoEntitlementLeft(Conflict):
    code = "no_entitlement_left"
    message = _("No included services are left this membership year.")


class NotAMember(DomainError):
    code = "not_a_member"
    status = 404
    message = _("No member found.")


class RefundWindowClosed(Conflict):
    code = "refund_window_closed"
    message = _(
        "The no-reason refund period is over. The counter staff refund the unused part of "
        "the year; please ask them."
    )


class NotYourMembership(DomainError):
    code = "not_your_membership"
    status = 404
    message = _("This membership is not yours to refund: only the member who paid can.")


# --- household cards for family packages (issue 4 / issue 6, household) ---


class NotPackageHolder(DomainError):
    code = "household_not_holder"
    status = 403
    message = _("Only the member who holds the household's running family package can do this.")


class HouseholdMemberInvalid(DomainError):
    code = "household_member_invalid"
    status = 404
    message = _("No such member lives in your flat.")


class CoverNotPending(Conflict):
    code = "household_invitation_not_pending"
    message = _("There is no invitation to the family package waiting for your answer.")


# --- founding / co-creation members applying online (issue 4) ---


class FoundingPlacesTaken(Conflict):
    code = "founding_places_taken"
    message = _("All founding member places are taken.")


class AlreadyFounding(Conflict):
    code = "already_founding"
    message = _("You are a founding member already.")


class FoundingApplicationPending(Conflict):
    code = "founding_application_pending"
    message = _("Your founding-member application is already waiting for review.")


class FoundingApplicationDecided(Conflict):
    code = "founding_application_decided"
    message = _("This founding-member application was already decided.")


class FoundingApplicationInvalid(DomainError):
    code = "invalid_input"
    message = _("Each answer may have at most 500 characters.")


class FoundingTextConsentRequired(DomainError):
    code = "consent_required"
    message = _(
        "Please agree that the staff may keep what you wrote for reviewing your application, "
        "or leave the text fields empty."
    )
