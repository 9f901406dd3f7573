"""The household page in Chromium on a phone: the family package holder sees the covered
members (masked), invites a resident of the flat and reports a printed card lost; the
resident confirms on their own login — in zh-hans (长辈版) and en, each page audited."""

from typing import Any

import pytest

from linli.communities.models import Building, Neighbourhood, Role
from linli.members.models import CoverStatus, HouseholdCover, Member
from linli.members.services import charter_publish, fee_payment_confirm
from tests.commerce.conftest import build_shop
from tests.factories import make_member, make_role, make_user
from tests.members.test_fees import apply, verified


@pytest.fixture
def family(transactional_db: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEMBERS_PII_KEY_PATH = str(tmp_path / "pii.key")
    shop = build_shop("B")
    community = shop.community
    charter_publish(community=community, body="会员章程 v1", actor=None)
    operator = make_user()
    make_role(operator, community, Role.OPERATOR)
    hood = Neighbourhood.objects.create(community=community, name="园")
    building = Building.objects.create(community=community, neighbourhood=hood, name="3")
    holder = verified(community, building=building, unit_label="302")
    Member.objects.filter(id=holder.id).update(display_name="张大山")
    holder.refresh_from_db()
    holder.user.set_password("pw")
    holder.user.save()
    spouse = make_member(community, display_name="陈静")
    Member.objects.filter(id=spouse.id).update(household=holder.household)
    package = apply(holder, plan="family")
    fee_payment_confirm(
        membership=package, amount_fen=package.fee_fen, method="cash", idempotency_key="fam",
        actor=operator,
    )  # fmt: skip
    child = make_member(community, display_name="张小宝")
    Member.objects.filter(id=child.id).update(household=holder.household)
    return {"community": community, "holder": holder, "spouse": spouse, "child": child}


def _prepare(page: Any, language: str, elderly: bool) -> None:
    if language == "en" and page.get_by_role("button", name="English").count():
        with page.expect_navigation():
            page.get_by_role("button", name="English").click()
    if elderly and page.get_by_test_id("elderly-on").count():
        with page.expect_navigation():
            page.get_by_test_id("elderly-on").click()
    assert page.evaluate("document.documentElement.lang") == language


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_holder_invites_and_replaces_a_card_and_the_resident_confirms(
    page, site_url, login, audit_page, family, language
) -> None:
    elderly = language == "zh-hans"
    url = f"{site_url}/c/{family['community'].slug}/household/"
    login(page, family["holder"].user.username, "pw")
    page.goto(url)
    _prepare(page, language, elderly)
    rows = page.get_by_test_id("covered-row")
    assert rows.count() == 2 and "陈**" in rows.nth(1).inner_text()
    assert "陈静" not in page.content()
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id(f"invite-{family['child'].id}").click()
    assert page.locator('[data-testid="covered-row"][data-status="invited"]').count() == 1
    spouse = family["spouse"].id
    with page.expect_navigation():
        page.get_by_test_id(f"card-{spouse}").click()
    first = page.get_by_test_id("printed-number").inner_text()
    with page.expect_navigation():
        page.get_by_test_id(f"card-{spouse}").click()
    card = page.get_by_test_id("printed-card").inner_text()
    assert ("不再可用" if language == "zh-hans" else "no longer works") in card
    assert page.get_by_test_id("printed-number").inner_text() != first
    audit_page(page, elderly=elderly)

    page.context.clear_cookies()
    login(page, family["child"].user.username, "pw")
    page.goto(url)
    _prepare(page, language, elderly)
    assert page.get_by_test_id("invitation").count() == 1
    audit_page(page, elderly=elderly)
    with page.expect_navigation():
        page.get_by_test_id("accept").click()
    assert "张**" in page.get_by_test_id("covered-by").inner_text()
    cover = HouseholdCover.objects.get(member=family["child"])
    assert cover.status == CoverStatus.COVERED
    audit_page(page, elderly=elderly)
