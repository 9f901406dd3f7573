"""The ledger pages in Chromium, standard and 长辈版, with screenshots (tests/e2e/conftest.py)."""

from typing import Any

import pytest

from tests.ledger import api_fixtures
from tests.ledger.api_fixtures import World


@pytest.fixture
def ledger_world(transactional_db: None, settings: Any) -> World:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return api_fixtures.build_world()


@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_public_ledger_page(page, site_url, audit_page, ledger_world: World, elderly: bool) -> None:
    page.goto(f"{site_url}/c/{ledger_world.community.slug}/ledger/")
    if elderly:
        page.get_by_test_id("elderly-on").click()
        page.wait_for_load_state("load")
    assert page.get_by_test_id("checkpoint").count() == 1
    audit_page(page, elderly=elderly)


@pytest.mark.parametrize("elderly", [False, True], ids=["standard", "elderly"])
def test_my_ledger_and_statement(
    page, site_url, login, audit_page, ledger_world: World, elderly: bool
) -> None:
    ledger_world.owner.user.set_password("pw")
    ledger_world.owner.user.save()
    login(page, ledger_world.owner.user.username, "pw")
    page.goto(f"{site_url}/me/ledger/")
    if elderly:
        page.get_by_test_id("elderly-on").click()
        page.wait_for_load_state("load")
    assert page.get_by_test_id("balance").first.inner_text() == "85.00"
    audit_page(page, elderly=elderly)
    page.get_by_test_id("account").first.get_by_role("link").click()
    page.wait_for_load_state("load")
    assert page.get_by_test_id("statement-line").count() == 2
    audit_page(page, elderly=elderly)
