#!/bin/sh
# Builds the shared NetBox virtualenv once: `pip install netbox==$NETBOX_VERSION` with a Python >= 3.12
# (pyenv's, else the system's). Every rig instance (tests/netbox/rig.sh) reuses it read-only, so the
# ~90 s pip install is paid once per machine, not per test. Run by scripts/test, and by rig.sh when
# the venv is missing; concurrent callers serialise on a lock and the second finds it built.
#
# Environment:
#   NETBOX_VERSION       default 4.7.3
#   PATCHPANEL_CACHE     default ${XDG_CACHE_HOME:-$HOME/.cache}/patchpanel
#   NETBOX_VENV          default $PATCHPANEL_CACHE/netbox-venv-$NETBOX_VERSION
#   NETBOX_PYTHON        a python3 to use instead of searching
# Prints the venv path on stdout. Exit 2: no Python >= 3.12 (or pip failed).
set -eu

VERSION=${NETBOX_VERSION:-4.7.3}
CACHE=${PATCHPANEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/patchpanel}
VENV=${NETBOX_VENV:-$CACHE/netbox-venv-$VERSION}
log() { echo "netbox venv: $*" >&2; }

# A venv is usable only once pip finished: the marker is written last, so a killed build is redone.
[ -f "$VENV/.complete" ] && { echo "$VENV"; exit 0; }

mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock 9
[ -f "$VENV/.complete" ] && { echo "$VENV"; exit 0; }

ok_python() {
  [ -x "$1" ] && "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null
}
PY=${NETBOX_PYTHON:-}
if [ -z "$PY" ]; then
  for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3 \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3 \
    "$(command -v python3.13 || true)" "$(command -v python3.12 || true)" "$(command -v python3 || true)"; do
    if ok_python "$c"; then PY=$c; break; fi
  done
fi
if [ -z "$PY" ] || ! ok_python "$PY"; then
  log "NetBox $VERSION needs Python >= 3.12 with venv; none found (pyenv versions, python3.12/3.13,"
  log "python3). Install one (e.g. 'pyenv install 3.12') or set NETBOX_PYTHON=/path/to/python3."
  exit 2
fi
for f in pg_config gcc; do
  command -v "$f" >/dev/null 2>&1 || { log "$f missing (libpq-dev, gcc): run scripts/test"; exit 2; }
done

log "building $VENV with $PY ($("$PY" --version 2>&1)), pip install netbox==$VERSION"
rm -rf "$VENV"
began=$(date +%s)
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check --no-input "netbox==$VERSION" gunicorn >&2 || {
  rc=$?; log "pip install failed ($rc)"; rm -rf "$VENV"; exit 2
}
"$VENV/bin/python" -m pip list --format=freeze 2>/dev/null | grep -qi "^netbox==$VERSION$" || {
  log "netbox $VERSION not in the venv after pip install"; exit 2
}
echo "$VERSION" >"$VENV/.complete"
log "built in $(($(date +%s) - began)) s"
echo "$VENV"
