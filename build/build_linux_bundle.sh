#!/usr/bin/env bash
# Build the Linux onedir bundle with console.spec, prune it, report its size, run its self-test
# offscreen, then compile the NSIS installer with this bundle standing in for the Windows one
# (the script's syntax, defines, pages and file list are checked; the .exe is not for use).
#
#   build/build_linux_bundle.sh            # from the repo root or anywhere
#   SKIP_INSTALLER=1 build/build_linux_bundle.sh     # bundle + self-test only
#   NSIS_FAST=1 build/build_linux_bundle.sh          # zlib instead of solid LZMA (~1 min, not ~7)
#   PYTHON=/path/to/venv/bin/python build/build_linux_bundle.sh   # freeze with another venv
#
# It freezes with $PYTHON, else the venv `make bundle-venv` makes from requirements/bundle.lock
# (.venv-bundle: exactly the set a Windows builder installs), else the dev venv .venv, with a
# warning, as that one holds the test and lint tools too. `make bundle` makes .venv-bundle first.
#
# Prints "BUNDLE_SIZE=...", "SELFTEST=PASS|FAIL", "INSTALLER=... bytes" lines for CI to grep.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ -n "${PYTHON:-}" ]; then
  PY="$PYTHON"
elif [ -x "$ROOT/.venv-bundle/bin/python" ]; then
  PY="$ROOT/.venv-bundle/bin/python"
else
  PY="$ROOT/.venv/bin/python"
fi
DIST="$ROOT/build/dist"
WORK="$ROOT/build/work"
BUNDLE="$DIST/GuardianConsole"
VERSION="$("$PY" -c 'import console; print(console.__version__)')"
MAX_MB="${MAX_BUNDLE_MB:-450}"

step() { printf '\n== %s (%ds)\n' "$*" "$SECONDS"; }

step "python: $PY"
if ! "$PY" requirements/locktool.py check requirements/bundle.lock; then
  echo "warning: this venv is not exactly requirements/bundle.lock (make bundle-venv makes one that is)" >&2
fi

step "pyinstaller console.spec (version $VERSION)"
"$PY" -m PyInstaller --clean --noconfirm --log-level WARN --distpath "$DIST" --workpath "$WORK" console.spec

step "prune"
# The spec already drops WebEngine locales, Qt translations other than zh_CN / en, the QML
# tree and unused Qt plugins. Here: bytecode caches, C headers, libpython's symbols.
find "$BUNDLE" -name '__pycache__' -type d -prune -exec rm -rf {} +
# Strip debug symbols from the extension modules and libpython, but not from anything auditwheel
# repaired (numpy and its *.libs, psycopg2's *.libs): strip rewrites those patchelf'd files into
# "ELF load command address/offset not page-aligned" and numpy no longer imports.
find "$BUNDLE/_internal" -type f -name '*.so*' ! -path '*.libs/*' ! -path '*/numpy/*' -print0 |
  xargs -0 file | grep 'ELF.*not stripped' | cut -d: -f1 |
  while read -r lib; do strip --strip-unneeded "$lib"; done
locales="$BUNDLE/_internal/PySide6/Qt/translations/qtwebengine_locales"
if [ -d "$locales" ]; then
  echo "webengine locales kept: $(ls "$locales" | tr '\n' ' ')"
fi

step "size"
size_kb=$(du -sk "$BUNDLE" | cut -f1)
size_mb=$((size_kb / 1024))
du -sh "$BUNDLE"
echo "largest parts:"
{ du -sk "$BUNDLE"/_internal/* "$BUNDLE"/_internal/PySide6/Qt/* 2>/dev/null || true; } | sort -rn |
  awk 'NR <= 8 {printf "  %6.1f MB  %s\n", $1/1024, $2}'
echo "BUNDLE_SIZE=${size_mb}MB"
if [ "$size_mb" -gt "$MAX_MB" ]; then
  echo "bundle is ${size_mb} MB, over the ${MAX_MB} MB budget" >&2
  exit 3
fi

step "self-test of the frozen bundle"
selftest_rc=0
QT_QPA_PLATFORM=offscreen \
QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu" \
GUARDIAN_DATA_DIR="$WORK/selftest-data" \
  "$BUNDLE/GuardianConsole" selftest || selftest_rc=$?
if [ "$selftest_rc" -eq 0 ]; then echo "SELFTEST=PASS"; else echo "SELFTEST=FAIL (exit $selftest_rc)"; fi

if [ "${SKIP_INSTALLER:-0}" != "1" ]; then
  step "makensis build/installer.nsi"
  if ! command -v makensis >/dev/null; then
    echo "makensis not found (apt-get install nsis)" >&2
    exit 4
  fi
  out="$DIST/GuardianConsole-$VERSION-setup.exe"
  fast=()
  [ "${NSIS_FAST:-0}" = "1" ] && fast=(-DFAST_COMPRESS)
  makensis -V2 -WX "${fast[@]}" -DBUNDLE_DIR="$BUNDLE" -DVERSION="$VERSION" -DOUTFILE="$out" build/installer.nsi
  echo "INSTALLER=$out $(stat -c %s "$out") bytes"
fi

step "done"
exit "$selftest_rc"
