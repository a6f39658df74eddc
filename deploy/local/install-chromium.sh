#!/usr/bin/env bash
# Installs Debian's `chromium` for the browser tests (test/e2e), unless it is already there.
# Idempotent and quick when present; never downloads a browser build of its own (apt only).
#
#   deploy/local/install-chromium.sh        install if missing
#   MLOPS_CHROMIUM=/path/to/chromium ...    use that executable instead (checked, not installed)
set -euo pipefail

CHROMIUM=${MLOPS_CHROMIUM:-/usr/bin/chromium}
log() { printf '[chromium] %s\n' "$*" >&2; }
die() {
  printf '[chromium] ERROR: %s\n' "$*" >&2
  exit 1
}

if [[ -x ${CHROMIUM} ]]; then
  log "found ${CHROMIUM}"
  exit 0
fi
if [[ -n ${MLOPS_CHROMIUM:-} ]]; then
  die "MLOPS_CHROMIUM=${MLOPS_CHROMIUM} is not an executable file"
fi
if ! command -v apt-get >/dev/null 2>&1; then
  die "${CHROMIUM} is missing and apt-get is not available: install Chromium with your package manager, or set MLOPS_CHROMIUM to its executable"
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "${CHROMIUM} is missing; installing it needs root (or sudo): apt-get install chromium"
  sudo=(sudo)
fi

log "${CHROMIUM} is missing: installing Debian's chromium package with apt-get (a few minutes, once)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 || die "apt-get update failed (see above)"
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends chromium >&2 || die "apt-get install chromium failed (see above)"
[[ -x ${CHROMIUM} ]] || die "apt-get installed chromium but ${CHROMIUM} is still missing"
log "installed $("${CHROMIUM}" --version 2>/dev/null || echo chromium)"
