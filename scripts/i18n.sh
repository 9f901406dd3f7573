#!/usr/bin/env bash
# Refresh the translation catalogue: collect every translatable string from src/linli into
# src/linli/locale/zh_Hans/LC_MESSAGES/django.po, then compile django.mo.
# Afterwards translate the new (empty or "fuzzy") entries in the .po, run this again, and
# commit both files: a fresh machine may not have gettext. Needs gettext (msgfmt, xgettext).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v xgettext >/dev/null 2>&1 || { echo "i18n: gettext is missing (apt-get install gettext)"; exit 1; }
UV=uv
[ -x scripts/uv.sh ] && UV="$PWD/scripts/uv.sh"
cd src/linli
"$UV" run linli makemessages -l zh_Hans --ignore=.venv --ignore=tests --no-obsolete
"$UV" run linli compilemessages -l zh_Hans --ignore=.venv
untranslated=$(msgattrib --untranslated --no-obsolete locale/zh_Hans/LC_MESSAGES/django.po | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete locale/zh_Hans/LC_MESSAGES/django.po | grep -c '^msgid ' || true)
echo "i18n: catalogue refreshed; entries still to translate: untranslated=${untranslated} fuzzy=${fuzzy}"
echo "      (each count includes the header entry when non-zero)"
