"""Household cards for family packages (issues 4 and 6): who the package covers (with the
added member's consent), each member's own card at the till, the till's refusal once the
cover ends, printed cards replaced when lost, and the API's nasty cases."""

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli.commerce import cards
from linli.commerce import errors as till_errors
from linli.commerce.accounts import member_frozen_points
from linli.commerce.household import printed_card_renew
from linli.commerce.services import sale_consume, sale_prepare
from linli.communities.audit import AuditEntry
from linli.communities.models import Building, Neighbourhood, Role
from linli.communities.selectors import policy_in_force
from linli.members import errors
from linli.members.models import CoverStatus, HouseholdCover, Member, Notice
from linli.members.selectors import membership_current
from linli.members.services import charter_publish, fee_payment_confirm, membership_refund
from linli.members.services.household import cover_answer, cover_invite, cover_remove
from tests.commerce.conftest import Shop, balance, build_shop, code_of, wallet_of
from tests.factories import make_member, make_role, make_user
from tests.members.test_fees import apply, verified


@pytest.fixture(autouse=True)
def _pii_key(settings, tmp_path):
    settings.MEMBERS_PII_KEY_PATH = str(tmp_path / "pii.key")


@dataclass
class Family:
    shop: Shop
    holder: Member
    spouse: Member  # lived in the flat when the package was paid: covered at payment
    package: Any
    operator: Any


def resident(family_or_holder: Any, name: str = "李小红") -> Member:
    """A member who declared the same flat (joining's household consent)."""
    holder = getattr(family_or_holder, "holder", family_or_holder)
    member = make_member(holder.community, display_name=name)
    Member.objects.filter(id=member.id).update(household=holder.household)
    member.refresh_from_db()
    return member


def pay(package, operator, key: str) -> None:
    fee_payment_confirm(
        membership=package, amount_fen=package.fee_fen, method="cash", idempotency_key=key,
        actor=operator,
    )  # fmt: skip


@pytest.fixture
def family(db) -> Family:
    shop = build_shop("B")
    charter_publish(community=shop.community, body="会员章程 v1", actor=None)
    operator = make_user()
    make_role(operator, shop.community, Role.OPERATOR)
    hood = Neighbourhood.objects.create(community=shop.community, name="园")
    building = Building.objects.create(community=shop.community, neighbourhood=hood, name="3")
    holder = verified(shop.community, building=building, unit_label="302")
    Member.objects.filter(id=holder.id).update(display_name="张大山")
    holder.refresh_from_db()
    spouse = resident(holder, "陈静")
    package = apply(holder, plan="family")
    pay(package, operator, "fam")
    return Family(shop, holder, spouse, package, operator)


def places(family: Family) -> int:
    return policy_in_force(community=family.shop.community).family_package_max_members - 1


def today():
    return timezone.localdate()


# --- who is covered -----------------------------------------------------------------------


def test_payment_covers_the_flat_and_a_later_resident_only_after_confirming(family):
    assert membership_current(member=family.spouse, today=today()) == family.package
    child = resident(family, "张小宝")
    assert membership_current(member=child, today=today()) is None  # living there is not enough
    cover = cover_invite(holder=family.holder, member_id=child.id)
    assert cover.status == CoverStatus.INVITED
    assert membership_current(member=child, today=today()) is None  # not before consent
    assert Notice.objects.filter(member=child, kind="household_invited").exists()
    cover_answer(member=child, cover_id=cover.id, accept=True)
    assert membership_current(member=child, today=today()) == family.package
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"household.invite", "household.accept"} <= actions


def test_declining_leaves_the_member_uncovered_and_frees_the_place(family):
    child = resident(family)
    cover = cover_invite(holder=family.holder, member_id=child.id)
    cover_answer(member=child, cover_id=cover.id, accept=False)
    assert membership_current(member=child, today=today()) is None
    assert HouseholdCover.objects.get(id=cover.id).status == CoverStatus.DECLINED
    again = cover_invite(holder=family.holder, member_id=child.id)  # asked again later
    assert again.id == cover.id and again.status == CoverStatus.INVITED


