#!/usr/bin/env bash
# Local Temporal dev server + MinIO for the MLOps platform.
#
#   deploy/local/servers.sh install   ensure the `temporal` and `minio` binaries exist
#   deploy/local/servers.sh start     start both (idempotent) and health-check them
#   deploy/local/servers.sh stop      stop what this script started
#   deploy/local/servers.sh status    show both; exit 0 if both healthy, 3 otherwise
#   deploy/local/servers.sh env       print `export` lines for the rest of the project
#
# State lives in <repo>/.mlops (git-ignored). See deploy/local/README.md.
set -euo pipefail
shopt -s inherit_errexit

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd -- "${SCRIPT_DIR}/../.." && pwd)
# shellcheck source=deploy/local/lib.sh
source "${SCRIPT_DIR}/lib.sh"

# ---------------------------------------------------------------- settings
MLOPS_DIR=${MLOPS_DIR:-${REPO_ROOT}/.mlops}
BIN_CACHE=${MLOPS_BIN_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/mlops-platform/bin}
TEMPORAL_CLI_VERSION=${MLOPS_TEMPORAL_CLI_VERSION:-v1.5.1}
# The MinIO module has no tagged Go-module releases: pin the pseudo-version
# that `@latest` resolved to when this was written (reproducible builds).
MINIO_MODULE_VERSION=${MLOPS_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}
START_TIMEOUT=${MLOPS_START_TIMEOUT:-60}

HOST=127.0.0.1
T_PORT=${MLOPS_TEMPORAL_PORT:-7233}
T_UI_PORT=${MLOPS_TEMPORAL_UI_PORT:-8233}
M_PORT=${MLOPS_MINIO_PORT:-9000}
M_CONSOLE_PORT=${MLOPS_MINIO_CONSOLE_PORT:-9001}
LOCAL_T_ADDR="${HOST}:${T_PORT}"
LOCAL_M_ENDPOINT="http://${HOST}:${M_PORT}"
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
SEARCH_ATTRIBUTES=(MlopsModel MlopsStage MlopsSubmitter MlopsStatus)

LOG_DIR=${MLOPS_DIR}/logs
RUN_DIR=${MLOPS_DIR}/run
ENV_FILE=${MLOPS_DIR}/env
T_DB=${MLOPS_DIR}/temporal/temporal.db
T_LOG=${LOG_DIR}/temporal.log
T_PIDFILE=${RUN_DIR}/temporal.pid
M_DATA=${MLOPS_DIR}/minio/data
M_CREDS=${MLOPS_DIR}/minio/credentials.env
M_LOG=${LOG_DIR}/minio.log
M_PIDFILE=${RUN_DIR}/minio.pid

# ---------------------------------------------------------------- external servers
# A TEMPORAL_ADDRESS / MINIO_ENDPOINT from the environment means "use that
# server", unless it is the value our own env file exported (marked by
# MLOPS_LOCAL_*), so that a shell which sourced .mlops/env still manages the
# local servers.
temporal_external() {
  [[ -n ${TEMPORAL_ADDRESS:-} && ${TEMPORAL_ADDRESS} != "${MLOPS_LOCAL_TEMPORAL_ADDRESS:-}" ]]
}
minio_external() {
  [[ -n ${MINIO_ENDPOINT:-} && ${MINIO_ENDPOINT} != "${MLOPS_LOCAL_MINIO_ENDPOINT:-}" ]]
}
require_external_minio_keys() {
  [[ -n ${MINIO_ACCESS_KEY:-} && -n ${MINIO_SECRET_KEY:-} ]] ||
    die "MINIO_ENDPOINT is set (${MINIO_ENDPOINT}), so MINIO_ACCESS_KEY and MINIO_SECRET_KEY must be set too"
}

# ---------------------------------------------------------------- binaries
go_package() {
  case $1 in
    temporal) printf 'github.com/temporalio/cli/cmd/temporal@%s\n' "$TEMPORAL_CLI_VERSION" ;;
    minio) printf 'github.com/minio/minio@%s\n' "$MINIO_MODULE_VERSION" ;;
  esac
}

