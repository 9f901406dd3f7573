"""Preset B's admission review (B§1.1): questionnaire, then an operator decides with a
reason; paid membership waits for approval when the policy asks for review."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.communities.audit import audit_record
from linli.errors import Conflict, DomainError
from linli.members.models import AdmissionApplication, AdmissionStatus, Member
from linli.members.notices import notice_send

SKILLS_MAX = 20
SKILL_MAX_CHARS = 30


class AdmissionInvalid(DomainError):
    code = "invalid_input"


class AdmissionRequired(DomainError):
    code = "admission_required"
    status = 409
    message = gettext_lazy("This community reviews new members first: fill in the questionnaire.")


class AdmissionDecided(Conflict):
    code = "admission_decided"
    message = gettext_lazy("This application was already decided.")


def _clean(text: str, limit: int) -> str:
    text = (text or "").strip()
    if len(text) > limit or "\x00" in text:
        raise AdmissionInvalid(_("An answer is too long."))
    return text


def admission_apply(
    *, member: Member, interests: str, skills: list[str], willing_to_serve: bool
) -> AdmissionApplication:
    """Send the questionnaire (interests, skills, willingness to serve)."""
    cleaned = [_clean(s, SKILL_MAX_CHARS) for s in skills[: SKILLS_MAX + 1] if s and s.strip()]
    if len(cleaned) > SKILLS_MAX:
        raise AdmissionInvalid(_("List at most 20 skills."))
    try:
        with transaction.atomic():
            application = AdmissionApplication.objects.create(
                community=member.community,
                member=member,
                interests=_clean(interests, 500),
                skills=cleaned,
                willing_to_serve=willing_to_serve,
            )
            audit_record(actor=member.user, action="admission.apply", target=application)
    except IntegrityError:
        raise AdmissionDecided(_("Your application is already waiting for review.")) from None
    return application


def admission_decide(
    *, application: AdmissionApplication, approve: bool, reason: str, actor: Any
) -> AdmissionApplication:
    """An operator approves or declines, always with a reason (audited, member notified)."""
    reason = _clean(reason, 500)
    if not reason:
        raise AdmissionInvalid(_("A reason is required."))
    with transaction.atomic():
        locked = AdmissionApplication.objects.select_for_update().get(pk=application.pk)
        if locked.status != AdmissionStatus.PENDING:
            raise AdmissionDecided()
        locked.status = AdmissionStatus.APPROVED if approve else AdmissionStatus.REJECTED
        locked.reason = reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action="admission.decide",
            target=locked,
            before={"status": "pending"},
            after={"status": locked.status, "reason": reason},
        )
        notice_send(
            member=locked.member,
            kind="admission_decided",
            params={"status": locked.status, "reason": reason},
        )
    return locked


def admission_is_approved(*, member: Member) -> bool:
    return AdmissionApplication.objects.filter(
        member=member, status=AdmissionStatus.APPROVED
    ).exists()


def member_skills(*, member: Member) -> list[str]:
    """For the time-bank profile: skills from the newest approved questionnaire."""
    latest = (
        AdmissionApplication.objects.filter(member=member, status=AdmissionStatus.APPROVED)
        .order_by("-id")
        .first()
    )
    return list(latest.skills) if latest else []
