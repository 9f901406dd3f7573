"""Every write of the members app (one function per use case, keyword-only arguments)."""

from linli.members.services.admission import admission_apply, admission_decide, member_skills
from linli.members.services.diamond import (
    diamond_dividend_approve,
    diamond_dividend_plan,
    diamond_dividend_preview,
    diamond_dividend_propose,
    diamond_dividend_reject,
)
from linli.members.services.fees import (
    charter_publish,
    entitlement_consume,
    fee_pay_with_points,
    fee_payment_confirm,
    fees_recognise,
    founding_grant,
    membership_apply,
    membership_refund,
    membership_refund_self,
    memberships_expire,
    self_refund_quote,
)
from linli.members.services.founding import founding_apply, founding_decide
from linli.members.services.inbox import notice_open, notices_mark_all_read
from linli.members.services.joining import (
    marketing_set,
    member_login_with_code,
    member_register,
    member_verify_identity,
    sms_code_request,
)
from linli.members.services.privacy import member_close, member_export
from linli.members.services.referrals import (
    merchant_referral_reward,
    referral_bind,
    referral_qualify,
    referrals_qualify_due,
)
from linli.members.services.tiers import (
    gift_pack_claim,
    gold_spend_reward,
    group_create,
    group_has_discount,
    group_join,
    group_leave,
    tier_for,
    tiers_evaluate,
)
from linli.members.services.tokens import api_token_create

__all__ = [
    "admission_apply",
    "admission_decide",
    "api_token_create",
    "charter_publish",
    "diamond_dividend_approve",
    "diamond_dividend_plan",
    "diamond_dividend_preview",
    "diamond_dividend_propose",
    "diamond_dividend_reject",
    "entitlement_consume",
    "fee_pay_with_points",
    "fee_payment_confirm",
    "fees_recognise",
    "founding_apply",
    "founding_decide",
    "founding_grant",
    "gift_pack_claim",
    "gold_spend_reward",
    "group_create",
    "group_has_discount",
    "group_join",
    "group_leave",
    "marketing_set",
    "member_close",
    "member_export",
    "member_login_with_code",
    "member_register",
    "member_skills",
    "member_verify_identity",
    "membership_apply",
    "membership_refund",
    "membership_refund_self",
    "memberships_expire",
    "merchant_referral_reward",
    "notice_open",
    "notices_mark_all_read",
    "referral_bind",
    "referral_qualify",
    "referrals_qualify_due",
    "self_refund_quote",
    "sms_code_request",
    "tier_for",
    "tiers_evaluate",
]
