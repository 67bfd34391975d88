#!/usr/bin/env bash
# A Redis Cluster on loopback for tests (npm run test:scale) and local trials: 3 masters + 3 replicas,
# Debian's redis-server, ports 7001-7006 (REDIS_CLUSTER_BASE_PORT moves them), data in a temp folder.
#
#   scripts/redis-cluster.sh            start (idempotent: nodes already up are kept, a formed cluster is left alone)
#   scripts/redis-cluster.sh stop       shut every node down and delete the data folder
#   scripts/redis-cluster.sh status     print cluster_state and the nodes
#
# Then: REDIS_CLUSTER_NODES=127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 npm start
set -euo pipefail

BASE=${REDIS_CLUSTER_BASE_PORT:-7001}
PORTS=($(seq "$BASE" $((BASE + 5))))
DIR=${REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/portal-bot-redis-cluster-$BASE}

ping() { redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null | grep -q PONG; }
state() { redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p'; }
info_field() { redis-cli -h 127.0.0.1 -p "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

wait_until() { # seconds, description, command...
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@"; do
    if [ $SECONDS -ge $end ]; then echo "redis-cluster: timed out waiting for $what" >&2; return 1; fi
    sleep 0.2
  done
}

all_ok() { for p in "${PORTS[@]}"; do [ "$(state "$p")" = ok ] || return 1; done; }

start() {
  command -v redis-server >/dev/null || { echo "redis-cluster: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$DIR"
  for p in "${PORTS[@]}"; do
    if ping "$p"; then continue; fi
    mkdir -p "$DIR/$p"
    redis-server --port "$p" --bind 127.0.0.1 --daemonize yes \
      --dir "$DIR/$p" --pidfile "$DIR/$p/redis.pid" --logfile "$DIR/$p/redis.log" \
      --cluster-enabled yes --cluster-config-file "$DIR/$p/nodes.conf" --cluster-node-timeout 3000 \
      --save "" --appendonly no --maxmemory-policy noeviction
  done
  for p in "${PORTS[@]}"; do wait_until 10 "node $p to answer" ping "$p"; done

  if [ "$(state "${PORTS[0]}")" = ok ] && [ "$(info_field "${PORTS[0]}" cluster_known_nodes)" = 6 ]; then
    wait_until 30 "cluster_state:ok on every node" all_ok
    echo "redis-cluster: already up on 127.0.0.1:${PORTS[0]}-${PORTS[5]}"
    return
  fi
  if [ "$(info_field "${PORTS[0]}" cluster_slots_assigned)" = 0 ]; then
    local addrs=()
    for p in "${PORTS[@]}"; do addrs+=("127.0.0.1:$p"); done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 ||
      { cat "$DIR/create.log" >&2; exit 1; }
  fi
  # A node restarted from its nodes.conf rejoins by itself; a freshly created cluster converges in a few seconds.
  wait_until 30 "cluster_state:ok on every node (scripts/redis-cluster.sh stop, then start, rebuilds it)" all_ok
  echo "redis-cluster: up on 127.0.0.1:${PORTS[0]}-${PORTS[5]} (3 masters, 3 replicas; data in $DIR)"
}

stop() {
  for p in "${PORTS[@]}"; do
    if ping "$p"; then redis-cli -h 127.0.0.1 -p "$p" shutdown nosave >/dev/null 2>&1 || true; fi
  done
  for p in "${PORTS[@]}"; do wait_until 10 "node $p to stop" bash -c "! redis-cli -h 127.0.0.1 -p $p ping >/dev/null 2>&1"; done
  rm -rf "$DIR"
  echo "redis-cluster: stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status)
    echo "cluster_state: $(state "${PORTS[0]}")"
    redis-cli -h 127.0.0.1 -p "${PORTS[0]}" cluster nodes 2>/dev/null || echo "node ${PORTS[0]} is not answering"
    ;;
  *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