def test_over_the_package_size_is_refused_and_an_invitation_holds_a_place(family):
    cover_remove(holder=family.holder, member_id=family.spouse.id)
    invited = [resident(family, f"邻{i}") for i in range(places(family))]
    for member in invited:
        cover_invite(holder=family.holder, member_id=member.id)
    with pytest.raises(errors.FamilyFull):
        cover_invite(holder=family.holder, member_id=family.spouse.id)
    # Accepting cannot take it over the size either: the place was taken at invitation.
    for cover in HouseholdCover.objects.filter(status=CoverStatus.INVITED):
        cover_answer(member=cover.member, cover_id=cover.id, accept=True)
    covered = HouseholdCover.objects.filter(membership=family.package, status="covered").count()
    assert covered == places(family)


def test_a_member_who_closed_their_account_gives_the_place_back(family):
    from linli.members.services import member_close

    member_close(member=family.spouse)
    for i in range(places(family)):
        cover_invite(holder=family.holder, member_id=resident(family, f"新{i}").id)
    with pytest.raises(errors.FamilyFull):
        cover_invite(holder=family.holder, member_id=resident(family, "再").id)


def test_another_households_or_communitys_member_and_odd_ids_are_refused(family):
    elsewhere = make_member(family.shop.community)  # same community, no flat
    other_community = build_shop("B").buyer
    for member_id in (elsewhere.id, other_community.id, family.holder.id, 0, -3, "7", True, None,
                      10**18):  # fmt: skip
        with pytest.raises(errors.HouseholdMemberInvalid):
            cover_invite(holder=family.holder, member_id=member_id)
    assert not HouseholdCover.objects.exclude(member=family.spouse).exists()


def test_only_the_package_holder_manages_it(family):
    child = resident(family)
    with pytest.raises(errors.NotPackageHolder):
        cover_invite(holder=family.spouse, member_id=child.id)
    with pytest.raises(errors.NotPackageHolder):
        cover_remove(holder=family.spouse, member_id=family.holder.id)
    with pytest.raises(errors.NotPackageHolder):
        printed_card_renew(holder=family.spouse, member_id=family.spouse.id)


def test_replays_and_answers_to_someone_elses_invitation(family):
    child, cousin = resident(family, "甲"), resident(family, "乙")
    cover = cover_invite(holder=family.holder, member_id=child.id)
    assert cover_invite(holder=family.holder, member_id=child.id).id == cover.id
    with pytest.raises(errors.CoverNotPending):
        cover_answer(member=cousin, cover_id=cover.id, accept=True)  # not theirs
    cover_answer(member=child, cover_id=cover.id, accept=True)
    assert cover_answer(member=child, cover_id=cover.id, accept=True).status == "covered"
    with pytest.raises(errors.CoverNotPending):
        cover_answer(member=child, cover_id=cover.id, accept=False)  # already decided
    for bad in (0, "1", None, 10**18):
        with pytest.raises(errors.CoverNotPending):
            cover_answer(member=child, cover_id=bad, accept=True)
    removed = cover_remove(holder=family.holder, member_id=child.id)
    assert cover_remove(holder=family.holder, member_id=child.id).id == removed.id


# --- at the till --------------------------------------------------------------------------


_steps = itertools.count(1)


def _sell(family: Family, member: Member, request_no: str, amount_fen: int = 10_000):
    """A sale with a fresh code: each one a later 30-second step (a code works once)."""
    now = timezone.now() + timedelta(seconds=cards.STEP_SECONDS * next(_steps))
    return sale_consume(
        merchant=family.shop.merchant,
        clerk=family.shop.cashier,
        request_no=request_no,
        code=code_of(member, now),
        amount_fen=amount_fen,
        now=now,
    )


def test_each_covered_member_pays_with_their_own_card_and_earns_into_their_own_wallet(family):
    preview = sale_prepare(
        merchant=family.shop.merchant, code=code_of(family.spouse), amount_fen=10_000
    )
    assert preview.member == family.spouse and preview.masked_name == "陈**"
    sale, _ = _sell(family, family.spouse, "fam-1")
    assert sale.member_id == family.spouse.id
    cashback = [leg for leg in sale.legs if leg["reason"] == "cashback"]
    assert cashback and {leg["credit_account_id"] for leg in cashback} == {
        member_frozen_points(family.spouse).id  # B: 0.5 points per yuan, her own (frozen)
    }
    assert balance(wallet_of(family.holder, "PTS")) == 0
    assert balance(member_frozen_points(family.holder)) == 0
    assert cards.card_ensure(member=family.spouse).id != cards.card_ensure(member=family.holder).id


