#!/usr/bin/env bash
# The system packages of build/system-packages.txt for the given groups (test, demo, bundle):
# nothing to do when all are there; installed with apt-get when run as root; otherwise stop
# (exit 1) and print the one command that installs the rest.
#
#   build/system_packages.sh test [demo ...]
#
# GUARDIAN_SYSDEPS_FILE  another list (tests of this script)
# GUARDIAN_SYSDEPS_NO_INSTALL=1  never install, only report (as a non-root user would)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIST="${GUARDIAN_SYSDEPS_FILE:-$ROOT/build/system-packages.txt}"
PY="${PY:-python3}"
[ $# -gt 0 ] || { echo "usage: $0 GROUP [GROUP ...]   (groups: test, demo, bundle)" >&2; exit 2; }
[ -r "$LIST" ] || { echo "system packages: cannot read $LIST" >&2; exit 2; }

present() {  # present PACKAGE PROBE
  local pkg="$1" probe="$2" kind="${2%%:*}" arg="${2#*:}"
  case "$kind" in
    dpkg) dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ;;
    cmd) command -v "$arg" >/dev/null 2>&1 || [ -x "/usr/sbin/$arg" ] ||
           compgen -G "/usr/lib/postgresql/*/bin/$arg" >/dev/null ;;
    glob) compgen -G "$arg" >/dev/null ;;
    user) id "$arg" >/dev/null 2>&1 ;;
    py) "$PY" -c "import $arg" >/dev/null 2>&1 ;;
    *) echo "system packages: unknown probe '$probe' for $pkg in $LIST" >&2; exit 2 ;;
  esac
}

missing() {  # the packages of the wanted groups whose probe fails, once each, in list order
  local groups pkg probe g want seen=" "
  while read -r groups pkg probe _; do
    case "$groups" in ''|'#'*) continue ;; esac
    for want in "$@"; do
      for g in ${groups//,/ }; do
        if [ "$g" = "$want" ] && [[ "$seen" != *" $pkg "* ]] && ! present "$pkg" "$probe"; then
          seen+="$pkg "
          printf '%s\n' "$pkg"
        fi
      done
    done
  done <"$LIST"
}

# Every row well formed before anything is probed (missing() runs in a subshell: its exit would be lost).
while read -r groups pkg probe _; do
  case "$groups" in ''|'#'*) continue ;; esac
  case "${probe%%:*}" in
    dpkg|cmd|glob|user|py) ;;
    *) echo "system packages: unknown probe '$probe' for $pkg in $LIST" >&2; exit 2 ;;
  esac
done <"$LIST"

mapfile -t need < <(missing "$@")
[ ${#need[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -ne 0 ] || [ "${GUARDIAN_SYSDEPS_NO_INSTALL:-0}" = 1 ] || ! command -v apt-get >/dev/null 2>&1; then
  {
    echo "system packages: missing for '$*': ${need[*]}"
    echo "system packages: install them, then run make again:"
    echo "    sudo apt-get update && sudo $cmd"
  } >&2
  exit 1
fi

echo "system packages: installing ${need[*]} (for '$*')"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends ${need[*]}
mapfile -t still < <(missing "$@")
if [ ${#still[@]} -gt 0 ]; then
  echo "system packages: still missing after apt-get install: ${still[*]}" >&2
  exit 1
fi
