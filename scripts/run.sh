#!/usr/bin/env bash
# `make run`: bootstrap, migrate SQLite under var/, load the demo community, serve with
# gunicorn and run the huey worker beside it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
UV=scripts/uv.sh
PORT="${PORT:-8000}"
$UV run linli migrate --noinput
$UV run linli collectstatic --noinput >/dev/null
$UV run linli demo
$UV run linli run_huey --quiet &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
echo "Linli is serving on http://127.0.0.1:${PORT}/ (Ctrl-C stops it)"
$UV run gunicorn linli.wsgi:application --bind "127.0.0.1:${PORT}" --workers 2 --threads 4 \
  --access-logfile - --graceful-timeout 5
