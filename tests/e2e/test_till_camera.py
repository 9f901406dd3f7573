"""Camera scan at the till (issue 6: "the cashier form accepts a barcode gun (digits +
Enter) and the phone camera through the browser, typing otherwise"): the button appears only
where the browser has the BarcodeDetector API; without it the page is the plain form and
typing and the barcode gun keep working. Also the receipt's PDF link. zh-hans (长辈版) and en."""

from typing import Any

import pytest
from playwright.sync_api import expect

from linli.commerce.models import Sale
from tests.commerce.conftest import CASHIER_PASSWORD, build_shop, code_of

NO_DETECTOR = "delete window.BarcodeDetector;"

# A stand-in for a phone browser with a camera: the detector "reads" the code it is given,
# the camera is a canvas stream. Only the page's own script is under test here.
FAKE_CAMERA = """
window.BarcodeDetector = class {
  constructor(options) { this.options = options; }
  static getSupportedFormats() { return Promise.resolve(["qr_code", "code_128"]); }
  detect() { return Promise.resolve([{ rawValue: window.__scannedCode || "" }]); }
};
navigator.mediaDevices.getUserMedia = function () {
  var canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 64;
  canvas.getContext("2d").fillRect(0, 0, 64, 64);
  return Promise.resolve(canvas.captureStream(5));
};
"""


@pytest.fixture
def shop(transactional_db: None, settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_shop("A")


def _prepare(page: Any, language: str, elderly: bool) -> None:
    if language == "en" and page.get_by_role("button", name="English").count():
        with page.expect_navigation():
            page.get_by_role("button", name="English").click()
    if elderly and page.get_by_test_id("elderly-on").count():
        with page.expect_navigation():
            page.get_by_test_id("elderly-on").click()
    assert page.evaluate("document.documentElement.lang") == language


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_without_the_api_no_camera_button_and_the_gun_still_works(
    page, site_url, login, audit_page, shop, language
) -> None:
    elderly = language == "zh-hans"
    page.add_init_script(NO_DETECTOR)
    login(page, shop.cashier.username, CASHIER_PASSWORD)
    page.goto(f"{site_url}/c/{shop.community.slug}/till/")
    _prepare(page, language, elderly)
    assert not page.evaluate("'BarcodeDetector' in window")
    assert page.get_by_test_id("scan-area").is_hidden()
    assert page.get_by_test_id("scan-start").is_hidden()
    audit_page(page, elderly=elderly)

    page.locator("#code").press_sequentially(code_of(shop.buyer))  # the gun types digits …
    page.locator("#code").press("Enter")  # … and Enter: on to the amount
    assert page.evaluate("document.activeElement.id") == "amount"
    page.locator("#amount").fill("100")
    with page.expect_navigation():
        page.get_by_test_id("prepare").click()
    assert page.get_by_test_id("preview-cash").inner_text() == "100.00"
    with page.expect_navigation():
        page.get_by_test_id("confirm").click()
    sale = Sale.objects.get()
    assert page.url.endswith(f"/receipts/{sale.id}/")
    link = page.get_by_test_id("receipt-pdf")
    assert link.get_attribute("href").endswith(f"/receipts/{sale.id}/pdf/")
    audit_page(page, elderly=elderly)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_with_the_api_the_camera_fills_the_code(
    page, site_url, login, audit_page, shop, language
) -> None:
    elderly = language == "zh-hans"
    page.add_init_script(FAKE_CAMERA)
    login(page, shop.cashier.username, CASHIER_PASSWORD)
    page.goto(f"{site_url}/c/{shop.community.slug}/till/")
    _prepare(page, language, elderly)
    button = page.get_by_test_id("scan-start")
    assert button.is_visible()
    audit_page(page, elderly=elderly)

    code = code_of(shop.buyer)
    page.evaluate("code => { window.__scannedCode = code; }", code)
    button.click()
    # A locator assertion waits without eval (the page's CSP forbids 'unsafe-eval').
    expect(page.locator("#code")).to_have_value(code)
    assert page.evaluate("document.activeElement.id") == "amount"
    assert page.locator("#scan-video").is_hidden()  # the camera is off again
    page.locator("#amount").fill("20")
    with page.expect_navigation():
        page.get_by_test_id("prepare").click()
    assert page.get_by_test_id("preview-member").inner_text() == "王**"