def test_a_removed_member_is_refused_at_the_till_with_a_coded_reason(family):
    _sell(family, family.spouse, "before")
    cover_remove(holder=family.holder, member_id=family.spouse.id)
    with pytest.raises(till_errors.HouseholdNotCovered) as refused:
        _sell(family, family.spouse, "after")
    assert refused.value.code == "household_not_covered"
    assert Notice.objects.filter(member=family.spouse, kind="household_removed").exists()
    _sell(family, family.holder, "holder-still-fine")
    _sell(family, family.shop.buyer, "never-on-a-package-fine")


def test_only_members_who_were_covered_are_refused_after_the_cover_ends(family):
    declined = resident(family, "甲")
    cover = cover_invite(holder=family.holder, member_id=declined.id)
    cover_answer(member=declined, cover_id=cover.id, accept=False)
    assert _sell(family, declined, "declined")[0].member_id == declined.id  # never relied on it
    cover_remove(holder=family.holder, member_id=family.spouse.id)
    cover = cover_invite(holder=family.holder, member_id=family.spouse.id)  # asked back
    with pytest.raises(till_errors.HouseholdNotCovered):
        _sell(family, family.spouse, "pending")  # not until she confirms again
    cover_answer(member=family.spouse, cover_id=cover.id, accept=True)
    assert _sell(family, family.spouse, "back")[0].member_id == family.spouse.id


def test_a_refunded_package_ends_the_cover_but_an_own_membership_keeps_the_card(family):
    child = verified(family.shop.community, building=family.holder.building, unit_label="302")
    assert child.household_id == family.holder.household_id
    cover = cover_invite(holder=family.holder, member_id=child.id)
    cover_answer(member=child, cover_id=cover.id, accept=True)
    own = apply(child)  # the grown-up child's own membership
    pay(own, family.operator, "own")
    membership_refund(membership=family.package, reason="搬家", actor=family.operator)
    with pytest.raises(till_errors.HouseholdNotCovered):
        _sell(family, family.spouse, "spouse")
    assert _sell(family, child, "child")[0].member_id == child.id


def test_a_printed_card_reported_lost_is_refused_and_the_new_one_works(family):
    number, pin, replaced = printed_card_renew(holder=family.holder, member_id=family.spouse.id)
    assert not replaced and number.startswith("89")
    new_number, new_pin, replaced = printed_card_renew(
        holder=family.holder, member_id=family.spouse.id, current_last4=number[-4:]
    )
    assert replaced and new_number != number
    with pytest.raises(till_errors.CardSuspended):
        sale_prepare(merchant=family.shop.merchant, code=number, pin=pin, amount_fen=100)
    preview = sale_prepare(
        merchant=family.shop.merchant, code=new_number, pin=new_pin, amount_fen=100
    )
    assert preview.member == family.spouse
    with pytest.raises(till_errors.CardNumberChanged):  # a retry cannot retire the new card
        printed_card_renew(
            holder=family.holder, member_id=family.spouse.id, current_last4=number[-4:]
        )
    stranger = resident(family)  # lives there, not covered: not the holder's to card
    with pytest.raises(errors.HouseholdMemberInvalid):
        printed_card_renew(holder=family.holder, member_id=stranger.id)


def test_the_pin_daily_cap_is_per_person(family):
    numbers = {
        m: printed_card_renew(holder=family.holder, member_id=m.id)
        for m in (family.holder, family.spouse)
    }
    for i in range(cards.PIN_SALES_PER_DAY):
        number, pin, _ = numbers[family.spouse]
        sale_consume(
            merchant=family.shop.merchant, clerk=family.shop.cashier, request_no=f"p{i}",
            code=number, pin=pin, amount_fen=100,
        )  # fmt: skip
    number, pin, _ = numbers[family.spouse]
    with pytest.raises(till_errors.PinDailyCap):
        sale_prepare(merchant=family.shop.merchant, code=number, pin=pin, amount_fen=100)
    number, pin, _ = numbers[family.holder]
    assert (
        sale_prepare(merchant=family.shop.merchant, code=number, pin=pin, amount_fen=100).member
        == family.holder
    )


# --- API and page -------------------------------------------------------------------------


