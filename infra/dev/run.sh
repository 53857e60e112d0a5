#!/usr/bin/env bash
# `make run`: PostgreSQL + Redis (deps.sh), build, migrate, seed a demo tenant/model/price/key and a portal
# administrator, then the api silo, the worker silo, the plant service (MQTT), the billing portal and the gateway in the
# background (logs in .data/logs/). Ctrl-C stops
# what this script started; PostgreSQL and Redis keep running (`make stop` stops them).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"

# ---------------------------------------------------------------------------------------------
# Settings: every port, path and configuration key the processes get is set here, in one place.
# ---------------------------------------------------------------------------------------------
MODEL_ID="${MAAS_MODEL_ID:-deepseek-demo}"
MODEL_PATH="${MAAS_MODEL_PATH:-}"                    # unset: a random tiny model in .data/models/demo
DEMO_MODEL_DIR="$ROOT/.data/models/demo"
TENANT_ID="${MAAS_TENANT_ID:-demo}"
KEY_FILE="$ROOT/.data/demo.key"
PORTAL_ADMIN="${MAAS_PORTAL_ADMIN:-admin}"
PORTAL_PASSWORD_FILE="$ROOT/.data/portal-admin.password"
LOG_DIR="$ROOT/.data/logs"
READY_TIMEOUT="${MAAS_READY_TIMEOUT:-300}"           # seconds per process (a real checkpoint loads slowly)
CONFIGURATION=Release
OUT="bin/$CONFIGURATION/net10.0"

GATEWAY_PORT=8080
GATEWAY_MANAGEMENT_PORT=8081                          # /metrics and /health/ready of each process: loopback only
API_PORT=5100
API_MANAGEMENT_PORT=5101
API_SILO_PORT=11111
API_ORLEANS_GATEWAY_PORT=30000
WORKER_PORT=5200
WORKER_MANAGEMENT_PORT=5201
WORKER_SILO_PORT=11112
WORKER_ORLEANS_GATEWAY_PORT=30001
PLANT_PORT=5400                                       # HTTP (/plant/v1, behind the gateway)
PLANT_MANAGEMENT_PORT=5401
PLANT_MQTT_PORT="${MAAS_PLANT_MQTT_PORT:-1883}"       # MQTT 3.1.1/5 for plants (username anything, password a key)
PORTAL_PORT=5300
PORTAL_MANAGEMENT_PORT=5301
PRIMARY_SILO="127.0.0.1:$API_SILO_PORT"              # localhost clustering: the api silo is primary

eval "$(infra/dev/deps.sh env)"                        # MAAS_POSTGRES, MAAS_REDIS
SIGNING_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"   # new per run

