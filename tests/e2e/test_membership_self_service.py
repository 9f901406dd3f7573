"""A paying member in Chromium: refunds their own fee within the no-reason period (with
the confirm step), reads the inbox (new-notice badge, open, mark all read), reads the
charter with their acceptance and the founding-member page; an operator grants a founding
place. Every page audited in 长辈版 in zh-hans and in English."""

from typing import Any

import pytest

from linli.communities.models import Role
from linli.members.models import Member, Membership
from linli.members.services import (
    charter_publish,
    fee_payment_confirm,
    member_verify_identity,
    membership_apply,
)
from tests.factories import make_community, make_role, make_user


@pytest.fixture
def paid(transactional_db: None, settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEMBERS_PII_KEY_PATH = str(tmp_path / "pii.key")
    from tests.members.conftest import join, valid_id

    community = make_community("A")
    charter_publish(community=community, body="会员章程：7天无理由全额退款。", actor=None)
    operator = make_user(password="pw")
    make_role(operator, community, Role.OPERATOR)
    member = join(community, display_name="王阿姨")
    member = member_verify_identity(
        member=member, real_name="王芳", id_number=valid_id(), consents=True
    )
    membership = membership_apply(
        member=member, plan="individual", charter_version=1, accepts_charter=True
    )
    fee_payment_confirm(
        membership=membership,
        amount_fen=membership.fee_fen,
        method="cash",
        idempotency_key="e2e-pay",
        actor=operator,
    )
    member.user.set_password("pw")
    member.user.save()
    return {"community": community, "member": member, "operator": operator}


def _language(page: Any, site_url: str, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": site_url}])


def _elderly(page: Any) -> None:
    if page.get_by_test_id("elderly-on").count():
        with page.expect_navigation():
            page.get_by_test_id("elderly-on").click()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_member_refunds_reads_notices_and_the_charter(
    page, site_url, login, audit_page, paid, language
) -> None:
    community, member = paid["community"], paid["member"]
    _language(page, site_url, language)
    login(page, member.user.get_username(), "pw")
    page.goto(f"{site_url}/me/membership/")
    _elderly(page)
    assert page.evaluate("document.documentElement.lang") == language
    assert page.get_by_test_id("unread-badge").is_visible()  # joined, fee paid
    audit_page(page, elderly=True)

    page.goto(f"{site_url}/me/inbox/")
    assert page.get_by_test_id("notice-unread").count() == 2
    audit_page(page, elderly=True)
    with page.expect_navigation():
        page.get_by_test_id("notice").first.get_by_role("link").click()
    assert page.get_by_test_id("notice-text").is_visible()
    audit_page(page, elderly=True)
    page.goto(f"{site_url}/me/inbox/")
    assert page.get_by_test_id("notice-unread").count() == 1
    with page.expect_navigation():
        page.get_by_test_id("read-all").click()
    assert page.get_by_test_id("notice-unread").count() == 0
    assert page.get_by_test_id("unread-badge").count() == 0

    page.goto(f"{site_url}/c/{community.slug}/charter/")
    assert page.get_by_test_id("consent-row").count() == 1
    audit_page(page, elderly=True)
    page.goto(f"{site_url}/c/{community.slug}/founding/")
    assert page.get_by_test_id("seats-left").is_visible()
    audit_page(page, elderly=True)

    page.goto(f"{site_url}/me/membership/")
    with page.expect_navigation():
        page.get_by_test_id("refund-ask").click()
    assert page.get_by_test_id("refund-confirm-text").is_visible()
    audit_page(page, elderly=True)
    with page.expect_navigation():
        page.get_by_test_id("refund-confirm").click()
    assert Membership.objects.get().status == "refunded"
    assert page.locator(".messages").is_visible()
    assert page.get_by_test_id("refund-ask").count() == 0
    assert page.get_by_test_id("unread-badge").is_visible()  # the refund notice
    audit_page(page, elderly=True)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operator_grants_a_founding_place(
    page, site_url, login, audit_page, paid, language
) -> None:
    community, member = paid["community"], paid["member"]
    _language(page, site_url, language)
    login(page, paid["operator"].get_username(), "pw")
    page.goto(f"{site_url}/c/{community.slug}/founding/")
    _elderly(page)
    audit_page(page, elderly=True)
    page.locator("#member").fill(str(member.id))
    page.locator("#reason").fill("退休干部，组织读书会")
    with page.expect_navigation():
        page.get_by_test_id("grant").click()
    assert page.get_by_test_id("founder").count() == 1
    assert Member.objects.get(pk=member.id).is_founding
    audit_page(page, elderly=True)
