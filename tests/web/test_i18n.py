"""zh-hans by default, English on request, and a catalogue with nothing left untranslated."""

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from tests.web.po import parse_po

SRC = Path(__file__).resolve().parents[2] / "src" / "linli"
CATALOGUE = SRC / "locale" / "zh_Hans" / "LC_MESSAGES"
REFRESH = "run scripts/i18n.sh, translate the new entries, and commit django.po and django.mo"


@pytest.mark.django_db
def test_chinese_is_the_default(client):
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "街坊邻里，互帮互助" in html
    assert "长辈版" in html


@pytest.mark.django_db
def test_language_switch_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Neighbours helping neighbours" in html
    assert "Elderly mode" in html
    # The switch offers the other language, named in that language.
    assert 'lang="zh-hans">简体中文</button>' in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "街坊邻里，互帮互助" in client.get("/").content.decode()


def test_every_entry_is_translated():
    entries = [e for e in parse_po(CATALOGUE / "django.po") if not e.is_header]
    assert entries, "empty catalogue"
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags and not e.is_obsolete]
    untranslated = [e.msgid for e in entries if not e.is_translated and not e.is_obsolete]
    assert fuzzy == [], f"fuzzy entries: {REFRESH}"
    assert untranslated == [], f"untranslated entries: {REFRESH}"


def test_compiled_catalogue_matches_the_po():
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected: dict[object, str] = {}
    for entry in parse_po(CATALOGUE / "django.po"):
        if entry.is_header or entry.is_obsolete or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural is None:
            expected[entry.key] = entry.msgstr[0]
        else:
            expected.update({(entry.key, n): text for n, text in entry.msgstr.items()})
    compiled = {k: v for k, v in compiled.items() if k != ""}  # "" is the header
    assert compiled == expected, f"django.mo is out of date: {REFRESH}"


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Log in", "登录"),
        ("Elderly mode", "长辈版"),
        ("Not found, or not yours to see.", "找不到该内容，或您无权查看。"),
    ],
)
def test_runtime_translation(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese
    with translation.override("en"):
        assert translation.gettext(english) == english


def test_plural_forms_are_used():
    text = "Please try again in %(hours)s hour, or ask your community service desk for help."
    plural = "Please try again in %(hours)s hours, or ask your community service desk for help."
    with translation.override("zh-hans"):
        assert translation.ngettext(text, plural, 2) % {"hours": 2} == (
            "请 2 小时后再试，或请社区服务台帮忙。"
        )


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext (xgettext) not installed")
def test_catalogue_holds_every_translatable_string(tmp_path):
    """Extract the strings afresh from a copy of the source and compare with the catalogue.

    A string added to the code but never collected would show in English to zh-hans users.
    """
    # The copy sits one level down: run from inside it, its logging.py would shadow the stdlib's.
    work = tmp_path / "work"
    copy = work / "linli"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("__pycache__", "locale", "static"))
    locale = tmp_path / "locale"
    (locale / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "i18n_check_settings.py").write_text(
        f"from linli.settings import *  # noqa: F403\nLOCALE_PATHS = [{str(locale)!r}]\n"
    )
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "i18n_check_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]),
    }
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-location"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = {e.key for e in parse_po(locale / "zh_Hans" / "LC_MESSAGES" / "django.po")}
    committed = {e.key for e in parse_po(CATALOGUE / "django.po") if not e.is_obsolete}
    missing = sorted(fresh - committed)
    assert missing == [], f"strings missing from the catalogue: {REFRESH}"
