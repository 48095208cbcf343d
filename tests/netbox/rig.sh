#!/bin/sh
# A real NetBox for the tests: NetBox 4.7.3 (PyPI wheel) under gunicorn, with its own PostgreSQL cluster
# and its own redis-server, all on 127.0.0.1 and all under one scratch directory, so several can run
# side by side. Usage: rig.sh up|down (recipe: docs/netbox.md §12; documentation:
# tests/netbox/README.md). Installs nothing: scripts/test installs the packages and builds the shared
# venv (tests/netbox/venv.sh, which `up` also runs when the venv is missing). Needs root (initdb and
# postgres run as the postgres user).
#
# Environment:
#   RIG_DIR         scratch folder holding every file of this instance (required; created if missing)
#   RIG_PORT        gunicorn's loopback port (default 8000)
#   RIG_PG_PORT     PostgreSQL's loopback port (default RIG_PORT+1)
#   RIG_REDIS_PORT  redis-server's loopback port (default RIG_PORT+2)
#   RIG_OWNER_PID   if set, a watchdog runs `down` once that process is gone (a killed test run)
#   RIG_SEED=0      skip seeding (tests/netbox/seed.py: the c9300 lab data)
#   RIG_KEEP=1      down stops everything but leaves RIG_DIR (logs) in place
#   PATCHPANEL_NETBOX_DUMP  pg_dump -Fc of an empty, migrated 4.7.3 database (optional). Unset or
#                   missing: the copy in the cache folder is used, else a full migrate (~8 min) runs
#                   once and writes that copy.
#   PATCHPANEL_CACHE, NETBOX_VENV   see venv.sh
# Fixed test credentials (docs/netbox.md §12): user admin/admin, v1 token TOKEN_V1 below, v2 token
# nbt_KEY.SECRET below. `up` prints them, with the URL, as shell assignments on stdout.
# Exit codes: 0 ok; 2 usage or missing prerequisite; 75 a port is taken (pick others); anything else:
# the instance failed to start (its logs are in RIG_DIR) and was torn down again.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)
script=$here/$(basename "$0")
D=${RIG_DIR:?set RIG_DIR to a scratch folder}
mkdir -p "$D"
D=$(cd "$D" && pwd -P)
for v in PORT PG_PORT REDIS_PORT; do
  eval "[ -n \"\${RIG_$v:-}\" ] || { [ -f \"\$D/$v\" ] && RIG_$v=\$(cat \"\$D/$v\"); } || true"
done
PORT=${RIG_PORT:-8000}
PG_PORT=${RIG_PG_PORT:-$((PORT + 1))}
REDIS_PORT=${RIG_REDIS_PORT:-$((PORT + 2))}
VERSION=4.7.3
CACHE=${PATCHPANEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/patchpanel}
DUMP=${PATCHPANEL_NETBOX_DUMP:-}
CACHED_DUMP=$CACHE/netbox-$VERSION-migrated.dump
TOKEN_V1=0123456789abcdef0123456789abcdef01234567
TOKEN_V2_KEY=netboxlab001
TOKEN_V2_SECRET=abcdef0123456789abcdef0123456789abcdef01
DB_PASSWORD=netbox-rig-db
MARK="patchpanel netbox test rig"

log() { echo "rig.sh[$PORT]: $*" >&2; }
T0=$(date +%s.%N)
# Where the start-up time goes (stderr; the harness shows it when a test fails).
phase() { log "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s: $*"; }

# Alive and not a zombie (this VM's init reaps orphans only about once a second).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Stops a pid and waits for it to exit: the given signal (TERM), up to $3 x 20 ms (5 s), then KILL.
stop_pid() {
  pid=$1
  alive "$pid" || return 0
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  i=0
  while alive "$pid" && [ "$i" -lt "${3:-250}" ]; do sleep 0.02; i=$((i + 1)); done
  if alive "$pid"; then
    kill -9 "$pid" 2>/dev/null || true
    i=0; while alive "$pid" && [ "$i" -lt 250 ]; do sleep 0.02; i=$((i + 1)); done
  fi
}

