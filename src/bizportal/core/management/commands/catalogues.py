"""Keep the gettext catalogues of every Biz Portal app complete and compiled.

Each app owns ``<app>/locale/<language>/LC_MESSAGES/django.po`` next to its code, so
that two people changing two apps never edit the same catalogue. Django merges every
app's catalogue at run time, so an app may use a message another app translates.

``manage.py catalogues update`` re-extracts every message (``makemessages``, which
needs GNU gettext's ``xgettext``), fills the English catalogue (English is the source
language, so its translation is the message itself) and compiles the ``.mo`` files
with polib, so that a machine without gettext still runs the catalogues we commit.

``manage.py catalogues check`` fails when a catalogue has an untranslated or fuzzy
message, or when a ``.mo`` file is older than its ``.po``: CI runs it (through
``tests/core/test_translations.py``) so that no page shows an untranslated string.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

SOURCE_LANGUAGE = "en"
HEADER = {
    "Project-Id-Version": "Biz Portal",
    "Report-Msgid-Bugs-To": "",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=2; plural=(n != 1);",
}
PLURAL_FORMS = {"th": "nplurals=1; plural=0;"}


def project_app_dirs() -> list[Path]:
    """The top-level Biz Portal apps; a contrib app's messages go to its parent's catalogue."""
    root = Path(settings.BASE_DIR)
    dirs = {
        Path(config.path) for config in apps.get_app_configs() if Path(config.path).parent == root
    }
    return sorted(dirs)


def catalogue_paths(app_dir: Path) -> Iterator[Path]:
    yield from sorted(app_dir.glob("locale/*/LC_MESSAGES/django.po"))


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _polib() -> Any:
    try:
        import polib
    except ImportError as exc:  # pragma: no cover - polib is a declared dependency
        raise CommandError("polib is needed: pip install polib") from exc
    return polib


def problems_in(po_path: Path) -> list[str]:
    """Every reason this catalogue would show a visitor an untranslated string."""
    polib = _polib()
    catalogue = polib.pofile(str(po_path))
    found = [
        f"{po_path}: untranslated {entry.msgid!r}" for entry in catalogue.untranslated_entries()
    ]
    found += [f"{po_path}: fuzzy {entry.msgid!r}" for entry in catalogue.fuzzy_entries()]
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        found.append(f"{mo_path}: missing, run manage.py catalogues update")
    elif _compiled_messages(mo_path) != _source_messages(catalogue):
        found.append(f"{mo_path}: does not match its .po, run manage.py catalogues update")
    return found


def _compiled_messages(mo_path: Path) -> dict[Any, str]:
    with mo_path.open("rb") as handle:
        messages = dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]
    messages.pop("", None)
    return messages


def _source_messages(catalogue: Any) -> dict[Any, str]:
    messages: dict[Any, str] = {}
    for entry in catalogue.translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for index, text in entry.msgstr_plural.items():
                messages[(key, int(index))] = text
        else:
            messages[key] = entry.msgstr
    return messages


class Command(BaseCommand):
    help = "Extract, fill and compile (update) or verify (check) every app's catalogues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["update", "check", "compile"])
        parser.add_argument(
            "--app",
            action="append",
            default=[],
            help="Only this app's catalogues (its folder name, e.g. portal); repeatable.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        chosen = [d for d in project_app_dirs() if not options["app"] or d.name in options["app"]]
        if not chosen:
            raise CommandError(f"no such app: {options['app']}")
        if action == "update":
            for app_dir in chosen:
                self._extract(app_dir)
        if action in {"update", "compile"}:
            for app_dir in chosen:
                for po_path in catalogue_paths(app_dir):
                    self._complete_and_compile(po_path)
        found = [problem for d in chosen for p in catalogue_paths(d) for problem in problems_in(p)]
        for problem in found:
            self.stderr.write(problem)
        if found:
            raise CommandError(f"{len(found)} catalogue problem(s)")
        self.stdout.write("catalogues complete")

    def _extract(self, app_dir: Path) -> None:
        (app_dir / "locale").mkdir(exist_ok=True)
        here = Path.cwd()
        os.chdir(app_dir)
        try:
            call_command(
                "makemessages",
                locale=languages(),
                no_obsolete=True,
                add_location="file",
                ignore_patterns=["tests/*", "migrations/*"],
                verbosity=0,
            )
        finally:
            os.chdir(here)

    def _complete_and_compile(self, po_path: Path) -> None:
        polib = _polib()
        language = po_path.parent.parent.name
        catalogue = polib.pofile(str(po_path), wrapwidth=0)
        catalogue.metadata.update(HEADER)
        catalogue.metadata["Language"] = language
        catalogue.metadata["Plural-Forms"] = PLURAL_FORMS.get(language, HEADER["Plural-Forms"])
        catalogue.metadata.pop("POT-Creation-Date", None)
        catalogue.metadata.pop("PO-Revision-Date", None)
        catalogue.metadata.pop("Last-Translator", None)
        catalogue.metadata.pop("Language-Team", None)
        catalogue.header = "Biz Portal messages. Update with: manage.py catalogues update"
        catalogue.metadata_is_fuzzy = False
        if language == SOURCE_LANGUAGE:
            # msgmerge guesses "fuzzy" translations from similar messages; in the source
            # language the message itself is always right.
            for entry in catalogue.fuzzy_entries():
                entry.flags.remove("fuzzy")
                entry.msgstr = ""
                entry.msgstr_plural = {}
                entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
            for entry in catalogue.untranslated_entries():
                if entry.msgid_plural:
                    entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
                else:
                    entry.msgstr = entry.msgid
        catalogue.save(str(po_path))
        catalogue.save_as_mofile(str(po_path.with_suffix(".mo")))
