"""PIPL and the household: the export carries the member's household covers (as holder and
as covered member, other people masked) and their member card (masked, with its status);
closing an account ends covers and open invitations, retires the printed card and
replaces the card's secret."""

import json

import pytest

from linli.commerce import cards
from linli.commerce import errors as till_errors
from linli.commerce.household import printed_card_renew
from linli.commerce.models import MemberCard, RetiredCardNumber
from linli.commerce.services import sale_prepare
from linli.communities.audit import AuditEntry
from linli.members import pii
from linli.members.models import CoverStatus, HouseholdCover, Notice
from linli.members.services import member_close, member_export, membership_refund
from linli.members.services.household import cover_invite
from linli.members.services.privacy import RefundFirst
from tests.commerce import test_household
from tests.commerce.conftest import code_of
from tests.commerce.test_household import resident

# The household tests' fixtures: a family package paid by a holder, covering the spouse.
family = test_household.family
_pii_key = test_household._pii_key

pytestmark = pytest.mark.django_db


def test_mask_name_and_card_number_have_one_home():
    assert pii.mask_name("王小明") == "王**" and pii.mask_name("") == "**"
    assert pii.mask_card_number("891234567890") == "89******7890"
    assert pii.mask_card_number(None) == "" and pii.mask_card_number("") == ""


def test_the_holders_export_lists_whom_the_package_covers_masked(family):
    child = resident(family, "张小宝")
    cover_invite(holder=family.holder, member_id=child.id)
    data = member_export(member=family.holder)
    rows = {row["member"]: row for row in data["household"]["as_holder"]}
    assert set(rows) == {"陈**", "张**"}
    assert rows["陈**"]["status"] == CoverStatus.COVERED
    assert rows["张**"]["status"] == CoverStatus.INVITED
    assert all(row["membership_id"] == family.package.id for row in rows.values())
    assert data["household"]["as_member"] == []
    dumped = json.dumps(data, ensure_ascii=False)
    assert "陈静" not in dumped and "张小宝" not in dumped


def test_the_covered_members_export_names_the_holder_masked(family):
    data = member_export(member=family.spouse)
    assert data["household"]["as_holder"] == []
    [row] = data["household"]["as_member"]
    assert row["holder"] == "张**" and row["status"] == CoverStatus.COVERED
    assert row["membership_id"] == family.package.id and row["decided_at"]


def test_the_export_has_the_member_card_masked_with_its_status(family):
    assert member_export(member=family.spouse)["member_card"] is None
    first, _pin, _ = printed_card_renew(holder=family.holder, member_id=family.spouse.id)
    number, _pin, _ = printed_card_renew(
        holder=family.holder, member_id=family.spouse.id, current_last4=first[-4:]
    )
    cards.card_rotate(member=family.spouse, actor=family.spouse.user)
    card = member_export(member=family.spouse)["member_card"]
    assert card["status"] == "active" and card["printed_card_status"] == "issued"
    assert card["printed_card_number"] == f"89******{number[-4:]}"
    assert [lost["number"] for lost in card["printed_cards_reported_lost"]] == [
        f"89******{first[-4:]}"
    ]
    assert len(card["code_replaced_at"]) == 1
    dumped = json.dumps(card)
    assert number not in dumped and first not in dumped
    stored = MemberCard.objects.get(member=family.spouse)
    assert stored.secret_cipher not in dumped and pii.decrypt(stored.secret_cipher) not in dumped


def test_closing_a_covered_member_ends_the_cover_and_the_card(family):
    number, pin, _ = printed_card_renew(holder=family.holder, member_id=family.spouse.id)
    old_code = code_of(family.spouse)
    member_close(member=family.spouse)
    cover = HouseholdCover.objects.get(member=family.spouse)
    assert cover.status == CoverStatus.REMOVED and cover.removed_at is not None
    assert RetiredCardNumber.objects.filter(number=number).exists()
    card = MemberCard.objects.get(member=family.spouse)
    assert card.card_number is None and card.pin_hash == ""
    merchant = family.shop.merchant
    with pytest.raises(till_errors.CardSuspended):
        sale_prepare(merchant=merchant, code=number, pin=pin, amount_fen=100)
    with pytest.raises(till_errors.CodeRotated):
        sale_prepare(merchant=merchant, code=old_code, amount_fen=100)
    entry = AuditEntry.objects.get(action="member.close")
    assert entry.after["household_covers_ended"] == 1


def test_closing_ends_an_open_invitation(family):
    child = resident(family, "张小宝")
    cover_invite(holder=family.holder, member_id=child.id)
    member_close(member=child)
    assert HouseholdCover.objects.get(member=child).status == CoverStatus.REMOVED
    assert not HouseholdCover.objects.filter(
        membership=family.package, status=CoverStatus.INVITED
    ).exists()


def test_closing_the_holder_ends_every_cover_of_their_packages(family):
    child = resident(family, "张小宝")
    cover_invite(holder=family.holder, member_id=child.id)
    with pytest.raises(RefundFirst):
        member_close(member=family.holder)
    membership_refund(membership=family.package, reason="moving", actor=family.operator)
    member_close(member=family.holder)
    assert set(
        HouseholdCover.objects.filter(membership=family.package).values_list("status", flat=True)
    ) == {CoverStatus.REMOVED}
    assert Notice.objects.filter(member=family.spouse, kind="household_removed").exists()
    assert not Notice.objects.filter(member=child, kind="household_removed").exists()


def test_closing_a_member_without_a_card_opens_none(family):
    member_close(member=family.spouse)
    assert not MemberCard.objects.filter(member=family.spouse).exists()


def test_closing_twice_changes_nothing_more(family):
    code_of(family.spouse)
    member_close(member=family.spouse)
    before = MemberCard.objects.get(member=family.spouse).code_id
    member_close(member=family.spouse)
    assert MemberCard.objects.get(member=family.spouse).code_id == before
