"""The committee's list of shops leaving the alliance in Chromium (issue 5), zh-hans and
English: an operator sees each shop serving notice with its closing day and what blocks
the closing, pages through the list, and records a notice on a shop's behalf with a
reason; the chair sees the list without the form."""

from typing import Any

import pytest
from playwright.sync_api import expect

from linli.communities.models import Role
from linli.merchants import leaving
from linli.merchants.models import Merchant, MerchantStatus
from linli.merchants.selectors import chair_for_month
from linli.merchants.services import industries_ensure, merchant_exit_request
from linli.merchants.trust import complaint_file
from tests.factories import make_community, make_member, make_merchant, make_role, make_user


@pytest.fixture
def street(transactional_db: None, settings: Any, monkeypatch: Any) -> dict[str, Merchant]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.setattr(leaving, "EXITS_PER_PAGE", 1)
    community = make_community("A", slug="sunny")
    industries_ensure(community=community)
    shops = {
        code: make_merchant(community, code, f"{code}owner", name=name)
        for code, name in (("supermarket", "联华超市"), ("fruit", "鲜果坊"), ("barber", "快剪"))
    }
    shops["bakery"] = make_merchant(community, "bakery", "bakeryowner", name="面包房")
    chair = chair_for_month(community=community)
    leaving_shops = [m for m in shops.values() if m.id != chair.id][:2]
    for shop in leaving_shops:
        merchant_exit_request(merchant=shop, actor=shop.owner)
    complaint_file(merchant=leaving_shops[0], complainant=make_member(community).user, text="坏")
    make_role(make_user("counter"), community, Role.OPERATOR)
    staying = next(m for m in shops.values() if m.id != chair.id and m not in leaving_shops)
    return {
        "first": leaving_shops[0],
        "second": leaving_shops[1],
        "chair": chair,
        "staying": staying,
    }


def _language(page: Any, site_url: str, language: str) -> None:
    page.context.add_cookies([{"name": "django_language", "value": language, "url": site_url}])


TEXTS = {
    "zh-hans": {
        "heading": "退出中的商家",
        "count": "2 家商家正在退出通知期",
        "closes": "席位将于",
        "blocked": "阻碍关闭：1 件投诉待裁决",
        "free": "没有阻碍关闭的事项",
        "page2": "第 2 页，共 2 页",
        "reason_missing": "请填写代为登记退出通知的原因",
        "recorded": "已为",
    },
    "en": {
        "heading": "Shops leaving the alliance",
        "count": "2 shops serving notice",
        "closes": "Seat closes on",
        "blocked": "Blocks the closing: 1 open complaint to decide",
        "free": "Nothing blocks the closing",
        "page2": "Page 2 of 2",
        "reason_missing": "Give the reason for recording the notice",
        "recorded": "Notice recorded for",
    },
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operator_pages_the_exits_and_records_a_notice(
    page, site_url, login, audit_page, street, language
) -> None:
    texts = TEXTS[language]
    _language(page, site_url, language)
    login(page, "counter", "pw")
    page.goto(f"{site_url}/c/sunny/merchants/committee/")
    page.get_by_test_id("exits-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["heading"])
    expect(page.get_by_test_id("exits-count")).to_have_text(texts["count"])
    row = page.get_by_test_id("exit-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(street["first"].name)
    expect(row.get_by_test_id("exit-row-closes")).to_contain_text(texts["closes"])
    expect(row.get_by_test_id("exit-row-blockers")).to_contain_text(texts["blocked"])
    audit_page(page, elderly=False)
    page.get_by_test_id("exits-next").click()
    expect(page.get_by_test_id("exits-page")).to_have_text(texts["page2"])
    expect(row).to_contain_text(street["second"].name)
    expect(row.get_by_test_id("exit-row-blockers")).to_contain_text(texts["free"])

    staying = street["staying"]
    page.get_by_test_id("exit-record-merchant").select_option(str(staying.id))
    page.get_by_test_id("exit-record").click()  # no reason: refused, nothing changes
    expect(page.get_by_test_id("form-error")).to_contain_text(texts["reason_missing"])
    staying.refresh_from_db()
    assert staying.status == MerchantStatus.ACTIVE
    page.get_by_test_id("exit-record-merchant").select_option(str(staying.id))
    page.get_by_test_id("exit-record-reason").fill("店主在服务台提出 / told the counter")
    page.get_by_test_id("exit-record").click()
    expect(page.get_by_text(texts["recorded"])).to_be_visible()
    expect(page.get_by_test_id("exits-count")).to_contain_text("3")
    staying.refresh_from_db()
    assert staying.status == MerchantStatus.EXITING


def test_the_chair_sees_the_list_without_the_form(page, site_url, login, street) -> None:
    _language(page, site_url, "en")
    login(page, street["chair"].owner.username, "pw")
    page.goto(f"{site_url}/c/sunny/merchants/exits/")
    expect(page.get_by_test_id("exits-count")).to_have_text("2 shops serving notice")
    expect(page.get_by_test_id("exit-record")).to_have_count(0)
