#!/usr/bin/env bash
# `make test`: bootstrap, browser and fonts, lint, types, the suite on PostgreSQL (when one
# answers) and the database-sensitive tests on SQLite too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
UV=scripts/uv.sh

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] || fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
  || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing ${need[*]} from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }
  else
    echo "test: missing ${need[*]} and not root on Debian; browser tests will be skipped"
  fi
fi

$UV run ruff check src tests bench
$UV run ruff format --check src tests bench
$UV run mypy src/linli/ledger src/linli/communities src/linli/members src/linli/merchants src/linli/commerce

export HUEY_IMMEDIATE=1 RATELIMIT_ENABLE=0 LINLI_VAR_DIR="${LINLI_VAR_DIR:-$PWD/var/test}"
mkdir -p test-artifacts
if [ -z "${DATABASE_URL:-}" ] && pg_isready -q 2>/dev/null; then
  export DATABASE_URL="postgresql:///postgres"
fi
if [ -n "${DATABASE_URL:-}" ] && $UV run python -c "import psycopg,sys; psycopg.connect(sys.argv[1].replace('postgresql:///','dbname=') if sys.argv[1].startswith('postgresql:///') else sys.argv[1]).close()" "$DATABASE_URL" 2>/dev/null; then
  echo "test: whole suite on PostgreSQL ($DATABASE_URL)"
  $UV run pytest -n 2 -p no:cacheprovider "$@"
  echo "test: database-sensitive tests on SQLite"
  env -u DATABASE_URL $UV run pytest -n 2 -p no:cacheprovider -m db_sensitive "$@"
else
  echo "test: no PostgreSQL answers; running the whole suite on SQLite only"
  env -u DATABASE_URL $UV run pytest -n 2 -p no:cacheprovider "$@"
fi
