"""A lost phone in Chromium: the member replaces their card from the card page (with a
confirm step), and an operator does it for another member from the fee desk with a
reason — in zh-hans (长辈版) and en, each page audited."""

from typing import Any

import pytest
from playwright.sync_api import expect

from linli.commerce import cards, errors
from linli.commerce.models import RetiredCardCode
from linli.commerce.services import sale_prepare
from linli.communities.models import Role
from tests.commerce.conftest import build_shop, code_of
from tests.factories import make_member, make_role, make_user


@pytest.fixture
def lost(transactional_db: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEMBERS_PII_KEY_PATH = str(tmp_path / "pii.key")
    shop = build_shop("A")
    shop.buyer.user.set_password("pw")
    shop.buyer.user.save()
    operator = make_user(password="pw")
    make_role(operator, shop.community, Role.OPERATOR)
    neighbour = make_member(shop.community, display_name="李四")
    return {"shop": shop, "operator": operator, "neighbour": neighbour}


def _prepare(page: Any, language: str, elderly: bool) -> None:
    if language == "en" and page.get_by_role("button", name="English").count():
        with page.expect_navigation():
            page.get_by_role("button", name="English").click()
    if elderly and page.get_by_test_id("elderly-on").count():
        with page.expect_navigation():
            page.get_by_test_id("elderly-on").click()
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_member_replaces_their_card_after_confirming(
    page, site_url, login, audit_page, lost, language
) -> None:
    elderly = language == "zh-hans"
    shop = lost["shop"]
    login(page, shop.buyer.user.username, "pw")
    page.goto(f"{site_url}/c/{shop.community.slug}/card/")
    _prepare(page, language, elderly)
    old_code = page.get_by_test_id("member-code").inner_text().replace(" ", "")
    with page.expect_navigation():
        page.get_by_test_id("rotate-link").click()
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("rotate-submit").click()
    expect(page.get_by_test_id("rotate-error")).to_contain_text(
        "勾选" if language == "zh-hans" else "Tick the box"
    )
    assert not RetiredCardCode.objects.exists()
    page.get_by_test_id("rotate-confirm").check()
    with page.expect_navigation():
        page.get_by_test_id("rotate-submit").click()
    expect(page.get_by_test_id("rotated")).to_be_visible()
    new_code = page.get_by_test_id("member-code").inner_text().replace(" ", "")
    assert new_code[2:10] != old_code[2:10]
    audit_page(page, elderly=elderly)
    with pytest.raises(errors.CodeRotated):
        sale_prepare(merchant=shop.merchant, code=old_code, amount_fen=100)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operator_replaces_a_members_card_with_a_reason(
    page, site_url, login, audit_page, lost, language
) -> None:
    elderly = language == "zh-hans"
    shop, neighbour = lost["shop"], lost["neighbour"]
    old_code = code_of(neighbour)
    login(page, lost["operator"].username, "pw")
    page.goto(f"{site_url}/c/{shop.community.slug}/ops/members/")
    _prepare(page, language, elderly)
    form = page.get_by_test_id("card-rotate")
    expect(form).to_be_visible()
    audit_page(page, elderly=elderly)
    form.locator("input[name=member]").fill(str(neighbour.id))
    form.locator("input[name=reason]").fill("手机丢失" if language == "zh-hans" else "phone lost")
    with page.expect_navigation():
        page.get_by_test_id("card-rotate-submit").click()
    expect(page.get_by_test_id("audit-entry").first).to_contain_text("member.card_rotate")
    with pytest.raises(errors.CodeRotated) as refused:
        sale_prepare(merchant=shop.merchant, code=old_code, amount_fen=100)
    assert refused.value.code == "member_code_rotated"
    assert cards.card_ensure(member=neighbour).code_id != old_code[2:10]
