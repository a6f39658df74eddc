# shellcheck shell=bash
# Helpers for deploy/local/servers.sh. Sourced, not executed.

# ---------------------------------------------------------------- messages
log() { printf '[servers] %s\n' "$*" >&2; }
die() {
  printf '[servers] ERROR: %s\n' "$*" >&2
  exit 1
}

# Print the last lines of a log file, indented, to stderr.
show_log_tail() {
  local file=$1 lines=${2:-30}
  if [[ -s $file ]]; then
    log "last ${lines} lines of ${file}:"
    tail -n "$lines" "$file" | sed 's/^/    /' >&2
  else
    log "(${file} is empty or missing)"
  fi
}

# ---------------------------------------------------------------- processes
# pid_from_file FILE -> prints the pid if FILE holds a number.
pid_from_file() {
  local file=$1 pid
  [[ -f $file ]] || return 1
  pid=$(tr -dc '0-9' <"$file")
  [[ -n $pid ]] || return 1
  printf '%s\n' "$pid"
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
  local pid=$1 state
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/${pid}/stat" 2>/dev/null || true)
  [[ $state != Z ]]
}

# pid_cmdline_has PID WORD...: every WORD occurs in the process's command line
# (guards against a pid file pointing at a recycled pid).
pid_cmdline_has() {
  local pid=$1 cmdline word
  shift
  cmdline=$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null) || return 1
  for word in "$@"; do
    [[ $cmdline == *"$word"* ]] || return 1
  done
}

# stop_pid PID NAME [SECONDS]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid=$1 name=$2 wait_s=${3:-30} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < wait_s * 5; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.2
  done
  log "${name} (pid ${pid}) did not exit within ${wait_s}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 25; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.2
  done
  die "${name} (pid ${pid}) is still alive after SIGKILL"
}

# ---------------------------------------------------------------- ports
# port_open HOST PORT: something accepts TCP connections there.
port_open() {
  local host=$1 port=$2
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

# port_holder PORT: best-effort description of the listening process.
port_holder() {
  local port=$1 line pid
  command -v ss >/dev/null 2>&1 || return 0
  line=$(ss -ltnpH "( sport = :${port} )" 2>/dev/null | head -n 1 || true)
  pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line" | head -n 1)
  if [[ -n $pid && -r /proc/${pid}/cmdline ]]; then
    printf 'pid %s: %s' "$pid" "$(tr '\0' ' ' <"/proc/${pid}/cmdline" | cut -c1-200)"
  elif [[ -n $line ]]; then
    printf '%s' "$line"
  fi
}

# ---------------------------------------------------------------- misc
# random_hex BYTES
random_hex() {
  local n=$1
  if command -v openssl >/dev/null 2>&1; then
    openssl rand -hex "$n"
  else
    od -An -N"$n" -tx1 /dev/urandom | tr -d ' \n'
    echo
  fi
}

# with_lock FILE CMD...: run CMD holding an exclusive flock on FILE when flock exists.
with_lock() {
  local file=$1
  shift
  if command -v flock >/dev/null 2>&1; then
    (
      flock -x 9
      "$@"
    ) 9>"$file"
  else
    "$@"
  fi
}

# export_line NAME VALUE: an `export` line safe to source.
export_line() {
  printf 'export %s=%q\n' "$1" "$2"
}
