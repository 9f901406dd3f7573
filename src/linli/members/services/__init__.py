"""Every write of the members app (one function per use case, keyword-only arguments)."""

from linli.members.services.fees import (
    charter_publish,
    entitlement_consume,
    fee_payment_confirm,
    fees_recognise,
    founding_grant,
    membership_apply,
    membership_refund,
    memberships_expire,
)
from linli.members.services.joining import (
    marketing_set,
    member_register,
    member_verify_identity,
    sms_code_request,
)
from linli.members.services.referrals import (
    referral_bind,
    referral_qualify,
    referrals_qualify_due,
)
from linli.members.services.tokens import api_token_create

__all__ = [
    "api_token_create",
    "charter_publish",
    "entitlement_consume",
    "fee_payment_confirm",
    "fees_recognise",
    "founding_grant",
    "marketing_set",
    "member_register",
    "member_verify_identity",
    "membership_apply",
    "membership_refund",
    "memberships_expire",
    "referral_bind",
    "referral_qualify",
    "referrals_qualify_due",
    "sms_code_request",
]