# Configuration as environment variables (ASP.NET Core reads A__B as A:B).
shared_env() {
  echo "ConnectionStrings__Postgres=$MAAS_POSTGRES"
  echo "ConnectionStrings__Redis=$MAAS_REDIS"
  echo "Maas__Models__0__Id=$MODEL_ID"
  echo "Maas__Models__0__Path=$MODEL_PATH"
  echo "DOTNET_NOLOGO=1"
}
api_env() {
  shared_env
  echo "ASPNETCORE_URLS=http://127.0.0.1:$API_PORT"
  echo "Maas__Management__Url=http://127.0.0.1:$API_MANAGEMENT_PORT"
  echo "Maas__Orleans__SiloPort=$API_SILO_PORT"
  echo "Maas__Orleans__GatewayPort=$API_ORLEANS_GATEWAY_PORT"
  echo "Maas__Orleans__PrimarySiloEndpoint=$PRIMARY_SILO"
  echo "Maas__Gateway__SigningSecret=$SIGNING_SECRET"
  echo "Maas__Metering__SpillDirectory=$ROOT/.data/metering-spill/api"   # usage records while PostgreSQL is down
}
worker_env() {
  shared_env
  echo "ASPNETCORE_URLS=http://127.0.0.1:$WORKER_PORT"
  echo "Maas__Management__Url=http://127.0.0.1:$WORKER_MANAGEMENT_PORT"
  echo "Maas__Orleans__SiloPort=$WORKER_SILO_PORT"
  echo "Maas__Orleans__GatewayPort=$WORKER_ORLEANS_GATEWAY_PORT"
  echo "Maas__Orleans__PrimarySiloEndpoint=$PRIMARY_SILO"
}
plant_env() {
  shared_env
  echo "ASPNETCORE_URLS=http://127.0.0.1:$PLANT_PORT"
  echo "Maas__Management__Url=http://127.0.0.1:$PLANT_MANAGEMENT_PORT"
  echo "Maas__Plant__MqttPort=$PLANT_MQTT_PORT"
  echo "Maas__Plant__OrleansGatewayPort=$API_ORLEANS_GATEWAY_PORT"   # an Orleans client of the cluster
  echo "Maas__Plant__SparkplugTenants__0=$TENANT_ID"                 # the demo tenant's Sparkplug B context is on
  echo "Maas__Gateway__SigningSecret=$SIGNING_SECRET"
  echo "Maas__Metering__SpillDirectory=$ROOT/.data/metering-spill/plant"
}
portal_env() {
  shared_env
  echo "ASPNETCORE_URLS=http://127.0.0.1:$PORTAL_PORT"
  echo "Maas__Management__Url=http://127.0.0.1:$PORTAL_MANAGEMENT_PORT"
  echo "Maas__Portal__DataProtectionKeysDirectory=$ROOT/.data/portal-keys"   # sign-ins survive a restart
}
gateway_env() {
  shared_env
  echo "ASPNETCORE_URLS=http://127.0.0.1:$GATEWAY_PORT"
  echo "Maas__Management__Url=http://127.0.0.1:$GATEWAY_MANAGEMENT_PORT"
  echo "Maas__Gateway__SigningSecret=$SIGNING_SECRET"
  # YARP destination names contain '-', so this one is passed as a command-line setting (gateway_args).
}
gateway_args() {
  echo "--ReverseProxy:Clusters:api:Destinations:api-1:Address=http://127.0.0.1:$API_PORT/"
  echo "--ReverseProxy:Clusters:plant:Destinations:plant-1:Address=http://127.0.0.1:$PLANT_PORT/"
  echo "--ReverseProxy:Clusters:portal:Destinations:portal-1:Address=http://127.0.0.1:$PORTAL_PORT/"
}
# ---------------------------------------------------------------------------------------------

log() { printf '\033[1m[run]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[run] %s\033[0m\n' "$*" >&2; exit 1; }

