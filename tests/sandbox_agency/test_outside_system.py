"""The sandbox agency is an outside system: its rules, its command line, and that it
imports nothing of the portal."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import pytest

import bizportal.sandbox_agency
from bizportal.sandbox_agency.__main__ import config_from, parser
from bizportal.sandbox_agency.rules import add_years, decide

PACKAGE = Path(bizportal.sandbox_agency.__file__).parent
#: What any agency's own system would use: HTTP, RFC 9421 signatures, keys, and JOSE
#: (joserfc: the private_key_jwt client assertions of a system user, RFC 7523).
ALLOWED_THIRD_PARTY = {"requests", "http_message_signatures", "cryptography", "joserfc"}


def imported_modules() -> set[str]:
    names = set()
    for source in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return names


def test_it_imports_only_the_standard_library_and_its_own_libraries() -> None:
    import sys

    tops = {name.split(".")[0] for name in imported_modules()}
    outside = tops - set(sys.stdlib_module_names) - ALLOWED_THIRD_PARTY - {"__future__"}
    assert outside == set()


def rule(package: dict, ordinal: int = 1, corrected: bool = False, every: int = 5):
    return decide(
        package,
        ordinal=ordinal,
        corrected_before=corrected,
        correction_every=every,
        area_limit=1000,
        today=date(2028, 2, 29),
    )


@pytest.mark.parametrize(
    ("package", "expected"),
    [
        ({"answers": {"area_sqm": 1000}}, "approve"),
        ({"answers": {"area_sqm": 1000.5}}, "reject"),
        ({"answers": {"premises": [{"floor_area": "2,000"}]}}, "reject"),
        ({"answers": {"seats": 5000}}, "approve"),  # not an area
        ({"holder": {"name_th": "ร้านปฏิเสธ"}, "answers": {}}, "reject"),
        ({"holder": {"name_th": None, "name_en": None}}, "approve"),
    ],
)
def test_rules(package: dict, expected: str) -> None:
    assert rule(package).type == expected


def test_corrections_come_every_nth_only_once_per_application() -> None:
    assert rule({}, ordinal=5).type == "correct"
    assert rule({}, ordinal=5, corrected=True).type == "approve"
    assert rule({}, ordinal=4).type == "approve"
    assert rule({}, ordinal=5, every=0).type == "approve"


def test_the_licence_number_and_its_end() -> None:
    licence = rule({}, ordinal=12).licence

    assert licence == {"number": "SBX-2571-00012", "valid_until": "2033-02-28"}
    assert add_years(date(2026, 5, 4), 5) == date(2031, 5, 4)


def test_options_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_AGENCY_PORTAL", "http://127.0.0.1:8000")
    monkeypatch.setenv("SANDBOX_AGENCY_CLIENT_ID", "id-from-env")
    monkeypatch.setenv("SANDBOX_AGENCY_CLIENT_SECRET", "secret-from-env")
    monkeypatch.setenv("SANDBOX_AGENCY_DELAY", "1.5")

    config = config_from(parser().parse_args(["--fault", "error500", "--fault-rate", "0.3"]))

    assert config.client_id == "id-from-env"
    assert config.delay == 1.5
    assert config.port == 8766
    assert (config.fault, config.fault_rate) == ("error500", 0.3)
    assert config.jwks_file is None


def test_the_portal_and_credentials_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORTAL", "CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.delenv(f"SANDBOX_AGENCY_{name}", raising=False)

    with pytest.raises(SystemExit):
        parser().parse_args([])
