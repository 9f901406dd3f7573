"""A lost phone: the member (or an operator, with a reason) replaces the card's secret; the
old phone's codes are refused at the till as `member_code_rotated` and its login ends."""

import pytest
from django.test import Client

from linli.commerce import cards, errors
from linli.commerce.models import MemberCard, RetiredCardCode, Sale
from linli.commerce.services import sale_consume, sale_prepare
from linli.communities.audit import AuditEntry
from linli.communities.models import Role
from linli.members.models import ApiToken
from linli.members.services import api_token_create
from tests.commerce.conftest import build_shop, code_of
from tests.factories import make_member, make_role, make_user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(shop, tail: str) -> str:
    return f"/api/v1/commerce/communities/{shop.community.slug}{tail}"


def _sell(shop, code, request_no="r1"):
    return sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code,
        amount_fen=500,
    )


def _operator(community):
    user = make_user()
    make_role(user, community, Role.OPERATOR)
    return user


def test_old_code_is_refused_as_rotated_and_the_new_one_sells(shop_a):
    old_code = code_of(shop_a.buyer)
    card = cards.card_rotate(member=shop_a.buyer, actor=shop_a.buyer.user).card
    with pytest.raises(errors.CodeRotated) as refused:
        sale_prepare(merchant=shop_a.merchant, code=old_code, amount_fen=100)
    assert refused.value.code == "member_code_rotated"
    assert old_code[2:10] != card.code_id
    assert RetiredCardCode.objects.get(card=card).code_id == old_code[2:10]
    sale, _ = _sell(shop_a, cards.member_code(card=card))
    assert sale.member_id == shop_a.buyer.id
    assert not Sale.objects.filter(request_no="old").exists()


def test_a_code_checked_before_the_rotation_is_refused_at_consume(shop_a):
    preview = sale_prepare(merchant=shop_a.merchant, code=code_of(shop_a.buyer), amount_fen=100)
    cards.card_rotate(member=shop_a.buyer, actor=shop_a.buyer.user)
    with pytest.raises(errors.CodeRotated):
        cards.card_use(check=preview.check)


def test_a_second_rotation_retires_the_second_id_too(shop_a):
    first = code_of(shop_a.buyer)
    cards.card_rotate(member=shop_a.buyer, actor=shop_a.buyer.user)
    second = code_of(shop_a.buyer)
    cards.card_rotate(member=shop_a.buyer, actor=shop_a.buyer.user)
    for code in (first, second):
        with pytest.raises(errors.CodeRotated):
            sale_prepare(merchant=shop_a.merchant, code=code, amount_fen=100)
    assert RetiredCardCode.objects.filter(card__member=shop_a.buyer).count() == 2


def test_a_garbage_code_with_an_unknown_id_is_still_invalid(shop_a):
    cards.card_rotate(member=shop_a.buyer, actor=shop_a.buyer.user)
    with pytest.raises(errors.CodeInvalid):
        sale_prepare(merchant=shop_a.merchant, code="88" + "0" * 16, amount_fen=100)


def test_a_rotated_code_of_another_community_is_just_invalid(shop_a, db):
    other = build_shop("B")
    old_code = code_of(other.buyer)
    cards.card_rotate(member=other.buyer, actor=other.buyer.user)
    with pytest.raises(errors.CodeInvalid):
        sale_prepare(merchant=shop_a.merchant, code=old_code, amount_fen=100)


def test_the_printed_card_stays(shop_a):
    number, pin = cards.printed_card_issue(member=shop_a.buyer)
    cards.card_rotate(member=shop_a.buyer, actor=shop_a.buyer.user)
    assert MemberCard.objects.get(member=shop_a.buyer).card_number == number
    assert sale_prepare(merchant=shop_a.merchant, code=number, pin=pin, amount_fen=100)


def test_an_operator_must_give_a_reason_and_it_is_audited(shop_a):
    operator = _operator(shop_a.community)
    before = MemberCard.objects.get(pk=cards.card_ensure(member=shop_a.buyer).pk).secret_cipher
    with pytest.raises(errors.RotateReasonMissing):
        cards.card_rotate(member=shop_a.buyer, actor=operator, reason="  ")
    assert MemberCard.objects.get(member=shop_a.buyer).secret_cipher == before
    cards.card_rotate(member=shop_a.buyer, actor=operator, reason="phone stolen")
    entry = AuditEntry.objects.get(action="member.card_rotate")
    assert entry.actor == operator and entry.community_id == shop_a.community.id
    assert entry.after["reason"] == "phone stolen" and entry.after["by"] == "operator"


