#!/bin/sh
# A real NETCONF peer for the tests: yuma123 netconfd behind a private OpenSSH sshd on 127.0.0.1,
# one instance per scratch directory, so several can run side by side. Usage: peer.sh up|down
# (recipe: docs/netconf.md §5; documentation: tests/netconf/README.md). Needs root (useradd, chpasswd,
# sshd password authentication reads the shadow file).
#
# Environment:
#   PEER_DIR        scratch folder holding every file of this instance (required; created if missing)
#   PEER_PORT       loopback TCP port of the private sshd (default 8830)
#   PEER_USER       throwaway login user created by up, removed by down (default ncp<port>)
#   PEER_PASSWORD   its password (default <user>-pw)
#   PEER_PROTOCOLS  passed to netconfd --protocols, e.g. netconf1.0 to offer base:1.0 only
#   PEER_YANG       folder of extra YANG modules loaded by path (default: yang/ next to this script)
#   PEER_NETCONFD   the netconfd program (default /usr/sbin/netconfd; a test wraps it to crash once)
#   PEER_OWNER_PID  if set, a watchdog runs `down` once that process is gone (a killed test run)
#   PEER_PURGE=1    down also deletes PEER_DIR and everything in it (files are root's; the caller may
#                   not be, and may be gone)
# Exit codes: 0 ok; 2 usage or missing prerequisite; 75 port or user name taken (pick another port);
# 76 netconfd died while starting (yuma123 occasionally crashes in its start-up, e.g. a NULL pointer in
# val.c: start again); anything else: the instance failed to start (its logs are in PEER_DIR) and was
# torn down again.
set -eu

script=$(cd "$(dirname "$0")" && pwd -P)/$(basename "$0")
D=${PEER_DIR:?set PEER_DIR to a scratch folder}
mkdir -p "$D"
D=$(cd "$D" && pwd -P) # sshd wants absolute paths
if [ -z "${PEER_PORT:-}" ] && [ -f "$D/port" ]; then PEER_PORT=$(cat "$D/port"); fi
PORT=${PEER_PORT:-8830}
if [ -z "${PEER_USER:-}" ] && [ -f "$D/user" ]; then PEER_USER=$(cat "$D/user"); fi
U=${PEER_USER:-ncp$PORT}
PW=${PEER_PASSWORD:-$U-pw}
YANG=${PEER_YANG:-$(dirname "$script")/yang}
NETCONFD=${PEER_NETCONFD:-/usr/sbin/netconfd}
MARK="patchpanel netconf test peer"

log() { echo "peer.sh[$PORT]: $*" >&2; }

# useradd, userdel and chpasswd take /etc/passwd and /etc/shadow locks; parallel instances collide on
# them ("cannot lock /etc/passwd"), so retry those failures for a while.
retry_locked() {
  n=0
  while :; do
    rc=0
    "$@" 2>"$D/.err" || rc=$?
    if [ "$rc" -eq 0 ]; then rm -f "$D/.err"; return 0; fi
    if ! grep -qiE 'lock|try again|currently used' "$D/.err" || [ "$n" -ge 100 ]; then
      cat "$D/.err" >&2; rm -f "$D/.err"; return "$rc"
    fi
    n=$((n + 1)); sleep 0.05
  done
}

