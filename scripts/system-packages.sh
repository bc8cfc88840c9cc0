#!/bin/sh
# Debian packages beyond Python and npm, by group: `test` (the default) for the test suite
# (Chromium for the browser test), `qgis` for the OGC API Features test with headless QGIS
# (python3-qgis for Debian's /usr/bin/python3, qgis-providers for its OAPIF provider), `bench`
# for `make load` (wrk, its HTTP load generator), `postgis` for the PostGIS store's tests and bench
# (PostgreSQL 15 and PostGIS 3: the tests start their own cluster with initdb and pg_ctl), `peers`
# for `make peers` (bench/peers.py: the postgis and bench groups, and nginx to serve tiles from files).
# Usage: sh scripts/system-packages.sh [test|qgis|bench|postgis|peers ...]
# Idempotent: installs only what is missing (apt-get update only then).
set -eu
[ $# -eq 0 ] && set -- test
PACKAGES=""
for group in "$@"; do
  case "$group" in
    test) PACKAGES="$PACKAGES chromium fonts-dejavu-core" ;;
    qgis) PACKAGES="$PACKAGES python3-qgis qgis-providers" ;;
    bench) PACKAGES="$PACKAGES wrk" ;;
    postgis) PACKAGES="$PACKAGES postgresql-15 postgresql-15-postgis-3" ;;
    peers) PACKAGES="$PACKAGES postgresql-15 postgresql-15-postgis-3 wrk nginx" ;;
    *) echo "unknown package group: $group (test, qgis, bench, postgis, peers)" >&2; exit 2 ;;
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