# find_binary NAME: explicit override, then PATH, then the cache. No building.
find_binary() {
  local name=$1 override
  case $name in
    temporal) override=${MLOPS_TEMPORAL_BIN:-} ;;
    minio) override=${MLOPS_MINIO_BIN:-} ;;
  esac
  if [[ -n $override ]]; then
    [[ -x $override ]] || die "MLOPS_$(tr '[:lower:]' '[:upper:]' <<<"$name")_BIN=${override} is not an executable"
    printf '%s\n' "$override"
  elif command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
  elif [[ -x ${BIN_CACHE}/${name} ]]; then
    printf '%s\n' "${BIN_CACHE}/${name}"
  else
    return 1
  fi
}

# build_binary NAME: go install into a temporary GOBIN, then move into the cache.
build_binary() {
  local name=$1
  command -v go >/dev/null 2>&1 ||
    die "'${name}' is not on PATH nor in ${BIN_CACHE}, and 'go' is not installed to build it. Install Go (>= 1.25, or >= 1.21 which fetches the newer toolchain itself), then run: GOBIN=${BIN_CACHE} CGO_ENABLED=0 go install $(go_package "$name")"
  mkdir -p "$BIN_CACHE" "$LOG_DIR"
  with_lock "${BIN_CACHE}/.build-${name}.lock" build_binary_locked "$name"
}

build_binary_locked() {
  local name=$1 pkg tmp build_log pid rc=0 started=$SECONDS
  if [[ -x ${BIN_CACHE}/${name} ]]; then
    log "${name} appeared in ${BIN_CACHE} while waiting for the build lock"
    return 0
  fi
  pkg=$(go_package "$name")
  tmp=$(mktemp -d "${BIN_CACHE}/.build-${name}.XXXXXX")
  build_log=${LOG_DIR}/build-${name}.log
  log "building ${name}: GOBIN=${BIN_CACHE} CGO_ENABLED=0 go install ${pkg}"
  log "  (first build downloads modules from $(go env GOPROXY) and takes minutes; output: ${build_log})"
  (cd "$tmp" && exec env GOBIN="$tmp" CGO_ENABLED=0 go install "$pkg") >"$build_log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null; rm -rf "$tmp"; exit 130' INT TERM
  while pid_alive "$pid"; do
    sleep 1
    if (((SECONDS - started) % 30 == 0)); then
      log "  still building ${name} ($((SECONDS - started))s)"
    fi
  done
  wait "$pid" || rc=$?
  trap - INT TERM
  if ((rc != 0)) || [[ ! -x ${tmp}/${name} ]]; then
    show_log_tail "$build_log" 30
    rm -rf "$tmp"
    die "building ${name} failed (exit ${rc}). Command: GOBIN=${BIN_CACHE} CGO_ENABLED=0 go install ${pkg} (GOPROXY=$(go env GOPROXY)). If the proxy refused, check network/GOPROXY or put a '${name}' binary on PATH."
  fi
  mv -f "${tmp}/${name}" "${BIN_CACHE}/${name}"
  rm -rf "$tmp"
  log "built ${BIN_CACHE}/${name} in $((SECONDS - started))s"
}

# ensure_binary NAME: prints the path of a usable binary, building it if needed.
ensure_binary() {
  local name=$1 path
  if ! path=$(find_binary "$name"); then
    build_binary "$name"
    path=$(find_binary "$name") || die "${name} still not found after building"
  fi
  printf '%s\n' "$path"
}

# binary_version NAME PATH: `--version` first line, plus the Go module version.
binary_version() {
  local name=$1 path=$2 version module=""
  version=$("$path" --version 2>/dev/null | head -n 1 || true)
  if command -v go >/dev/null 2>&1; then
    module=$(go version -m "$path" 2>/dev/null | awk '$1 == "mod" { print $3; exit }' || true)
  fi
  printf '%s%s\n' "${version:-unknown}" "${module:+ [go module ${module}]}"
}

