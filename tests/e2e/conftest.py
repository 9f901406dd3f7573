"""Browser tests: Playwright (sync API) driving Debian's Chromium, never a downloaded browser.

Fixtures every page test can use:
  browser      one Chromium per test session (per xdist worker)
  page         a fresh context per test: a 390 × 844 phone, zh-CN like most of our users
  login        login(page, username, password) through the real login form
  audit_page   audit_page(page, *, elderly) → report dict; fails the test on
               - axe-core violations of impact "serious" or "critical",
               - console errors (a CSP violation shows up there),
               - in 长辈版 (MIIT 2021 适老化): text < 18 px, line height < 1.3, a main heading
                 < 30 px, a target (link, button, field, summary) < 60 × 60 px, anything
                 position: fixed or sticky;
               and saves a full-page screenshot to test-artifacts/ either way.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's guard against ORM calls
# from async code would trip on the test's own setup. The live server runs in its own thread.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
# This machine's network is closed: no QUIC, no background fetches, no updates, no sync.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = ("serious", "critical")

# MIIT 2021 《移动互联网应用(APP)适老化通用设计规范》 numbers (research/china-ecosystem.md §3.7).
ELDERLY_MIN_TEXT_PX = 18
ELDERLY_MIN_HEADING_PX = 30
ELDERLY_MIN_LINE_HEIGHT = 1.3
ELDERLY_MIN_TARGET_PX = 60

_MEASURE_JS = """
({minText, minHeading, minLine, minTarget}) => {
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    if (el.classList.length) name += '.' + [...el.classList].join('.');
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
    return text ? `${name} "${text.slice(0, 40)}"` : name;
  };
  const isVisible = (el, style) => {
    if (style.display === 'none' || style.visibility !== 'visible') return false;
    if (parseFloat(style.opacity) === 0) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const report = {smallText: [], tightLines: [], smallHeadings: [], smallTargets: [],
                  fixedOrSticky: [], checkedText: 0, checkedTargets: 0};
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
                + '[role=button]';
  for (const el of document.querySelectorAll('body, body *')) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    if (style.position === 'fixed' || style.position === 'sticky') {
      report.fixedOrSticky.push(`${describe(el)}: position ${style.position}`);
    }
    if (!isVisible(el, style)) continue;
    const ownText = [...el.childNodes].some(
      (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
    const fontPx = parseFloat(style.fontSize);
    if (ownText) {
      report.checkedText += 1;
      if (fontPx < minText) report.smallText.push(`${describe(el)}: ${fontPx}px`);
      const linePx = style.lineHeight === 'normal' ? NaN : parseFloat(style.lineHeight);
      if (!(linePx / fontPx >= minLine)) {
        report.tightLines.push(`${describe(el)}: line-height ${style.lineHeight} on ${fontPx}px`);
      }
    }
    if (el.tagName === 'H1' && fontPx < minHeading) {
      report.smallHeadings.push(`${describe(el)}: ${fontPx}px`);
    }
    if (el.matches(targets)) {
      report.checkedTargets += 1;
      const box = el.getBoundingClientRect();
      if (box.width < minTarget || box.height < minTarget) {
        report.smallTargets.push(
          `${describe(el)}: ${Math.round(box.width)}×${Math.round(box.height)}px`);
      }
    }
  }
  return report;
}
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium and fonts-noto-cjk "
            "(`apt-get install -y chromium fonts-noto-cjk`; `make test` does it when root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def console_errors() -> list[str]:
    return []


@pytest.fixture
def page(browser: Any, console_errors: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    context.set_default_timeout(15_000)
    new_page = context.new_page()

    def on_console(message: Any) -> None:
        # The page's own error status (a 404 page is meant to be a 404) is not a fault;
        # a missing stylesheet, script or icon, or a CSP refusal, is.
        is_document_status = message.text.startswith("Failed to load resource") and (
            message.location.get("url") == new_page.url
        )
        if message.type == "error" and not is_document_status:
            console_errors.append(f"{message.text} ({message.location.get('url')})")

    new_page.on("console", on_console)
    new_page.on("pageerror", lambda error: console_errors.append(f"page error: {error}"))
    yield new_page
    context.close()


@pytest.fixture
def site_url(live_server: Any, transactional_db: None) -> str:
    return live_server.url


@pytest.fixture
def login(site_url: str) -> Callable[[Any, str, str], None]:
    def log_in(page: Any, username: str, password: str) -> None:
        page.goto(f"{site_url}/login/")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            page.locator("form.stack-form button[type=submit]").click()

    return log_in


def _elderly_problems(measured: dict[str, Any]) -> list[str]:
    labels = {
        "smallText": f"text under {ELDERLY_MIN_TEXT_PX}px",
        "tightLines": f"line height under {ELDERLY_MIN_LINE_HEIGHT}",
        "smallHeadings": f"main heading under {ELDERLY_MIN_HEADING_PX}px",
        "smallTargets": f"target under {ELDERLY_MIN_TARGET_PX}×{ELDERLY_MIN_TARGET_PX}px",
        "fixedOrSticky": "fixed or sticky element",
    }
    return [f"{label}: {item}" for key, label in labels.items() for item in measured[key]]


def _screenshot_path(
    artifacts_dir: Path, test_name: str, language: str, mode: str, taken: dict[str, int]
) -> Path:
    """`<test>-<language>-<mode>.png`; a second shot of the same kind in one test gets `-2`."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{test_name}-{language}-{mode}").strip("-")
    taken[stem] = taken.get(stem, 0) + 1
    suffix = f"-{taken[stem]}" if taken[stem] > 1 else ""
    return artifacts_dir / f"{stem}{suffix}.png"


@pytest.fixture
def audit_page(
    request: pytest.FixtureRequest, artifacts_dir: Path, console_errors: list[str]
) -> Callable[..., dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import Error as PlaywrightError

    axe = Axe()
    taken: dict[str, int] = {}

    def collect(page: Any, mode: str) -> tuple[str, Path, list[str], list[Any], dict[str, Any]]:
        page.wait_for_load_state("load")
        language = page.evaluate("document.documentElement.lang") or "unknown"
        screenshot = _screenshot_path(artifacts_dir, request.node.name, language, mode, taken)
        page.screenshot(path=str(screenshot), full_page=True)
        body_classes = page.evaluate("[...document.body.classList]")
        violations = axe.run(page).response["violations"]
        measured = page.evaluate(
            _MEASURE_JS,
            {
                "minText": ELDERLY_MIN_TEXT_PX,
                "minHeading": ELDERLY_MIN_HEADING_PX,
                "minLine": ELDERLY_MIN_LINE_HEIGHT,
                "minTarget": ELDERLY_MIN_TARGET_PX,
            },
        )
        return language, screenshot, body_classes, violations, measured

    def collect_settled(page: Any, mode: str) -> tuple[Any, ...]:
        """A page that reloads itself (the member card, at each code step) may navigate in
        the middle of the audit; audit the reloaded page once more rather than fail."""
        try:
            return collect(page, mode)
        except PlaywrightError as error:
            if "Execution context was destroyed" not in str(error):
                raise
            return collect(page, mode)

    def audit(page: Any, *, elderly: bool) -> dict[str, Any]:
        mode = "elderly" if elderly else "standard"
        language, screenshot, body_classes, violations, measured = collect_settled(page, mode)
        report = {
            "url": page.url,
            "language": language,
            "mode": mode,
            "screenshot": str(screenshot),
            "axe_violations": [
                {
                    "id": v["id"],
                    "impact": v.get("impact"),
                    "help": v.get("help"),
                    "targets": [", ".join(map(str, n["target"])) for n in v["nodes"]],
                }
                for v in violations
            ],
            "console_errors": list(console_errors),
            "measured": measured,
        }

        problems = []
        if ("elderly" in body_classes) is not elderly:
            problems.append(f"page is not in {mode} mode (body classes: {body_classes})")
        problems += [
            f"axe {v['id']} ({v['impact']}): {v['help']} at {'; '.join(v['targets'])}"
            for v in report["axe_violations"]
            if v["impact"] in BLOCKING_IMPACTS
        ]
        problems += [f"console error: {text}" for text in console_errors]
        if elderly:
            problems += _elderly_problems(measured)
            if measured["checkedText"] == 0:
                problems.append("no text found to measure")
        report["problems"] = problems
        if problems:
            pytest.fail(
                f"{page.url} ({language}, {mode}) fails the audit; screenshot {screenshot}:\n  "
                + "\n  ".join(problems),
                pytrace=False,
            )
        return report

    return audit
