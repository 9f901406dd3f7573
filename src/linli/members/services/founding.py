"""Founding / co-creation members applying online (A§5 招募共创会员, B§2.2 创始会员).

A resident applies from the founding page with an optional motivation and what they would
contribute; the text is kept only with its own consent record (PIPL: a separate purpose).
An operator approves, which grants the place through `founding_grant` (capped by the
policy, the fee waived as the policy says), or rejects with a reason; the applicant gets an
inbox notice either way. An approval that finds the places taken changes nothing: the
application stays waiting so the operator can reject it with a reason.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.communities.audit import audit_record
from linli.members import errors
from linli.members.models import (
    AdmissionStatus,
    Consent,
    ConsentPurpose,
    FoundingApplication,
    Member,
)
from linli.members.notices import notice_send
from linli.members.selectors import founding_seats
from linli.members.services.fees import founding_grant

ANSWER_MAX = 500
REASON_MAX = 500


def _answer(text: Any) -> str:
    if not isinstance(text, str):
        raise errors.FoundingApplicationInvalid()
    text = text.strip()
    if len(text) > ANSWER_MAX or "\x00" in text:
        raise errors.FoundingApplicationInvalid()
    return text


def founding_apply(
    *, member: Member, motivation: str, contribution: str, consents: bool
) -> FoundingApplication:
    """Ask for a founding place. Text needs the FOUNDING consent, which is recorded."""
    motivation, contribution = _answer(motivation), _answer(contribution)
    if (motivation or contribution) and not consents:
        raise errors.FoundingTextConsentRequired()
    member = Member.objects.get(pk=member.pk)  # the flags as they are now
    if member.closed_at is not None:
        raise errors.NotAMember()
    if member.is_founding:
        raise errors.AlreadyFounding()
    if founding_seats(community=member.community).left == 0:
        raise errors.FoundingPlacesTaken()
    try:
        with transaction.atomic():
            application = FoundingApplication.objects.create(
                community=member.community,
                member=member,
                motivation=motivation,
                contribution=contribution,
            )
            if motivation or contribution:
                Consent.objects.create(member=member, purpose=ConsentPurpose.FOUNDING, granted=True)
            audit_record(
                actor=member.user,
                action="founding.apply",
                target=application,
                after={"has_text": bool(motivation or contribution)},
            )
    except IntegrityError:
        raise errors.FoundingApplicationPending() from None
    return application


def founding_decide(
    *, application: FoundingApplication, approve: bool, reason: str, actor: Any
) -> FoundingApplication:
    """Approve (grant the place, the reason becomes the founding reason) or reject, always
    with a reason; audited, the applicant notified."""
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > REASON_MAX or "\x00" in reason:
        raise errors.FoundingApplicationInvalid(_("A reason of 1 to 500 characters is required."))
    with transaction.atomic():
        locked = (
            FoundingApplication.objects.select_for_update()
            .select_related("member")
            .get(pk=application.pk)
        )
        if locked.status != AdmissionStatus.PENDING:
            raise errors.FoundingApplicationDecided()
        if approve:
            founding_grant(member=locked.member, reason=reason, actor=actor)
        locked.status = AdmissionStatus.APPROVED if approve else AdmissionStatus.REJECTED
        locked.reason = reason
        locked.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="founding.decide",
            target=locked,
            before={"status": AdmissionStatus.PENDING},
            after={"status": locked.status, "reason": reason},
        )
        notice_send(
            member=locked.member,
            kind="founding_approved" if approve else "founding_rejected",
            params={"reason": reason},
        )
    return locked