# ---------------------------------------------------------------- health checks
temporal_healthy() {
  local bin=$1 addr=$2
  timeout 10 "$bin" operator cluster health --address "$addr" --command-timeout 5s >/dev/null 2>&1 &&
    timeout 10 "$bin" operator namespace describe --address "$addr" --namespace "$NAMESPACE" \
      --command-timeout 5s >/dev/null 2>&1
}

minio_healthy() {
  curl -sf --max-time 5 "${1%/}/minio/health/live" >/dev/null 2>&1
}

# wait_healthy NAME PID CHECK ARGS...: poll CHECK until healthy, the process
# dies (return 2) or START_TIMEOUT passes (return 1).
wait_healthy() {
  local name=$1 pid=$2 started=$SECONDS next=5
  shift 2
  while ((SECONDS - started < START_TIMEOUT)); do
    if "$@"; then
      log "${name} is healthy ($((SECONDS - started))s)"
      return 0
    fi
    if [[ -n $pid ]] && ! pid_alive "$pid"; then
      return 2
    fi
    if ((SECONDS - started >= next)); then
      log "  waiting for ${name} ($((SECONDS - started))s of ${START_TIMEOUT}s)"
      next=$((next + 5))
    fi
    sleep 0.5
  done
  return 1
}

# await_or_die NAME PID LOG CHECK ARGS...
await_or_die() {
  local name=$1 pid=$2 logfile=$3 rc=0
  shift 3
  wait_healthy "$name" "$pid" "$@" || rc=$?
  case $rc in
    0) return 0 ;;
    2)
      show_log_tail "$logfile" 30
      die "${name} (pid ${pid}) exited during startup; see ${logfile}"
      ;;
    *)
      show_log_tail "$logfile" 30
      die "${name} not healthy after ${START_TIMEOUT}s (still running as pid ${pid}; 'deploy/local/servers.sh stop' stops it)"
      ;;
  esac
}

# ---------------------------------------------------------------- our processes
temporal_pid() {
  local pid
  pid=$(pid_from_file "$T_PIDFILE") || return 1
  pid_alive "$pid" && pid_cmdline_has "$pid" start-dev "$T_DB" || return 1
  printf '%s\n' "$pid"
}

minio_pid() {
  local pid
  pid=$(pid_from_file "$M_PIDFILE") || return 1
  pid_alive "$pid" && pid_cmdline_has "$pid" server "$M_DATA" || return 1
  printf '%s\n' "$pid"
}

# ensure_ports_free WHAT HINT PORT...: fail clearly if a port is taken.
ensure_ports_free() {
  local what=$1 hint=$2 port holder
  shift 2
  for port in "$@"; do
    if port_open "$HOST" "$port"; then
      holder=$(port_holder "$port")
      die "cannot start ${what}: port ${HOST}:${port} is already in use by something this script did not start${holder:+ (${holder})}. ${hint}"
    fi
  done
}

# ---------------------------------------------------------------- MinIO credentials
# Sets M_USER / M_PASS: from MINIO_ROOT_USER/PASSWORD, else the saved file,
# else freshly generated and saved (mode 600).
load_minio_credentials() {
  if [[ -n ${MINIO_ROOT_USER:-} || -n ${MINIO_ROOT_PASSWORD:-} ]]; then
    [[ -n ${MINIO_ROOT_USER:-} && -n ${MINIO_ROOT_PASSWORD:-} ]] ||
      die "set both MINIO_ROOT_USER and MINIO_ROOT_PASSWORD, or neither"
    M_USER=$MINIO_ROOT_USER
    M_PASS=$MINIO_ROOT_PASSWORD
    return 0
  fi
  if [[ ! -s $M_CREDS ]]; then
    mkdir -p "$(dirname "$M_CREDS")"
    (
      umask 077
      printf 'MINIO_ROOT_USER=mlops-%s\nMINIO_ROOT_PASSWORD=%s\n' "$(random_hex 6)" "$(random_hex 24)" >"$M_CREDS"
    )
    chmod 600 "$M_CREDS"
    log "generated MinIO credentials in ${M_CREDS}"
  fi
  M_USER=$(sed -n 's/^MINIO_ROOT_USER=//p' "$M_CREDS" | head -n 1)
  M_PASS=$(sed -n 's/^MINIO_ROOT_PASSWORD=//p' "$M_CREDS" | head -n 1)
  [[ -n $M_USER && -n $M_PASS ]] || die "${M_CREDS} is malformed; delete it to regenerate (MinIO data keeps working only with the same credentials)"
}

