#!/usr/bin/env bash
# The platform's own processes on one machine: the Temporal worker, the NestJS control plane and the
# serving gateway.
#
#   deploy/local/stack.sh start    install npm packages if missing, build, start the servers,
#                                  create demo tokens, start worker, control plane, gateway (idempotent)
#   deploy/local/stack.sh stop     stop them, then the servers this project started
#   deploy/local/stack.sh status
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "${SCRIPT_DIR}/../.." && pwd)
MLOPS_DIR=${MLOPS_DIR:-${REPO_ROOT}/.mlops}
API_PORT=${MLOPS_API_PORT:-3000}
SERVING_PORT=${MLOPS_SERVING_PORT:-8080}
cd "${REPO_ROOT}"

say() { printf '[stack] %s\n' "$*" >&2; }

ensure_packages() {
  # npm install, not npm ci: lockfiles made here list other platforms' optional binaries (ENVIRONMENT-NOTES).
  if [[ ! -d node_modules/@temporalio/worker || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing npm packages (tfjs-node and tfjs-node-gpu are optional: their failure is expected here)"
    npm install --no-audit --no-fund --loglevel=error >&2
  fi
}

ensure_build() {
  local newest
  newest=$(find apps libs models workflows activities pipelines bench -name '*.ts' -newer dist/.built 2>/dev/null | head -1 || true)
  if [[ ! -f dist/.built || -n ${newest} ]]; then
    say "building (tsc)"
    npx tsc -p tsconfig.build.json
    touch dist/.built
  fi
}

ensure_tokens() {
  local creds=${MLOPS_DIR}/auth/demo-credentials.json
  [[ -f ${creds} ]] && return 0
  say "creating demo identities: alice (engineer), bob (reviewer), checkout-service (service), admin (admin)"
  mkdir -p "${MLOPS_DIR}/auth"
  node -e '
    const { createToken } = require("./dist/apps/cli/credentials.js");
    const [tokens, out] = process.argv.slice(1);
    (async () => {
      const creds = {};
      for (const [s, r] of [["alice", "engineer"], ["bob", "reviewer"], ["checkout-service", "service"], ["admin", "admin"]])
        creds[s] = await createToken(tokens, s, r);
      require("fs").writeFileSync(out, JSON.stringify(creds, null, 2), { mode: 0o600 });
    })();' "${MLOPS_DIR}/auth/tokens.json" "${creds}"
}

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_process() { # name, script, ready-check
  local name=$1 script=$2 check=$3 pidfile=${MLOPS_DIR}/run/$1.pid log=${MLOPS_DIR}/logs/$1.log
  if pid_alive "${pidfile}"; then say "${name} already running (pid $(cat "${pidfile}"))"; return 0; fi
  mkdir -p "${MLOPS_DIR}/run" "${MLOPS_DIR}/logs"
  MLOPS_TOKENS_FILE=${MLOPS_DIR}/auth/tokens.json setsid nohup node "${script}" >"${log}" 2>&1 &
  echo $! >"${pidfile}"
  for _ in $(seq 1 120); do
    if eval "${check}"; then say "${name} ready (pid $(cat "${pidfile}"), log ${log})"; return 0; fi
    pid_alive "${pidfile}" || { tail -n 30 "${log}" >&2; say "${name} exited during start-up"; return 1; }
    sleep 0.5
  done
  tail -n 30 "${log}" >&2
  say "${name} not ready after 60 s"
  return 1
}

stop_process() {
  local pidfile=${MLOPS_DIR}/run/$1.pid
  if pid_alive "${pidfile}"; then
    kill "$(cat "${pidfile}")" && say "stopping $1"
    for _ in $(seq 1 40); do pid_alive "${pidfile}" || break; sleep 0.25; done
  fi
  rm -f "${pidfile}"
}

cmd_start() {
  ensure_packages
  bash "${SCRIPT_DIR}/servers.sh" start
  # shellcheck disable=SC1091
  set -a; source "${MLOPS_DIR}/env"; set +a
  ensure_build
  ensure_tokens
  start_process worker dist/apps/worker/main.js "grep -q 'worker ready' '${MLOPS_DIR}/logs/worker.log'"
  grep -m1 'worker ready' "${MLOPS_DIR}/logs/worker.log" >&2 # one JSON line: task queues, TF.js backend, GPU, tracing
  start_process control-plane dist/apps/control-plane/main.js "curl -sf http://127.0.0.1:${API_PORT}/health >/dev/null"
  start_process serving dist/apps/serving/main.js "curl -sf http://127.0.0.1:${SERVING_PORT}/healthz >/dev/null"
}

cmd_stop() {
  stop_process serving
  stop_process control-plane
  stop_process worker
  bash "${SCRIPT_DIR}/servers.sh" stop
}

cmd_status() {
  for p in worker control-plane serving; do
    if pid_alive "${MLOPS_DIR}/run/${p}.pid"; then echo "${p}: running (pid $(cat "${MLOPS_DIR}/run/${p}.pid"))"; else echo "${p}: stopped"; fi
  done
  bash "${SCRIPT_DIR}/servers.sh" status
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
