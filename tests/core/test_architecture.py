"""The apps form a tree: the import-linter contract in pyproject.toml holds.

A lower app importing a higher one (applications importing notifications, say) is how
import circles start; such an app must announce a domain event instead. grimp reads
every import statement, including those inside functions, so no circle can hide there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

PROJECT = Path(__file__).resolve().parents[2]


def test_the_import_graph_between_apps_is_a_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT)
    assert lint_imports(config_filename=str(PROJECT / "pyproject.toml"), no_cache=True) == 0


def test_the_check_sees_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Turned upside down (core above applications), the same check must fail."""
    monkeypatch.chdir(PROJECT)
    upside_down = tmp_path / "upside_down.toml"
    upside_down.write_text(
        '[tool.importlinter]\nroot_package = "bizportal"\n\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "upside down"\ntype = "layers"\ncontainers = ["bizportal"]\n'
        'layers = ["core", "applications"]\n'
    )
    assert lint_imports(config_filename=str(upside_down), no_cache=True) == 1
