#!/usr/bin/env bash
# `npm test`: installs what is missing, starts the servers the tests need (unless TEMPORAL_ADDRESS /
# MINIO_ENDPOINT name existing ones), runs jest, and stops only what it started.
set -euo pipefail
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "${SCRIPT_DIR}/../.." && pwd)
cd "${REPO_ROOT}"

if [[ ! -d node_modules/@temporalio/worker || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[test] installing npm packages" >&2
  npm install --no-audit --no-fund --loglevel=error >&2
fi

started=0
if ! bash "${SCRIPT_DIR}/servers.sh" status >/dev/null 2>&1; then started=1; fi
bash "${SCRIPT_DIR}/servers.sh" start
cleanup() { if [[ ${started} == 1 ]]; then bash "${SCRIPT_DIR}/servers.sh" stop; fi; }
trap cleanup EXIT

eval "$(bash "${SCRIPT_DIR}/servers.sh" env)"
export TEMPORAL_ADDRESS TEMPORAL_NAMESPACE MINIO_ENDPOINT MINIO_ACCESS_KEY MINIO_SECRET_KEY
# Static checks first: types (tests included) and lint, including the workflow-determinism rules.
npx tsc -p tsconfig.json --noEmit
npx eslint .
# Some tests run the built worker as a real process (kill -9 fault tests); the reviewer page serves its built client.
npx tsc -p tsconfig.build.json
# The browser tests (test/e2e) drive Debian's Chromium; installed once, quick when present.
bash "${SCRIPT_DIR}/install-chromium.sh"
npx jest "$@"
