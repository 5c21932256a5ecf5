"""The compliance mappings under docs/compliance/ point at code that exists.

An auditor follows each reference to the setting, code or test that implements a
control; a reference to something renamed or removed would be false evidence, so it
fails the build instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = sorted((ROOT / "docs" / "compliance").glob("*.md"))
REFERENCE = re.compile(r"`([^`\s]+)`")
PATH_PREFIXES = ("src/", "tests/", "deploy/", "bench/", "docs/", ".ci/", "requirements.lock")


def references(text: str) -> list[str]:
    """The backticked references that name a file, a name in a file or a setting."""
    found = []
    for token in REFERENCE.findall(text):
        if token.startswith(PATH_PREFIXES) or token.startswith("settings."):
            found.append(token)
    return found


def top_level_names(path: Path) -> set[str]:
    """Functions, classes and assignments at the top of a module or in its classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def problem_with(reference: str) -> str | None:
    """Why the reference does not hold, or None when it does."""
    if reference.startswith("settings."):
        name = reference.removeprefix("settings.")
        if name not in top_level_names(ROOT / "src" / "bizportal" / "settings.py"):
            return f"no setting {name} in src/bizportal/settings.py"
        return None
    path_text, _, name = reference.partition("::")
    path = ROOT / path_text
    if not path.exists():
        return f"{path_text} does not exist"
    if name and name not in top_level_names(path):
        return f"{path_text} defines no {name}"
    return None


def test_there_is_an_annex_a_mapping() -> None:
    assert ROOT / "docs" / "compliance" / "iso-27001-annex-a.md" in MAPPINGS


@pytest.mark.parametrize("mapping", MAPPINGS, ids=lambda p: p.name)
def test_every_reference_in_the_mapping_exists(mapping: Path) -> None:
    found = references(mapping.read_text(encoding="utf-8"))
    assert found, f"{mapping.name} names no evidence"
    problems = [f"{ref}: {why}" for ref in found if (why := problem_with(ref))]
    assert problems == []


def test_a_stale_reference_is_caught() -> None:
    assert problem_with("src/bizportal/core/audit.py::verify_chain") is None
    assert problem_with("src/bizportal/core/audit.py::no_such_function") is not None
    assert problem_with("src/bizportal/core/gone.py") is not None
    assert problem_with("settings.AXES_FAILURE_LIMIT") is None
    assert problem_with("settings.NO_SUCH_SETTING") is not None
