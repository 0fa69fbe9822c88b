#!/usr/bin/env bash
# Sets everything up, loads demo data and starts the app on http://127.0.0.1:8000, with the
# background worker, a warm LibreOffice converter and the demo time-stamping authority
# beside it (all stopped on Ctrl-C).
# Development mode (DEBUG=1, SQLite in the project folder unless DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DEBUG="${DEBUG:-1}"
PY=.venv/bin/python

$PY manage.py migrate --no-input -v0

children=()
cleanup() { for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# The warm converters make document previews fast; without them they still work, cold.
# CONVERTER_POOL_SIZE of them (default 1), each with a worker of the default queue below.
converters="${CONVERTER_POOL_SIZE:-1}"
$PY manage.py run_converter --instances "$converters" &
children+=($!)
# The DEMO time-stamping authority: signatures made in the demo are PAdES B-T, completed
# MoUs get an archive timestamp (B-LTA).
$PY manage.py run_demo_tsa &
children+=($!)
# Workers, per queue, so a long import never holds up a rendering: documents (draft saved,
# "Prepare documents"), emails and recounts, one per converter; and imports. Each also sweeps
# stale work.
for _ in $(seq "$converters"); do
  $PY manage.py run_worker --queue-name default &
  children+=($!)
done
$PY manage.py run_worker --queue-name imports &
children+=($!)

# Prints each demo user's password once, when the user is first created.
$PY manage.py seed_demo
$PY manage.py activate_due_mous
echo "Open http://127.0.0.1:8000 and log in as one of the demo users above."
$PY manage.py runserver 127.0.0.1:8000 --noreload
