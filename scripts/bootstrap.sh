#!/usr/bin/env bash
# Makes a fresh machine ready: pnpm, the workspace's packages, and the Python clients the
# integration tests use as outside witnesses. Idempotent and quick when everything is there.
# The servers themselves are installed by `pnpm auditflow stack up` (cached in $AUDITFLOW_HOME).
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
CACHE=${AUDITFLOW_HOME:-$HOME/.cache/auditflow}

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "bootstrap: '$1' is missing. $2" >&2; exit 1; }
}
need node "Install Node.js (with npm): Node.js 24 LTS is fetched from the npm registry when yours is older."
need java "Install a JDK 17 (apt-get install openjdk-17-jdk-headless); the schema registry also needs a JDK 21+."
need mvn "Install Maven (apt-get install maven): Kafka, the registry and Elasticsearch come from Maven Central."
need go "Install Go 1.24+ (apt-get install golang): MinIO is built from the Go module proxy."
need python3 "Install Python 3 (apt-get install python3 python3-venv)."
need curl "Install curl."
need openssl "Install OpenSSL (apt-get install openssl): the syslog TLS tests make their certificates with it."

# Node.js 24 for everything below (pnpm install included), installed once when node is older.
# shellcheck source=scripts/node.sh
source scripts/node.sh

# rsyslogd is the real syslog daemon the streamer's syslog destination is tested against (Debian).
if ! command -v rsyslogd >/dev/null 2>&1 && [ ! -x /usr/sbin/rsyslogd ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing rsyslog from Debian"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsyslog >/dev/null
  else
    echo "bootstrap: rsyslogd is missing. Install it (apt-get install rsyslog): the syslog tests use it." >&2
    exit 1
  fi
fi

# Chromium drives the console's browser tests (puppeteer-core with this executable; no browser
# download from anywhere but Debian).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing chromium from Debian"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "bootstrap: chromium is missing. Install it (apt-get install chromium): the console tests use it." >&2
    exit 1
  fi
fi

# poppler-utils (pdftoppm, pdftotext) check the PDF evidence reports in the integration tests.
if ! command -v pdftoppm >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing poppler-utils from Debian"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  else
    echo "bootstrap: pdftoppm is missing. Install it (apt-get install poppler-utils): the report tests use it." >&2
    exit 1
  fi
fi

# Corepack cannot verify pnpm's signature offline here, so pnpm comes from npm.
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm $PNPM_VERSION with npm"
  npm install -g --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi

pnpm install --frozen-lockfile --reporter=silent

venv="$CACHE/pyclients"
stamp="$venv/.requirements"
if ! cmp -s test/foreign-clients/requirements.txt "$stamp" 2>/dev/null; then
  echo "bootstrap: installing Python witness clients into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r test/foreign-clients/requirements.txt
  cp test/foreign-clients/requirements.txt "$stamp"
fi
