#!/bin/sh
# Debian packages the test suite needs beyond Python and npm: Chromium for the browser test.
# Idempotent: installs only what is missing (apt-get update only then).
set -eu
PACKAGES="chromium fonts-dejavu-core"
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
