#!/usr/bin/env bash
# Sets everything up, loads demo data and starts the app on http://127.0.0.1:8000.
# Development mode (DEBUG=1, SQLite in the project folder unless DATABASE_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DEBUG="${DEBUG:-1}"
.venv/bin/python manage.py migrate --no-input -v0
# Prints each demo user's password once, when the user is first created.
.venv/bin/python manage.py seed_demo
.venv/bin/python manage.py activate_due_mous
echo "Open http://127.0.0.1:8000 and log in as one of the demo users above."
exec .venv/bin/python manage.py runserver 127.0.0.1:8000
