#!/usr/bin/env bash
# npm run smoke:build — proves the Dockerfile without Docker (no engine and no image pulls in CI).
#
# 1. Copies the repository's tracked files (git ls-files) to a clean temporary folder: the build context.
# 2. Executes the Dockerfile itself, instruction by instruction: each stage's filesystem is a folder
#    ($tmp/stages/<name>), WORKDIR/COPY/ENV/RUN act on it as Docker would, so the build steps cannot drift
#    from the Dockerfile. An instruction this script does not understand fails the smoke test.
# 3. Starts the final stage's CMD (node dist/bot/index.js) from the runtime stage's folder against the real
#    Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379, db 14, a key prefix of its own), waits until the
#    Dockerfile's own HEALTHCHECK command passes, posts one message with deliveryMode "expectReplies" and
#    checks a reply comes back, then sends SIGTERM and checks the process exits 0.
# 4. Cleans up whatever happens: kills the process, deletes its keys (SCAN + DEL on its prefix; never FLUSH),
#    removes the temporary folder. Prints one result line.
#
# Differences from a real image, on purpose: the base image's Node and npm are this machine's; the bot runs
# with NODE_ENV=test (production requires an Azure app id, and with one every request needs a real
# Bot Framework token) and without SMTP (mail goes to a temporary outbox). USER/EXPOSE are not simulated.
set -euo pipefail

ROOT="$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)"
DOCKERFILE="${DOCKERFILE:-$ROOT/Dockerfile}"
REDIS_BASE="$(printf '%s' "${TEST_REDIS_URL:-redis://127.0.0.1:6379}" | sed -e 's#/*$##')"
REDIS_DB=14
PREFIX="smoke-build-$$-$RANDOM"
KEEP="${SMOKE_KEEP:-}" # set to keep the temporary folder for inspection

TMP="$(mktemp -d "${TMPDIR:-/tmp}/pb-docker-smoke.XXXXXX")"
LOG="$TMP/smoke.log"
BOT_PID=""
T0=$SECONDS

result() { printf 'smoke:build: %s\n' "$*"; }

cleanup() {
  local rc=$?
  if [ -n "$BOT_PID" ] && kill -0 "$BOT_PID" 2>/dev/null; then
    kill -KILL "$BOT_PID" 2>/dev/null || true
    wait "$BOT_PID" 2>/dev/null || true
  fi
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -u "$REDIS_BASE/$REDIS_DB" --scan --pattern "$PREFIX:*" 2>/dev/null |
      xargs -r -n 200 redis-cli -u "$REDIS_BASE/$REDIS_DB" DEL >/dev/null 2>&1 || true
  fi
  if [ $rc -ne 0 ] && [ -f "$LOG" ]; then
    echo "---- last 40 lines of the smoke log ----" >&2
    tail -n 40 "$LOG" >&2 || true
  fi
  if [ -n "$KEEP" ]; then echo "smoke:build: kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
  result "FAILED — $*"
  exit 1
}

command -v redis-cli >/dev/null 2>&1 || fail "redis-cli is missing (apt-get install redis-tools)"
redis-cli -u "$REDIS_BASE/$REDIS_DB" ping 2>/dev/null | grep -q PONG || fail "no Redis answering at $REDIS_BASE (start redis-server)"
[ -f "$DOCKERFILE" ] || fail "no Dockerfile at $DOCKERFILE"

# ---- 1. the build context: tracked files only, as a fresh clone would have them ----
CONTEXT="$TMP/context"
mkdir -p "$CONTEXT"
(cd "$ROOT" && git ls-files -z | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf -) | tar -xf - -C "$CONTEXT"

# ---- 2. run the Dockerfile ----
declare -A STAGE_ENV=() # "stage|NAME" -> value
STAGE=""
STAGE_N=0
WORKDIR="/"
STAGE_ENV_NAMES=""
HEALTH_CMD_JSON=""
CMD_JSON=""

stage_root() { printf '%s/stages/%s' "$TMP" "$1"; }

# Environment for RUN/CMD: a clean one (like a container's), plus this machine's PATH and HOME (npm's
# cache and registry settings), plus the stage's ENV lines.
stage_env_args() {
  local args=(PATH="$PATH" HOME="$HOME") name
  for name in $STAGE_ENV_NAMES; do args+=("$name=${STAGE_ENV["$STAGE|$name"]}"); done
  printf '%s\0' "${args[@]}"
}

# Absolute path inside the current stage for a container path (relative paths are relative to WORKDIR).
in_stage() {
  local p="$1"
  case "$p" in /*) ;; *) p="${WORKDIR%/}/$p" ;; esac
  printf '%s%s' "$(stage_root "$STAGE")" "$p"
}

do_copy() {
  local from="" args=() a
  for a in "$@"; do
    case "$a" in
      --from=*) from="${a#--from=}" ;;
      --chown=* | --chmod=* | --link) ;;
      --*) fail "Dockerfile: COPY option $a is not supported by the smoke test" ;;
      *) args+=("$a") ;;
    esac
  done
  [ ${#args[@]} -ge 2 ] || fail "Dockerfile: COPY needs a source and a destination"
  local dest="${args[-1]}" srcs=("${args[@]:0:${#args[@]}-1}") src base target
  target="$(in_stage "$dest")"
  for src in "${srcs[@]}"; do
    if [ -n "$from" ]; then
      base="$(stage_root "$from")"
      [ -d "$base" ] || fail "Dockerfile: COPY --from=$from names no earlier stage"
      case "$src" in /*) ;; *) src="/$src" ;; esac # relative to the other stage's root
      src="$base$src"
    else
      src="$CONTEXT/$src"
    fi
    [ -e "$src" ] || fail "Dockerfile: COPY source ${src#"$TMP"/} does not exist"
    if [ -d "$src" ]; then
      mkdir -p "$target"
      cp -a "$src/." "$target/"
    elif [ ${#srcs[@]} -gt 1 ] || [[ "$dest" == */ ]]; then
      mkdir -p "$target"
      cp -a "$src" "$target/"
    else
      mkdir -p "$(dirname "$target")"
      cp -a "$src" "$target"
    fi
  done
}

