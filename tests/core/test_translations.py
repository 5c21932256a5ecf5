"""The catalogues are complete, compiled and extracted from the current code (issue 15).

A page in Thai or English must never show a message its catalogue lacks, so CI fails on
an untranslated or fuzzy message, a stale ``.mo``, or a message in the code that
``manage.py catalogues update`` has not yet extracted.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from bizportal.core.management.commands.catalogues import (
    catalogue_paths,
    problems_in,
    project_app_dirs,
)
from bizportal.core.templatetags.thai import translated


def test_every_catalogue_is_complete_and_compiled() -> None:
    problems = [p for d in project_app_dirs() for po in catalogue_paths(d) for p in problems_in(po)]
    assert problems == []


def test_every_app_with_messages_has_thai_and_english_catalogues() -> None:
    for app_dir in project_app_dirs():
        languages = {po.parent.parent.name for po in catalogue_paths(app_dir)}
        assert languages in (set(), {"th", "en"}), app_dir


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_catalogues_hold_every_message_in_the_code(tmp_path: Path) -> None:
    missing: list[str] = []
    here = Path.cwd()
    for app_dir in project_app_dirs():
        copy = tmp_path / app_dir.name
        shutil.copytree(
            app_dir,
            copy,
            ignore=shutil.ignore_patterns("locale", "tests", "migrations", "__pycache__"),
        )
        (copy / "locale").mkdir()
        os.chdir(copy)
        try:
            call_command("makemessages", locale=["th"], verbosity=0, add_location="never")
        finally:
            os.chdir(here)
        extracted = copy / "locale/th/LC_MESSAGES/django.po"
        if not extracted.exists():
            continue
        committed_path = app_dir / "locale/th/LC_MESSAGES/django.po"
        committed = (
            {e.msgid for e in polib.pofile(str(committed_path))}
            if committed_path.exists()
            else set()
        )
        missing += [
            f"{app_dir.name}: {e.msgid!r}"
            for e in polib.pofile(str(extracted))
            if e.msgid not in committed
        ]
    assert missing == [], "run: manage.py catalogues update"


def test_stored_message_codes_are_translated_at_display() -> None:
    with translation.override("th"):
        assert translated("Save draft") == "บันทึกฉบับร่าง"
        assert translated("ยื่นคำขอ / Submitted") == "ยื่นคำขอ"
    with translation.override("en"):
        assert translated("Save draft") == "Save draft"
        assert translated("ยื่นคำขอ / Submitted") == "Submitted"
        assert translated("Bangkok / Thailand") == "Bangkok / Thailand"


@pytest.mark.django_db
def test_the_same_page_speaks_thai_then_english() -> None:
    client = Client()
    thai = client.get("/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="th"' in thai and 'lang="en"' in english
    assert thai != english


@pytest.mark.django_db
def test_a_third_language_needs_only_settings_and_a_catalogue(tmp_path: Path, settings) -> None:
    """An operator adds Burmese with BIZPORTAL_LANGUAGES=my and a catalogue folder."""
    from bizportal.settings import _languages

    folder = tmp_path / "my" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalogue = polib.POFile()
    catalogue.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "my"}
    catalogue.append(polib.POEntry(msgid="Find a service", msgstr="ဝန်ဆောင်မှုရှာရန်"))
    catalogue.save_as_mofile(str(folder / "django.mo"))
    settings.LANGUAGES = _languages("my")
    settings.LOCALE_PATHS = [tmp_path]

    page = Client().get("/", HTTP_ACCEPT_LANGUAGE="my").content.decode()

    assert 'lang="my"' in page and "ဝန်ဆောင်မှုရှာရန်" in page
    assert 'value="th" lang="th">ภาษาไทย<' in page and 'value="en" lang="en">English<' in page


def test_an_unknown_language_is_refused_at_start_up() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from bizportal.settings import _languages

    assert [code for code, _name in _languages("")] == ["th", "en"]
    with pytest.raises(ImproperlyConfigured):
        _languages("xx-nonsense")


SOURCE = Path(__file__).resolve().parents[2] / "src" / "bizportal"
LANGUAGE_SWITCH = re.compile(r"\{%\s*if\s+(?:LANG|LANGUAGE_CODE)\s*[!=]=")
BILINGUAL = re.compile(r"[\u0e00-\u0e7f][^\n]* / [A-Za-z]")
#: Templates that compare the language on purpose, and why.
SWITCH_ALLOWED = {
    # The verification page shows the result in the other language too, marked lang=.
    "licences/templates/licences/verify.html",
    # Field labels a registry sends in both languages (data, not our words).
    "applications/templates/applications/_fetched_evidence.html",
}
#: Python files whose "ไทย / English" strings are one bilingual artefact, and why.
BILINGUAL_ALLOWED = {
    "settings.py",  # OAuth scope descriptions read by agency integrators of both languages
    "notifications/catalogue.py",  # default message templates, edited per agency as data
    "payments/ereceipts.py",  # the ETDA e-receipt JSON names the document in both
    "payments/demo.py",  # demo data
    "reports/demo.py",  # generated history: BPMN step names, reasons as officers type them
    "licences/pades.py",  # the signed licence PDF is one bilingual document
    "licences/pdf.py",
    "registries/models.py",  # sandbox registry data
    "sandbox_agency/rules.py",  # a stand-alone agency program, not the portal
}


def test_no_template_decides_its_words_by_comparing_the_language() -> None:
    found = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.html")
        if LANGUAGE_SWITCH.search(path.read_text())
        and str(path.relative_to(SOURCE)) not in SWITCH_ALLOWED
    ]
    assert found == [], "use {% translate %} or |pick / |in_language for data"


def test_no_python_string_holds_both_languages() -> None:
    found: list[str] = []
    for path in SOURCE.rglob("*.py"):
        relative = str(path.relative_to(SOURCE))
        if "/migrations/" in relative or relative in BILINGUAL_ALLOWED:
            continue
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            f"{relative}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and BILINGUAL.search(node.value)
        ]
    assert found == [], "one msgid in English through gettext; Thai in the catalogue"
