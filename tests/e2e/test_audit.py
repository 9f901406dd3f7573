"""The audit itself must be able to fail: a deliberately bad page trips every check."""

import pytest

pytestmark = pytest.mark.e2e

BAD_PAGE = """<!doctype html><html lang="en"><head><title>bad</title>
<style>
  body { font-size: 12px; line-height: 1; }
  .banner { position: fixed; top: 0; }
  .pale { color: #bbb; background: #fff; font-size: 20px; line-height: 2; }
  a { font-size: 20px; line-height: 2; }
</style></head>
<body class="elderly"><main>
  <h1>Small heading</h1>
  <p>Tiny text with a <a href="#x">small link</a>.</p>
  <p class="pale">Pale text</p>
  <div class="banner">Fixed banner</div>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
</main></body></html>"""


def test_audit_catches_small_text_targets_overlays_and_axe_failures(page, audit_page):
    page.set_content(BAD_PAGE)

    with pytest.raises(pytest.fail.Exception) as failure:
        audit_page(page, elderly=True)

    message = str(failure.value)
    assert "text under 18px" in message
    assert "line height under 1.3" in message
    assert "main heading under 30px" in message
    assert 'target under 60×60px: a "small link"' in message
    assert "fixed or sticky element" in message
    assert "axe color-contrast (serious)" in message
    assert "axe image-alt (critical)" in message


def test_audit_notices_the_wrong_mode(page, audit_page):
    page.set_content(BAD_PAGE.replace('class="elderly"', ""))
    with pytest.raises(pytest.fail.Exception, match="is not in elderly mode"):
        audit_page(page, elderly=True)
