"""The locks of requirements/ with pip alone (no uv needed): a venv kept equal to one, and checks.

    python requirements/locktool.py fresh LOCK INPUTS...  # exit 1 if pyproject.toml asks for more
    python requirements/locktool.py sync LOCK      # uninstall what LOCK does not list; then as check
    python requirements/locktool.py check LOCK     # exit 1 unless this environment is exactly LOCK
    python requirements/locktool.py windows LOCK   # LOCK's lines for CPython 3.11 on win_amd64

INPUTS are the lock's inputs as `uv pip compile` takes them in the Makefile (`pyproject.toml` for
the project's dependencies, `--extra NAME`, `--group pyproject.toml:NAME`). `fresh` is offline: it
fails when a requirement there is missing from LOCK or not met by its pin (on Linux or Windows,
Python 3.11 to 3.14), i.e. when pyproject.toml was changed without `make lock`. `sync` follows
`pip install --require-hashes -r LOCK`, so that a venv made from an older lock loses what the new
one dropped (pip install never removes anything): besides LOCK's packages a venv holds only pip
(from pip.lock) and this project, installed editable. `windows` evaluates the markers for Windows,
not for this machine (pip download --platform does not), for `make lock-check-windows`.
Run it with a venv's python (pip's own copy of `packaging` does when the lock's is not there yet).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

try:
    from packaging.markers import Marker
    from packaging.requirements import Requirement
except ImportError:  # a venv that has only pip (before the lock is installed)
    from pip._vendor.packaging.markers import Marker  # type: ignore[no-redef]
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
ALWAYS = {"pip"}  # comes with every venv (upgraded from pip.lock); the other locks do not pin it
WINDOWS = {
    "os_name": "nt",
    "sys_platform": "win32",
    "platform_system": "Windows",
    "platform_machine": "AMD64",
    "python_version": "3.11",
    "python_full_version": "3.11.9",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}
LINUX = {
    **WINDOWS,
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
}
TARGETS = [  # where `fresh` checks the lock against pyproject.toml
    {**base, "python_version": minor, "python_full_version": f"{minor}.0"}
    for base in (LINUX, WINDOWS)
    for minor in ("3.11", "3.12", "3.13", "3.14")
]


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def entries(lock: Path) -> list[tuple[str, str, str, str]]:
    """(name, version, marker, hashes) of every requirement line of a `uv pip compile` output."""
    text = lock.read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        req, sep, hashes = line.partition(" --hash=")
        spec, _, marker = req.partition(";")
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", spec.strip())
        if m is None:
            raise SystemExit(f"{lock}: not a pinned requirement: {line[:80]}")
        out.append((m.group(1), m.group(2), marker.strip(), (sep + hashes).strip()))
    return out


def applies(marker: str, env: dict[str, str] | None) -> bool:
    return not marker or Marker(marker).evaluate(env)


def wanted(lock: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    return {norm(name): version for name, version, marker, _ in entries(lock) if applies(marker, env)}


def installed() -> dict[str, str]:
    return {norm(d.metadata["Name"]): d.version for d in metadata.distributions()}


def pyproject() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def inputs(args: list[str]) -> list[str]:
    """The requirement strings named by `uv pip compile`-style inputs."""
    doc, out, rest = pyproject(), [], list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "pyproject.toml":
            out += doc["project"]["dependencies"]
        elif arg == "--extra" and rest:
            out += doc["project"]["optional-dependencies"][rest.pop(0)]
        elif arg == "--group" and rest:
            out += doc["dependency-groups"][rest.pop(0).rpartition(":")[2]]
        else:
            raise SystemExit(f"locktool: unknown input {arg!r}")
    return out


def fresh(lock: Path, args: list[str]) -> int:
    pins = [(env, wanted(lock, env)) for env in TARGETS]
    problems: dict[str, list[str]] = {}
    for text in inputs(args):
        req = Requirement(text)
        for env, pinned in pins:
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            pin = pinned.get(norm(req.name))
            if pin is None:
                problem = f"{text!r}: {req.name} is not in the lock"
            elif not req.specifier.contains(pin, prereleases=True):
                problem = f"{text!r}: the lock has {req.name}=={pin}"
            else:
                continue
            problems.setdefault(problem, []).append(f"{env['sys_platform']} {env['python_version']}")
    for problem, where in problems.items():
        print(
            f"{lock.as_posix()} is stale: pyproject.toml asks for {problem} ({', '.join(where)})",
            file=sys.stderr,
        )
    if problems:
        print("run `make lock` (it needs PyPI) and commit the locks with pyproject.toml", file=sys.stderr)
        return 1
    return 0


def differences(lock: Path) -> tuple[list[str], list[str]]:
    want, have = wanted(lock), installed()
    project = norm(pyproject()["project"]["name"])
    extra = sorted(set(have) - set(want) - ALWAYS - {project})
    wrong = [
        f"{name}=={version} (installed: {have.get(name, 'missing')})"
        for name, version in sorted(want.items())
        if have.get(name) != version
    ]
    return extra, wrong


def check(lock: Path) -> int:
    extra, wrong = differences(lock)
    if extra:
        print(f"{lock.name}: installed but not in the lock: {' '.join(extra)}", file=sys.stderr)
    for line in wrong:
        print(f"{lock.name}: not as locked: {line}", file=sys.stderr)
    if extra or wrong:
        return 1
    print(f"{sys.prefix}: exactly {lock.as_posix()}")
    return 0


def sync(lock: Path) -> int:
    extra, _ = differences(lock)
    if extra:
        print(f"{lock.name}: uninstalling what the lock does not list: {' '.join(extra)}")
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", *extra], check=True)
    return check(lock)


def windows(lock: Path) -> int:
    for name, version, marker, hashes in entries(lock):
        if applies(marker, WINDOWS):
            print(f"{name}=={version} {hashes}")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "fresh":
        return fresh(Path(argv[1]), argv[2:])
    commands = {"sync": sync, "check": check, "windows": windows}
    if len(argv) != 2 or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](Path(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