# ---------------------------------------------------------------- env
env_lines() {
  local t_addr m_endpoint m_key m_secret
  if temporal_external; then t_addr=$TEMPORAL_ADDRESS; else t_addr=$LOCAL_T_ADDR; fi
  if minio_external; then
    require_external_minio_keys
    m_endpoint=$MINIO_ENDPOINT m_key=$MINIO_ACCESS_KEY m_secret=$MINIO_SECRET_KEY
  else
    load_minio_credentials
    m_endpoint=$LOCAL_M_ENDPOINT m_key=$M_USER m_secret=$M_PASS
  fi
  echo "# generated by deploy/local/servers.sh"
  export_line TEMPORAL_ADDRESS "$t_addr"
  export_line TEMPORAL_NAMESPACE "$NAMESPACE"
  export_line MINIO_ENDPOINT "$m_endpoint"
  export_line MINIO_ACCESS_KEY "$m_key"
  export_line MINIO_SECRET_KEY "$m_secret"
  temporal_external || export_line MLOPS_LOCAL_TEMPORAL_ADDRESS "$t_addr"
  minio_external || export_line MLOPS_LOCAL_MINIO_ENDPOINT "$m_endpoint"
}

write_env_file() {
  mkdir -p "$MLOPS_DIR"
  (
    umask 077
    env_lines >"${ENV_FILE}.tmp"
  )
  mv -f "${ENV_FILE}.tmp" "$ENV_FILE"
  log "wrote ${ENV_FILE} (source it: . ${ENV_FILE})"
}

# ---------------------------------------------------------------- start
# Each launch_* sets *_WAIT_PID when the server still needs a health wait.
T_WAIT_PID="" M_WAIT_PID="" T_BIN="" M_BIN=""

launch_temporal() {
  local pid args=() sa
  if temporal_external; then
    log "TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS} is set: using that Temporal, not starting one"
    return 0
  fi
  T_BIN=$(ensure_binary temporal)
  if pid=$(temporal_pid); then
    if temporal_healthy "$T_BIN" "$LOCAL_T_ADDR"; then
      log "temporal already running and healthy (pid ${pid}, ${LOCAL_T_ADDR})"
    else
      log "temporal is running (pid ${pid}) but not healthy yet; waiting"
      T_WAIT_PID=$pid
    fi
    return 0
  fi
  rm -f "$T_PIDFILE"
  ensure_ports_free temporal "Stop it, choose other ports (MLOPS_TEMPORAL_PORT / MLOPS_TEMPORAL_UI_PORT), or use that server via TEMPORAL_ADDRESS." \
    "$T_PORT" "$T_UI_PORT"
  mkdir -p "$(dirname "$T_DB")" "$LOG_DIR" "$RUN_DIR"
  args=(server start-dev --db-filename "$T_DB" --ip "$HOST" --port "$T_PORT" --ui-port "$T_UI_PORT"
    --namespace default --log-level warn)
  [[ $NAMESPACE == default ]] || args+=(--namespace "$NAMESPACE")
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "${sa}=Keyword"); done
  printf '\n=== %s %s %s\n' "$(date -u +%FT%TZ)" "$T_BIN" "${args[*]}" >>"$T_LOG"
  setsid nohup "$T_BIN" "${args[@]}" >>"$T_LOG" 2>&1 </dev/null 9>&- &
  T_WAIT_PID=$!
  echo "$T_WAIT_PID" >"$T_PIDFILE"
  log "started temporal (pid ${T_WAIT_PID}, ${LOCAL_T_ADDR}, UI http://${HOST}:${T_UI_PORT}, log ${T_LOG})"
}

