"""Former constants that are policy now (issue 4): the renewal window and reminder, the
per-referrer daily referral cap, and the sign-in code limits. Both presets keep the old
values; a new policy version changes the behaviour; bad values are refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.communities.errors import PolicyInvalid
from linli.communities.presets import PRESET_A, PRESET_B
from linli.communities.services import policy_version_create
from linli.members import errors
from linli.members.models import SmsCode
from linli.members.services import member_register, memberships_expire, sms_code_request
from linli.members.services.joining import SITE_SMS_LIMITS
from tests.members.conftest import code_for_latest, join, next_phone
from tests.members.test_fees import _paid, apply

FORMER_CONSTANTS = {
    "renewal_window_days": 60,
    "renewal_reminder_days": 30,
    "referrals_per_referrer_daily_max": 10,
    "sms_codes_per_phone_hour": 5,
    "sms_codes_per_ip_hour": 20,
    "sms_code_lifetime_minutes": 5,
}


def _set(community, **changes):
    policy_version_create(community=community, changes=changes, actor=None, reason="test")


def test_both_presets_keep_the_former_constants():
    for preset in (PRESET_A, PRESET_B):
        assert {k: preset[k] for k in FORMER_CONSTANTS} == FORMER_CONSTANTS


@pytest.mark.parametrize(
    "changes",
    [
        {"renewal_window_days": 0},
        {"renewal_window_days": 367},
        {"renewal_reminder_days": 61},  # after the renewal window opens: refused
        {"referrals_per_referrer_daily_max": 0},
        {"sms_codes_per_phone_hour": 0},
        {"sms_codes_per_phone_hour": 61},
        {"sms_codes_per_ip_hour": -1},
        {"sms_code_lifetime_minutes": 31},
        {"sms_code_lifetime_minutes": "5"},
        {"sms_code_lifetime_minutes": 2.5},
        {"sms_codes_per_ip_hour": None},
    ],
)
def test_bad_values_are_refused(community, changes):
    before = community.policies.count()
    with pytest.raises(PolicyInvalid):
        _set(community, **changes)
    assert community.policies.count() == before


def test_the_renewal_window_decides_when_renewing_opens(community, operator):
    start = timezone.now()
    first = _paid(community, operator, now=start)
    with pytest.raises(errors.MembershipOpen):
        apply(first.member, now=start + timedelta(days=10))  # 355 days left > 60
    _set(community, renewal_window_days=366, renewal_reminder_days=30)
    renewal = apply(first.member, now=start + timedelta(days=10))
    assert renewal.status == "awaiting_payment"


def test_a_narrow_renewal_window_refuses_an_early_renewal(community, operator):
    start = timezone.now()
    first = _paid(community, operator, now=start)
    _set(community, renewal_window_days=10, renewal_reminder_days=10)
    with pytest.raises(errors.MembershipOpen):
        apply(first.member, now=start + timedelta(days=330))  # ~35 days left > 10
    assert apply(first.member, now=start + timedelta(days=360)).status == "awaiting_payment"


def test_the_reminder_days_decide_when_the_reminder_goes(community, operator):
    start = timezone.now()
    _paid(community, operator, now=start)
    _set(community, renewal_reminder_days=5)
    assert (
        memberships_expire(community=community, now=start + timedelta(days=340))["reminded"] == 0
    )  # 25 days before the end: with the preset's 30 days it would have gone
    assert memberships_expire(community=community, now=start + timedelta(days=362))["reminded"] == 1


def test_the_daily_referral_cap_comes_from_the_policy(community):
    _set(community, referrals_per_referrer_daily_max=2)
    referrer = join(community)
    for _ in range(2):
        join(community, referral_code=referrer.referral_code)
    with pytest.raises(errors.ReferralTooFast):
        join(community, referral_code=referrer.referral_code)


def test_codes_per_number_come_from_the_policy(community):
    phone, now = next_phone(), timezone.now()
    _set(community, sms_codes_per_phone_hour=2)
    for minutes in (0, 2):
        sms_code_request(
            phone=phone, ip=None, community=community, now=now + timedelta(minutes=minutes)
        )
    with pytest.raises(errors.TooManyCodes):
        sms_code_request(phone=phone, ip=None, community=community, now=now + timedelta(minutes=4))
    assert SmsCode.objects.count() == 2


def test_codes_per_address_come_from_the_policy(community):
    _set(community, sms_codes_per_ip_hour=3)
    for _ in range(3):
        sms_code_request(phone=next_phone(), ip="127.0.0.7", community=community)
    with pytest.raises(errors.TooManyCodes):
        sms_code_request(phone=next_phone(), ip="127.0.0.7", community=community)
    sms_code_request(phone=next_phone(), ip="127.0.0.8", community=community)


def test_the_code_lifetime_comes_from_the_policy(community):
    _set(community, sms_code_lifetime_minutes=2)
    phone, now = next_phone(), timezone.now()
    sent = sms_code_request(phone=phone, ip=None, community=community, now=now)
    assert sent.valid_minutes == 2 and sent.expires_at == now + timedelta(minutes=2)
    code = code_for_latest()
    with pytest.raises(errors.CodeInvalid):
        member_register(
            community=community,
            phone=phone,
            code=code,
            display_name="x",
            accepts_terms=True,
            now=now + timedelta(minutes=3),  # within the former 5 minutes, past the policy's 2
        )


def test_a_login_code_follows_the_members_community(community):
    member_phone = next_phone()
    join(community, phone=member_phone)
    _set(community, sms_code_lifetime_minutes=3)
    later = timezone.now() + timedelta(minutes=2)
    sent = sms_code_request(phone=member_phone, ip=None, purpose="login", now=later)
    assert sent.valid_minutes == 3


def test_before_a_community_is_known_the_site_default_applies(community, settings):
    nobody = next_phone()
    assert sms_code_request(phone=nobody, ip=None, purpose="login").valid_minutes == (
        SITE_SMS_LIMITS.lifetime_minutes
    )
    settings.LINLI_SMS_SITE_LIMITS = {"lifetime_minutes": 7, "unknown_key": 1}
    assert sms_code_request(phone=nobody, ip=None, purpose="login").valid_minutes == 7
