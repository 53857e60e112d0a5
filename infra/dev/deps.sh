#!/usr/bin/env bash
# Installs (apt-get, if missing) PostgreSQL, Redis and mosquitto-clients, and starts PostgreSQL and Redis on loopback for `make run` and
# `make test`, with data under .data/ in the repository. Idempotent: already running is fine.
#   infra/dev/deps.sh start | stop | status | env | browser
# `browser` installs Debian's chromium (/usr/bin/chromium) for the portal's browser tests (Playwright drives it;
# Playwright's own browser download cannot work offline).
# Ports: PostgreSQL 127.0.0.1:55432 (user maas, password maas, database maas), Redis 127.0.0.1:56379.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DATA="${MAAS_DATA_DIR:-$ROOT/.data}"
PG_PORT="${MAAS_PG_PORT:-55432}"
REDIS_PORT="${MAAS_REDIS_PORT:-56379}"
PG_DATA="$DATA/postgres"
REDIS_DATA="$DATA/redis"

log() { echo "[deps] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; exit 1; fi
}

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return; }; done
  return 1
}

install_missing() {
  local pkgs=()
  pg_bin >/dev/null 2>&1 || pkgs+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
  # MQTT command-line clients: the plant tests publish and subscribe with them, `make run` shows them.
  command -v mosquitto_pub >/dev/null 2>&1 || pkgs+=(mosquitto-clients)
  if [ ${#pkgs[@]} -gt 0 ]; then
    log "installing ${pkgs[*]} with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # policy-rc.d keeps the packages from starting their own system-wide servers.
    as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
}

# PostgreSQL refuses to run as root; when we are root it runs as the 'postgres' system user.
pg_run() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_answers() {
  PGPASSWORD=maas "$1/psql" -h 127.0.0.1 -p "$PG_PORT" -U maas -d postgres -tAc "select 1" >/dev/null 2>&1
}

# As root, PostgreSQL runs as the 'postgres' user; when that user cannot reach the repository (a clone
# under a private home directory), the server's data lives under /var/lib/maas-dev instead.
resolve_pg_data() {
  [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 || return 0
  mkdir -p "$DATA"
  chmod 755 "$DATA"
  if ! runuser -u postgres -- test -x "$DATA"; then
    PG_DATA="/var/lib/maas-dev/postgres-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)"
    mkdir -p /var/lib/maas-dev
  fi
}

start_postgres() {
  local bin; bin="$(pg_bin)"
  resolve_pg_data
  # A server from another checkout (or a CI cache) may already own the port: use it as is.
  if pg_answers "$bin" && ! pg_run "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "PostgreSQL already answering on 127.0.0.1:$PG_PORT (data directory elsewhere); using it"
    ensure_database "$bin"
    return
  fi
  mkdir -p "$DATA"
  if [ "$(id -u)" -eq 0 ]; then chmod 755 "$DATA"; fi
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    log "initialising PostgreSQL in $PG_DATA"
    mkdir -p "$PG_DATA"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_DATA"
    chmod 700 "$PG_DATA"
    local pw; pw="$(mktemp)"; echo maas >"$pw"; chmod 644 "$pw"
    pg_run "$bin/initdb" -D "$PG_DATA" -U maas --pwfile="$pw" -A scram-sha-256 -E UTF8 --no-locale >/dev/null
    rm -f "$pw"
  fi
  if pg_run "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    pg_run "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DATA -c max_connections=300 -c fsync=on" start >/dev/null
  fi
  ensure_database "$bin"
}

ensure_database() {
  if ! PGPASSWORD=maas "$1/psql" -h 127.0.0.1 -p "$PG_PORT" -U maas -d postgres -tAc "select 1 from pg_database where datname='maas'" | grep -q 1; then
    PGPASSWORD=maas "$1/psql" -h 127.0.0.1 -p "$PG_PORT" -U maas -d postgres -qc "create database maas" >/dev/null
  fi
}

start_redis() {
  mkdir -p "$REDIS_DATA"
  if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    log "Redis already running on 127.0.0.1:$REDIS_PORT"
    return
  fi
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$REDIS_DATA" --daemonize yes \
    --pidfile "$REDIS_DATA/redis.pid" --logfile "$REDIS_DATA/redis.log" --save "" --appendonly no >/dev/null
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
  log "Redis did not start; see $REDIS_DATA/redis.log"; exit 1
}

install_browser() {
  if [ -x /usr/bin/chromium ]; then return; fi
  log "installing chromium with apt-get (browser tests)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  [ -x /usr/bin/chromium ] || { log "chromium did not install"; exit 1; }
}

stop_all() {
  resolve_pg_data
  local bin
  if bin="$(pg_bin)" && [ -s "$PG_DATA/PG_VERSION" ]; then
    pg_run "$bin/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
  fi
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  log "stopped"
}

print_env() {
  echo "export MAAS_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Username=maas;Password=maas;Database=maas'"
  echo "export MAAS_REDIS='127.0.0.1:$REDIS_PORT'"
}

case "${1:-start}" in
  start) install_missing; start_postgres; start_redis ;;
  stop) stop_all ;;
  status)
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null || echo "redis: down"
    PGPASSWORD=maas psql -h 127.0.0.1 -p "$PG_PORT" -U maas -d maas -tAc "select 'postgres: up'" 2>/dev/null || echo "postgres: down" ;;
  env) print_env ;;
  browser) install_browser ;;
  *) echo "usage: $0 start|stop|status|env|browser" >&2; exit 2 ;;
esac
