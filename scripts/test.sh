#!/usr/bin/env bash
# Runs every check and the whole test suite: on SQLite, then on PostgreSQL.
# PostgreSQL: DATABASE_URL for the tests, default postgresql://postgres@127.0.0.1:5432/partnerships
# (pytest-django creates test_partnerships). In CI (CI=true) PostgreSQL is required.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/partnerships}"

echo "== lint"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

echo "== layers and import cycles (contracts in pyproject.toml [tool.importlinter])"
.venv/bin/lint-imports --no-cache

echo "== migrations are up to date"
DEBUG=1 $PY manage.py makemigrations --check --dry-run

echo "== deployment checks under production-like settings"
SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(64))')" DEBUG=0 \
  PERSON_ID_HMAC_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(32))')" \
  PERSON_NAME_KEY="$($PY -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
  ALLOWED_HOSTS=registry.example.org EMAIL_HOST=smtp.example.org \
  SIGNING_TSA_URL=https://tsa.example.org/tsr \
  $PY manage.py check --deploy --fail-level WARNING

echo "== tests on SQLite"
env -u DATABASE_URL $PY -m pytest -q -p no:cacheprovider "$@"

echo "== tests on PostgreSQL"
if $PY - "$PG_URL" <<'PYCHECK'
import sys
import psycopg
from urllib.parse import urlsplit
url = urlsplit(sys.argv[1])
try:
    psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username, dbname="postgres", connect_timeout=5).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}")
    sys.exit(1)
PYCHECK
then
  DATABASE_URL="$PG_URL" $PY -m pytest -q -p no:cacheprovider "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is required in CI." >&2
  exit 1
else
  echo "Skipped: PostgreSQL is not running at $PG_URL (start it, or set TEST_POSTGRES_URL)."
fi
