"""Joining: SMS code, registration with consent and household, real-name verification."""

import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linli.communities.audit import audit_record, snapshot
from linli.communities.models import Building, Community, Role
from linli.communities.selectors import policy_in_force
from linli.communities.services import role_grant
from linli.errors import DomainError
from linli.members import errors, pii
from linli.members.identity import id_birth_date, id_normalise, identity_verifier
from linli.members.models import Consent, ConsentPurpose, Household, Member, SmsCode
from linli.members.notices import notice_send
from linli.members.sms import sms_sender

PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
CODE_DIGITS = 6
CODE_MIN_INTERVAL = timedelta(seconds=60)
CODE_MAX_ATTEMPTS = 5
DISPLAY_NAME_MAX = 50
UNIT_LABEL_MAX = 30
REAL_NAME_MAX = 50


class InvalidInput(DomainError):
    code = "invalid_input"


def phone_normalise(phone: str) -> str:
    cleaned = re.sub(r"[\s-]", "", phone or "")
    if cleaned.startswith("+86"):
        cleaned = cleaned[3:]
    if not PHONE_PATTERN.match(cleaned):
        raise errors.InvalidPhone()
    return cleaned


@dataclass(frozen=True)
class CodeSent:
    phone_masked: str
    is_console: bool  # the page says "no SMS was sent: the code is on the operator console"
    expires_at: datetime
    valid_minutes: int


@dataclass(frozen=True)
class SmsLimits:
    """How many codes a number and a network address may ask for per hour, and how long a
    code lives: the community's policy (`sms_*` fields)."""

    per_phone_hour: int
    per_ip_hour: int
    lifetime_minutes: int


# Before any community is known (a login code asked for a number that is nobody's, so none
# is sent): the presets' values, overridable key by key on the site, e.g.
# LINLI_SMS_SITE_LIMITS="per_phone_hour=3,per_ip_hour=10,lifetime_minutes=5".
SITE_SMS_LIMITS = SmsLimits(per_phone_hour=5, per_ip_hour=20, lifetime_minutes=5)


def sms_limits(*, community: Community | None, now: datetime) -> SmsLimits:
    if community is None:
        overrides = getattr(settings, "LINLI_SMS_SITE_LIMITS", {}) or {}
        known = {k: int(v) for k, v in overrides.items() if k in SmsLimits.__dataclass_fields__}
        return replace(SITE_SMS_LIMITS, **known)
    policy = policy_in_force(community=community, at=now)
    return SmsLimits(
        per_phone_hour=policy.sms_codes_per_phone_hour,
        per_ip_hour=policy.sms_codes_per_ip_hour,
        lifetime_minutes=policy.sms_code_lifetime_minutes,
    )


def sms_code_request(
    *,
    phone: str,
    ip: str | None,
    community: Community | None = None,
    now: datetime | None = None,
    purpose: str = "join",
) -> CodeSent:
    """Send a one-time code, rate-limited per number and per IP (SPEC capability 2) by the
    community's policy (for a login, the member's community).
    `join`: only for a number not in use; `login`: answers the same whether or not the
    number belongs to a member (no account probing), but sends only if it does."""
    now = now or timezone.now()
    phone = phone_normalise(phone)
    phone_hash = pii.lookup_hash("phone", phone)
    known = (
        Member.objects.filter(phone_hash=phone_hash, closed_at__isnull=True)
        .select_related("community")
        .first()
    )
    if purpose == "join" and known is not None:
        raise errors.PhoneTaken()  # no code is sent for a number already in use
    limits = sms_limits(
        community=community or (known.community if known is not None else None), now=now
    )
    expires_at = now + timedelta(minutes=limits.lifetime_minutes)
    sender = sms_sender()
    answer = CodeSent(
        phone_masked=pii.mask_phone(phone),
        is_console=sender.is_console,
        expires_at=expires_at,
        valid_minutes=limits.lifetime_minutes,
    )
    if purpose == "login" and known is None:
        return answer
    hour_ago = now - timedelta(hours=1)
    recent = SmsCode.objects.filter(phone_hash=phone_hash, created_at__gt=hour_ago)
    if (
        recent.count() >= limits.per_phone_hour
        or recent.filter(created_at__gt=now - CODE_MIN_INTERVAL).exists()
    ):
        raise errors.TooManyCodes()
    if ip and SmsCode.objects.filter(ip=ip, created_at__gt=hour_ago).count() >= (
        limits.per_ip_hour
    ):
        raise errors.TooManyCodes()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        SmsCode.objects.create(
            phone_hash=phone_hash,
            code_hash=_code_hash(phone_hash, code),
            ip=ip or None,
            created_at=now,
            expires_at=expires_at,
        )
        text = ngettext(
            "Linli code %(code)s, valid for %(minutes)s minute. Never share it.",
            "Linli code %(code)s, valid for %(minutes)s minutes. Never share it.",
            limits.lifetime_minutes,
        ) % {"code": code, "minutes": limits.lifetime_minutes}
        sender.send(phone=phone, text=text, community=community)
    return answer


