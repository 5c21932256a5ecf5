"""``manage.py harvest_catalog SOURCE``: take in an agency's CPSV-AP catalogue.

SOURCE is a file path or an http(s) URL of Turtle or JSON-LD. Prints what happened to
each record that did not stay the same and the run's counts; exits 1, having written
nothing, when the source cannot be harvested at all. The run and its records are in the
admin under Catalog > Harvest runs. The rules are in :mod:`bizportal.catalog.harvest`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bizportal.catalog.harvest import DEFAULT_MAX_BYTES, HarvestError, harvest


class Command(BaseCommand):
    help = "Harvest CPSV-AP public services from a Turtle or JSON-LD file or URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="file path or http(s) URL (.ttl or .jsonld)")
        parser.add_argument(
            "--create-agencies",
            action="store_true",
            help="create unknown competent authorities as agencies (default: skip their "
            "services and report them)",
        )
        parser.add_argument(
            "--format",
            choices=["turtle", "json-ld"],
            help="the source's format when neither its name nor its Content-Type says",
        )
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=DEFAULT_MAX_BYTES,
            help=f"refuse a larger source (default {DEFAULT_MAX_BYTES:,})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = harvest(
                options["source"],
                create_agencies=options["create_agencies"],
                max_bytes=options["max_bytes"],
                fmt=options["format"],
            )
        except HarvestError as error:
            raise CommandError(str(error)) from error
        for record in run.records.all():
            line = f"{record.outcome}: {record.uri}"
            if record.errors:
                self.stderr.write(line)
                for message in record.errors:
                    self.stderr.write(f"    {message}")
            else:
                self.stdout.write(line)
            for message in record.warnings:
                self.stderr.write(f"    warning: {message}")
        for warning in run.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(
            f"harvest run {run.pk}: {run.found} found, {run.created} created, "
            f"{run.updated} updated, {run.unchanged} unchanged, {run.skipped} skipped"
        )
