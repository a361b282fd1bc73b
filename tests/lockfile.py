"""The lock file, `requirements.lock`: every runtime and test dependency pinned, with hashes, made by `make
lock` (uv pip compile) and installed by `make` (`pip install --require-hashes`). Test tooling, run from the
checkout:

    python -m tests.lockfile stamp   after `uv pip compile`: records which pyproject.toml dependencies it is for
    python -m tests.lockfile check   exit 1, saying what to do, when pyproject.toml's dependencies changed since
                                     the lock was made, or a pin no longer satisfies them (`make test` runs it)
"""

import hashlib
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
DIGEST_LINE = "# pyproject.toml dependencies sha256: "
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s\\;]+)")


def dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["dev"]]


def dependencies_digest() -> str:
    return hashlib.sha256("\n".join(sorted(dependencies())).encode()).hexdigest()


def pins(text: str) -> dict[str, str]:
    return {canonicalize_name(m[1]): m[2] for m in map(_PIN.match, text.splitlines()) if m}


def problems() -> list[str]:
    if not LOCK.exists():
        return [f"{LOCK.name} is missing: run `make lock`"]
    text = LOCK.read_text()
    found = []
    if DIGEST_LINE + dependencies_digest() not in text.splitlines():
        found.append("pyproject.toml's dependencies changed since the lock was made")
    pinned = pins(text)
    for line in dependencies():
        requirement = Requirement(line)
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            found.append(f"{requirement.name} is not in the lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            found.append(f"{requirement.name}=={version} in the lock does not satisfy {line!r}")
    return found


def main(argv: list[str]) -> int:
    if argv == ["stamp"]:
        text = "\n".join(line for line in LOCK.read_text().splitlines() if not line.startswith(DIGEST_LINE))
        LOCK.write_text(f"{DIGEST_LINE}{dependencies_digest()}\n{text}\n")
        return 0
    if argv == ["check"]:
        found = problems()
        for problem in found:
            print(f"lock: {problem}", file=sys.stderr)
        if found:
            print("lock: run `make lock` and commit requirements.lock", file=sys.stderr)
            return 1
        print(f"lock: {LOCK.name} matches pyproject.toml ({len(pins(LOCK.read_text()))} pins)")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
