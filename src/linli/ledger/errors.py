"""The ledger's typed errors: each a stable code a client can act on."""

from django.utils.translation import gettext_lazy as _

from linli.errors import Conflict, DomainError, NotFound


class InvalidPosting(DomainError):
    code = "invalid_posting"
    message = _("This posting is not valid: %(reason)s")


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status = 409
    message = _("Not enough balance in account %(account)s: short by %(shortfall)s.")


class AccountClosed(DomainError):
    code = "account_closed"
    status = 409
    message = _("Account %(account)s is closed.")


class AccountNotFound(NotFound):
    code = "account_not_found"
    message = _("This account does not exist in this community.")


class JournalNotFound(NotFound):
    code = "journal_not_found"
    message = _("This journal does not exist in this community.")


class HoldNotFound(NotFound):
    code = "hold_not_found"
    message = _("This hold does not exist in this community.")


class HoldResolved(DomainError):
    code = "hold_already_resolved"
    status = 409
    message = _("This hold has already been posted or voided.")


class HoldExpired(DomainError):
    code = "hold_expired"
    status = 409
    message = _("This hold has expired and can no longer be posted.")


class HoldExceeded(DomainError):
    code = "hold_amount_exceeded"
    message = _("A hold can post at most its held amount (%(held)s).")


class AlreadyReversed(DomainError):
    code = "already_reversed"
    status = 409
    message = _("This journal has already been reversed.")


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    message = _("This idempotency key was already used for a different request.")


class LedgerBusy(DomainError):
    code = "ledger_busy"
    status = 503
    message = _("The ledger is busy; please retry in a moment.")


# Rejections stored on a journal are replayed by code; this maps a code back to its class.
REPLAYABLE = {
    cls.code: cls
    for cls in (InsufficientFunds, AccountClosed, HoldResolved, HoldExpired, HoldExceeded)
}