launch_minio() {
  local pid
  if minio_external; then
    require_external_minio_keys
    log "MINIO_ENDPOINT=${MINIO_ENDPOINT} is set: using that MinIO, not starting one"
    return 0
  fi
  M_BIN=$(ensure_binary minio)
  if pid=$(minio_pid); then
    if minio_healthy "$LOCAL_M_ENDPOINT"; then
      log "minio already running and healthy (pid ${pid}, ${LOCAL_M_ENDPOINT})"
    else
      log "minio is running (pid ${pid}) but not healthy yet; waiting"
      M_WAIT_PID=$pid
    fi
    return 0
  fi
  rm -f "$M_PIDFILE"
  ensure_ports_free minio "Stop it, choose other ports (MLOPS_MINIO_PORT / MLOPS_MINIO_CONSOLE_PORT), or use that server via MINIO_ENDPOINT + MINIO_ACCESS_KEY + MINIO_SECRET_KEY." \
    "$M_PORT" "$M_CONSOLE_PORT"
  load_minio_credentials
  mkdir -p "$M_DATA" "$LOG_DIR" "$RUN_DIR"
  printf '\n=== %s %s server %s\n' "$(date -u +%FT%TZ)" "$M_BIN" "$M_DATA" >>"$M_LOG"
  (
    export MINIO_ROOT_USER=$M_USER MINIO_ROOT_PASSWORD=$M_PASS MINIO_UPDATE=off
    exec setsid nohup "$M_BIN" server "$M_DATA" --address "${HOST}:${M_PORT}" \
      --console-address "${HOST}:${M_CONSOLE_PORT}" >>"$M_LOG" 2>&1 </dev/null 9>&-
  ) &
  M_WAIT_PID=$!
  echo "$M_WAIT_PID" >"$M_PIDFILE"
  log "started minio (pid ${M_WAIT_PID}, ${LOCAL_M_ENDPOINT}, console http://${HOST}:${M_CONSOLE_PORT}, log ${M_LOG})"
}