def test_the_members_other_logins_end_and_this_one_stays(shop_a):
    lost_phone, this_phone = _client(shop_a.buyer.user), _client(shop_a.buyer.user)
    card_url = f"/c/{shop_a.community.slug}/card/"
    assert lost_phone.get(card_url).status_code == 200
    rotated = this_phone.post(
        _api(shop_a, "/card/rotate"), {"confirm": True}, content_type="application/json"
    )
    assert rotated.status_code == 200, rotated.content
    assert rotated.json()["code"] == code_of(shop_a.buyer)
    assert this_phone.get(card_url).status_code == 200
    assert lost_phone.get(card_url).status_code == 302  # back to the login page
    assert AuditEntry.objects.get(action="member.card_rotate").after["sessions_ended"] == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "card_rotate_unconfirmed"),
        ({"confirm": False}, 400, "card_rotate_unconfirmed"),
        ({"confirm": "yes"}, 422, "invalid_input"),
        ({"confirm": 1}, 422, "invalid_input"),
        ({"confirm": None}, 422, "invalid_input"),
    ],
)
def test_member_api_without_a_confirmation_changes_nothing(shop_a, body, status, code):
    card = cards.card_ensure(member=shop_a.buyer)
    answer = _client(shop_a.buyer.user).post(
        _api(shop_a, "/card/rotate"), body, content_type="application/json"
    )
    assert answer.status_code == status and answer.json()["code"] == code
    if status == 400:
        assert set(answer.json()["message"]) == {"zh-hans", "en"}
    assert MemberCard.objects.get(pk=card.pk).code_id == card.code_id
    assert not RetiredCardCode.objects.exists()


def test_member_api_in_another_community_is_refused(shop_a, db):
    other = build_shop("B")
    answer = _client(shop_a.buyer.user).post(
        f"/api/v1/commerce/communities/{other.community.slug}/card/rotate",
        {"confirm": True},
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert not RetiredCardCode.objects.exists()


def test_operator_api_rotates_with_a_reason(shop_a):
    old_code = code_of(shop_a.buyer)
    answer = _client(_operator(shop_a.community)).post(
        _api(shop_a, f"/members/{shop_a.buyer.id}/card/rotate"),
        {"reason": "手机丢失"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json() == {
        "member_id": shop_a.buyer.id,
        "rotated": True,
        "sessions_ended": 0,
        "api_tokens_revoked": 0,
    }
    with pytest.raises(errors.CodeRotated):
        sale_prepare(merchant=shop_a.merchant, code=old_code, amount_fen=100)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 400, "card_rotate_reason_missing"),
        ({"reason": ""}, 400, "card_rotate_reason_missing"),
        ({"reason": 5}, 422, "invalid_input"),
        ({"reason": "x" * 501}, 422, "invalid_input"),
    ],
)
def test_operator_api_bad_reasons(shop_a, body, status, code):
    answer = _client(_operator(shop_a.community)).post(
        _api(shop_a, f"/members/{shop_a.buyer.id}/card/rotate"),
        body,
        content_type="application/json",
    )
    assert answer.status_code == status and answer.json()["code"] == code
    assert not RetiredCardCode.objects.exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.MERCHANT_OWNER, Role.CASHIER, Role.MEMBER])