def _code_hash(phone_hash: str, code: str) -> str:
    return pii.lookup_hash("sms", f"{phone_hash}:{code}")


def _code_consume(*, phone_hash: str, code: str, now: datetime) -> bool:
    """Single use, unexpired, at most CODE_MAX_ATTEMPTS guesses; runs inside a transaction
    and returns False (rather than raising) so a wrong guess is counted, not rolled back."""
    latest = (
        SmsCode.objects.select_for_update()
        .filter(phone_hash=phone_hash, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if latest is None or latest.attempts >= CODE_MAX_ATTEMPTS:
        return False
    if not hmac.compare_digest(latest.code_hash, _code_hash(phone_hash, (code or "").strip())):
        SmsCode.objects.filter(pk=latest.pk).update(attempts=F("attempts") + 1)
        return False
    latest.used_at = now
    latest.save(update_fields=["used_at"])
    return True


def member_register(
    *,
    community: Community,
    phone: str,
    code: str,
    display_name: str,
    accepts_terms: bool,
    building: Building | None = None,
    unit_label: str = "",
    marketing_opt_in: bool = False,
    referral_code: str = "",
    now: datetime | None = None,
) -> Member:
    """Join with a phone number and an SMS code: only the phone is required (PIPL minimum);
    building/flat and marketing each carry their own consent record."""
    from linli.members.services.referrals import referral_bind

    now = now or timezone.now()
    phone = phone_normalise(phone)
    display_name = (display_name or "").strip()
    unit_label = (unit_label or "").strip()
    if not display_name or len(display_name) > DISPLAY_NAME_MAX or "\x00" in display_name:
        raise InvalidInput(_("Enter a display name of 1 to 50 characters."))
    if len(unit_label) > UNIT_LABEL_MAX or "\x00" in unit_label:
        raise InvalidInput(_("The flat number is too long."))
    if building is not None and building.community_id != community.id:
        raise InvalidInput(_("This building is not in this community."))
    if not accepts_terms:
        raise errors.ConsentRequired()
    phone_hash = pii.lookup_hash("phone", phone)
    if Member.objects.filter(phone_hash=phone_hash).exists():
        raise errors.PhoneTaken()
    # A failed code guess must count even though registration fails: consume in its own
    # transaction first (a correct code is used up even if a later check fails).
    with transaction.atomic():
        is_code_right = _code_consume(phone_hash=phone_hash, code=code, now=now)
    if not is_code_right:
        raise errors.CodeInvalid()
    try:
        with transaction.atomic():
            member = _member_create(
                community=community,
                phone=phone,
                phone_hash=phone_hash,
                display_name=display_name,
                building=building,
                unit_label=unit_label,
                marketing_opt_in=marketing_opt_in,
                now=now,
            )
            if referral_code.strip():
                referral_bind(referee=member, code=referral_code, now=now)
    except IntegrityError:
        raise errors.PhoneTaken() from None
    return member


def _member_create(
    *,
    community: Community,
    phone: str,
    phone_hash: str,
    display_name: str,
    building: Building | None,
    unit_label: str,
    marketing_opt_in: bool,
    now: datetime,
) -> Member:
    user = get_user_model().objects.create_user(username=f"m{secrets.token_hex(6)}")
    user.set_unusable_password()
    user.save()
    household = None
    if building is not None and unit_label:
        household, _created = Household.objects.get_or_create(
            community=community, building=building, unit_label=unit_label
        )
    member = Member.objects.create(
        user=user,
        community=community,
        display_name=display_name,
        phone_cipher=pii.encrypt(phone),
        phone_hash=phone_hash,
        phone_last4=phone[-4:],
        building=building,
        household=household,
        marketing_opt_in=marketing_opt_in,
        referral_code=secrets.token_hex(4).upper(),
    )
    Consent.objects.create(member=member, purpose=ConsentPurpose.TERMS, granted=True, at=now)
    if building is not None:
        Consent.objects.create(
            member=member, purpose=ConsentPurpose.HOUSEHOLD, granted=True, at=now
        )
    Consent.objects.create(
        member=member, purpose=ConsentPurpose.MARKETING, granted=marketing_opt_in, at=now
    )
    role_grant(user=user, community=community, role=Role.MEMBER, actor=None)
    audit_record(
        actor=user,
        action="member.join",
        target=member,
        after=snapshot(member, exclude=PII_FIELDS),
    )
    notice_send(
        member=member, kind="joined", params={"community": community.name, "member_id": member.id}
    )
    return member


PII_FIELDS = ("phone_cipher", "phone_hash", "real_name_cipher", "id_number_cipher", "id_hash")


def member_verify_identity(
    *,
    member: Member,
    real_name: str,
    id_number: str,
    consents: bool,
    today: date | None = None,
) -> Member:
    """Real-name check for paid membership: GB 11643 checksum and birth date, through the
    identity provider; the birth date from the number drives the 60+ benefits (A§2.3)."""
    today = today or timezone.localdate()
    real_name = (real_name or "").strip()
    number = id_normalise(id_number or "")
    if not consents:
        raise errors.ConsentRequired(
            _("Please agree to the use of your real name and ID number for membership.")
        )
    if not real_name or len(real_name) > REAL_NAME_MAX or "\x00" in real_name:
        raise InvalidInput(_("Enter your name as on your ID card."))
    born = id_birth_date(number, today=today)
    result = identity_verifier().verify(real_name=real_name, id_number=number, today=today)
    if born is None or not result.is_verified:
        raise errors.InvalidIdNumber()
    id_hash = pii.lookup_hash("id", number)
    if Member.objects.filter(id_hash=id_hash).exclude(pk=member.pk).exists():
        raise errors.IdTaken()
    try:
        with transaction.atomic():
            locked = Member.objects.select_for_update().get(pk=member.pk)
            locked.real_name_cipher = pii.encrypt(real_name)
            locked.id_number_cipher = pii.encrypt(number)
            locked.id_hash = id_hash
            locked.birth_date = born
            locked.verified_at = timezone.now()
            locked.identity_backend = result.backend
            locked.save()
            Consent.objects.create(member=locked, purpose=ConsentPurpose.REAL_NAME, granted=True)
            audit_record(
                actor=member.user,
                action="member.verify_identity",
                target=locked,
                after={"identity_backend": result.backend, "verified": True},
            )
    except IntegrityError:
        raise errors.IdTaken() from None
    return locked


def marketing_set(*, member: Member, opt_in: bool) -> Member:
    """Marketing only with a separate opt-in; opting out works at once (消保条例 Art. 24)."""
    with transaction.atomic():
        Member.objects.filter(pk=member.pk).update(marketing_opt_in=opt_in)
        Consent.objects.create(member=member, purpose=ConsentPurpose.MARKETING, granted=opt_in)
        audit_record(
            actor=member.user,
            action="member.marketing",
            target=member,
            after={"marketing_opt_in": opt_in},
        )
    member.marketing_opt_in = opt_in
    return member


def member_login_with_code(*, phone: str, code: str, now: datetime | None = None) -> Member:
    """A returning member logs in with phone + SMS code (members have no password)."""
    now = now or timezone.now()
    phone = phone_normalise(phone)
    phone_hash = pii.lookup_hash("phone", phone)
    with transaction.atomic():
        is_code_right = _code_consume(phone_hash=phone_hash, code=code, now=now)
    member = Member.objects.filter(phone_hash=phone_hash, closed_at__isnull=True).first()
    if not is_code_right or member is None or not member.user.is_active:
        raise errors.CodeInvalid()
    return member