# Alive and not a zombie: an exited daemon stays a zombie until init reaps it, which some inits
# (this project's CI VM) do only about once a second.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Stops a pid and waits for it to exit: TERM (or the given signal), up to 5 s, then KILL.
stop_pid() {
  pid=$1
  alive "$pid" || return 0
  kill "-${2:-TERM}" "$pid" 2>/dev/null || true
  i=0
  while alive "$pid" && [ "$i" -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
  if alive "$pid"; then
    kill -9 "$pid" 2>/dev/null || true
    i=0; while alive "$pid" && [ "$i" -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
  fi
}

# The pid from a pid file, if that process is still alive and was started from this instance's files.
live_pid() {
  [ -f "$D/$1.pid" ] || return 1
  pid=$(cat "$D/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && alive "$pid" || return 1
  echo "$pid"
}

down() {
  # The watchdog goes first (unless it is the caller), so it cannot race this teardown.
  if [ "${PEER_FROM_WATCHDOG:-}" != 1 ] && pid=$(live_pid watchdog); then
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  fi
  rm -f "$D/watchdog.pid"
  # sshd: its per-connection children (privsep monitors, netconf-subsystem) outlive the listener.
  if pid=$(live_pid sshd); then
    kids=$(pgrep -P "$pid" || true)
    stop_pid "$pid"
    for k in $kids; do stop_pid "$k"; done
  fi
  # netconfd takes ~1 s to honour TERM and holds nothing worth saving (--no-startup), so KILL it.
  if pid=$(live_pid netconfd); then stop_pid "$pid" KILL; fi
  rm -f "$D/sshd.pid" "$D/netconfd.pid" "$D/ncxserver.sock"
  if getent passwd "$U" >/dev/null 2>&1; then
    # Only a user this script made (comment MARK) is ever removed.
    if [ "$(getent passwd "$U" | cut -d: -f5)" = "$MARK" ]; then
      # Whatever still runs as the user (a session shell) would make userdel refuse.
      for k in $(pgrep -u "$U" || true); do stop_pid "$k"; done
      retry_locked userdel "$U" || log "could not remove user $U"
    else
      log "user $U exists but was not created by peer.sh; left alone"
    fi
  fi
  # Only a folder that up has used (it holds "port") is ever emptied.
  if [ "${PEER_PURGE:-}" = 1 ] && [ -f "$D/port" ]; then
    # The folder itself too: the caller may die before removing its temp dir (and may not be root).
    find "$D" -mindepth 1 -delete 2>/dev/null || rm -rf "${D:?}"/* "${D:?}"/.[!.]* 2>/dev/null || true
    rmdir "$D" 2>/dev/null || true
  fi
}

# Claims the user name (useradd is atomic under its lock, so the name doubles as the port's lock).
# A leftover from a killed run (its home folder gone) is removed and the name reclaimed.
claim_user() {
  for attempt in 1 2; do
    rc=0
    retry_locked useradd -M -N -d "$D/home" -s /bin/sh -c "$MARK" "$U" || rc=$?
    [ "$rc" -eq 0 ] && return 0
    [ "$rc" -eq 9 ] || return 1 # 9: name in use
    entry=$(getent passwd "$U" || true)
    home=$(echo "$entry" | cut -d: -f6)
    if [ "$(echo "$entry" | cut -d: -f5)" = "$MARK" ] && [ "$attempt" = 1 ] && [ ! -d "$home" ]; then
      log "removing stale user $U (home $home is gone)"
      retry_locked userdel "$U" || return 75
      continue
    fi
    return 75
  done
  return 75
}

# netconfd exited during start-up: show why (its log and stdout) and exit 76, so the caller starts a
# fresh instance. The EXIT trap tears this one down.
netconfd_died() {
  log "netconfd died while starting ($1); start again. Its last words:"
  tail -n 5 "$D/netconfd.log" >&2 2>/dev/null || true
  tail -n 5 "$D/netconfd.out" >&2 2>/dev/null || true
  exit 76
}

up() {
  [ "$(id -u)" -eq 0 ] || { log "must run as root (useradd, sshd password auth)"; exit 2; }
  for b in "$NETCONFD" /usr/sbin/netconf-subsystem /usr/sbin/sshd /usr/bin/ssh-keygen; do
    [ -x "$b" ] || { log "$b missing: run scripts/test (it installs the packages)"; exit 2; }
  done
  if live_pid sshd >/dev/null || live_pid netconfd >/dev/null; then
    log "an instance already runs in $D"; exit 1
  fi
  rc=0; claim_user || rc=$?
  if [ "$rc" -ne 0 ]; then
    [ "$rc" -eq 75 ] && log "user $U already exists (port $PORT taken?)"
    exit "$rc"
  fi
  echo "$PORT" >"$D/port"
  echo "$U" >"$D/user"
  # From here on a failed start tears down what it made.
  trap 'rc=$?; if [ "$rc" -ne 0 ]; then down; fi' EXIT
  printf '%s:%s\n' "$U" "$PW" | retry_locked chpasswd

  # The user's netconf-subsystem must reach the socket: let it traverse a private (0700) temp dir.
  chmod 711 "$D"
  mkdir -p "$D/home" "$D/authorized_keys" /run/sshd
  [ -f "$D/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$D/ssh_host_ed25519_key" -C "peer-$PORT"
  [ -f "$D/client_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$D/client_key" -C "$U-client"
  cp "$D/client_key.pub" "$D/authorized_keys/$U"
  # The host key is ours, so known_hosts is written, not scanned; the tests check the server against it.
  printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$D/ssh_host_ed25519_key.pub")" >"$D/known_hosts"

  cat >"$D/sshd_config" <<CFG
Port $PORT
ListenAddress 127.0.0.1
HostKey $D/ssh_host_ed25519_key
PidFile $D/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $D/authorized_keys/%u
PermitRootLogin no
AllowUsers $U
StrictModes no
UseDNS no
MaxStartups 64
MaxSessions 64
Subsystem netconf /usr/sbin/netconf-subsystem --ncxserver-sockname=$PORT@$D/ncxserver.sock
CFG
  /usr/sbin/sshd -t -f "$D/sshd_config"

  # netconfd without SIL libraries (plain YANG-validated datastores), candidate target, empty start.
  # YANG by file path: by name, ietf-interfaces pulls in a SIL that aborts netconfd (§5.6.1).
  # Its cwd is $D: a confirmed commit writes backup-cfg.xml there.
  set -- --modpath="$YANG:/usr/share/yuma/modules" \
    --module=/usr/share/yuma/modules/ietf/ietf-interfaces@2014-05-08.yang \
    --module=/usr/share/yuma/modules/ietf/ietf-ip@2014-06-16.yang \
    --module=/usr/share/yuma/modules/ietf/iana-if-type@2014-05-08.yang
  for f in "$YANG"/*.yang; do [ -e "$f" ] && set -- "$@" --module="$f"; done
  [ -z "${PEER_PROTOCOLS:-}" ] || set -- "$@" --protocols="$PEER_PROTOCOLS"
  rm -f "$D/ncxserver.sock"
  (cd "$D" && HOME="$D/home" exec setsid "$NETCONFD" "$@" \
    --no-startup --target=candidate --with-startup=false \
    --superuser="$U" --access-control=permissive \
    --port="$PORT" --ncxserver-sockname="$D/ncxserver.sock" \
    --log="$D/netconfd.log" --log-level=info >"$D/netconfd.out" 2>&1 </dev/null) &
  echo $! >"$D/netconfd.pid"
  i=0
  while [ ! -S "$D/ncxserver.sock" ]; do
    live_pid netconfd >/dev/null || netconfd_died "before opening its socket"
    [ "$i" -lt 200 ] || { log "netconfd socket did not appear in 10 s"; exit 1; }
    sleep 0.02; i=$((i + 1))
  done
  # The subsystem runs as the user and connects to the socket.
  chmod 666 "$D/ncxserver.sock"

  # -D keeps sshd in the foreground of its own session so an early death (port taken) is seen here;
  # it writes its pid file once the listening socket is bound, which is the readiness signal.
  rm -f "$D/sshd.pid" "$D/sshd.log"
  setsid /usr/sbin/sshd -D -f "$D/sshd_config" -E "$D/sshd.log" </dev/null >/dev/null 2>&1 &
  spid=$!
  i=0
  while [ ! -s "$D/sshd.pid" ]; do
    if ! alive "$spid"; then
      if grep -q 'Address already in use' "$D/sshd.log" 2>/dev/null; then log "port $PORT taken"; exit 75; fi
      log "sshd exited; see $D/sshd.log"; tail -n 5 "$D/sshd.log" >&2 || true; exit 1
    fi
    [ "$i" -lt 200 ] || { echo "$spid" >"$D/sshd.pid"; log "sshd not ready in 10 s"; exit 1; }
    sleep 0.02; i=$((i + 1))
  done

  if [ -n "${PEER_OWNER_PID:-}" ]; then
    # Cleans up after a test process that died without running its drop guard.
    PEER_FROM_WATCHDOG=1 PEER_DIR="$D" PEER_PURGE="${PEER_PURGE:-}" setsid sh -c \
      'while kill -0 "$1" 2>/dev/null && ! grep -q "^State:.*Z" "/proc/$1/status" 2>/dev/null; do sleep 0.5; done; exec "$2" down' \
      watchdog "$PEER_OWNER_PID" "$script" </dev/null >>"$D/watchdog.log" 2>&1 &
    echo $! >"$D/watchdog.pid"
  fi
  # Under sudo the caller is not root: let it read what it needs (and what it owns is its temp dir).
  if [ -n "${SUDO_UID:-}" ]; then
    chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$D/client_key" "$D/client_key.pub" "$D/known_hosts"
  fi
  # A netconfd that crashed after opening its socket is a failed start too.
  live_pid netconfd >/dev/null || netconfd_died "after opening its socket"
  trap - EXIT
  echo "up: port $PORT user $U netconfd pid $(cat "$D/netconfd.pid") sshd pid $(cat "$D/sshd.pid")"
}

case "${1:-}" in
up) up ;;
down) down; echo "down: port $PORT user $U" ;;
*) echo "usage: $0 up|down (env PEER_DIR, PEER_PORT, PEER_USER, PEER_PROTOCOLS; see the header)" >&2; exit 2 ;;
esac