# The pid from a pid file if that process still runs.
live_pid() {
  [ -f "$1" ] || return 1
  pid=$(head -n 1 "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && alive "$pid" || return 1
  echo "$pid"
}

down() {
  # The watchdog goes first (unless it is the caller), so it cannot race this teardown.
  if [ "${RIG_FROM_WATCHDOG:-}" != 1 ] && pid=$(live_pid "$D/watchdog.pid"); then
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  fi
  rm -f "$D/watchdog.pid"
  # gunicorn (its own session): nothing to save, and even its quick shutdown (INT) takes ~4 s, so
  # KILL the whole process group, then wait for the master and its workers.
  if pid=$(live_pid "$D/gunicorn.pid"); then
    kids=$(pgrep -P "$pid" || true)
    kill -KILL -- "-$pid" 2>/dev/null || true
    stop_pid "$pid" KILL
    for k in $kids; do stop_pid "$k" KILL; done
  fi
  # An `up` still running (its owner died mid-start): stop it and its migrate or seed child.
  # The watchdog is one of up's children: when it is the one running this, it must spare itself.
  if [ "${RIG_FROM_UP:-}" != 1 ] && pid=$(live_pid "$D/up.pid"); then
    kids=$(pgrep -P "$pid" || true)
    stop_pid "$pid" KILL
    for k in $kids; do [ "$k" = "$$" ] || stop_pid "$k" KILL; done
  fi
  # Nothing to keep: redis has no persistence and the database is thrown away.
  if pid=$(live_pid "$D/redis.pid"); then stop_pid "$pid" KILL; fi
  # postgres: SIGQUIT is its immediate shutdown (the postmaster takes its backends with it).
  if pid=$(live_pid "$D/pg/data/postmaster.pid") || pid=$(live_pid "$D/postgres.pid"); then
    stop_pid "$pid" QUIT
  fi
  rm -f "$D/gunicorn.pid" "$D/redis.pid" "$D/postgres.pid" "$D/up.pid"
  # Only a folder that up has used (it holds the marker) is ever removed.
  if [ "${RIG_KEEP:-}" != 1 ] && [ -f "$D/rig" ] && [ "$(cat "$D/rig")" = "$MARK" ]; then
    rm -rf "${D:?}"
  fi
}

# Waits until the command succeeds; fails when the pid died or after $2 x 0.1 s.
wait_for() {
  what=$1 tries=$2 pidfile=$3; shift 3
  i=0
  until "$@" >/dev/null 2>&1; do
    if ! live_pid "$pidfile" >/dev/null; then log "$what exited while starting"; return 1; fi
    [ "$i" -lt "$tries" ] || { log "$what not ready after $((tries / 10)) s"; return 1; }
    sleep 0.1; i=$((i + 1))
  done
}

# 75 when the log says the port was taken, else 1.
port_taken_or_fail() {
  if grep -qiE 'address already in use|could not bind|connection in use' "$1" 2>/dev/null; then
    log "$2 port taken"; return 75
  fi
  tail -n 20 "$1" >&2 2>/dev/null || true
  return 1
}

psql_su() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$D/pg/run" -p "$PG_PORT" -U postgres -d postgres "$@"; }

netbox() { NETBOX_ROOT="$D/root" "$VENV/bin/netbox" "$@"; }

# The migrated schema: restore a dump (seconds) when there is one, else migrate from scratch once
# (~8 min on 2 cores) and keep a dump of the result in the cache for the next run.
schema() {
  for f in "$DUMP" "$CACHED_DUMP"; do
    if [ -f "$f" ]; then
      log "restoring $f"
      "$PG_BIN/pg_restore" --no-owner --no-privileges -h "$D/pg/run" -p "$PG_PORT" -U netbox -d netbox "$f"
      netbox migrate --no-input >"$D/logs/migrate.log" 2>&1 || { tail -n 20 "$D/logs/migrate.log" >&2; return 1; }
      return 0
    fi
  done
  log "no migrated dump at ${DUMP:-(PATCHPANEL_NETBOX_DUMP unset)} or $CACHED_DUMP: running the full migrate (~8 min) once"
  netbox migrate --no-input >"$D/logs/migrate.log" 2>&1 || { tail -n 20 "$D/logs/migrate.log" >&2; return 1; }
  mkdir -p "$CACHE"
  "$PG_BIN/pg_dump" -Fc -h "$D/pg/run" -p "$PG_PORT" -U netbox -d netbox -f "$CACHED_DUMP.$$"
  mv -f "$CACHED_DUMP.$$" "$CACHED_DUMP"
  log "cached the migrated schema in $CACHED_DUMP"
}

up() {
  [ "$(id -u)" -eq 0 ] || { log "must run as root (initdb and postgres run as the postgres user)"; exit 2; }
  PG_BIN=${RIG_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
  for b in "$PG_BIN/initdb" "$PG_BIN/postgres" "$PG_BIN/pg_restore" /usr/bin/redis-server /usr/bin/redis-cli; do
    [ -x "$b" ] || { log "$b missing: run scripts/test (it installs postgresql and redis-server)"; exit 2; }
  done
  id postgres >/dev/null 2>&1 || { log "no postgres user: run scripts/test (postgresql)"; exit 2; }
  if [ -f "$D/rig" ]; then log "an instance already uses $D"; exit 1; fi
  VENV=$("$here/venv.sh") || exit 2
  echo "$MARK" >"$D/rig"
  echo $$ >"$D/up.pid"
  echo "$PORT" >"$D/PORT"; echo "$PG_PORT" >"$D/PG_PORT"; echo "$REDIS_PORT" >"$D/REDIS_PORT"
  # From here on a failed start tears down what it made.
  trap 'rc=$?; if [ "$rc" -ne 0 ]; then log "up failed ($rc); tearing down"; RIG_FROM_UP=1 RIG_KEEP=${RIG_KEEP_FAILED:-} down; fi' EXIT
  # The watchdog first: a test killed while NetBox migrates must not leave a cluster behind.
  if [ -n "${RIG_OWNER_PID:-}" ]; then
    RIG_FROM_WATCHDOG=1 RIG_DIR="$D" RIG_KEEP="${RIG_KEEP:-}" setsid sh -c \
      'while kill -0 "$1" 2>/dev/null && ! grep -q "^State:.*Z" "/proc/$1/status" 2>/dev/null; do sleep 0.5; done; exec "$2" down' \
      watchdog "$RIG_OWNER_PID" "$script" </dev/null >>"$D/watchdog.log" 2>&1 &
    echo $! >"$D/watchdog.pid"
  fi
  chmod 711 "$D"
  mkdir -p "$D/logs" "$D/redis" "$D/pg/run" "$D/root/conf" "$D/root/media" "$D/root/scripts" "$D/root/reports"
  chown -R postgres: "$D/pg"
  chmod 700 "$D/pg"

  # PostgreSQL: its own cluster. The superuser logs in only over the private socket folder; TCP needs
  # the netbox role's password. No fsync: the cluster is thrown away.
  printf '%s\n' "$DB_PASSWORD" >"$D/pg/pw" && chown postgres: "$D/pg/pw"
  setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/initdb" -D "$D/pg/data" -U postgres \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >"$D/logs/initdb.log" 2>&1 ||
    { tail -n 20 "$D/logs/initdb.log" >&2; exit 1; }
  setsid setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/postgres" -D "$D/pg/data" \
    -c listen_addresses=127.0.0.1 -p "$PG_PORT" -k "$D/pg/run" -c fsync=off -c synchronous_commit=off \
    -c full_page_writes=off -c max_connections=50 </dev/null >"$D/logs/postgres.log" 2>&1 &
  echo $! >"$D/postgres.pid"

  # Redis: no persistence, no unix socket.
  setsid /usr/bin/redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$D/redis" --daemonize no --protected-mode yes --logfile "$D/logs/redis.log" </dev/null >/dev/null 2>&1 &
  echo $! >"$D/redis.pid"

  rc=0; wait_for postgres 300 "$D/postgres.pid" "$PG_BIN/pg_isready" -q -h "$D/pg/run" -p "$PG_PORT" || rc=$?
  [ "$rc" -eq 0 ] || { port_taken_or_fail "$D/logs/postgres.log" postgres || exit $?; }
  rc=0; wait_for redis 100 "$D/redis.pid" sh -c "/usr/bin/redis-cli -h 127.0.0.1 -p $REDIS_PORT ping | grep -q PONG" || rc=$?
  [ "$rc" -eq 0 ] || { port_taken_or_fail "$D/logs/redis.log" redis || exit $?; }
  phase "postgres and redis ready"
  psql_su -c "CREATE ROLE netbox LOGIN PASSWORD '$DB_PASSWORD'" -c "CREATE DATABASE netbox OWNER netbox"

  # NetBox reads $NETBOX_ROOT/conf/configuration.py. Every writable path points into $D: the venv is
  # shared by all rigs and must stay untouched. Nothing may leave the machine (census, release check).
  cat >"$D/root/conf/configuration.py" <<CFG
# Written by tests/netbox/rig.sh for one test instance; thrown away by rig.sh down.
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
DATABASES = {'default': {
    'ENGINE': 'django.db.backends.postgresql', 'NAME': 'netbox', 'USER': 'netbox',
    'PASSWORD': '$DB_PASSWORD', 'HOST': '127.0.0.1', 'PORT': '$PG_PORT', 'CONN_MAX_AGE': 300,
}}
REDIS = {
    'tasks': {'HOST': '127.0.0.1', 'PORT': $REDIS_PORT, 'PASSWORD': '', 'DATABASE': 0, 'SSL': False},
    'caching': {'HOST': '127.0.0.1', 'PORT': $REDIS_PORT, 'PASSWORD': '', 'DATABASE': 1, 'SSL': False},
}
SECRET_KEY = 'patchpanel-netbox-test-rig-secret-key-0123456789abcdefghijklmnopqrstuvwxyz'
API_TOKEN_PEPPERS = {1: 'patchpanel-netbox-test-rig-pepper-0123456789abcdefghijklmnopqrstuvwxyz'}
CENSUS_REPORTING_ENABLED = False
ISOLATED_DEPLOYMENT = True
RELEASE_CHECK_URL = None
MEDIA_ROOT = '$D/root/media'
SCRIPTS_ROOT = '$D/root/scripts'
REPORTS_ROOT = '$D/root/reports'
CFG

  schema
  phase "schema restored and migrated"

  # The admin user and the two fixed tokens, in one Django process.
  NETBOX_ROOT="$D/root" RIG_TOKEN_V1=$TOKEN_V1 RIG_TOKEN_V2_KEY=$TOKEN_V2_KEY RIG_TOKEN_V2_SECRET=$TOKEN_V2_SECRET \
    "$VENV/bin/netbox" shell -c "exec(open('$here/users.py').read())" >"$D/logs/users.log" 2>&1 ||
    { tail -n 20 "$D/logs/users.log" >&2; exit 1; }

  phase "admin and tokens created"
  (cd "$D/root" && NETBOX_ROOT="$D/root" exec setsid "$VENV/bin/gunicorn" --bind "127.0.0.1:$PORT" \
    --workers 2 --threads 2 --timeout 120 --preload \
    --error-logfile "$D/logs/gunicorn.log" --access-logfile "$D/logs/access.log" \
    netbox.wsgi </dev/null >"$D/logs/gunicorn.out" 2>&1) &
  echo $! >"$D/gunicorn.pid"
  rc=0
  wait_for gunicorn 900 "$D/gunicorn.pid" "$VENV/bin/python" "$here/seed.py" --status "http://127.0.0.1:$PORT" "$TOKEN_V1" || rc=$?
  [ "$rc" -eq 0 ] || { port_taken_or_fail "$D/logs/gunicorn.log" gunicorn || exit $?; }

  phase "gunicorn answers /api/status/"
  if [ "${RIG_SEED:-1}" != 0 ]; then
    "$VENV/bin/python" "$here/seed.py" "http://127.0.0.1:$PORT" "$TOKEN_V1" >"$D/logs/seed.log" 2>&1 ||
      { tail -n 20 "$D/logs/seed.log" >&2; exit 1; }
  fi
  phase "seeded; up"
  rm -f "$D/up.pid"
  trap - EXIT
  echo "NETBOX_URL=http://127.0.0.1:$PORT"
  echo "NETBOX_TOKEN_V1=$TOKEN_V1"
  echo "NETBOX_TOKEN_V2=nbt_$TOKEN_V2_KEY.$TOKEN_V2_SECRET"
  echo "NETBOX_VENV=$VENV"
}

case "${1:-}" in
up) up ;;
down) down; echo "down: port $PORT" ;;
*) echo "usage: $0 up|down (env RIG_DIR, RIG_PORT, RIG_PG_PORT, RIG_REDIS_PORT, RIG_OWNER_PID; see the header)" >&2; exit 2 ;;
esac
