"""Demo memberships for `linli demo` (a DEMO_HOOKS entry): a charter, phone numbers and
referral codes for the demo members, and one paid membership confirmed at the counter.
Idempotent: everything is looked up before it is created; payments use fixed keys."""

import contextlib
import secrets

from django.contrib.auth import get_user_model

from linli.communities.models import Community
from linli.errors import DomainError
from linli.members import pii
from linli.members.identity import id_check_char
from linli.members.models import Charter, Member, Membership
from linli.members.services import (
    charter_publish,
    fee_payment_confirm,
    member_verify_identity,
    membership_apply,
)

DEMO_CHARTER = """邻里会员章程（演示版）

1. 会员费存入独立的托管账户，按月确认为收入。
2. 缴费后 7 天内可无理由全额退款；之后按未使用天数退还。
3. 推荐奖励只给直接推荐人，须被推荐人真实参与后发放，每年有上限。
4. 个人信息加密保存，只用于会员服务；营销信息须另行同意，可随时退订。
"""


def _demo_phone(member: Member) -> str:
    return f"1380000{member.id:04d}"[-11:]


def load_demo_members(*, community: Community) -> int:
    if not Charter.objects.filter(community=community).exists():
        charter_publish(community=community, body=DEMO_CHARTER, actor=None)
    members = list(Member.objects.filter(community=community, closed_at__isnull=True))
    for member in members:
        if not member.phone_hash:
            phone = _demo_phone(member)
            member.phone_cipher = pii.encrypt(phone)
            member.phone_hash = pii.lookup_hash("phone", phone)
            member.phone_last4 = phone[-4:]
            member.referral_code = member.referral_code or secrets.token_hex(4).upper()
            member.save()
    payer = next((m for m in members if m.user.get_username() == "li"), None)
    operator = get_user_model().objects.filter(username="operator").first()
    if (
        payer is not None
        and operator is not None
        and not Membership.objects.filter(member=payer).exists()
    ):
        with contextlib.suppress(DomainError):
            if payer.verified_at is None:
                first17 = f"310101198603{payer.id % 28 + 1:02d}123"
                payer = member_verify_identity(
                    member=payer,
                    real_name="李四",
                    id_number=first17 + id_check_char(first17),
                    consents=True,
                )
            charter = Charter.objects.filter(community=community).order_by("-version").first()
            if charter is not None:
                membership = membership_apply(
                    member=payer,
                    plan="individual",
                    charter_version=charter.version,
                    accepts_charter=True,
                )
                if membership.fee_fen:
                    fee_payment_confirm(
                        membership=membership,
                        amount_fen=membership.fee_fen,
                        method="cash",
                        idempotency_key=f"demo:{community.slug}:fee:{payer.id}",
                        actor=operator,
                    )
    return Membership.objects.filter(community=community).count()
