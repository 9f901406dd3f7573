"""The member card: a rotating numeric code and, without a smartphone, card number + PIN.

Code layout (research/china-ecosystem.md §3.2), 18 digits, pure numeric so a barcode gun
reads it and a cashier can type it:

    88 | 8-digit card id | 8-digit one-time code

The prefix 88 can never be a WeChat (10–15), Alipay (25–30) or UnionPay (62) pay code,
so a till that routes scanned codes by prefix cannot confuse them. The one-time code is
RFC 4226 dynamic truncation of HMAC-SHA256(card secret, 30-second step) — TOTP with a
longer digest. ±1 step is accepted for clock skew. A code is single use: the card keeps
the last step used, and only a later step is accepted (an atomic conditional UPDATE), so
a screenshot of a used code, or of an older one, is refused.

Printed cards: "89" + 10 random digits, with a 6-digit PIN stored as a Django password
hash; wrong PINs and PIN sales are capped per day.

A lost phone: the member (or an operator, with a reason) replaces the card's secret and
card id (`card_rotate`). The old id is kept as retired, so the till refuses the lost
phone's codes as `member_code_rotated`, and the member's other logins end (the phone
would otherwise fetch the new code). The printed card is a separate thing and stays.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from linli.commerce import errors
from linli.commerce.models import (
    AuthMethod,
    MemberCard,
    RetiredCardCode,
    RetiredCardNumber,
    Sale,
)
from linli.communities.audit import audit_record
from linli.members import pii
from linli.members.models import Member
from linli.members.services.tokens import api_tokens_revoke, sessions_end
from linli.merchants.models import MerchantStaff

CODE_PREFIX = "88"
CARD_PREFIX = "89"
CODE_LENGTH = 18
CARD_NUMBER_LENGTH = 12
STEP_SECONDS = 30
ACCEPTED_SKEW_STEPS = 1
OTP_DIGITS = 8
PIN_DIGITS = 6
PIN_FAILURES_PER_DAY = 5
PIN_SALES_PER_DAY = 5
# Prefixes of other wallets' pay codes (china-ecosystem.md §3.2): refused with a clear reason.
PAY_CODE_PREFIXES = ("10", "11", "12", "13", "14", "15", "25", "26", "27", "28", "29", "30", "62")


@dataclass(frozen=True)
class CardCheck:
    card: MemberCard
    method: str  # AuthMethod
    step: int | None  # the rotating code's step; None for card + PIN
    # Does the member work at the selling shop (self-dealing)? Read with the card when the
    # caller names the shop (`seller_id`); None when it did not ask.
    staff_of_seller: bool | None = None


def step_at(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def _secret(card: MemberCard) -> bytes:
    return base64.b64decode(pii.decrypt(card.secret_cipher))


def one_time_code(secret: bytes, step: int) -> str:
    digest = hmac.new(secret, step.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{number % 10**OTP_DIGITS:0{OTP_DIGITS}d}"


def _new_secret_cipher() -> str:
    return pii.encrypt(base64.b64encode(secrets.token_bytes(20)).decode())


def _new_code_id() -> str:
    """8 random digits no card uses now (the unique index decides races) and no card used
    before a rotation (an old phone's codes must keep meaning "rotated")."""
    while True:
        code_id = f"{secrets.randbelow(10**8):08d}"
        if not RetiredCardCode.objects.filter(code_id=code_id).exists():
            return code_id


def card_ensure(*, member: Member) -> MemberCard:
    """The member's card, created on first use with a fresh secret (stored encrypted)."""
    found = MemberCard.objects.filter(member=member).first()
    if found is not None:
        return found
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return MemberCard.objects.create(
                    community_id=member.community_id,
                    member=member,
                    code_id=_new_code_id(),
                    secret_cipher=_new_secret_cipher(),
                )
        except IntegrityError:
            found = MemberCard.objects.filter(member=member).first()
            if found is not None:
                return found
    raise errors.MemberInactive()


def member_code(*, card: MemberCard, now: datetime | None = None) -> str:
    """The code the member's phone shows now (refreshes every 30 s)."""
    step = step_at(now or timezone.now())
    return CODE_PREFIX + card.code_id + one_time_code(_secret(card), step)


def printed_card_issue(*, member: Member) -> tuple[str, str]:
    """A printed card for a member without a smartphone: (card number, PIN), shown once."""
    card = card_ensure(member=member)
    pin = f"{secrets.randbelow(10**PIN_DIGITS):0{PIN_DIGITS}d}"
    for _attempt in range(10):
        number = CARD_PREFIX + f"{secrets.randbelow(10**10):010d}"
        try:
            with transaction.atomic():
                MemberCard.objects.filter(id=card.id).update(
                    card_number=number, pin_hash=make_password(pin), pin_failures=0
                )
            return number, pin
        except IntegrityError:
            continue
    raise errors.MemberInactive()


def card_secret_replace(*, member: Member, actor: Any, reason: str) -> tuple[MemberCard, str]:
    """Give the member's card a new id and secret, keeping the old id as retired; returns
    the card and its old id. Inside the caller's transaction; the card row is locked, so
    two rotations queue up."""
    card = MemberCard.objects.select_for_update().get(pk=card_ensure(member=member).pk)
    old = card.code_id
    RetiredCardCode.objects.create(
        community_id=card.community_id, card=card, code_id=old, reason=reason, retired_by=actor
    )
    for _attempt in range(10):
        try:
            with transaction.atomic():
                MemberCard.objects.filter(pk=card.pk).update(
                    code_id=_new_code_id(), secret_cipher=_new_secret_cipher()
                )
            break
        except IntegrityError:
            continue
    else:
        raise errors.MemberInactive()
    card.refresh_from_db()
    return card, old


class Rotation(NamedTuple):
    card: MemberCard
    sessions_ended: int
    api_tokens_revoked: int


def card_rotate(
    *,
    member: Member,
    actor: Any,
    reason: str = "",
    keep_session_key: str | None = None,
    keep_api_token_id: int | None = None,
) -> Rotation:
    """Replace the member's card secret (phone lost): by the member themselves or by an
    operator with a reason. The old phone's codes are refused at the till from now on
    (`member_code_rotated`) and the member's other logins end: web sessions and API bearer
    tokens (a mini-program on the lost phone). `keep_session_key` / `keep_api_token_id`
    are the session or token asking, kept when the member does it themselves. Tokens carry
    no scope, so a till token of the same user is revoked too (`api_tokens_revoked` in
    the audit entry and the answer says how many). Audited."""
    if not isinstance(reason, str) or len(reason.strip()) > 500:
        raise errors.RotateReasonMissing()
    by_member = actor is not None and actor.pk == member.user_id
    if not by_member and not reason.strip():
        raise errors.RotateReasonMissing()
    with transaction.atomic():
        card, old = card_secret_replace(member=member, actor=actor, reason=reason.strip())
        ended = sessions_end(user=member.user, keep_session_key=keep_session_key)
        revoked = api_tokens_revoke(
            user=member.user, keep_token_id=keep_api_token_id if by_member else None
        )
        audit_record(
            actor=actor,
            action="member.card_rotate",
            target=card,
            before={"code_id": old},
            after={
                "code_id": card.code_id,
                "by": "member" if by_member else "operator",
                "reason": reason.strip(),
                "sessions_ended": ended,
                "api_tokens_revoked": revoked,
            },
        )
    return Rotation(card, ended, revoked)


def card_close(*, member: Member) -> None:
    """The member closed their account (members.services.privacy): the printed card is
    retired (the till answers `card_suspended`) and the secret replaced, so nothing the
    member carried still opens the card. A member who never opened a card gets none."""
    card = MemberCard.objects.select_for_update().filter(member=member).first()
    if card is None:
        return
    if card.card_number:
        RetiredCardNumber.objects.create(
            community_id=card.community_id, card=card, number=card.card_number, retired_by=None
        )
        MemberCard.objects.filter(pk=card.pk).update(
            card_number=None, pin_hash="", pin_failures=0, pin_failed_on=None
        )
    card_secret_replace(member=member, actor=None, reason="account closed")


def _cards(community_id: int, seller_id: int | None) -> QuerySet[MemberCard]:
    """The community's cards; with `seller_id`, each also says whether its member is active
    staff of that shop, so the sale's self-dealing check costs no query of its own."""
    cards = MemberCard.objects.filter(community_id=community_id)
    if seller_id is None:
        return cards
    return cards.annotate(
        staff_of_seller=Exists(
            MerchantStaff.objects.filter(
                merchant_id=seller_id, user_id=OuterRef("member__user_id"), is_active=True
            )
        )
    )


def _staff_of_seller(card: MemberCard) -> bool | None:
    return getattr(card, "staff_of_seller", None)


def card_check(
    *, community_id: int, code: str, pin: str = "", now: datetime, seller_id: int | None = None
) -> CardCheck:
    """Who a typed or scanned code belongs to, without using it up (prepare). With
    `seller_id` the check also tells whether the member is staff of that shop."""
    code = "".join(code.split()) if isinstance(code, str) else ""
    if not code.isdigit():
        raise errors.CodeMalformed()
    if code.startswith(CARD_PREFIX) and len(code) == CARD_NUMBER_LENGTH:
        return _pin_check(
            community_id=community_id, number=code, pin=pin, now=now, seller_id=seller_id
        )
    if not (code.startswith(CODE_PREFIX) and len(code) == CODE_LENGTH):
        if code.startswith(PAY_CODE_PREFIXES):
            raise errors.PayCodeNotMemberCode()
        raise errors.CodeMalformed()
    card = (
        _cards(community_id, seller_id)
        .filter(code_id=code[2:10])
        .select_related("member__community")  # the sale opens wallets in it: no re-read
        .first()
    )
    if card is None:
        if RetiredCardCode.objects.filter(community_id=community_id, code_id=code[2:10]).exists():
            raise errors.CodeRotated()
        raise errors.CodeInvalid()
    secret, given, current = _secret(card), code[10:], step_at(now)
    for step in range(current - ACCEPTED_SKEW_STEPS, current + ACCEPTED_SKEW_STEPS + 1):
        if hmac.compare_digest(one_time_code(secret, step), given):
            if step <= card.last_step:
                raise errors.CodeUsed()
            return CardCheck(
                card=card,
                method=AuthMethod.CODE,
                step=step,
                staff_of_seller=_staff_of_seller(card),
            )
    raise errors.CodeInvalid()


def _pin_check(
    *, community_id: int, number: str, pin: str, now: datetime, seller_id: int | None
) -> CardCheck:
    card = (
        _cards(community_id, seller_id).filter(card_number=number).select_related("member").first()
    )
    if card is None or not card.pin_hash:
        # --- household cards: a number reported lost has its own coded reason ---
        retired = RetiredCardNumber.objects.filter(community_id=community_id, number=number)
        if card is None and retired.exists():
            raise errors.CardSuspended()
        # --- end household cards ---
        raise errors.PinWrong()
    today = timezone.localdate(now)
    failures = card.pin_failures if card.pin_failed_on == today else 0
    if failures >= PIN_FAILURES_PER_DAY:
        raise errors.PinLocked()
    if not (isinstance(pin, str) and pin.isdigit() and check_password(pin, card.pin_hash)):
        # Counted outside the caller's transaction would be better; a refused sale rolls
        # nothing else back, so the count sticks.
        MemberCard.objects.filter(id=card.id).update(pin_failures=failures + 1, pin_failed_on=today)
        raise errors.PinWrong()
    used_today = Sale.objects.filter(
        member_id=card.member_id, auth_method=AuthMethod.PIN, created_at__date=today
    ).count()
    if used_today >= PIN_SALES_PER_DAY:
        raise errors.PinDailyCap(limit=PIN_SALES_PER_DAY)
    return CardCheck(
        card=card, method=AuthMethod.PIN, step=None, staff_of_seller=_staff_of_seller(card)
    )


def member_id_of_code(*, community_id: int, code: Any) -> int | None:
    """The member a typed code or card number names, valid or not (a refused sale is
    recorded with it); None when it names no card of the community."""
    code = "".join(code.split()) if isinstance(code, str) else ""
    if code.startswith(CODE_PREFIX) and len(code) == CODE_LENGTH:
        cards = MemberCard.objects.filter(community_id=community_id, code_id=code[2:10])
    elif code.startswith(CARD_PREFIX) and len(code) == CARD_NUMBER_LENGTH:
        retired = RetiredCardNumber.objects.filter(community_id=community_id, number=code).values(
            "card_id"
        )
        cards = MemberCard.objects.filter(community_id=community_id).filter(
            Q(card_number=code) | Q(id__in=retired)
        )
    else:
        return None
    return cards.values_list("member_id", flat=True).first()


def card_use(*, check: CardCheck) -> None:
    """Use the code up (inside the sale's transaction): only a later step than the last
    one used is accepted, so two tills racing with one code cannot both win; a card whose
    secret was replaced since the code was checked refuses it as rotated."""
    if check.step is None:
        return
    used = MemberCard.objects.filter(
        id=check.card.id, code_id=check.card.code_id, last_step__lt=check.step
    ).update(last_step=check.step)
    if used == 1:
        return
    if not MemberCard.objects.filter(id=check.card.id, code_id=check.card.code_id).exists():
        raise errors.CodeRotated()
    raise errors.CodeUsed()
