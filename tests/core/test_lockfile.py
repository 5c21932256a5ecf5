"""Reproducible installs: the lock file pins every dependency, with hashes, and this
environment runs exactly the pinned versions (``make install`` installs from the lock)."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)(?:\s*;\s*([^\\]+))?")


def _locked() -> dict[str, tuple[str, int]]:
    """Package name → (pinned version, number of hashes), for this interpreter's markers."""
    pins: dict[str, tuple[str, int]] = {}
    name = ""
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = PIN.match(line)
        if match:
            name = ""
            marker = match.group(3)
            if marker is None or Marker(marker.strip()).evaluate():
                name = canonicalize_name(match.group(1))
                pins[name] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    ]


def test_every_declared_dependency_is_pinned_with_hashes() -> None:
    locked = _locked()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in locked, (
            f"{name} is in pyproject.toml but not in requirements.lock: make lock"
        )
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{name}=={version} in requirements.lock does not satisfy {requirement}: make lock"
        )
        assert hashes > 0, f"{name} has no hash in requirements.lock"


def test_this_environment_runs_the_locked_versions() -> None:
    mismatched = {
        name: (version, metadata.version(name))
        for name, (version, _) in _locked().items()
        if _installed(name) is not None and Version(_installed(name) or "0") != Version(version)
    }
    assert not mismatched, f"installed versions differ from the lock (make install): {mismatched}"


def _installed(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None  # a platform-specific pin for another platform
