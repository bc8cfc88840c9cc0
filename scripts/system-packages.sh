#!/bin/sh
# Debian packages beyond Python and npm, by group: `test` (the default) for the test suite
# (Chromium for the browser test), `qgis` for the OGC API Features test with headless QGIS
# (python3-qgis for Debian's /usr/bin/python3, qgis-providers for its OAPIF provider), `bench`
# for `make load` (wrk, its HTTP load generator).
# Usage: sh scripts/system-packages.sh [test|qgis|bench ...]
# Idempotent: installs only what is missing (apt-get update only then).
set -eu
[ $# -eq 0 ] && set -- test
PACKAGES=""
for group in "$@"; do
  case "$group" in
    test) PACKAGES="$PACKAGES chromium fonts-dejavu-core" ;;
    qgis) PACKAGES="$PACKAGES python3-qgis qgis-providers" ;;
    bench) PACKAGES="$PACKAGES wrk" ;;
    *) echo "unknown package group: $group (test, qgis, bench)" >&2; exit 2 ;;
  esac
done
missing=""
for p in $PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
