"""The member card: rotating code (30 s, ±1 step, single use, own prefix), card + PIN."""

from datetime import timedelta

import pytest
from django.utils import timezone

from linli.commerce import cards, errors
from linli.commerce.services import sale_consume, sale_prepare
from linli.members.pii import decrypt
from tests.commerce.conftest import code_of, fund
from tests.factories import make_member


def _sell(shop, code, request_no, now=None, pin=""):
    return sale_consume(
        merchant=shop.merchant,
        clerk=shop.cashier,
        request_no=request_no,
        code=code,
        pin=pin,
        amount_fen=500,
        now=now,
    )


def test_code_layout_prefix_and_secret_stored_encrypted(shop_a):
    card = cards.card_ensure(member=shop_a.buyer)
    code = code_of(shop_a.buyer)
    assert len(code) == 18 and code.isdigit() and code.startswith("88")
    assert not code.startswith(cards.PAY_CODE_PREFIXES)
    assert decrypt(card.secret_cipher) != card.secret_cipher  # ciphertext, not the secret
    assert cards.card_ensure(member=shop_a.buyer).id == card.id


def test_same_code_twice_second_is_refused(shop_a):
    code = code_of(shop_a.buyer)
    sale, _ = _sell(shop_a, code, "r1")
    with pytest.raises(errors.CodeUsed):
        _sell(shop_a, code, "r2")
    assert sale.card_step is not None


def test_older_code_after_a_newer_one_is_a_replay(shop_a):
    now = timezone.now()
    old = code_of(shop_a.buyer, now - timedelta(seconds=30))
    _sell(shop_a, code_of(shop_a.buyer, now), "r1", now=now)
    with pytest.raises(errors.CodeUsed):
        _sell(shop_a, old, "r2", now=now)


@pytest.mark.parametrize("offset_s, accepted", [(-60, False), (-30, True), (30, True), (90, False)])
def test_one_step_of_skew_accepted_either_way(shop_a, offset_s, accepted):
    now = timezone.now()
    code = code_of(shop_a.buyer, now + timedelta(seconds=offset_s))
    if accepted:
        assert _sell(shop_a, code, "skew", now=now)[0].amount_fen == 500
    else:
        with pytest.raises(errors.CodeInvalid):
            _sell(shop_a, code, "skew", now=now)


def test_code_is_bound_to_its_member(shop_a):
    other = make_member(shop_a.community)
    code = code_of(shop_a.buyer)
    forged = code[:10] + code_of(other)[10:]  # buyer's card id, another card's one-time code
    with pytest.raises(errors.CodeInvalid):
        sale_prepare(merchant=shop_a.merchant, code=forged, amount_fen=100)
    preview = sale_prepare(merchant=shop_a.merchant, code=code, amount_fen=100)
    assert preview.member.id == shop_a.buyer.id and preview.masked_name == "王**"


@pytest.mark.parametrize(
    "code, error",
    [
        ("134567890123456789", errors.PayCodeNotMemberCode),  # WeChat 10–15
        ("2812345678901234", errors.PayCodeNotMemberCode),  # Alipay 25–30
        ("6212345678901234567", errors.PayCodeNotMemberCode),  # UnionPay 62
        ("88123", errors.CodeMalformed),
        ("abc", errors.CodeMalformed),
        ("881234567812345678", errors.CodeInvalid),  # our layout, no such card
    ],
)
def test_codes_that_are_not_ours_get_a_readable_reason(shop_a, code, error):
    with pytest.raises(error):
        sale_prepare(merchant=shop_a.merchant, code=code, amount_fen=100)


def test_prepare_does_not_use_the_code_up(shop_a):
    code = code_of(shop_a.buyer)
    sale_prepare(merchant=shop_a.merchant, code=code, amount_fen=100)
    sale_prepare(merchant=shop_a.merchant, code=code, amount_fen=100)
    assert _sell(shop_a, code, "after-preview")[0].amount_fen == 500


def test_printed_card_and_pin_with_daily_cap(shop_a):
    number, pin = cards.printed_card_issue(member=shop_a.buyer)
    assert number.startswith("89") and len(number) == 12 and len(pin) == 6
    card = cards.card_ensure(member=shop_a.buyer)
    assert card.pin_hash and pin not in card.pin_hash
    for i in range(cards.PIN_SALES_PER_DAY):
        _sell(shop_a, number, f"pin{i}", pin=pin)
    with pytest.raises(errors.PinDailyCap):
        _sell(shop_a, number, "pin-over", pin=pin)


def test_wrong_pins_lock_the_card_for_the_day(shop_a):
    number, pin = cards.printed_card_issue(member=shop_a.buyer)
    wrong = f"{(int(pin) + 1) % 10**6:06d}"
    for _ in range(cards.PIN_FAILURES_PER_DAY):
        with pytest.raises(errors.PinWrong):
            _sell(shop_a, number, "bad", pin=wrong)
    with pytest.raises(errors.PinLocked):
        _sell(shop_a, number, "good-but-locked", pin=pin)


def test_staff_buying_at_their_own_shop_is_refused(shop_a):
    from linli.members.models import Member

    owner_member = Member.objects.get(user=shop_a.merchant.owner)
    fund(owner_member, "TIME", 100)
    with pytest.raises(errors.SelfDealing):
        sale_prepare(merchant=shop_a.merchant, code=code_of(owner_member), amount_fen=100)
