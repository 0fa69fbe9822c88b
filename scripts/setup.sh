#!/usr/bin/env bash
# Installs everything the registry needs on Debian 12 (as root): system packages,
# a virtual environment with the pinned Python packages, and the compiled translations.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-venv for the virtual environment, gettext for translations, chromium for the
# browser tests, fonts-liberation2 for Vietnamese glyphs in rendered documents,
# LibreOffice (+ python3-uno for the warm unoserver) for DOCX to PDF, poppler-utils for
# pdftotext/pdffonts/pdfsig in tests and README screenshots, softhsm2 for the PKCS#11 signing
# test, libnss3-tools so pdfsig can trust the test PKI, qpdf to check signed PDFs' structure.
SYSTEM_PACKAGES=(python3 python3-venv python3-dev gettext chromium fonts-liberation2 ca-certificates
  libreoffice-writer-nogui python3-uno poppler-utils softhsm2 libnss3-tools qpdf)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  echo "apt-get not found: install ${SYSTEM_PACKAGES[*]} with your system's package manager." >&2
fi

# axe-core for the accessibility checks of the browser tests, from the npm registry at the
# version in the committed lockfile; the tests serve it to the page from this folder.
if ! command -v npm >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Node.js and npm"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
if ! npm ls --prefix tests/browser/axe >/dev/null 2>&1; then
  npm ci --prefix tests/browser/axe --no-audit --no-fund --loglevel=error
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"

# Translations are compiled from the .po sources so the catalogue always matches them.
DEBUG=1 .venv/bin/python manage.py compilemessages --ignore=.venv -v0
echo "Setup done."