# Register the Mlops* search attributes if any is missing (normally start-dev
# already did, via --search-attribute).
ensure_search_attributes() {
  local listed missing=() sa
  listed=$("$T_BIN" operator search-attribute list --address "$LOCAL_T_ADDR" --namespace "$NAMESPACE" \
    --command-timeout 10s 2>&1) || die "listing search attributes failed: ${listed}"
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    grep -qw "$sa" <<<"$listed" || missing+=("$sa")
  done
  ((${#missing[@]} == 0)) && return 0
  log "registering search attributes: ${missing[*]}"
  for sa in "${missing[@]}"; do
    "$T_BIN" operator search-attribute create --address "$LOCAL_T_ADDR" --namespace "$NAMESPACE" \
      --name "$sa" --type Keyword --command-timeout 10s >/dev/null
  done
}

check_external() {
  local bin
  if temporal_external; then
    if bin=$(find_binary temporal 2>/dev/null) && ! temporal_healthy "$bin" "$TEMPORAL_ADDRESS"; then
      log "warning: external Temporal at ${TEMPORAL_ADDRESS} (namespace ${NAMESPACE}) does not answer"
    fi
  fi
  if minio_external && ! minio_healthy "$MINIO_ENDPOINT"; then
    log "warning: external MinIO at ${MINIO_ENDPOINT} does not answer ${MINIO_ENDPOINT%/}/minio/health/live"
  fi
}

start_locked() {
  local started=$SECONDS
  launch_temporal
  launch_minio
  if [[ -n $T_WAIT_PID ]]; then
    await_or_die temporal "$T_WAIT_PID" "$T_LOG" temporal_healthy "$T_BIN" "$LOCAL_T_ADDR"
  fi
  temporal_external || ensure_search_attributes
  if [[ -n $M_WAIT_PID ]]; then
    await_or_die minio "$M_WAIT_PID" "$M_LOG" minio_healthy "$LOCAL_M_ENDPOINT"
  fi
  check_external
  write_env_file
  log "ready in $((SECONDS - started))s"
}

cmd_start() {
  mkdir -p "$RUN_DIR"
  with_lock "${RUN_DIR}/servers.lock" start_locked
}

# ---------------------------------------------------------------- stop
# stop_server NAME PIDFILE PIDFN
stop_server() {
  local name=$1 pidfile=$2 pidfn=$3 pid
  if pid=$("$pidfn"); then
    log "stopping ${name} (pid ${pid})"
    stop_pid "$pid" "$name" 30
    rm -f "$pidfile"
    log "${name} stopped"
  elif [[ -f $pidfile ]]; then
    rm -f "$pidfile"
    log "${name} not running (removed stale ${pidfile})"
  else
    log "${name} not running"
  fi
}

stop_locked() {
  if temporal_external; then
    log "temporal is external (${TEMPORAL_ADDRESS}); nothing to stop"
  else
    stop_server temporal "$T_PIDFILE" temporal_pid
  fi
  if minio_external; then
    log "minio is external (${MINIO_ENDPOINT}); nothing to stop"
  else
    stop_server minio "$M_PIDFILE" minio_pid
  fi
}

cmd_stop() {
  mkdir -p "$RUN_DIR"
  with_lock "${RUN_DIR}/servers.lock" stop_locked
}

# ---------------------------------------------------------------- status
# print_status NAME STATE PID ADDRESS VERSION LOG
print_status() {
  printf '%-9s %s\n' "$1:" "$2"
  printf '  %-8s %s\n' pid "$3" address "$4" version "$5" log "$6"
}

status_temporal() {
  local bin version="not installed" pid="-" state addr=$LOCAL_T_ADDR healthy=1 logfile=$T_LOG
  bin=$(find_binary temporal 2>/dev/null) && version=$(binary_version temporal "$bin")
  if temporal_external; then
    addr=$TEMPORAL_ADDRESS logfile="- (external)"
    if [[ -n $bin ]] && temporal_healthy "$bin" "$addr"; then
      state="external, healthy" healthy=0
    else
      state="external, not answering"
    fi
  elif pid=$(temporal_pid); then
    if temporal_healthy "$bin" "$addr"; then state="running, healthy" healthy=0; else state="running, NOT healthy"; fi
  else
    pid="-" state=stopped
  fi
  temporal_external || addr+=", UI http://${HOST}:${T_UI_PORT}"
  print_status temporal "$state" "$pid" "${addr} (namespace ${NAMESPACE})" "$version" "$logfile"
  return "$healthy"
}

status_minio() {
  local bin version="not installed" pid="-" state addr=$LOCAL_M_ENDPOINT healthy=1 logfile=$M_LOG
  bin=$(find_binary minio 2>/dev/null) && version=$(binary_version minio "$bin")
  if minio_external; then
    addr=$MINIO_ENDPOINT logfile="- (external)"
    if minio_healthy "$addr"; then state="external, healthy" healthy=0; else state="external, not answering"; fi
  elif pid=$(minio_pid); then
    if minio_healthy "$addr"; then state="running, healthy" healthy=0; else state="running, NOT healthy"; fi
  else
    pid="-" state=stopped
  fi
  minio_external || addr+=" (console http://${HOST}:${M_CONSOLE_PORT})"
  print_status minio "$state" "$pid" "$addr" "$version" "$logfile"
  return "$healthy"
}

cmd_status() {
  local rc=0
  status_temporal || rc=3
  status_minio || rc=3
  echo "state:    ${MLOPS_DIR} (env file ${ENV_FILE})"
  return "$rc"
}

# ---------------------------------------------------------------- install / env
cmd_install() {
  local name bin
  for name in temporal minio; do
    if [[ $name == temporal ]] && temporal_external; then
      log "TEMPORAL_ADDRESS is set: not installing temporal"
      continue
    fi
    if [[ $name == minio ]] && minio_external; then
      log "MINIO_ENDPOINT is set: not installing minio"
      continue
    fi
    bin=$(ensure_binary "$name")
    log "${name}: ${bin} ($(binary_version "$name" "$bin"))"
  done
}

usage() {
  sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-help}
  case $cmd in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) env_lines ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