def _client(member_or_user) -> Client:
    client = Client()
    client.force_login(getattr(member_or_user, "user", member_or_user))
    return client


def _url(family: Family, tail: str = "") -> str:
    return f"/api/v1/commerce/communities/{family.shop.community.slug}/household{tail}"


def _post(client: Client, url: str, body: Any):
    return client.post(url, body, content_type="application/json")


def test_api_invite_confirm_remove_and_nasty_input(family):
    holder, child = _client(family.holder), resident(family, "王小")
    page = holder.get(_url(family)).json()
    assert page["holds_package"] and [r["masked_name"] for r in page["rows"]] == ["张**", "陈**"]
    assert [c["member_id"] for c in page["candidates"]] == [child.id]
    invited = _post(holder, _url(family, "/covers"), {"member_id": child.id})
    assert invited.status_code == 201 and invited.json()["status"] == "invited"
    other = build_shop("B").buyer
    refused = _post(holder, _url(family, "/covers"), {"member_id": other.id})
    assert refused.status_code == 404 and refused.json()["code"] == "household_member_invalid"
    for body in ({"member_id": "x"}, {"member_id": -1}, {"member_id": 10**30}, {}):
        assert _post(holder, _url(family, "/covers"), body).status_code in (400, 422)
    cover_id = invited.json()["id"]
    stolen = _post(_client(family.spouse), _url(family, f"/covers/{cover_id}/answer"),
                   {"accept": True})  # fmt: skip
    assert stolen.status_code == 409
    assert stolen.json()["code"] == "household_invitation_not_pending"
    mine = _client(child)
    assert mine.get(_url(family)).json()["invitations"][0]["holder"] == "张**"
    accepted = _post(mine, _url(family, f"/covers/{cover_id}/answer"), {"accept": True})
    assert accepted.status_code == 200 and accepted.json()["status"] == "covered"
    assert mine.get(_url(family)).json()["covered_by"] == "张**"
    not_holder = _post(mine, _url(family, "/covers/remove"), {"member_id": family.spouse.id})
    assert not_holder.status_code == 403 and not_holder.json()["code"] == "household_not_holder"
    removed = _post(holder, _url(family, "/covers/remove"), {"member_id": child.id})
    assert removed.status_code == 200 and removed.json()["status"] == "removed"


def test_api_over_the_max_and_printed_card_replay(family):
    holder = _client(family.holder)
    for i in range(places(family) - 1):
        member = resident(family, f"邻{i}")
        assert _post(holder, _url(family, "/covers"), {"member_id": member.id}).status_code == 201
    extra = resident(family, "多")
    full = _post(holder, _url(family, "/covers"), {"member_id": extra.id})
    assert full.status_code == 409 and full.json()["code"] == "family_full"
    body = {"member_id": family.spouse.id}
    first = _post(holder, _url(family, "/printed-cards"), body)
    assert first.status_code == 201 and not first.json()["replaced"]
    number = first.json()["card_number"]
    replay = _post(holder, _url(family, "/printed-cards"), body)  # a retry of the first issue
    assert replay.status_code == 409 and replay.json()["code"] == "card_number_changed"
    lost = _post(holder, _url(family, "/printed-cards"), body | {"current_last4": number[-4:]})
    assert lost.status_code == 201 and lost.json()["replaced"]
    bad = _post(holder, _url(family, "/printed-cards"), body | {"current_last4": "12ab"})
    assert bad.status_code in (400, 422)


def test_api_refuses_people_without_the_member_role(family):
    for user in (family.shop.cashier, family.operator, make_user()):
        assert _client(user).get(_url(family)).status_code in (401, 403)
    assert Client().get(_url(family)).status_code in (401, 403)


def test_household_page_in_chinese_lists_masked_members_and_issues_a_card(family):
    holder = _client(family.holder)
    url = f"/c/{family.shop.community.slug}/household/"
    page = holder.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "我的家庭" in text and "陈**" in text
    assert "陈静" not in text  # masked
    issued = holder.post(url, {"action": "card", "member": family.spouse.id, "last4": ""})
    assert 'data-testid="printed-number"' in issued.content.decode()
    wrong = holder.post(url, {"action": "invite", "member": "abc"})
    assert 'data-testid="household-error"' in wrong.content.decode()
    stranger = _client(build_shop("B").buyer)
    assert stranger.get(url).status_code == 404  # another community's member