# Logical lines: comments dropped, backslash continuations joined.
mapfile -t LINES < <(awk '
  /^[[:space:]]*#/ { next }
  { line = line $0 }
  /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, " ", line); next }
  { if (line ~ /[^[:space:]]/) print line; line = "" }
' "$DOCKERFILE")

BUILD_T0=$SECONDS
for line in "${LINES[@]}"; do
  instr="${line%%[[:space:]]*}"
  rest="${line#"$instr"}"
  rest="${rest#"${rest%%[![:space:]]*}"}"
  case "${instr^^}" in
    FROM)
      STAGE_N=$((STAGE_N + 1))
      if [[ "$rest" =~ [[:space:]][Aa][Ss][[:space:]]+([A-Za-z0-9_.-]+)[[:space:]]*$ ]]; then STAGE="${BASH_REMATCH[1]}"; else STAGE="$STAGE_N"; fi
      WORKDIR="/"
      STAGE_ENV_NAMES=""
      HEALTH_CMD_JSON=""
      CMD_JSON=""
      mkdir -p "$(stage_root "$STAGE")"
      echo "== stage $STAGE ($rest)" >>"$LOG"
      ;;
    WORKDIR)
      case "$rest" in /*) WORKDIR="$rest" ;; *) WORKDIR="${WORKDIR%/}/$rest" ;; esac
      mkdir -p "$(in_stage "$WORKDIR")"
      ;;
    ENV)
      if [[ "$rest" == *=* ]]; then
        read -r -a pairs <<<"$rest"
        for kv in "${pairs[@]}"; do
          STAGE_ENV["$STAGE|${kv%%=*}"]="${kv#*=}"
          STAGE_ENV_NAMES="$STAGE_ENV_NAMES ${kv%%=*}"
        done
      else
        name="${rest%%[[:space:]]*}"
        STAGE_ENV["$STAGE|$name"]="${rest#"$name" }"
        STAGE_ENV_NAMES="$STAGE_ENV_NAMES $name"
      fi
      ;;
    COPY)
      read -r -a copy_args <<<"$rest"
      do_copy "${copy_args[@]}"
      ;;
    RUN)
      echo "== RUN $rest" >>"$LOG"
      mapfile -d '' envs < <(stage_env_args)
      (cd "$(in_stage "$WORKDIR")" && env -i "${envs[@]}" sh -c "$rest") >>"$LOG" 2>&1 ||
        fail "Dockerfile step failed in stage $STAGE: RUN $rest"
      ;;
    HEALTHCHECK)
      [[ "$rest" == *CMD* ]] || fail "Dockerfile: HEALTHCHECK without CMD"
      HEALTH_CMD_JSON="${rest#*CMD}"
      ;;
    CMD)
      CMD_JSON="$rest"
      ;;
    USER | EXPOSE | LABEL | ARG | STOPSIGNAL) ;;
    *) fail "Dockerfile: instruction $instr is not supported by the smoke test (extend scripts/docker-smoke.sh)" ;;
  esac
done
BUILD_S=$((SECONDS - BUILD_T0))

[ -n "$CMD_JSON" ] || fail "Dockerfile: the final stage has no CMD"
[ -n "$HEALTH_CMD_JSON" ] || fail "Dockerfile: the final stage has no HEALTHCHECK"
# Exec form only (JSON array), so the command is exactly what the container runs.
json_argv() { node -e 'const a = JSON.parse(process.argv[1]); if (!Array.isArray(a)) process.exit(1); for (const x of a) process.stdout.write(x + "\0")' "$1"; }
json_argv "$CMD_JSON" >"$TMP/cmd.argv" 2>/dev/null || fail "Dockerfile: CMD must be the exec form (a JSON array)"
json_argv "$HEALTH_CMD_JSON" >"$TMP/health.argv" 2>/dev/null || fail "Dockerfile: HEALTHCHECK CMD must be the exec form (a JSON array)"
mapfile -d '' CMD_ARGV <"$TMP/cmd.argv"
mapfile -d '' HEALTH_ARGV <"$TMP/health.argv"

# The runtime stage must not carry the build's tools.
RUNTIME_DIR="$(in_stage "$WORKDIR")"
for dev in tsx typescript jest eslint ioredis-mock; do
  [ ! -e "$RUNTIME_DIR/node_modules/$dev" ] || fail "runtime stage contains the dev dependency $dev"
done
[ ! -e "$RUNTIME_DIR/test" ] || fail "runtime stage contains test/"

# ---- 3. run the built bot from the runtime stage ----
PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
mkdir -p "$TMP/outbox"
mapfile -d '' envs < <(stage_env_args)
RUN_ENV=("${envs[@]}"
  NODE_ENV=test
  PORT="$PORT"
  LOG_LEVEL=info
  REDIS_URL="$REDIS_BASE/$REDIS_DB"
  REDIS_KEY_PREFIX="$PREFIX"
  OUTBOX_DIR="$TMP/outbox"
  PUBLIC_BASE_URL="http://127.0.0.1:$PORT"
  SERVER_SECRET="smoke-build-secret-$(date +%s%N)-0123456789abcdef")
echo "== CMD ${CMD_ARGV[*]} (port $PORT, prefix $PREFIX)" >>"$LOG"
START_T0=$(date +%s%N)
(cd "$RUNTIME_DIR" && exec env -i "${RUN_ENV[@]}" "${CMD_ARGV[@]}") >>"$LOG" 2>&1 &
BOT_PID=$!

healthy=""
for _ in $(seq 1 150); do
  kill -0 "$BOT_PID" 2>/dev/null || fail "the bot exited during start-up"
  if (cd "$RUNTIME_DIR" && env -i "${RUN_ENV[@]}" "${HEALTH_ARGV[@]}") >/dev/null 2>&1; then
    healthy=1
    break
  fi
  sleep 0.2
done
[ -n "$healthy" ] || fail "the HEALTHCHECK command did not pass within 30 s"
START_MS=$((($(date +%s%N) - START_T0) / 1000000))

REPLY="$(node - "$PORT" <<'EOF' 2>>"$LOG"
const port = process.argv[2];
const { randomUUID } = require('node:crypto');
const activity = {
  type: 'message', id: randomUUID(), text: 'how do I reset my password', channelId: 'webchat',
  serviceUrl: 'http://127.0.0.1:9/unused', conversation: { id: `smoke-${randomUUID()}` },
  from: { id: `smoke-user-${randomUUID()}` }, recipient: { id: 'bot' }, deliveryMode: 'expectReplies',
};
fetch(`http://127.0.0.1:${port}/api/messages`, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity),
}).then(async (res) => {
  const body = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${body.slice(0, 200)}`);
  const replies = (JSON.parse(body).activities ?? []).filter((a) => a.type === 'message');
  const text = replies.map((a) => a.text ?? '').join(' ').replace(/\s+/g, ' ').trim();
  if (!replies.length || !text) throw new Error('no message reply with text');
  process.stdout.write(`${replies.length} replies, "${text.slice(0, 60)}…"`);
}).catch((err) => { console.error(`post failed: ${err.message}`); process.exit(1); });
EOF
)" || fail "posting a message to /api/messages got no reply"

# ---- graceful stop ----
kill -TERM "$BOT_PID"
STOP_RC=0
for _ in $(seq 1 200); do kill -0 "$BOT_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$BOT_PID" 2>/dev/null && fail "the bot did not exit within 20 s of SIGTERM"
wait "$BOT_PID" || STOP_RC=$?
BOT_PID=""
[ "$STOP_RC" -eq 0 ] || fail "the bot exited $STOP_RC after SIGTERM (expected 0)"

result "ok — Dockerfile built in ${BUILD_S}s, healthy ${START_MS}ms after start, reply to one message (${REPLY}), SIGTERM exit 0; total $((SECONDS - T0))s"