PIDS=()
NAMES=()
cleanup() {
  trap - INT TERM EXIT
  [ ${#PIDS[@]} -eq 0 ] && return
  log "stopping ${NAMES[*]}"
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
  for _ in $(seq 100); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  log "stopped (PostgreSQL and Redis keep running; 'make stop' stops them)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# HTTP status of GET http://127.0.0.1:$1$2 using bash's /dev/tcp (curl may not be installed).
http_status() {
  local status=""
  if { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null; then
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
    IFS=' ' read -r -t 5 _ status _ <&3 || true
    exec 3>&- 3<&-
  fi
  echo "${status:-000}"
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

maas() { dotnet "services/Maas.Cli/$OUT/maas.dll" "$@"; }

start() { # name port dll env-function [args...]   (port: the process's public port, for the log line)
  local name="$1" port="$2" dll="$3" envf="$4"; shift 4
  local logf="$LOG_DIR/$name.log"
  local vars; mapfile -t vars < <("$envf")
  log "starting $name on http://127.0.0.1:$port (log: ${logf#"$ROOT"/})"
  env "${vars[@]}" dotnet "$dll" "$@" >"$logf" 2>&1 &
  PIDS+=($!)
  NAMES+=("$name")
}

wait_for() { # name management-port path
  local name="$1" port="$2" path="$3" pid="${PIDS[-1]}" logf="$LOG_DIR/$1.log" waited=0
  for i in "${!NAMES[@]}"; do [ "${NAMES[$i]}" = "$name" ] && pid="${PIDS[$i]}"; done
  while [ "$(http_status "$port" "$path")" != 200 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$logf" >&2 || true
      die "$name exited during start-up; full log: $logf"
    fi
    if [ $waited -ge "$READY_TIMEOUT" ]; then
      tail -n 30 "$logf" >&2 || true
      die "$name was not ready at http://127.0.0.1:$port$path after ${READY_TIMEOUT}s; see $logf (raise MAAS_READY_TIMEOUT for large checkpoints)"
    fi
    sleep 1
    waited=$((waited + 1))
    if [ $((waited % 30)) -eq 0 ]; then log "still waiting for $name$path (${waited}s; log: $logf)"; fi
  done
  log "$name ready ($path, ${waited}s)"
}

# 1. dependencies
infra/dev/deps.sh start
for port in $GATEWAY_PORT $GATEWAY_MANAGEMENT_PORT $API_PORT $API_MANAGEMENT_PORT $WORKER_PORT $WORKER_MANAGEMENT_PORT $PLANT_PORT $PLANT_MANAGEMENT_PORT $PLANT_MQTT_PORT $PORTAL_PORT $PORTAL_MANAGEMENT_PORT $API_SILO_PORT $WORKER_SILO_PORT $API_ORLEANS_GATEWAY_PORT $WORKER_ORLEANS_GATEWAY_PORT; do
  port_in_use "$port" && die "port $port is already in use (another 'make run'?); stop that process first"
done

# 2. build (only what runs)
for project in services/Maas.Cli services/Maas.Api services/Maas.Worker services/Maas.Plant services/Maas.Portal gateway/Maas.Gateway; do
  log "building $project"
  dotnet build "$project" -c "$CONFIGURATION" -nologo -v quiet -clp:NoSummary >/dev/null || {
    dotnet build "$project" -c "$CONFIGURATION" -nologo -v quiet 2>&1 | grep -E 'error|warn' | sort -u >&2
    die "build of $project failed"
  }
done

# 3. schema and demo data
maas db migrate
if [ -z "$MODEL_PATH" ]; then
  MODEL_PATH="$DEMO_MODEL_DIR"
  if [ ! -f "$MODEL_PATH/config.json" ]; then
    log "no model configured (MAAS_MODEL_PATH unset): creating a random tiny DeepSeek-V2-shaped checkpoint in ${MODEL_PATH#"$ROOT"/}"
    maas model init-random --shape tiny --out .data/models/demo ||
      die "could not create the demo model ('maas model init-random' failed); set MAAS_MODEL_PATH to a checkpoint folder instead"
  fi
  printf '\033[1;33m[run] WARNING: serving a RANDOM model: its output is not meaningful text. Set MAAS_MODEL_PATH to a real checkpoint (README.md).\033[0m\n' >&2
fi
[ -f "$MODEL_PATH/config.json" ] || die "$MODEL_PATH has no config.json (expected a Hugging Face checkpoint folder)"
MODEL_PATH="$(cd "$MODEL_PATH" && pwd)"
mkdir -p "$LOG_DIR"
maas dev seed --tenant "$TENANT_ID" --model-id "$MODEL_ID" --model-path "$MODEL_PATH" --key-file "$KEY_FILE" \
  --admin-user "$PORTAL_ADMIN" --admin-password-file "$PORTAL_PASSWORD_FILE" >/dev/null
KEY="$(cat "$KEY_FILE")"
PORTAL_PASSWORD="$(cat "$PORTAL_PASSWORD_FILE")"

# 4. processes: the api silo first (it is the primary silo), then the worker, the plant service, the gateway
start api "$API_PORT" "services/Maas.Api/$OUT/Maas.Api.dll" api_env
wait_for api "$API_MANAGEMENT_PORT" /health/live
start worker "$WORKER_PORT" "services/Maas.Worker/$OUT/Maas.Worker.dll" worker_env
wait_for worker "$WORKER_MANAGEMENT_PORT" /health/ready
wait_for api "$API_MANAGEMENT_PORT" /health/ready
start plant "$PLANT_PORT" "services/Maas.Plant/$OUT/Maas.Plant.dll" plant_env
wait_for plant "$PLANT_MANAGEMENT_PORT" /health/ready
start portal "$PORTAL_PORT" "services/Maas.Portal/$OUT/Maas.Portal.dll" portal_env
wait_for portal "$PORTAL_MANAGEMENT_PORT" /health/ready
mapfile -t GATEWAY_ARGS < <(gateway_args)
start gateway "$GATEWAY_PORT" "gateway/Maas.Gateway/$OUT/Maas.Gateway.dll" gateway_env "${GATEWAY_ARGS[@]}"
wait_for gateway "$GATEWAY_MANAGEMENT_PORT" /health/ready

cat <<MSG

Maas is running: gateway http://localhost:$GATEWAY_PORT, model "$MODEL_ID", tenant "$TENANT_ID".
Demo API key (also in ${KEY_FILE#"$ROOT"/}): $KEY

  curl -sS http://localhost:$GATEWAY_PORT/v1/chat/completions \\
    -H "Authorization: Bearer $KEY" \\
    -H "Content-Type: application/json" \\
    -d '{"model": "$MODEL_ID", "messages": [{"role": "user", "content": "Hello!"}], "max_tokens": 32}'

Plants over MQTT (mqtt://127.0.0.1:$PLANT_MQTT_PORT, password = the key; mosquitto-clients is installed):

  mosquitto_sub -h 127.0.0.1 -p $PLANT_MQTT_PORT -u plant -P "$KEY" -q 1 -t 'maas/$TENANT_ID/responses/#' -v &
  mosquitto_pub -h 127.0.0.1 -p $PLANT_MQTT_PORT -u plant -P "$KEY" -q 1 -t maas/$TENANT_ID/requests/shift-1 \
    -m '{"model": "$MODEL_ID", "messages": [{"role": "user", "content": "Summarise the night shift."}], "max_tokens": 32}'
  curl -sS http://localhost:$GATEWAY_PORT/plant/v1/responses/shift-1 -H "Authorization: Bearer $KEY"

Batch API (OpenAI-compatible): POST /v1/files (purpose=batch, JSONL), POST /v1/batches, GET /v1/batches/{id}.

Billing portal: http://localhost:$GATEWAY_PORT/portal/
  sign in as "$PORTAL_ADMIN" with password $PORTAL_PASSWORD
  (new each run, also in ${PORTAL_PASSWORD_FILE#"$ROOT"/}; more administrators: dotnet services/Maas.Cli/$OUT/maas.dll admin create --user NAME)

Logs: ${LOG_DIR#"$ROOT"/}/{api,worker,plant,portal,gateway}.log
Metrics and readiness (loopback only): http://127.0.0.1:{$GATEWAY_MANAGEMENT_PORT,$API_MANAGEMENT_PORT,$WORKER_MANAGEMENT_PORT,$PLANT_MANAGEMENT_PORT,$PORTAL_MANAGEMENT_PORT}/metrics and /health/ready
Press Ctrl-C to stop.
MSG

# Return when Ctrl-C arrives or any process exits (then say which, and stop the others).
set +e
wait -n "${PIDS[@]}"
for i in "${!PIDS[@]}"; do
  kill -0 "${PIDS[$i]}" 2>/dev/null || log "${NAMES[$i]} exited; see $LOG_DIR/${NAMES[$i]}.log"
done
exit 1
