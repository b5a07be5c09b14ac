"""build/system_packages.sh and its list: the packages of the asked groups whose probe fails are
installed as root, or named with the one command that installs them; the shipped list is well
formed. Run against lists written here, with installing turned off (as for a non-root user)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "build" / "system_packages.sh"
LIST = ROOT / "build" / "system-packages.txt"
PROBES = ("dpkg", "cmd:", "glob:", "user:", "py:")


def run(tmp_path: Path, listing: str, *groups: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "packages.txt"
    path.write_text(listing, encoding="utf-8")
    env = dict(os.environ, GUARDIAN_SYSDEPS_FILE=str(path), GUARDIAN_SYSDEPS_NO_INSTALL="1")
    return subprocess.run(["bash", str(SCRIPT), *groups], capture_output=True, text=True, env=env, timeout=60)


LISTING = f"""\
# groups  package  probe
test,demo   shell-pkg        cmd:sh                       # present
test        gone-cmd-pkg     cmd:guardian-no-such-command # missing
test        gone-file-pkg    glob:{ROOT}/no-such-dir/*/x  # missing
demo        gone-user-pkg    user:guardian-no-such-user   # missing, demo only
bundle      gone-py-pkg      py:guardian_no_such_module   # missing, bundle only
test,bundle gone-cmd-pkg     cmd:guardian-no-such-command # listed twice, named once
"""


def test_missing_packages_of_the_asked_groups_are_named_with_the_install_command(tmp_path: Path) -> None:
    out = run(tmp_path, LISTING, "test")
    assert out.returncode == 1
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert lines[0] == "system packages: missing for 'test': gone-cmd-pkg gone-file-pkg"
    assert lines[-1].strip() == (
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends gone-cmd-pkg gone-file-pkg"
    )


def test_groups_add_up_and_each_package_is_named_once(tmp_path: Path) -> None:
    out = run(tmp_path, LISTING, "test", "bundle")
    assert out.returncode == 1
    assert out.stderr.splitlines()[0] == (
        "system packages: missing for 'test bundle': gone-cmd-pkg gone-file-pkg gone-py-pkg"
    )


def test_nothing_missing_says_nothing(tmp_path: Path) -> None:
    out = run(tmp_path, "test,demo shell-pkg cmd:sh\n", "test", "demo")
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")


def test_an_unknown_probe_is_an_error_not_a_pass(tmp_path: Path) -> None:
    out = run(tmp_path, "test odd-pkg rpm:odd\n", "test")
    assert out.returncode == 2
    assert "unknown probe 'rpm:odd' for odd-pkg" in out.stderr


def test_the_shipped_list_is_well_formed() -> None:
    rows = [
        line.split("#", 1)[0].split()
        for line in LIST.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(rows) >= 10
    for groups, package, probe in rows:
        assert set(groups.split(",")) <= {"test", "demo", "bundle"}, groups
        assert package.replace("-", "").replace(".", "").isalnum(), package
        assert probe == "dpkg" or probe.startswith(PROBES[1:]), probe
    named = {package for _, package, _ in rows}
    assert {"mosquitto", "postgresql", "openssl", "nsis", "libpulse0"} <= named