def test_operator_api_is_for_operators_only(shop_a, role):
    user = make_user()
    make_role(user, shop_a.community, role)
    answer = _client(user).post(
        _api(shop_a, f"/members/{shop_a.buyer.id}/card/rotate"),
        {"reason": "x"},
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert not RetiredCardCode.objects.exists()


def test_a_member_cannot_rotate_another_members_card(shop_a):
    other = make_member(shop_a.community)
    answer = _client(other.user).post(
        _api(shop_a, f"/members/{shop_a.buyer.id}/card/rotate"),
        {"reason": "x"},
        content_type="application/json",
    )
    assert answer.status_code == 403
    assert not RetiredCardCode.objects.exists()


@pytest.mark.parametrize("member_id", ["0", "-1", "abc", str(2**70), "999999999"])
def test_operator_api_unknown_or_malformed_member(shop_a, member_id):
    answer = _client(_operator(shop_a.community)).post(
        _api(shop_a, f"/members/{member_id}/card/rotate"),
        {"reason": "x"},
        content_type="application/json",
    )
    assert answer.status_code in (404, 422)
    assert not RetiredCardCode.objects.exists()


def test_operator_of_another_community_gets_not_found_or_forbidden(shop_a, db):
    other = build_shop("B")
    operator = _operator(other.community)
    via_own = _client(operator).post(
        f"/api/v1/commerce/communities/{other.community.slug}/members/{shop_a.buyer.id}"
        "/card/rotate",
        {"reason": "x"},
        content_type="application/json",
    )
    via_theirs = _client(operator).post(
        _api(shop_a, f"/members/{shop_a.buyer.id}/card/rotate"),
        {"reason": "x"},
        content_type="application/json",
    )
    assert via_own.status_code == 404 and via_theirs.status_code == 403
    assert not RetiredCardCode.objects.exists()


def test_the_page_needs_the_tick_and_then_rotates(shop_a):
    client = _client(shop_a.buyer.user)
    url = f"/c/{shop_a.community.slug}/card/rotate/"
    assert client.get(url).status_code == 200
    unticked = client.post(url, {})
    assert unticked.status_code == 200 and b"rotate-error" in unticked.content
    assert not RetiredCardCode.objects.exists()
    done = client.post(url, {"confirm": "yes"})
    assert done.status_code == 302 and done["Location"].endswith("/card/?rotated=1")
    assert RetiredCardCode.objects.filter(card__member=shop_a.buyer).count() == 1


def test_the_page_of_another_community_is_not_found(shop_a, db):
    other = build_shop("B")
    answer = _client(shop_a.buyer.user).post(
        f"/c/{other.community.slug}/card/rotate/", {"confirm": "yes"}
    )
    assert answer.status_code == 404
    assert not RetiredCardCode.objects.exists()


def test_the_desk_rotates_for_operators_only(shop_a):
    old_code = code_of(shop_a.buyer)
    url = f"/c/{shop_a.community.slug}/ops/members/"
    form = {"action": "card_rotate", "member": str(shop_a.buyer.id), "reason": "phone lost"}
    auditor = make_user()
    make_role(auditor, shop_a.community, Role.AUDITOR)
    assert _client(auditor).post(url, form).status_code == 200
    assert not RetiredCardCode.objects.exists()
    operator = _client(_operator(shop_a.community))
    no_reason = operator.post(url, {**form, "reason": ""})
    assert no_reason.status_code == 200 and b'data-testid="error"' in no_reason.content
    assert not RetiredCardCode.objects.exists()
    assert operator.post(url, form).status_code == 302
    with pytest.raises(errors.CodeRotated):
        sale_prepare(merchant=shop_a.merchant, code=old_code, amount_fen=100)


def test_the_till_api_tells_the_cashier_in_both_languages(shop_a):
    old_code = code_of(shop_a.buyer)
    cards.card_rotate(member=shop_a.buyer, actor=shop_a.buyer.user)
    answer = _client(shop_a.cashier).post(
        _api(shop_a, "/sales/prepare"),
        {"request_no": "t1", "code": old_code, "amount_fen": 100, "source": "pos"},
        content_type="application/json",
    )
    assert answer.status_code == 409 and answer.json()["code"] == "member_code_rotated"
    assert "replaced" in answer.json()["message"]["en"]
    assert answer.json()["message"]["zh-hans"] != answer.json()["message"]["en"]


def _bearer_get(token: str, url: str = "/api/v1/members/me") -> int:
    return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_the_lost_phones_api_token_dies_and_the_asking_one_stays(shop_a):
    user = shop_a.buyer.user
    lost_phone = api_token_create(user=user, name="join")
    this_phone = api_token_create(user=user, name="join")
    cashier_token = api_token_create(user=shop_a.cashier, name="pos")
    assert _bearer_get(lost_phone) == 200
    rotated = Client().post(
        _api(shop_a, "/card/rotate"),
        {"confirm": True},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {this_phone}",
    )
    assert rotated.status_code == 200, rotated.content
    assert rotated.json()["api_tokens_revoked"] == 1
    assert rotated.json()["code"] == code_of(shop_a.buyer)
    assert _bearer_get(lost_phone) == 401
    assert _bearer_get(this_phone) == 200
    assert _bearer_get(cashier_token) == 404  # not a member, but signed in: not revoked
    entry = AuditEntry.objects.get(action="member.card_rotate")
    assert entry.after["api_tokens_revoked"] == 1


def test_a_rotation_from_a_web_session_revokes_every_token(shop_a):
    user = shop_a.buyer.user
    tokens = [api_token_create(user=user, name="join") for _ in range(2)]
    rotated = _client(user).post(
        _api(shop_a, "/card/rotate"), {"confirm": True}, content_type="application/json"
    )
    assert rotated.status_code == 200 and rotated.json()["api_tokens_revoked"] == 2
    assert [_bearer_get(t) for t in tokens] == [401, 401]
    assert not ApiToken.objects.filter(user=user).exists()


def test_an_operator_rotation_revokes_the_members_tokens_only(shop_a):
    member_token = api_token_create(user=shop_a.buyer.user, name="join")
    operator = _operator(shop_a.community)
    operator_token = api_token_create(user=operator, name="desk")
    answer = Client().post(
        _api(shop_a, f"/members/{shop_a.buyer.id}/card/rotate"),
        {"reason": "手机丢失"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {operator_token}",
    )
    assert answer.status_code == 200 and answer.json()["api_tokens_revoked"] == 1
    assert _bearer_get(member_token) == 401
    assert _bearer_get(operator_token) == 404  # signed in (not a member): still valid


def test_tokens_have_no_scope_so_the_same_users_till_token_goes_too(shop_a):
    """Documented limit: a member who is also a cashier loses their till token as well."""
    make_role(shop_a.buyer.user, shop_a.community, Role.CASHIER)
    till_token = api_token_create(user=shop_a.buyer.user, name="pos")
    rotation = cards.card_rotate(member=shop_a.buyer, actor=shop_a.buyer.user)
    assert rotation.api_tokens_revoked == 1
    assert _bearer_get(till_token) == 401


def test_the_page_rotation_revokes_the_tokens(shop_a):
    token = api_token_create(user=shop_a.buyer.user, name="join")
    page = _client(shop_a.buyer.user).post(
        f"/c/{shop_a.community.slug}/card/rotate/", {"confirm": "yes"}
    )
    assert page.status_code == 302
    assert _bearer_get(token) == 401
