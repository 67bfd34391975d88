#!/usr/bin/env bash
# A Sentinel-managed Redis on loopback for tests (npm run test:scale) and local trials: a master (7101), a
# replica (7102) and three sentinels (7103-7105) watching the master name "portal-bot", with Debian's
# redis-server (REDIS_SENTINEL_BASE_PORT moves the ports), data in a temp folder.
#
#   scripts/redis-sentinel.sh           start (idempotent: whatever is up is kept, e.g. after a failover)
#   scripts/redis-sentinel.sh stop      shut everything down and delete the data folder
#   scripts/redis-sentinel.sh status    print the current master and the replicas the sentinels know
#
# Then: REDIS_SENTINELS=127.0.0.1:7103,127.0.0.1:7104,127.0.0.1:7105 REDIS_SENTINEL_NAME=portal-bot npm start
set -euo pipefail

BASE=${REDIS_SENTINEL_BASE_PORT:-7101}
MASTER=$BASE
REPLICA=$((BASE + 1))
SENTINELS=($((BASE + 2)) $((BASE + 3)) $((BASE + 4)))
NAME=${REDIS_SENTINEL_NAME:-portal-bot}
DIR=${REDIS_SENTINEL_DIR:-${TMPDIR:-/tmp}/portal-bot-redis-sentinel-$BASE}

ping() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
wait_until() { # seconds, description, command...
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    if [ $SECONDS -ge $end ]; then echo "redis-sentinel: timed out waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

start_data_node() { # port [replicaof-port]
  local p=$1
  ping "$p" && return 0
  mkdir -p "$DIR/$p"
  local args=(--port "$p" --bind 127.0.0.1 --daemonize yes --dir "$DIR/$p" --pidfile "$DIR/$p/redis.pid"
    --logfile "$DIR/$p/redis.log" --appendonly yes --appendfsync everysec --save "" --maxmemory-policy noeviction)
  # A node that ran before keeps its role from the sentinels (they rewrite it on failover); a new replica follows the master.
  [ -n "${2:-}" ] && args+=(--replicaof 127.0.0.1 "$2")
  redis-server "${args[@]}"
}

current_master_port() {
  local s
  for s in "${SENTINELS[@]}"; do
    local addr
    addr=$(redis-cli -h 127.0.0.1 -p "$s" sentinel get-master-addr-by-name "$NAME" 2>/dev/null | tr -d '\r' | sed -n 2p)
    if [ -n "$addr" ]; then echo "$addr"; return; fi
  done
  echo "$MASTER"
}

sentinels_ready() {
  local s
  for s in "${SENTINELS[@]}"; do
    local info
    info=$(redis-cli -h 127.0.0.1 -p "$s" sentinel master "$NAME" 2>/dev/null | tr -d '\r' | paste - - | sed 's/\t/=/')
    echo "$info" | grep -q '^num-slaves=1$' || return 1
    echo "$info" | grep -q '^num-other-sentinels=2$' || return 1
    echo "$info" | grep -q '^flags=master$' || return 1
  done
}

replica_linked() {
  local m; m=$(current_master_port)
  local p
  for p in "$MASTER" "$REPLICA"; do
    [ "$p" = "$m" ] && continue
    redis-cli -h 127.0.0.1 -p "$p" info replication 2>/dev/null | tr -d '\r' | grep -q '^master_link_status:up$' || return 1
  done
}

start() {
  command -v redis-server >/dev/null || { echo "redis-sentinel: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$DIR"
  if ping "$MASTER" || ping "$REPLICA"; then
    # Already (partly) up: restart only what is missing, as a replica of whichever node the sentinels say is master.
    local m; m=$(current_master_port)
    for p in "$MASTER" "$REPLICA"; do [ "$p" = "$m" ] && start_data_node "$p" || start_data_node "$p" "$m"; done
  else
    start_data_node "$MASTER"
    start_data_node "$REPLICA" "$MASTER"
  fi
  for p in "$MASTER" "$REPLICA"; do wait_until 10 "redis on $p to answer" ping "$p"; done
  for s in "${SENTINELS[@]}"; do
    ping "$s" && continue
    mkdir -p "$DIR/$s"
    if [ ! -f "$DIR/$s/sentinel.conf" ]; then
      cat >"$DIR/$s/sentinel.conf" <<CONF
port $s
bind 127.0.0.1
daemonize yes
dir $DIR/$s
pidfile $DIR/$s/sentinel.pid
logfile $DIR/$s/sentinel.log
sentinel monitor $NAME 127.0.0.1 $MASTER 2
sentinel down-after-milliseconds $NAME 1000
sentinel failover-timeout $NAME 5000
sentinel parallel-syncs $NAME 1
CONF
    fi
    redis-server "$DIR/$s/sentinel.conf" --sentinel
  done
  for s in "${SENTINELS[@]}"; do wait_until 10 "sentinel on $s to answer" ping "$s"; done
  wait_until 30 "the sentinels to see the master, its replica and each other" sentinels_ready
  wait_until 30 "the replica to be in sync" replica_linked
  echo "redis-sentinel: up; master \"$NAME\" on 127.0.0.1:$(current_master_port | sed 's/^127.0.0.1://'), sentinels on ${SENTINELS[*]} (data in $DIR)"
}

stop() {
  for p in "${SENTINELS[@]}" "$MASTER" "$REPLICA"; do
    if ping "$p"; then redis-cli -h 127.0.0.1 -p "$p" shutdown nosave >/dev/null 2>&1 || true; fi
  done
  for p in "${SENTINELS[@]}" "$MASTER" "$REPLICA"; do wait_until 10 "$p to stop" bash -c "! redis-cli -h 127.0.0.1 -p $p ping >/dev/null 2>&1"; done
  rm -rf "$DIR"
  echo "redis-sentinel: stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status)
    echo "master: $(current_master_port)"
    redis-cli -h 127.0.0.1 -p "${SENTINELS[0]}" sentinel replicas "$NAME" 2>/dev/null | tr -d '\r' | paste - - | grep -E '^(name|flags)' || true
    ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
