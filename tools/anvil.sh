# Sourced by tools/*.sh: start_anvil PORTVAR [anvil options…] starts anvil on a free loopback port,
# stores the port in PORTVAR, waits until it answers, and stops it (by its PID) when the caller exits.
start_anvil() {
  local var=$1
  shift
  local free_port
  free_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  anvil --host 127.0.0.1 --port "$free_port" --silent "$@" >/dev/null 2>&1 &
  local pid=$!
  ANVIL_PIDS="${ANVIL_PIDS:-} $pid"
  trap 'for p in $ANVIL_PIDS; do kill "$p" 2>/dev/null || true; done' EXIT
  for _ in $(seq 100); do
    if (echo >"/dev/tcp/127.0.0.1/$free_port") 2>/dev/null; then
      printf -v "$var" "%s" "$free_port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "anvil did not start on port $free_port" >&2
  return 1
}
