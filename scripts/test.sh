#!/usr/bin/env bash
# Install everything the tests need (apt + pip) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
APT_PACKAGES=(sip-tester openssl python3-venv libbcg729-0 sqlite3 postgresql chromium kamailio)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
# The tests start their own Kamailio; the packaged service must not hold port 5060.
$SUDO systemctl disable --now kamailio >/dev/null 2>&1 || true
SRS_PIP_EXTRA="[test,postgres]" bash scripts/setup.sh
# Storage tests also run against a real PostgreSQL (Debian's cluster on this machine).
SRS_TEST_DATABASE_URL="${SRS_TEST_DATABASE_URL:-$(bash scripts/start-postgres.sh)}"
case "$SRS_TEST_DATABASE_URL" in
    postgresql*://*) ;;
    *) echo "scripts/start-postgres.sh did not print a database URL: '$SRS_TEST_DATABASE_URL'" >&2; exit 1 ;;
esac
export SRS_TEST_DATABASE_URL
exec .venv/bin/python -m pytest "$@"
